/* API routing; see api.h. */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api_actions.h"
#include "auth.h"
#include "collections.h"
#include "objects.h"
#include "snapshots.h"
#include "stats.h"
#include "store.h"
#include "support.h"
#include "tasks.h"
#include "vk/log.h"

#define MAX_SEGMENTS 8

/* Releases where VMS gained an endpoint; older --sys-version answers 404 there. */
#define VERSION_CLONES 4006000       /* snapshots/{id}/clone/ */
#define VERSION_DELETE_FOLDER 4007000 /* folders/delete_folder/ */
#define VERSION_PLUGINS_USAGE 5002000 /* plugins/usage/ */

static const char *const api_versions[] = {"v1", "v2", "v3", "v4", "v5", "latest", NULL};

bool api_split_url(const char *url, char version[API_VERSION_MAX], const char **path) {
    if (strncmp(url, "/api/", 5) != 0) return false;
    const char *rest = url + 5;
    version[0] = '\0';
    size_t n = strcspn(rest, "/");
    for (size_t i = 0; api_versions[i]; i++) {
        if (rest[n] == '/' && strlen(api_versions[i]) == n && strncmp(rest, api_versions[i], n) == 0) {
            memcpy(version, rest, n);
            version[n] = '\0';
            rest += n + 1;
            break;
        }
    }
    *path = rest;
    return true;
}

typedef int (*object_action_fn)(sim_request *req, json_t *obj, sim_response *resp);

/* Endpoints under an object: <collection>/{id}/<action>/. */
static const struct {
    const char *collection, *action, *method;
    int min_version;
    object_action_fn run;
} object_actions[] = {
    {"snapshots", "clone", "POST", VERSION_CLONES, snapshots_clone},
    {"globalsnapstreams", "stop", "PATCH", 0, streams_stop},
    {"users", "access_keys", "POST", 0, users_add_access_key},
    {"users", "access_keys", "PATCH", 0, users_update_access_key},
    {"users", "access_keys", "DELETE", 0, users_remove_access_key},
    {"apitokens", "revoke", "PATCH", 0, apitokens_revoke},
};

static int method_not_allowed(sim_request *req, sim_response *resp) {
    return sim_reply_detail(resp, 405, "Method \"%s\" not allowed.", req->method);
}

static bool is_method(const sim_request *req, const char *method) { return strcmp(req->method, method) == 0; }

static bool parse_id(const char *text, json_int_t *id) {
    if (!*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 15) return false;
    *id = strtoll(text, NULL, 10);
    return true;
}

static int parse_body(sim_request *req, sim_response *resp) {
    if (!req->body_text || req->body_len == 0) return 0;
    json_error_t err;
    req->body = json_loadb(req->body_text, req->body_len, JSON_DECODE_ANY, &err);
    if (!req->body) return sim_reply_detail(resp, 400, "JSON parse error - %s", err.text);
    return 0;
}

static int run_object_action(sim_request *req, const sim_collection *coll, json_int_t id, sim_response *resp) {
    bool known = false;
    for (size_t i = 0; i < sizeof object_actions / sizeof object_actions[0]; i++) {
        if (strcmp(object_actions[i].collection, coll->name) != 0 ||
            strcmp(object_actions[i].action, req->segments[2]) != 0 ||
            req->ctx->cfg.sys_version_code < object_actions[i].min_version)
            continue;
        known = true;
        if (!is_method(req, object_actions[i].method)) continue;
        json_t *obj = objects_find_visible(req, coll, id);
        if (!obj) return sim_reply_not_found(resp);
        return object_actions[i].run(req, obj, resp);
    }
    return known ? method_not_allowed(req, resp) : sim_reply_not_found(resp);
}

static int route_collection(sim_request *req, sim_response *resp) {
    const char *name = req->segments[0];
    if (req->n_segments == 2 && strcmp(name, "folders") == 0 && strcmp(req->segments[1], "delete_folder") == 0) {
        if (req->ctx->cfg.sys_version_code < VERSION_DELETE_FOLDER) return sim_reply_not_found(resp);
        return is_method(req, "DELETE") ? folders_delete(req, resp) : method_not_allowed(req, resp);
    }
    if (req->n_segments == 2 && strcmp(name, "plugins") == 0 && strcmp(req->segments[1], "usage") == 0) {
        if (req->ctx->cfg.sys_version_code < VERSION_PLUGINS_USAGE) return sim_reply_not_found(resp);
        return is_method(req, "POST") ? plugins_usage_report(req, resp) : method_not_allowed(req, resp);
    }
    const sim_collection *coll = collection_find(name);
    if (!coll) return sim_reply_not_found(resp);
    if (req->n_segments == 1) {
        if (is_method(req, "GET")) return objects_list(req, coll, resp);
        if (is_method(req, "POST")) return objects_create(req, coll, resp);
        return method_not_allowed(req, resp);
    }
    json_int_t id;
    if (!parse_id(req->segments[1], &id)) return sim_reply_not_found(resp);
    if (req->n_segments == 3) return run_object_action(req, coll, id, resp);
    if (req->n_segments != 2) return sim_reply_not_found(resp);
    if (is_method(req, "GET")) return objects_get(req, coll, id, resp);
    if (is_method(req, "PATCH") || is_method(req, "PUT")) return objects_patch(req, coll, id, resp);
    if (is_method(req, "DELETE")) return objects_delete(req, coll, id, resp);
    return method_not_allowed(req, resp);
}

static int route(sim_request *req, sim_response *resp) {
    if (req->n_segments == 0) return sim_reply_not_found(resp);
    if (strcmp(req->segments[0], "token") == 0) {
        bool refresh = req->n_segments == 2 && strcmp(req->segments[1], "refresh") == 0;
        if (req->n_segments != 1 && !refresh) return sim_reply_not_found(resp);
        if (parse_body(req, resp) != 0) return -1;
        return auth_token_endpoint(req, refresh, resp);
    }
    if (auth_authenticate(req, resp) != 0) return -1;
    if (req->readonly && !is_method(req, "GET") && !is_method(req, "HEAD")) return sim_reply_permission_denied(resp);
    if (access_scope(req, resp) != 0) return -1;
    if (access_check_route(req, resp) != 0) return -1;
    if (parse_body(req, resp) != 0) return -1;
    return route_collection(req, resp);
}

/* A request that changed (or could have changed) VMS objects: a mutating method answered
 * 2xx. Logins (token/) are not writes: they change no object, and a client logs in when
 * its token expires, whether or not it has anything to change. */
static bool is_write(const sim_request *req, const sim_response *resp) {
    if (resp->status < 200 || resp->status > 299 || req->n_segments == 0) return false;
    if (strcmp(req->segments[0], "token") == 0) return false;
    return is_method(req, "POST") || is_method(req, "PATCH") || is_method(req, "PUT") || is_method(req, "DELETE");
}

/* Splits api_path into segments; false (a 404) without the trailing slash VMS requires. */
static bool split_segments(sim_request *req, char *copy, char **segments) {
    size_t len = strlen(copy);
    if (len == 0 || copy[len - 1] != '/') return false;
    req->n_segments = 0;
    char *save = NULL;
    for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (req->n_segments == MAX_SEGMENTS) return false;
        segments[req->n_segments++] = seg;
    }
    req->segments = segments;
    return true;
}

void api_serve(sim_request *req, sim_response *resp) {
    sim_ctx *ctx = req->ctx;
    char *copy = sim_strdup(req->api_path);
    char *segments[MAX_SEGMENTS];
    bool routable = split_segments(req, copy, segments);
    store_lock(ctx->store);
    tasks_advance(ctx);
    snapshots_expire(ctx);
    if (routable) route(req, resp);
    else sim_reply_not_found(resp);
    uint64_t ticket;
    if (store_commit(ctx->store, &ticket) != 0) sim_reply_detail(resp, 500, "The simulator could not save its state.");
    if (routable && is_write(req, resp)) stats_count_write(ctx->stats, req->segments[0]);
    sim_response_finish(resp);
    store_unlock(ctx->store);
    /* The answer waits for its journal line to be on disk, not holding the lock: requests
     * that wait at the same time share one fdatasync. */
    if (store_sync(ctx->store, ticket) != 0) {
        sim_reply_detail(resp, 500, "The simulator could not save its state.");
        sim_response_finish(resp);
    }
    json_decref(req->body);
    req->body = NULL;
    free(copy);
}
