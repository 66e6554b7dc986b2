/* kube_cache: an informer's objects (kube_informer_internal.h) - a chained hash table
 * keyed "namespace/name", an optional index of one label's or one string field's values
 * (each value a list of its entries, so adding, moving and removing an object are
 * O(1)), and the marks a relist sweeps by. A label is not a dotted field path: label
 * names hold dots ("app.kubernetes.io/name"), hence the two kinds. */
#include "kube_informer_internal.h"

#include "vk/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 64
#define KEY_MAX 512 /* a namespace (63) and a name (253) with room to spare */

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) abort();
    return p;
}

static uint64_t hash_of(const char *s) { return vk_fnv1a64(VK_FNV1A64_INIT, s, strlen(s)); }

void kube_cache_init(kube_cache *c, const char *index_label, const char *index_field) {
    memset(c, 0, sizeof *c);
    c->nslots = MIN_SLOTS;
    c->slots = xcalloc(c->nslots, sizeof *c->slots);
    if (index_label && *index_label) {
        if (!(c->index_label = strdup(index_label))) abort();
    } else if (index_field && *index_field) {
        if (!(c->index_field = strdup(index_field))) abort();
    }
    if (c->index_label || c->index_field) {
        c->nislots = MIN_SLOTS;
        c->islots = xcalloc(c->nislots, sizeof *c->islots);
    }
}

void kube_cache_free(kube_cache *c) {
    for (size_t i = 0; i < c->nslots; i++)
        for (kube_cache_entry *e = c->slots[i], *next; e; e = next) {
            next = e->next;
            json_decref(e->obj);
            free(e);
        }
    for (size_t i = 0; i < c->nislots; i++)
        for (kube_index_value *v = c->islots[i], *next; v; v = next) {
            next = v->next;
            free(v);
        }
    free(c->slots);
    free(c->islots);
    free(c->index_label);
    free(c->index_field);
    memset(c, 0, sizeof *c);
}

bool kube_cache_key(const char *namespace_, const char *name, char *buf, size_t size) {
    int n = namespace_ && *namespace_ ? snprintf(buf, size, "%s/%s", namespace_, name) : snprintf(buf, size, "%s", name);
    return n >= 0 && (size_t)n < size;
}

bool kube_cache_key_of(const json_t *obj, char *buf, size_t size) {
    const json_t *meta = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    if (!name || !*name) return false;
    return kube_cache_key(json_string_value(json_object_get(meta, "namespace")), name, buf, size);
}

static kube_cache_entry **find_slot(const kube_cache *c, const char *key, uint64_t hash) {
    kube_cache_entry **p = &c->slots[hash & (c->nslots - 1)];
    while (*p && ((*p)->hash != hash || strcmp((*p)->key, key) != 0)) p = &(*p)->next;
    return p;
}

json_t *kube_cache_get(const kube_cache *c, const char *key) {
    kube_cache_entry *e = *find_slot(c, key, hash_of(key));
    return e ? e->obj : NULL;
}

/* One object per slot on average: doubling keeps chains short as the cache grows. An
 * informer's cache rarely shrinks much, so it never gives slots back. */
static void grow(kube_cache *c) {
    size_t n = c->nslots * 2;
    kube_cache_entry **slots = xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < c->nslots; i++)
        for (kube_cache_entry *e = c->slots[i], *next; e; e = next) {
            next = e->next;
            e->next = slots[e->hash & (n - 1)];
            slots[e->hash & (n - 1)] = e;
        }
    free(c->slots);
    c->slots = slots;
    c->nslots = n;
}

/* ---- the index ---- */

/* The member at a dotted path ("spec.storageClassName"); NULL when a step is missing. */
static const json_t *member_at(const json_t *obj, const char *path) {
    for (const char *step = path; obj && *step;) {
        const char *dot = strchr(step, '.');
        size_t len = dot ? (size_t)(dot - step) : strlen(step);
        obj = json_object_getn(obj, step, len);
        step += len + (dot ? 1 : 0);
    }
    return obj;
}

static const char *index_value(const kube_cache *c, const json_t *obj) {
    if (c->index_field) return json_string_value(member_at(obj, c->index_field));
    if (!c->index_label) return NULL;
    return json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), c->index_label));
}

static kube_index_value **find_value(const kube_cache *c, const char *value, uint64_t hash) {
    kube_index_value **p = &c->islots[hash & (c->nislots - 1)];
    while (*p && ((*p)->hash != hash || strcmp((*p)->value, value) != 0)) p = &(*p)->next;
    return p;
}

static void grow_index(kube_cache *c) {
    size_t n = c->nislots * 2;
    kube_index_value **slots = xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < c->nislots; i++)
        for (kube_index_value *v = c->islots[i], *next; v; v = next) {
            next = v->next;
            v->next = slots[v->hash & (n - 1)];
            slots[v->hash & (n - 1)] = v;
        }
    free(c->islots);
    c->islots = slots;
    c->nislots = n;
}

static void unindex(kube_cache *c, kube_cache_entry *e) {
    kube_index_value *v = e->ivalue;
    if (!v) return;
    if (e->iprev) e->iprev->inext = e->inext;
    else v->head = e->inext;
    if (e->inext) e->inext->iprev = e->iprev;
    e->ivalue = NULL;
    e->iprev = e->inext = NULL;
    if (--v->count > 0) return;
    kube_index_value **p = find_value(c, v->value, v->hash); /* a value without objects goes */
    *p = v->next;
    free(v);
    c->ivalues--;
}

static void index_entry(kube_cache *c, kube_cache_entry *e) {
    const char *value = index_value(c, e->obj);
    if (!value) return;
    uint64_t hash = hash_of(value);
    kube_index_value **p = find_value(c, value, hash);
    if (!*p) {
        size_t len = strlen(value);
        kube_index_value *v = xcalloc(1, sizeof *v + len + 1);
        memcpy(v->value, value, len + 1);
        v->hash = hash;
        *p = v;
        if (++c->ivalues > c->nislots) grow_index(c);
        p = find_value(c, value, hash);
    }
    kube_index_value *v = *p;
    e->ivalue = v;
    e->inext = v->head;
    if (v->head) v->head->iprev = e;
    v->head = e;
    v->count++;
}

/* ---- changes ---- */

bool kube_cache_put(kube_cache *c, json_t *obj, json_t **old) {
    *old = NULL;
    char key[KEY_MAX];
    if (!kube_cache_key_of(obj, key, sizeof key)) return false;
    uint64_t hash = hash_of(key);
    kube_cache_entry **p = find_slot(c, key, hash);
    kube_cache_entry *e = *p;
    if (e) {
        unindex(c, e);
        *old = e->obj;
    } else {
        size_t len = strlen(key);
        e = xcalloc(1, sizeof *e + len + 1);
        memcpy(e->key, key, len + 1);
        e->hash = hash;
        *p = e;
        if (++c->count > c->nslots) grow(c);
    }
    e->obj = json_incref(obj);
    e->seen = c->generation;
    index_entry(c, e);
    return true;
}

json_t *kube_cache_remove(kube_cache *c, const char *key) {
    kube_cache_entry **p = find_slot(c, key, hash_of(key));
    kube_cache_entry *e = *p;
    if (!e) return NULL;
    *p = e->next;
    unindex(c, e);
    json_t *obj = e->obj;
    free(e);
    c->count--;
    return obj;
}

void kube_cache_begin_list(kube_cache *c) { c->generation++; }

void kube_cache_saw(kube_cache *c, const char *key) {
    kube_cache_entry *e = *find_slot(c, key, hash_of(key));
    if (e) e->seen = c->generation;
}

json_t *kube_cache_sweep(kube_cache *c) {
    json_t *gone = json_array();
    if (!gone) abort();
    for (size_t i = 0; i < c->nslots; i++)
        for (kube_cache_entry **p = &c->slots[i]; *p;) {
            kube_cache_entry *e = *p;
            if (e->seen == c->generation) {
                p = &e->next;
                continue;
            }
            *p = e->next;
            unindex(c, e);
            json_array_append_new(gone, e->obj); /* the entry's reference moves to the array */
            free(e);
            c->count--;
        }
    return gone;
}

json_t *kube_cache_all(const kube_cache *c) {
    json_t *all = json_array();
    if (!all) abort();
    for (size_t i = 0; i < c->nslots; i++)
        for (const kube_cache_entry *e = c->slots[i]; e; e = e->next) json_array_append(all, e->obj);
    return all;
}

json_t *kube_cache_by_index(const kube_cache *c, const char *value) {
    json_t *found = json_array();
    if (!found) abort();
    if (!c->islots || !value) return found;
    const kube_index_value *v = *find_value(c, value, hash_of(value));
    for (const kube_cache_entry *e = v ? v->head : NULL; e; e = e->inext) json_array_append(found, e->obj);
    return found;
}
