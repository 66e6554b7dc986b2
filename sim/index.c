/* Secondary indexes; see index.h.
 *
 * A skip list ordered by (key, id), the other class (key NULL) first, gives ordered walks
 * from any key; a hash from id to node finds an object's current entry, so a change is
 * filed again without the caller saying what the old key was. Both are O(log n) / O(1)
 * per change; a sorted array would be simpler but moves n entries on every insert. */
#include "index.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVEL 24 /* enough for 2^24 entries at p = 1/2 before lists get longer */

typedef struct node {
    char *key; /* NULL: the other class */
    json_int_t id;
    int level;
    struct node *next[]; /* level entries */
} node;

struct sim_index {
    node *head; /* sentinel, MAX_LEVEL wide */
    int level;
    uint64_t rng;
    /* id -> node, open addressing with linear probing; size a power of two */
    node **slots;
    size_t n_slots, used;
};

void ids_push(sim_ids *ids, json_int_t id) {
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 16;
        ids->v = realloc(ids->v, ids->cap * sizeof *ids->v);
        if (!ids->v) abort();
    }
    ids->v[ids->n++] = id;
}

static int cmp_id(const void *a, const void *b) {
    json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;
    return x < y ? -1 : x > y;
}

void ids_sort_unique(sim_ids *ids) {
    if (ids->n < 2) return; /* also keeps qsort away from a NULL array */
    qsort(ids->v, ids->n, sizeof *ids->v, cmp_id);
    size_t w = 1;
    for (size_t r = 1; r < ids->n; r++) {
        if (ids->v[r] != ids->v[w - 1]) ids->v[w++] = ids->v[r];
    }
    ids->n = w;
}

void ids_free(sim_ids *ids) {
    free(ids->v);
    *ids = (sim_ids){0};
}

index_class index_value_key(json_t *value, char **key) {
    if (!value) return INDEX_NONE;
    if (json_is_string(value)) {
        *key = strdup(json_string_value(value));
        if (!*key) abort();
        return INDEX_KEY;
    }
    if (json_is_integer(value)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        *key = strdup(buf);
        if (!*key) abort();
        return INDEX_KEY;
    }
    return INDEX_OTHER;
}

index_class index_field_key(json_t *obj, const char *field, char **key) {
    return index_value_key(json_object_get(obj, field), key);
}

void index_ms_key(long long ms, char out[24]) {
    /* flipping the sign bit makes two's complement order as unsigned, then as text */
    snprintf(out, 24, "%020" PRIu64, (uint64_t)ms ^ (UINT64_C(1) << 63));
}

static node *node_new(int level, char *key, json_int_t id) {
    node *n = calloc(1, sizeof *n + (size_t)level * sizeof n->next[0]);
    if (!n) abort();
    n->key = key;
    n->id = id;
    n->level = level;
    return n;
}

sim_index *index_create(void) {
    sim_index *idx = calloc(1, sizeof *idx);
    if (!idx) abort();
    idx->head = node_new(MAX_LEVEL, NULL, 0);
    idx->level = 1;
    idx->rng = 0x9e3779b97f4a7c15u;
    idx->n_slots = 64;
    idx->slots = calloc(idx->n_slots, sizeof *idx->slots);
    if (!idx->slots) abort();
    return idx;
}

void index_clear(sim_index *idx) {
    node *n = idx->head->next[0];
    while (n) {
        node *next = n->next[0];
        free(n->key);
        free(n);
        n = next;
    }
    memset(idx->head->next, 0, MAX_LEVEL * sizeof idx->head->next[0]);
    idx->level = 1;
    memset(idx->slots, 0, idx->n_slots * sizeof *idx->slots);
    idx->used = 0;
}

void index_free(sim_index *idx) {
    if (!idx) return;
    index_clear(idx);
    free(idx->head);
    free(idx->slots);
    free(idx);
}

/* ---- id -> node ---- */

static size_t slot_of(const sim_index *idx, json_int_t id) {
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15u;
    return (size_t)(h >> 17) & (idx->n_slots - 1);
}

static size_t find_slot(const sim_index *idx, json_int_t id) {
    size_t i = slot_of(idx, id);
    while (idx->slots[i] && idx->slots[i]->id != id) i = (i + 1) & (idx->n_slots - 1);
    return i;
}

static void hash_insert(sim_index *idx, node *n);

static void hash_grow(sim_index *idx) {
    node **old = idx->slots;
    size_t old_n = idx->n_slots;
    idx->n_slots *= 2;
    idx->slots = calloc(idx->n_slots, sizeof *idx->slots);
    if (!idx->slots) abort();
    idx->used = 0;
    for (size_t i = 0; i < old_n; i++) {
        if (old[i]) hash_insert(idx, old[i]);
    }
    free(old);
}

static void hash_insert(sim_index *idx, node *n) {
    if ((idx->used + 1) * 2 > idx->n_slots) hash_grow(idx);
    idx->slots[find_slot(idx, n->id)] = n;
    idx->used++;
}

/* Linear probing's deletion: shift later members of the run back into the gap, so look-
 * ups never stop early at it (no tombstones to clean up later). */
static void hash_remove(sim_index *idx, json_int_t id) {
    size_t mask = idx->n_slots - 1, i = find_slot(idx, id);
    if (!idx->slots[i]) return;
    idx->slots[i] = NULL;
    idx->used--;
    for (size_t j = (i + 1) & mask; idx->slots[j]; j = (j + 1) & mask) {
        size_t home = slot_of(idx, idx->slots[j]->id);
        /* the entry at j may fill the gap at i unless its home lies cyclically in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        idx->slots[i] = idx->slots[j];
        idx->slots[j] = NULL;
        i = j;
    }
}

/* ---- the ordered list ---- */

/* Order of (key, id) pairs: the other class (NULL) first, then text, then id. */
static int compare(const char *ka, json_int_t ida, const char *kb, json_int_t idb) {
    if (!ka || !kb) {
        if (ka != kb) return ka ? 1 : -1;
    } else {
        int c = strcmp(ka, kb);
        if (c) return c;
    }
    return ida < idb ? -1 : ida > idb;
}

static int random_level(sim_index *idx) {
    idx->rng ^= idx->rng << 13; /* xorshift64: any cheap generator does */
    idx->rng ^= idx->rng >> 7;
    idx->rng ^= idx->rng << 17;
    int level = 1;
    for (uint64_t bits = idx->rng; (bits & 1) && level < MAX_LEVEL; bits >>= 1) level++;
    return level;
}

/* Fills update[] with the last node before (key, id) on each level. */
static void find_before(const sim_index *idx, const char *key, json_int_t id, node **update) {
    node *x = idx->head;
    for (int l = idx->level - 1; l >= 0; l--) {
        while (x->next[l] && compare(x->next[l]->key, x->next[l]->id, key, id) < 0) x = x->next[l];
        update[l] = x;
    }
}

void index_drop(sim_index *idx, json_int_t id) {
    node *n = idx->slots[find_slot(idx, id)];
    if (!n) return;
    node *update[MAX_LEVEL];
    find_before(idx, n->key, n->id, update);
    for (int l = 0; l < n->level; l++) update[l]->next[l] = n->next[l];
    while (idx->level > 1 && !idx->head->next[idx->level - 1]) idx->level--;
    hash_remove(idx, id);
    free(n->key);
    free(n);
}

void index_put(sim_index *idx, json_int_t id, char *key) {
    node *have = idx->slots[find_slot(idx, id)];
    if (have && (have->key == key || (have->key && key && strcmp(have->key, key) == 0))) {
        free(key); /* filed there already */
        return;
    }
    index_drop(idx, id);
    node *update[MAX_LEVEL];
    find_before(idx, key, id, update);
    int level = random_level(idx);
    for (int l = idx->level; l < level; l++) update[l] = idx->head;
    if (level > idx->level) idx->level = level;
    node *n = node_new(level, key, id);
    for (int l = 0; l < level; l++) {
        n->next[l] = update[l]->next[l];
        update[l]->next[l] = n;
    }
    hash_insert(idx, n);
}

/* The first node at or after (key, lowest id); key NULL = the start of the other class. */
static node *lower_bound(const sim_index *idx, const char *key) {
    node *update[MAX_LEVEL];
    find_before(idx, key, INT64_MIN, update);
    return update[0]->next[0];
}

static void add_other(const sim_index *idx, sim_ids *out) {
    for (node *n = idx->head->next[0]; n && !n->key; n = n->next[0]) ids_push(out, n->id);
}

void index_equal(const sim_index *idx, const char *key, bool with_other, sim_ids *out) {
    if (with_other) add_other(idx, out);
    for (node *n = lower_bound(idx, key); n && n->key && strcmp(n->key, key) == 0; n = n->next[0])
        ids_push(out, n->id);
}

void index_prefix(const sim_index *idx, const char *prefix, bool with_other, sim_ids *out) {
    if (with_other) add_other(idx, out);
    size_t len = strlen(prefix);
    for (node *n = lower_bound(idx, prefix); n && n->key && strncmp(n->key, prefix, len) == 0; n = n->next[0])
        ids_push(out, n->id);
}

void index_upto(const sim_index *idx, const char *max, sim_ids *out) {
    for (node *n = lower_bound(idx, ""); n && n->key && strcmp(n->key, max) <= 0; n = n->next[0])
        ids_push(out, n->id);
}
