/* The work queue's key records and delay heap (kube_queue_internal.h). */
#include "kube_queue_internal.h"

#include "vk/hash.h"

#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 64

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) abort();
    return p;
}

void qkey_table_init(qkey_table *t) {
    t->nslots = MIN_SLOTS;
    t->slots = xcalloc(t->nslots, sizeof *t->slots);
    t->count = 0;
}

void qkey_table_free(qkey_table *t) {
    for (size_t i = 0; i < t->nslots; i++) {
        for (qkey *k = t->slots[i]; k;) {
            qkey *next = k->hash_next;
            free(k->key);
            free(k);
            k = next;
        }
    }
    free(t->slots);
    t->slots = NULL;
    t->nslots = t->count = 0;
}

/* Rehashes into nslots slots (a power of two): grows at one key per slot and shrinks
 * at one per four, so a burst of keys does not pin its table after it drains. */
static void resize(qkey_table *t, size_t nslots) {
    qkey **slots = xcalloc(nslots, sizeof *slots);
    for (size_t i = 0; i < t->nslots; i++) {
        for (qkey *k = t->slots[i]; k;) {
            qkey *next = k->hash_next;
            k->hash_next = slots[k->hash & (nslots - 1)];
            slots[k->hash & (nslots - 1)] = k;
            k = next;
        }
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
}

static uint64_t hash_of(const char *key) { return vk_fnv1a64(VK_FNV1A64_INIT, key, strlen(key)); }

qkey *qkey_find(qkey_table *t, const char *key) {
    uint64_t h = hash_of(key);
    for (qkey *k = t->slots[h & (t->nslots - 1)]; k; k = k->hash_next) {
        if (k->hash == h && strcmp(k->key, key) == 0) return k;
    }
    return NULL;
}

qkey *qkey_intern(qkey_table *t, const char *key) {
    qkey *k = qkey_find(t, key);
    if (k) return k;
    if (t->count >= t->nslots) resize(t, t->nslots * 2);
    k = xcalloc(1, sizeof *k);
    k->key = strdup(key);
    if (!k->key) abort();
    k->hash = hash_of(key);
    k->heap_index = QKEY_NOT_DELAYED;
    k->hash_next = t->slots[k->hash & (t->nslots - 1)];
    t->slots[k->hash & (t->nslots - 1)] = k;
    t->count++;
    return k;
}

void qkey_release_if_idle(qkey_table *t, qkey *k) {
    if (k->dirty || k->processing || k->heap_index != QKEY_NOT_DELAYED || k->failures) return;
    for (qkey **p = &t->slots[k->hash & (t->nslots - 1)]; *p; p = &(*p)->hash_next) {
        if (*p == k) {
            *p = k->hash_next;
            break;
        }
    }
    free(k->key);
    free(k);
    t->count--;
    if (t->nslots > MIN_SLOTS && t->count < t->nslots / 4) resize(t, t->nslots / 2);
}

void qdelay_free(qdelay_heap *h) {
    free(h->items);
    *h = (qdelay_heap){0};
}

static bool before(const qkey *a, const qkey *b) {
    return a->ready_at < b->ready_at || (a->ready_at == b->ready_at && a->delay_seq < b->delay_seq);
}

static void place(qdelay_heap *h, size_t i, qkey *k) {
    h->items[i] = k;
    k->heap_index = i;
}

static void sift_up(qdelay_heap *h, size_t i) {
    qkey *k = h->items[i];
    while (i > 0 && before(k, h->items[(i - 1) / 2])) {
        place(h, i, h->items[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    place(h, i, k);
}

static void sift_down(qdelay_heap *h, size_t i) {
    qkey *k = h->items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->n) break;
        if (child + 1 < h->n && before(h->items[child + 1], h->items[child])) child++;
        if (!before(h->items[child], k)) break;
        place(h, i, h->items[child]);
        i = child;
    }
    place(h, i, k);
}

void qdelay_push(qdelay_heap *h, qkey *k) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        qkey **items = realloc(h->items, cap * sizeof *items);
        if (!items) abort();
        h->items = items;
        h->cap = cap;
    }
    place(h, h->n++, k);
    sift_up(h, h->n - 1);
}

void qdelay_moved_earlier(qdelay_heap *h, qkey *k) { sift_up(h, k->heap_index); }

void qdelay_remove(qdelay_heap *h, qkey *k) {
    size_t i = k->heap_index;
    k->heap_index = QKEY_NOT_DELAYED;
    qkey *last = h->items[--h->n];
    if (i != h->n) {
        place(h, i, last);
        sift_up(h, i);
        sift_down(h, last->heap_index);
    }
    if (h->cap > 16 && h->n < h->cap / 4) {
        qkey **items = realloc(h->items, h->cap / 2 * sizeof *items);
        if (items) {
            h->items = items;
            h->cap /= 2;
        }
    }
}
