/* One Kubernetes watch: a streaming GET of a collection from a resourceVersion, each
 * line an event handed to the caller as it arrives.
 *
 *   vk_kube_watch_result r = {0};
 *   vk_kube_watch(kc, &(vk_kube_watch_options){.ref = &cms, .resource_version = rv,
 *                                              .on_event = seen, .ctx = me, .cancel = &stop}, &r, &st);
 *   st.code: VK_OK          the server closed it (its timeoutSeconds): watch again from
 *                           r.resource_version, no relist needed;
 *            VK_OUT_OF_RANGE the resourceVersion is too old (410 Expired/Gone): relist;
 *            VK_CANCELLED   the cancel flag;
 *            VK_UNAVAILABLE a dropped or stalled connection (r.stalled): watch again
 *                           from r.resource_version after a backoff;
 *            others         the typed error of the answer (vk/kube_error.h).
 *   free(r.resource_version);
 *
 * What it sends: GET <collection>?watch=1&resourceVersion=RV&allowWatchBookmarks=true&
 * timeoutSeconds=N, N randomized over 5..10 minutes as client-go's reflector does, so a
 * fleet of watchers restarted together does not come back together. The request's own
 * deadline is N plus a grace, so it cannot outlive a server that forgot to close it.
 * BOOKMARK events (the server telling how far it is, with an object that carries only
 * a resourceVersion) advance r.resource_version without reaching the callback. A stream
 * that sends nothing for stall_ms - not even a bookmark, which the API server sends
 * about once a minute - is ended (vk_http's idle timeout). */
#ifndef VK_KUBE_WATCH_H
#define VK_KUBE_WATCH_H

#include "vk/kube_client.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    VK_KUBE_WATCH_ADDED = 0,
    VK_KUBE_WATCH_MODIFIED,
    VK_KUBE_WATCH_DELETED,
    VK_KUBE_WATCH_BOOKMARK,
    VK_KUBE_WATCH_ERROR,
    VK_KUBE_WATCH_TYPE_COUNT
} vk_kube_watch_type;

/* "ADDED", ... as the server spells them. */
const char *vk_kube_watch_type_name(vk_kube_watch_type type);

/* One line of a watch ({"type": ..., "object": {...}}) into its type and object (a new
 * reference: json_decref it). false with st (VK_INTERNAL, saying where the line broke,
 * never quoting it: objects carry Secrets' data) for a line that is not JSON, lacks
 * the object or names an unknown type. */
bool vk_kube_watch_parse_line(const char *line, size_t len, vk_kube_watch_type *type, json_t **object,
                              vk_status *st);

/* An ERROR event's Status object as the project's error: 410 (or reason Expired or
 * Gone) is VK_OUT_OF_RANGE with err->kind VK_KUBE_ERR_EXPIRED; others as
 * vk_kube_error_from_answer types them. what names the watch in the message. */
void vk_kube_watch_error(const json_t *status, const char *what, vk_kube_error *err, vk_status *st);

/* Server-side timeouts: client-go's reflector minWatchTimeout (5 min), doubled at most. */
#define VK_KUBE_WATCH_MIN_TIMEOUT_S 300
/* The API server's watch cache sends a bookmark about every minute to a watcher that
 * asked for them; two missed ones and a margin are a stall. */
#define VK_KUBE_WATCH_DEFAULT_STALL_MS 150000
/* How long past timeoutSeconds the request may run before we end it ourselves. */
#define VK_KUBE_WATCH_GRACE_MS 30000

/* A timeoutSeconds in [300, 600], uniformly (client-go's minWatchTimeout * (1 + rand)). */
int64_t vk_kube_watch_random_timeout_s(void);

typedef struct {
    const vk_kube_ref *ref;       /* the collection (ref->name is ignored) */
    const char *resource_version; /* where to start; NULL or "": the server's choice (now) */
    const char *label_selector;
    const char *field_selector;
    int64_t timeout_s; /* timeoutSeconds; 0: random in [300, 600) */
    int64_t stall_ms;  /* 0: VK_KUBE_WATCH_DEFAULT_STALL_MS; < 0: never */
    const atomic_bool *cancel; /* may be NULL */
    /* Each ADDED, MODIFIED or DELETED event, object borrowed for the call; false stops
     * the watch (VK_OK, r.stopped). */
    bool (*on_event)(void *ctx, vk_kube_watch_type type, json_t *object);
    void *ctx;
} vk_kube_watch_options;

typedef struct {
    char *resource_version; /* the last one seen (events and bookmarks), else the start's; malloc'd */
    uint64_t events[VK_KUBE_WATCH_TYPE_COUNT]; /* lines by type, bookmarks included */
    bool stalled;                               /* ended by stall_ms */
    bool stopped;                               /* ended by the callback */
    int64_t elapsed_ms;
} vk_kube_watch_result;

/* Runs one watch to its end (see above). out is set either way; free its
 * resource_version. Returns st->code == VK_OK. */
bool vk_kube_watch(vk_kube_client *c, const vk_kube_watch_options *o, vk_kube_watch_result *out, vk_status *st);

#endif
