/* A read-only map of strings that borrows the caller's records: a request's
 * map<string,string> field (protoc-c lays each entry out as a header, then `char *key;
 * char *value;`), a parsed file, or a plain array of vk_strpair. Nothing is copied, so
 * the strings live as long as the records. Lookups are linear: these maps hold a few
 * dozen keys at most. */
#ifndef VK_STRMAP_H
#define VK_STRMAP_H

#include <stddef.h>

typedef struct {
    const char *key;
    const char *value;
} vk_strpair;

typedef struct {
    const void *const *entries; /* n pointers to records */
    size_t n;
    size_t pair_offset; /* where in each record the key pointer sits; the value follows it */
} vk_strmap;

/* A map over n pointers to vk_strpair. */
#define VK_STRMAP_OF(pairs, count) ((vk_strmap){(const void *const *)(pairs), (count), 0})

/* Entry i's key and value, as stored (either may be NULL). */
static inline vk_strpair vk_strmap_at(vk_strmap map, size_t i) {
    const char *const *p = (const char *const *)((const char *)map.entries[i] + map.pair_offset);
    return (vk_strpair){p[0], p[1]};
}

/* The value of the first entry with this key ("" for an entry without a value), or NULL. */
const char *vk_strmap_get(vk_strmap map, const char *key);

#endif
