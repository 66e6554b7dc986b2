/* An informer: a local, always-converging copy of one collection, and handlers told of
 * every change - client-go's SharedIndexInformer (reflector + store + processor) for one
 * consumer.
 *
 *   vk_kube_informer *inf = vk_kube_informer_new(kc, &(vk_kube_informer_options){
 *       .ref = {.version = "v1", .resource = "configmaps", .namespace_ = "ns"},
 *       .index_label = "app", .resync_ms = 600000,
 *       .handlers = {.on_add = added, .on_update = updated, .on_delete = deleted, .ctx = me}}, &st);
 *   vk_kube_informer_start(inf);
 *   vk_kube_informer_wait_synced(inf, vk_deadline_in(60000));
 *   json_t *cm = vk_kube_informer_get(inf, "ns", "x");     a new reference, or NULL
 *   ...
 *   vk_kube_informer_stop(inf, vk_deadline_in(5000));
 *   vk_kube_informer_free(inf);
 *
 * Its thread lists the collection (paged, vk_kube_list) and watches from the list's
 * resourceVersion (vk/kube_watch.h), forever:
 *   - a watch the server closes (its timeoutSeconds), a dropped or stalled connection:
 *     watch again from the last resourceVersion seen (bookmarks included), no relist;
 *   - 410 (the resourceVersion is older than the server keeps: etcd compacted past it,
 *     or the watch cache's window moved on, as after an API server restart): list again
 *     and diff against the cache - on_delete for objects gone, on_update for objects
 *     whose resourceVersion changed, on_add for new ones, nothing for the unchanged;
 *   - any failure (a list or watch refused, a transport error, a stall, a watch that
 *     ended at once without an event): a jittered exponential backoff, 800 ms doubling
 *     to 30 s (each pause over the upper half of its step), reset by a list or a watch
 *     that delivered; stop interrupts it;
 *   - every resync_ms, on_update(obj, obj) for every cached object, from the cache:
 *     nothing is sent (the watch in course is ended at the resync time by its
 *     timeoutSeconds, and resumed from its resourceVersion after).
 * Handlers run on the informer's thread, one at a time, after the cache has the
 * change (a handler's get sees it) and outside the cache's lock; objects are borrowed
 * for the call. A handler must not stop or free its own informer. The objects are
 * shared with the cache: never modify one (json_deep_copy it first).
 *
 * Memory: the cache keeps each object as jansson parsed it, the whole object with its
 * managedFields, plus an entry (~60 bytes, its key and a hash slot) and, with an
 * index, a link into its label value's list. Measured (docs/kube-client.md): a
 * 377-byte ConfigMap grows RSS by ~6 KB in a cache of 10,000 - jansson's tree and hash
 * tables are ~15x the JSON text. Lists arrive a page at a time, so a relist holds one
 * page beyond the cache. */
#ifndef VK_KUBE_INFORMER_H
#define VK_KUBE_INFORMER_H

#include "vk/kube_client.h"
#include "vk/kube_watch.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct vk_kube_informer vk_kube_informer;

typedef struct {
    void (*on_add)(void *ctx, json_t *obj);
    void (*on_update)(void *ctx, json_t *old_obj, json_t *new_obj); /* old == new: a resync */
    void (*on_delete)(void *ctx, json_t *obj);                      /* its last known state */
    void *ctx;
} vk_kube_informer_handlers;

#define VK_KUBE_INFORMER_BACKOFF_INITIAL_MS 800 /* client-go's reflector */
#define VK_KUBE_INFORMER_BACKOFF_MAX_MS 30000

/* Strings are copied; zero members take the defaults. */
typedef struct {
    vk_kube_ref ref; /* the collection: namespace_ NULL for all namespaces; name ignored */
    const char *label_selector;
    const char *field_selector;
    const char *index_label; /* index objects by this label's value (vk_kube_informer_by_index), or */
    const char *index_field; /* by the string at this dotted path, e.g. "spec.storageClassName" */
    int64_t resync_ms;       /* 0: no resync */
    int64_t page_limit;      /* list page size: 0, vk_kube_list's 500 */
    int64_t watch_timeout_s; /* 0: random 5..10 min (vk_kube_watch) */
    int64_t stall_ms;        /* 0: VK_KUBE_WATCH_DEFAULT_STALL_MS */
    int64_t backoff_initial_ms, backoff_max_ms; /* VK_KUBE_INFORMER_BACKOFF_* */
    vk_kube_informer_handlers handlers;
} vk_kube_informer_options;

/* Sends nothing; st VK_INVALID_ARGUMENT for a ref without version or resource. The
 * client must outlive the informer. */
vk_kube_informer *vk_kube_informer_new(vk_kube_client *c, const vk_kube_informer_options *o, vk_status *st);
/* Starts the thread (once). */
void vk_kube_informer_start(vk_kube_informer *inf);
/* Ends the thread: the watch within ~50 ms, a backoff at once, a list after its
 * current page, a handler when it returns. false when it had not ended by deadline
 * (call stop again, or free, which waits). */
bool vk_kube_informer_stop(vk_kube_informer *inf, int64_t deadline);
/* Stops it first if needed (waiting for the thread: the current request, bounded by
 * the client's request timeout, and handler). */
void vk_kube_informer_free(vk_kube_informer *inf);

/* The first list has been applied to the cache (and its on_add calls made). */
bool vk_kube_informer_has_synced(vk_kube_informer *inf);
/* Waits for has_synced until deadline; false if it did not come (or stop came). */
bool vk_kube_informer_wait_synced(vk_kube_informer *inf, int64_t deadline);

/* Thread-safe reads of the cache; new references, never to be modified. */
json_t *vk_kube_informer_get(vk_kube_informer *inf, const char *namespace_, const char *name); /* or NULL */
json_t *vk_kube_informer_list(vk_kube_informer *inf);                   /* an array of every object */
json_t *vk_kube_informer_by_index(vk_kube_informer *inf, const char *value); /* the indexed value == value */
size_t vk_kube_informer_size(vk_kube_informer *inf);
/* The last resourceVersion the informer has (from a list, an event or a bookmark);
 * malloc'd, NULL before the first list. */
char *vk_kube_informer_resource_version(vk_kube_informer *inf);

typedef struct {
    uint64_t lists;          /* complete lists applied: the first and every relist */
    uint64_t relists;        /* of which after the first (a 410) */
    uint64_t list_failures;
    uint64_t watches;        /* watch requests started */
    uint64_t watch_failures; /* watches ended by a failure (stalls included) */
    uint64_t stalls;
    uint64_t expired;        /* 410s, of a watch or of a list's continue token */
    uint64_t events[VK_KUBE_WATCH_TYPE_COUNT]; /* watch lines by type: ADDED ... BOOKMARK, ERROR */
    uint64_t resyncs;        /* resync passes */
    uint64_t adds, updates, deletes; /* handler calls, list diffs and resyncs included */
    size_t objects;          /* in the cache */
} vk_kube_informer_stats;
void vk_kube_informer_get_stats(vk_kube_informer *inf, vk_kube_informer_stats *out);

#endif
