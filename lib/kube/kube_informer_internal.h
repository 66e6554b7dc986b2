/* Private to the informer (vk/kube_informer.h): its cache (kube_cache.c) and the steps
 * of its loop that the unit tests drive without a server (kube_informer.c). */
#ifndef VK_KUBE_INFORMER_INTERNAL_H
#define VK_KUBE_INFORMER_INTERNAL_H

#include "vk/kube_informer.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- kube_cache.c: objects by "namespace/name", optionally by one label's value ----
 * Not locked: the informer holds its lock around every call. Objects are stored as the
 * reference they came with and never changed, so readers may share them. */

typedef struct kube_index_value kube_index_value;

typedef struct kube_cache_entry {
    struct kube_cache_entry *next;          /* hash chain */
    struct kube_cache_entry *iprev, *inext; /* the other entries of its label value */
    kube_index_value *ivalue;               /* NULL: not indexed (no such label) */
    uint64_t hash;
    json_t *obj;
    unsigned seen; /* the list generation that last saw it */
    char key[];    /* "namespace/name", or "name" when cluster-scoped */
} kube_cache_entry;

struct kube_index_value {
    kube_index_value *next; /* hash chain */
    uint64_t hash;
    kube_cache_entry *head;
    size_t count;
    char value[];
};

typedef struct {
    kube_cache_entry **slots;
    size_t nslots, count;
    char *index_label; /* a label's name, or */
    char *index_field; /* a dotted member path ("spec.storageClassName"); both NULL: no index */
    kube_index_value **islots;
    size_t nislots, ivalues;
    unsigned generation; /* of the list being applied */
} kube_cache;

/* At most one of index_label and index_field (NULL or "" for none). */
void kube_cache_init(kube_cache *c, const char *index_label, const char *index_field);
void kube_cache_free(kube_cache *c);

/* obj's key into buf ("ns/name", "name"); false when it has no metadata.name or does
 * not fit. */
bool kube_cache_key_of(const json_t *obj, char *buf, size_t size);
/* The key of namespace_ (NULL or "": none) and name into buf; false when too long. */
bool kube_cache_key(const char *namespace_, const char *name, char *buf, size_t size);

/* Borrowed, or NULL. */
json_t *kube_cache_get(const kube_cache *c, const char *key);
/* Stores obj (a new reference is taken) under its key, seen in this generation; the
 * object it replaces is returned (the caller owns that reference), NULL for a new key.
 * false when obj has no name (nothing stored). */
bool kube_cache_put(kube_cache *c, json_t *obj, json_t **old);
/* Removes key; its object is returned (the caller's reference), or NULL. */
json_t *kube_cache_remove(kube_cache *c, const char *key);

/* A list begins: entries it does not see (kube_cache_saw or _put) are swept after. */
void kube_cache_begin_list(kube_cache *c);
/* The entry of obj's key, if any, counts as seen by the current list. */
void kube_cache_saw(kube_cache *c, const char *key);
/* Removes every entry the current list did not see; their objects in an array. */
json_t *kube_cache_sweep(kube_cache *c);

/* New arrays of the objects (new references): all of them, or those whose index
 * label has value (an empty array without an index). */
json_t *kube_cache_all(const kube_cache *c);
json_t *kube_cache_by_index(const kube_cache *c, const char *value);

/* ---- kube_informer.c: the steps of the loop ---- */

/* One listed object against the cache: an add, an update when its resourceVersion
 * changed, nothing when it did not; handlers called (outside the lock). */
void kube_informer_list_item(vk_kube_informer *inf, json_t *obj);
/* After a complete list: on_delete for every cached object the list did not have. */
void kube_informer_list_done(vk_kube_informer *inf);
void kube_informer_list_begin(vk_kube_informer *inf);
/* One watch event (ADDED, MODIFIED, DELETED) applied, its handler called. */
void kube_informer_apply_event(vk_kube_informer *inf, int type, json_t *obj);
/* on_update(obj, obj) for every cached object. */
void kube_informer_resync(vk_kube_informer *inf);

#endif
