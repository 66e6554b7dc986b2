/* FNV-1a, 64 bit: a stable, non-cryptographic hash for names derived from requests
 * (they must come out the same in every process and release) and for cache keys. */
#ifndef VK_HASH_H
#define VK_HASH_H

#include <stddef.h>
#include <stdint.h>

#define VK_FNV1A64_INIT 0xcbf29ce484222325ull

/* Folds len bytes into h. */
static inline uint64_t vk_fnv1a64(uint64_t h, const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#endif
