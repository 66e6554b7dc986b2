/* The controller work queue, after client-go's workqueue (rate limiting + delaying +
 * the plain queue), which operators' reconcile loops rely on:
 *
 *   vk_kube_queue *q = vk_kube_queue_new(NULL);       informers add "namespace/name"
 *   ...worker thread:
 *   const char *key;
 *   while (vk_kube_queue_get(q, vk_deadline_in(1000), &key) != VK_CANCELLED) {
 *       if (!key) continue;                           (the deadline passed, nothing came)
 *       if (reconcile(key) == failed) vk_kube_queue_add_rate_limited(q, key);
 *       else vk_kube_queue_forget(q, key);            (or add_after(q, key, ms) to recheck)
 *       vk_kube_queue_done(q, key);                   (key is not valid after this)
 *   }
 *
 * The guarantees:
 *   - a key waiting in the queue is there once: adding it again changes nothing;
 *   - a key is handed to one worker at a time: added while a worker has it, it is
 *     marked dirty and queued again (once) when that worker calls done;
 *   - keys come out in the order they were queued (FIFO);
 *   - add_rate_limited delays a key by max(per-key backoff 5 ms * 2^failures capped at
 *     1000 s, the shared token bucket's wait at 10 qps burst 100): client-go's
 *     DefaultControllerRateLimiter; forget resets the key's failures;
 *   - add_after delays a key without counting a failure (RequeueAfter); of two pending
 *     delays for a key the earlier wins; an immediate add of a delayed key queues it
 *     now and cancels the delay. (client-go keeps the delay and runs the key a second
 *     time when it fires; every reconcile decides its own requeue, so that second run
 *     would be redundant.)
 *   - after shutdown every get returns VK_CANCELLED at once, even with keys still
 *     queued (client-go hands those out first; a controller that lost its lease must
 *     not start new work), and adds are ignored.
 *
 * Delays run on an injectable clock (options.now_ms): with a fake clock a test moves
 * time and calls get with a passed deadline; nothing sleeps. There is no timer thread:
 * due keys move to the queue whenever the queue is used (get, add, length, stats), and
 * a blocked get waits no longer than the next key is due.
 *
 * Memory: one record per key that is queued, in a worker's hands, delayed or has
 * failures, freed when it is none of these (so callers must forget a key that
 * succeeded, as in client-go): about 100 bytes plus the key's length, one hash slot
 * and, while delayed, one 8-byte slot in the binary heap of delays (O(log n) to add,
 * move earlier or cancel). All calls are thread-safe. */
#ifndef VK_KUBE_QUEUE_H
#define VK_KUBE_QUEUE_H

#include "vk/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vk_kube_queue vk_kube_queue;

typedef struct {
    int64_t base_delay_ms; /* first backoff; 0: 5 ms */
    int64_t max_delay_ms;  /* backoff cap; 0: 1000 s */
    double qps;            /* the shared bucket; 0: 10, < 0: no bucket */
    int burst;             /* 0: 100 */
    /* Monotonic milliseconds; NULL: vk_now_ms. Called with the queue's lock held. */
    int64_t (*now_ms)(void *clock_ctx);
    void *clock_ctx;
} vk_kube_queue_options;

/* Counters for metrics (client-go's workqueue metrics). */
typedef struct {
    uint64_t adds;           /* keys that became due for processing (not deduplicated ones) */
    uint64_t retries;        /* add_rate_limited calls */
    size_t depth;            /* keys queued, as vk_kube_queue_length */
    size_t delayed;          /* keys waiting for a delay */
    size_t processing;       /* keys in workers' hands */
    int64_t longest_wait_ms; /* the longest time from add to get of any key */
    uint64_t works;          /* done calls */
    int64_t work_ms_total;   /* time from get to done, summed over works */
    int64_t longest_work_ms;
} vk_kube_queue_stats;

/* opt NULL: client-go's defaults on the real clock. Aborts when out of memory, like
 * the rest of the project's containers. */
vk_kube_queue *vk_kube_queue_new(const vk_kube_queue_options *opt);
/* After every worker has stopped. */
void vk_kube_queue_free(vk_kube_queue *q);

void vk_kube_queue_add(vk_kube_queue *q, const char *key);
/* delay_ms <= 0 is add. */
void vk_kube_queue_add_after(vk_kube_queue *q, const char *key, int64_t delay_ms);
void vk_kube_queue_add_rate_limited(vk_kube_queue *q, const char *key);
/* The key's failures back to 0 (its next backoff is the base delay again). */
void vk_kube_queue_forget(vk_kube_queue *q, const char *key);
unsigned vk_kube_queue_num_requeues(vk_kube_queue *q, const char *key);

/* The next key, waiting until deadline (vk/deadline.h, real time; VK_DEADLINE_NONE:
 * until a key or shutdown). VK_OK with *key valid until vk_kube_queue_done(q, *key);
 * VK_DEADLINE_EXCEEDED with *key NULL; VK_CANCELLED (*key NULL) once shut down. */
vk_code vk_kube_queue_get(vk_kube_queue *q, int64_t deadline, const char **key);
/* The worker is finished with key; a dirty key is queued again. */
void vk_kube_queue_done(vk_kube_queue *q, const char *key);

/* Wakes every waiting get (VK_CANCELLED); later adds are ignored. */
void vk_kube_queue_shutdown(vk_kube_queue *q);
/* shutdown, then waits until workers have called done for every key they hold, at
 * most until deadline; false when some were still held then. */
bool vk_kube_queue_shutdown_drain(vk_kube_queue *q, int64_t deadline);
bool vk_kube_queue_shutting_down(vk_kube_queue *q);

size_t vk_kube_queue_length(vk_kube_queue *q);
void vk_kube_queue_stats_get(vk_kube_queue *q, vk_kube_queue_stats *out);

#endif
