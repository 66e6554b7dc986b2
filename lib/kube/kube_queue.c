/* The controller work queue (vk/kube_queue.h): client-go's dirty/processing sets, a
 * FIFO threaded through the key records, delays in a heap, and the default controller
 * rate limiter (vk/kube_ratelimit.h). One mutex guards it all; getters wait on one
 * condition, shutdown_drain on another, so a key queued is never a wake-up lost on a
 * drainer. */
#include "vk/kube_queue.h"

#include "kube_queue_internal.h"
#include "vk/deadline.h"
#include "vk/kube_ratelimit.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#define DEFAULT_BASE_DELAY_MS 5
#define DEFAULT_MAX_DELAY_MS (1000 * 1000)
#define DEFAULT_QPS 10.0
#define DEFAULT_BURST 100

struct vk_kube_queue {
    pthread_mutex_t lock;
    pthread_cond_t key_ready; /* getters: a key queued, a delay moved earlier, shutdown */
    pthread_cond_t key_done;  /* shutdown_drain: a worker called done */
    qkey_table keys;
    qdelay_heap delays;
    qkey *head, *tail;        /* the FIFO */
    size_t queued;
    size_t processing;
    bool shutting_down;
    int64_t base_delay_ms, max_delay_ms;
    vk_token_bucket bucket;
    int64_t (*now_ms)(void *);
    void *clock_ctx;
    uint64_t delay_seq;
    vk_kube_queue_stats stats; /* adds, retries and the work/wait counters */
};

static int64_t now_of(vk_kube_queue *q) { return q->now_ms ? q->now_ms(q->clock_ctx) : vk_now_ms(); }

vk_kube_queue *vk_kube_queue_new(const vk_kube_queue_options *opt) {
    vk_kube_queue_options o = opt ? *opt : (vk_kube_queue_options){0};
    vk_kube_queue *q = calloc(1, sizeof *q);
    if (!q) abort();
    pthread_mutex_init(&q->lock, NULL);
    vk_cond_init_monotonic(&q->key_ready);
    vk_cond_init_monotonic(&q->key_done);
    qkey_table_init(&q->keys);
    q->base_delay_ms = o.base_delay_ms > 0 ? o.base_delay_ms : DEFAULT_BASE_DELAY_MS;
    q->max_delay_ms = o.max_delay_ms > 0 ? o.max_delay_ms : DEFAULT_MAX_DELAY_MS;
    q->now_ms = o.now_ms;
    q->clock_ctx = o.clock_ctx;
    vk_token_bucket_init(&q->bucket, o.qps == 0 ? DEFAULT_QPS : o.qps, o.burst ? o.burst : DEFAULT_BURST,
                         now_of(q));
    return q;
}

void vk_kube_queue_free(vk_kube_queue *q) {
    if (!q) return;
    qkey_table_free(&q->keys);
    qdelay_free(&q->delays);
    pthread_cond_destroy(&q->key_ready);
    pthread_cond_destroy(&q->key_done);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

static void enqueue(vk_kube_queue *q, qkey *k) {
    k->fifo_next = NULL;
    if (q->tail) q->tail->fifo_next = k;
    else q->head = k;
    q->tail = k;
    q->queued++;
    pthread_cond_signal(&q->key_ready);
}

/* client-go's Add: a key already dirty is left alone (queued once, or queued again by
 * done); one a worker holds is only marked, so it never reaches a second worker. */
static void mark_dirty(vk_kube_queue *q, qkey *k, int64_t now) {
    if (k->dirty) return;
    k->dirty = true;
    k->dirty_since = now;
    q->stats.adds++;
    if (!k->processing) enqueue(q, k);
}

/* Delays that have ended become adds. */
static void promote_due(vk_kube_queue *q, int64_t now) {
    qkey *k;
    while ((k = qdelay_top(&q->delays)) != NULL && k->ready_at <= now) {
        qdelay_remove(&q->delays, k);
        mark_dirty(q, k, now);
    }
}

static void add_locked(vk_kube_queue *q, qkey *k, int64_t now) {
    if (k->heap_index != QKEY_NOT_DELAYED) qdelay_remove(&q->delays, k);
    mark_dirty(q, k, now);
}

static void add_after_locked(vk_kube_queue *q, qkey *k, int64_t now, int64_t delay_ms) {
    if (delay_ms <= 0) {
        add_locked(q, k, now);
        return;
    }
    int64_t ready_at = delay_ms < INT64_MAX - now ? now + delay_ms : INT64_MAX;
    if (k->heap_index != QKEY_NOT_DELAYED) {
        if (ready_at >= k->ready_at) return; /* the earlier delay wins */
        k->ready_at = ready_at;
        qdelay_moved_earlier(&q->delays, k);
    } else {
        k->ready_at = ready_at;
        k->delay_seq = q->delay_seq++;
        qdelay_push(&q->delays, k);
    }
    /* A getter sleeping until a later delay must wake to sleep less. */
    if (qdelay_top(&q->delays) == k) pthread_cond_broadcast(&q->key_ready);
}

void vk_kube_queue_add(vk_kube_queue *q, const char *key) { vk_kube_queue_add_after(q, key, 0); }

void vk_kube_queue_add_after(vk_kube_queue *q, const char *key, int64_t delay_ms) {
    if (!key) return;
    pthread_mutex_lock(&q->lock);
    if (!q->shutting_down) {
        int64_t now = now_of(q);
        promote_due(q, now);
        add_after_locked(q, qkey_intern(&q->keys, key), now, delay_ms);
    }
    pthread_mutex_unlock(&q->lock);
}

void vk_kube_queue_add_rate_limited(vk_kube_queue *q, const char *key) {
    if (!key) return;
    pthread_mutex_lock(&q->lock);
    if (!q->shutting_down) {
        int64_t now = now_of(q);
        promote_due(q, now);
        qkey *k = qkey_intern(&q->keys, key);
        /* client-go's MaxOf: both limiters are consulted (the bucket's token is taken
         * even when the backoff is longer), the longer wait wins. */
        int64_t backoff = vk_backoff_exponential(q->base_delay_ms, q->max_delay_ms, k->failures);
        int64_t bucket = vk_token_bucket_reserve(&q->bucket, now);
        if (k->failures < UINT_MAX) k->failures++;
        q->stats.retries++;
        add_after_locked(q, k, now, backoff > bucket ? backoff : bucket);
    }
    pthread_mutex_unlock(&q->lock);
}

void vk_kube_queue_forget(vk_kube_queue *q, const char *key) {
    if (!key) return;
    pthread_mutex_lock(&q->lock);
    qkey *k = qkey_find(&q->keys, key);
    if (k) {
        k->failures = 0;
        qkey_release_if_idle(&q->keys, k);
    }
    pthread_mutex_unlock(&q->lock);
}

unsigned vk_kube_queue_num_requeues(vk_kube_queue *q, const char *key) {
    if (!key) return 0;
    pthread_mutex_lock(&q->lock);
    qkey *k = qkey_find(&q->keys, key);
    unsigned n = k ? k->failures : 0;
    pthread_mutex_unlock(&q->lock);
    return n;
}

static qkey *take_head(vk_kube_queue *q, int64_t now) {
    qkey *k = q->head;
    q->head = k->fifo_next;
    if (!q->head) q->tail = NULL;
    k->fifo_next = NULL;
    q->queued--;
    k->dirty = false;
    k->processing = true;
    q->processing++;
    k->started_at = now;
    if (now - k->dirty_since > q->stats.longest_wait_ms) q->stats.longest_wait_ms = now - k->dirty_since;
    return k;
}

/* The real-clock moment to look at the delays again: the first one's remaining time
 * on the queue clock, from now on the real one (they differ under a fake clock). */
static int64_t next_delay_wake(vk_kube_queue *q, int64_t now, int64_t deadline) {
    qkey *k = qdelay_top(&q->delays);
    if (!k) return deadline;
    int64_t left = k->ready_at - now, real_now = vk_now_ms();
    if (left >= vk_deadline_remaining(deadline) || left > INT64_MAX - real_now) return deadline;
    return real_now + left;
}

vk_code vk_kube_queue_get(vk_kube_queue *q, int64_t deadline, const char **key) {
    *key = NULL;
    pthread_mutex_lock(&q->lock);
    vk_code code;
    for (;;) {
        if (q->shutting_down) {
            code = VK_CANCELLED;
            break;
        }
        int64_t now = now_of(q);
        promote_due(q, now);
        if (q->head) {
            *key = take_head(q, now)->key;
            code = VK_OK;
            break;
        }
        if (vk_deadline_remaining(deadline) == 0) {
            code = VK_DEADLINE_EXCEEDED;
            break;
        }
        vk_cond_wait_until(&q->key_ready, &q->lock, next_delay_wake(q, now, deadline));
    }
    pthread_mutex_unlock(&q->lock);
    return code;
}

void vk_kube_queue_done(vk_kube_queue *q, const char *key) {
    if (!key) return;
    pthread_mutex_lock(&q->lock);
    qkey *k = qkey_find(&q->keys, key);
    if (k && k->processing) {
        int64_t took = now_of(q) - k->started_at;
        q->stats.works++;
        q->stats.work_ms_total += took;
        if (took > q->stats.longest_work_ms) q->stats.longest_work_ms = took;
        k->processing = false;
        q->processing--;
        if (k->dirty) enqueue(q, k); /* added while it was in the worker's hands */
        else qkey_release_if_idle(&q->keys, k);
        pthread_cond_broadcast(&q->key_done);
    }
    pthread_mutex_unlock(&q->lock);
}

void vk_kube_queue_shutdown(vk_kube_queue *q) {
    pthread_mutex_lock(&q->lock);
    q->shutting_down = true;
    pthread_cond_broadcast(&q->key_ready);
    pthread_mutex_unlock(&q->lock);
}

bool vk_kube_queue_shutdown_drain(vk_kube_queue *q, int64_t deadline) {
    vk_kube_queue_shutdown(q);
    pthread_mutex_lock(&q->lock);
    while (q->processing > 0 && vk_cond_wait_until(&q->key_done, &q->lock, deadline)) {
    }
    bool drained = q->processing == 0;
    pthread_mutex_unlock(&q->lock);
    return drained;
}

bool vk_kube_queue_shutting_down(vk_kube_queue *q) {
    pthread_mutex_lock(&q->lock);
    bool down = q->shutting_down;
    pthread_mutex_unlock(&q->lock);
    return down;
}

size_t vk_kube_queue_length(vk_kube_queue *q) {
    pthread_mutex_lock(&q->lock);
    promote_due(q, now_of(q));
    size_t n = q->queued;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void vk_kube_queue_stats_get(vk_kube_queue *q, vk_kube_queue_stats *out) {
    pthread_mutex_lock(&q->lock);
    promote_due(q, now_of(q));
    *out = q->stats;
    out->depth = q->queued;
    out->delayed = q->delays.n;
    out->processing = q->processing;
    pthread_mutex_unlock(&q->lock);
}
