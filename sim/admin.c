/* Admin endpoints; see admin.h and docs/vms-sim.md. */
#include "admin.h"

#include <string.h>

#include "auth.h"
#include "clones.h"
#include "collections.h"
#include "faults.h"
#include "safepath.h"
#include "objects.h"
#include "seed.h"
#include "snapshots.h"
#include "stats.h"
#include "store.h"
#include "tasks.h"

/* Every stored object of every collection, unfiltered and across tenants. */
static json_t *inventory(sim_ctx *ctx, const char *base_url) {
    sim_request req = {.ctx = ctx, .method = "GET", .api_version = "", .api_path = "", .base_url = base_url};
    json_t *out = json_object();
    for (size_t c = 0; sim_collections[c]; c++) {
        const sim_collection *coll = sim_collections[c];
        if (coll->virtual_list) continue;
        json_t *items = json_array();
        size_t i;
        json_t *obj;
        json_array_foreach(store_list(ctx->store, coll->name), i, obj) {
            json_array_append_new(items, objects_render(&req, coll, obj, false));
        }
        json_object_set_new(out, coll->name, items);
    }
    return out;
}

/* Empty state, as --reset: objects, id counters and DIR/fs go; sessions and the
 * cluster's identity stay, so connected clients keep working. */
static int reset_state(sim_ctx *ctx, sim_response *resp) {
    static const char *const keep[] = {"sessions", "cluster", NULL};
    clones_cancel_all(ctx);
    store_clear(ctx->store, keep);
    int err = safepath_empty_root(ctx->fs_fd);
    if (err != 0) return sim_reply_detail(resp, 500, "Cannot empty %s: %s", ctx->fs_root, strerror(err));
    collections_ensure_builtin(ctx);
    return sim_ok(resp, 200, json_pack("{s:s}", "detail", "State reset."));
}

static int set_faults(sim_ctx *ctx, const char *body, size_t body_len, sim_response *resp) {
    json_error_t jerr;
    json_t *doc = body ? json_loadb(body, body_len, 0, &jerr) : NULL;
    if (!doc) return sim_reply_detail(resp, 400, "Expected a JSON body {\"rules\": [...]}.");
    char err[256];
    bool ok = faults_set(ctx->faults, doc, err, sizeof err);
    json_decref(doc);
    if (!ok) return sim_reply_detail(resp, 400, "%s", err);
    return sim_ok(resp, 200, faults_describe(ctx->faults));
}

/* Endpoints that read or change the store run under its lock. */
static void serve_locked(sim_ctx *ctx, const char *method, const char *path, const char *base_url,
                         sim_response *resp) {
    store_lock(ctx->store);
    tasks_advance(ctx);
    snapshots_expire(ctx);
    if (strcmp(path, "/tokens/expire") == 0 && strcmp(method, "POST") == 0) {
        auth_expire_access_tokens(ctx);
        sim_ok(resp, 200, json_pack("{s:s}", "detail", "Access tokens expired."));
    } else if (strcmp(path, "/seed") == 0 && strcmp(method, "POST") == 0) {
        json_t *ids = seed_apply(ctx);
        if (ids) sim_ok(resp, 200, ids);
        else sim_reply_detail(resp, 500, "Cannot create the seeded directory");
    } else if (strcmp(path, "/inventory") == 0 && strcmp(method, "GET") == 0) {
        sim_ok(resp, 200, inventory(ctx, base_url));
    } else if (strcmp(path, "/reset") == 0 && strcmp(method, "POST") == 0) {
        reset_state(ctx, resp);
    } else {
        sim_reply_not_found(resp);
    }
    uint64_t ticket;
    if (store_commit(ctx->store, &ticket) != 0) sim_reply_detail(resp, 500, "The simulator could not save its state.");
    sim_response_finish(resp);
    store_unlock(ctx->store);
    if (store_sync(ctx->store, ticket) != 0) {
        sim_reply_detail(resp, 500, "The simulator could not save its state.");
        sim_response_finish(resp);
    }
}

void admin_serve(sim_ctx *ctx, const char *method, const char *path, const char *body, size_t body_len,
                 const char *base_url, sim_response *resp) {
    char route[64];
    size_t n = strlen(path);
    if (n > 1 && path[n - 1] == '/') n--; /* with or without the trailing slash */
    if (n >= sizeof route) n = sizeof route - 1;
    memcpy(route, path, n);
    route[n] = '\0';
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0, del = strcmp(method, "DELETE") == 0;
    if (strcmp(route, "/listeners") == 0 && get) {
        sim_ok(resp, 200, sim_ports(ctx));
    } else if (strcmp(route, "/stats") == 0 && get) {
        sim_ok(resp, 200, stats_snapshot(ctx->stats));
    } else if (strcmp(route, "/stats/reset") == 0 && post) {
        stats_reset(ctx->stats);
        sim_ok(resp, 200, stats_snapshot(ctx->stats));
    } else if (strcmp(route, "/faults") == 0 && (get || post || del)) {
        if (post) set_faults(ctx, body, body_len, resp);
        else {
            if (del) faults_clear(ctx->faults);
            sim_ok(resp, 200, faults_describe(ctx->faults));
        }
    } else {
        serve_locked(ctx, method, route, base_url, resp);
        return;
    }
    sim_response_finish(resp);
}
