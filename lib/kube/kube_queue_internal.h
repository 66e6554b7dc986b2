/* The work queue's bookkeeping (lib/kube/kube_queue.c): one record per key, found by a
 * hash table, with a binary min-heap of the delayed ones. Not locked: the queue's
 * mutex covers every call. */
#ifndef VK_KUBE_QUEUE_INTERNAL_H
#define VK_KUBE_QUEUE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QKEY_NOT_DELAYED SIZE_MAX

typedef struct qkey {
    struct qkey *hash_next;
    struct qkey *fifo_next;
    char *key;
    uint64_t hash;
    /* dirty: to be processed (again). In the FIFO exactly while dirty && !processing. */
    bool dirty;
    bool processing;
    unsigned failures;   /* add_rate_limited calls since the last forget */
    size_t heap_index;   /* QKEY_NOT_DELAYED, or where it sits in the delay heap */
    int64_t ready_at;    /* queue clock: when the delay ends */
    uint64_t delay_seq;  /* equal ready_at: the earlier asked comes out first */
    int64_t dirty_since; /* queue clock: for the longest-wait counter */
    int64_t started_at;  /* queue clock: handed to a worker */
} qkey;

typedef struct {
    qkey **slots;
    size_t nslots;
    size_t count;
} qkey_table;

void qkey_table_init(qkey_table *t);
/* Frees every record (keys still queued or in workers' hands included). */
void qkey_table_free(qkey_table *t);
qkey *qkey_find(qkey_table *t, const char *key);
/* The key's record, made (idle) when there is none. */
qkey *qkey_intern(qkey_table *t, const char *key);
/* Frees k when nothing refers to it any more: not dirty, processing, delayed, failing. */
void qkey_release_if_idle(qkey_table *t, qkey *k);

typedef struct {
    qkey **items;
    size_t n;
    size_t cap;
} qdelay_heap;

void qdelay_free(qdelay_heap *h);
/* The key due first (smallest ready_at, then delay_seq), or NULL. */
static inline qkey *qdelay_top(const qdelay_heap *h) { return h->n ? h->items[0] : NULL; }
void qdelay_push(qdelay_heap *h, qkey *k);
/* After k->ready_at moved earlier. */
void qdelay_moved_earlier(qdelay_heap *h, qkey *k);
void qdelay_remove(qdelay_heap *h, qkey *k);

#endif
