#include "vk/strmap.h"

#include <string.h>

const char *vk_strmap_get(vk_strmap map, const char *key) {
    for (size_t i = 0; i < map.n; i++) {
        vk_strpair e = vk_strmap_at(map, i);
        if (e.key && strcmp(e.key, key) == 0) return e.value ? e.value : "";
    }
    return NULL;
}
