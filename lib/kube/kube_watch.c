/* kube_watch: one watch stream (vk/kube_watch.h) - the request, each line parsed into
 * an event, bookmarks and events advancing the resourceVersion, and how the stream
 * ended as the code a caller branches on (re-watch, relist, stop). */
#include "vk/kube_watch.h"

#include "kube_client_internal.h"
#include "vk/deadline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One object per line, and the API server caps an object near 1.5 MiB in etcd; its
 * JSON (escaping, managedFields) can be larger, so leave room. */
#define WATCH_MAX_LINE ((size_t)8 * 1024 * 1024)

static const char *const type_names[VK_KUBE_WATCH_TYPE_COUNT] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK",
                                                                 "ERROR"};

const char *vk_kube_watch_type_name(vk_kube_watch_type type) {
    return type < VK_KUBE_WATCH_TYPE_COUNT ? type_names[type] : "UNKNOWN";
}

bool vk_kube_watch_parse_line(const char *line, size_t len, vk_kube_watch_type *type, json_t **object,
                              vk_status *st) {
    *object = NULL;
    json_error_t jerr;
    json_t *ev = json_loadb(line, len, 0, &jerr);
    if (!ev) /* where, not what: jansson's text would quote the line */
        return vk_status_set(st, VK_INTERNAL, "a watch event that is not JSON (column %d of a %zu-byte line)",
                             jerr.column, len),
               false;
    const char *name = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    int found = -1;
    for (int i = 0; name && i < VK_KUBE_WATCH_TYPE_COUNT; i++)
        if (strcmp(name, type_names[i]) == 0) found = i;
    bool ok = false;
    if (!name) vk_status_set(st, VK_INTERNAL, "a watch event without a type");
    else if (found < 0) vk_status_set(st, VK_INTERNAL, "a watch event of unknown type \"%.40s\"", name);
    else if (!json_is_object(obj)) vk_status_set(st, VK_INTERNAL, "a watch event (%s) without an object", name);
    else ok = true;
    if (ok) {
        *type = (vk_kube_watch_type)found;
        *object = json_incref(obj);
        vk_status_ok(st);
    }
    json_decref(ev);
    return ok;
}

void vk_kube_watch_error(const json_t *status, const char *what, vk_kube_error *err, vk_status *st) {
    long code = (long)json_integer_value(json_object_get(status, "code"));
    const char *reason = json_string_value(json_object_get(status, "reason"));
    /* etcd's compaction and the watch cache's window both say 410, reason Expired (or
     * Gone from older servers); a reason without the code is the same news. */
    if (reason && (strcmp(reason, "Expired") == 0 || strcmp(reason, "Gone") == 0)) code = 410;
    if (code < 400) code = 500; /* a Status without a code is still a failure */
    char *body = json_dumps(status, JSON_COMPACT);
    vk_kube_error_from_answer(code, body ? body : "", what, err, st);
    free(body);
}

typedef struct {
    const vk_kube_watch_options *o;
    vk_kube_watch_result *r;
    const char *what;
    vk_status failed; /* an ERROR event or a broken line: why the stream was stopped */
    bool has_failed;
} watch_call;

static void remember_version(vk_kube_watch_result *r, const json_t *object) {
    const char *rv = json_string_value(json_object_get(json_object_get(object, "metadata"), "resourceVersion"));
    if (!rv || !*rv) return;
    free(r->resource_version);
    if (!(r->resource_version = strdup(rv))) abort();
}

static bool on_line(void *ctx, const char *line, size_t len) {
    watch_call *w = ctx;
    if (strspn(line, " \t\r") == len) return true; /* keep-alive blank lines, if any */
    vk_kube_watch_type type;
    json_t *object;
    if (!vk_kube_watch_parse_line(line, len, &type, &object, &w->failed)) {
        size_t n = strlen(w->failed.message);
        snprintf(w->failed.message + n, sizeof w->failed.message - n, " in %s", w->what);
        w->has_failed = true;
        return false;
    }
    w->r->events[type]++;
    bool go_on = true;
    if (type == VK_KUBE_WATCH_ERROR) {
        vk_kube_error err;
        vk_kube_watch_error(object, w->what, &err, &w->failed);
        w->has_failed = true;
        go_on = false;
    } else {
        remember_version(w->r, object);
        if (type != VK_KUBE_WATCH_BOOKMARK && w->o->on_event && !w->o->on_event(w->o->ctx, type, object)) {
            w->r->stopped = true;
            go_on = false;
        }
    }
    json_decref(object);
    return go_on;
}

/* client-go's reflector: minWatchTimeout * (1 + rand), so restarted watchers spread. */
int64_t vk_kube_watch_random_timeout_s(void) {
    const vk_http_retry_policy spread = {.initial_backoff_ms = 2000 * VK_KUBE_WATCH_MIN_TIMEOUT_S,
                                         .max_backoff_ms = 2000 * VK_KUBE_WATCH_MIN_TIMEOUT_S};
    return vk_http_backoff_ms(&spread, 1) / 1000; /* jittered over its upper half: [300, 600] */
}

bool vk_kube_watch(vk_kube_client *c, const vk_kube_watch_options *o, vk_kube_watch_result *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    if (o->resource_version && *o->resource_version && !(out->resource_version = strdup(o->resource_version)))
        abort();
    int64_t started = vk_now_ms();
    vk_kube_ref collection = *o->ref;
    collection.name = NULL;
    char what[320], timeout[24];
    kube_describe("watch", &collection, what, sizeof what);
    int64_t timeout_s = o->timeout_s > 0 ? o->timeout_s : vk_kube_watch_random_timeout_s();
    snprintf(timeout, sizeof timeout, "%lld", (long long)timeout_s);
    const vk_kube_param params[] = {{"watch", "1"},
                                    {"resourceVersion", out->resource_version},
                                    {"allowWatchBookmarks", "true"},
                                    {"timeoutSeconds", timeout},
                                    {"labelSelector", o->label_selector},
                                    {"fieldSelector", o->field_selector}};
    char *url = vk_kube_url(&collection, params, sizeof params / sizeof params[0], st);
    if (!url) return false;
    watch_call w = {.o = o, .r = out, .what = what};
    vk_http_stream stream = {.on_line = on_line, .ctx = &w, .max_line = WATCH_MAX_LINE, .cancel = o->cancel,
                             .idle_timeout_ms = o->stall_ms < 0 ? 0 : o->stall_ms > 0 ? o->stall_ms
                                                                                     : VK_KUBE_WATCH_DEFAULT_STALL_MS};
    vk_kube_request rq = {.verb = VK_KUBE_VERB_RAW, .method = "GET", .url = url, .idempotent = true,
                          .deadline = vk_deadline_in(timeout_s * 1000 + VK_KUBE_WATCH_GRACE_MS), .what = what};
    vk_http_result res;
    bool answered = vk_kube_stream_lines(c, &rq, &stream, &res, NULL, st);
    if (w.has_failed) {
        *st = w.failed;
    } else if (o->cancel && atomic_load(o->cancel)) {
        vk_status_set(st, VK_CANCELLED, "%s: cancelled", what);
    } else if (!answered && res.cause == VK_HTTP_CAUSE_STALLED) {
        out->stalled = true; /* the message says so; the code is not the deadline's: watch again */
        st->code = VK_UNAVAILABLE;
    } else if (!answered && res.failure == VK_HTTP_FAIL_DEADLINE) {
        vk_status_ok(st); /* our bound past timeoutSeconds: as if the server had closed it */
    }
    vk_http_result_free(&res);
    free(url);
    out->elapsed_ms = vk_now_ms() - started;
    return st->code == VK_OK;
}
