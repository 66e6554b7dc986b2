#include "csi_map.h"

void **csi_build_map(vk_rpc_call *call, const ProtobufCMessageDescriptor *desc, size_t *n, const char *const *kv) {
    size_t count = 0;
    for (const char *const *p = kv; p[0]; p += 2) count += p[1] != NULL;
    void **entries = vk_rpc_alloc(call, (count ? count : 1) * sizeof *entries);
    *n = 0;
    for (const char *const *p = kv; p[0]; p += 2) {
        if (!p[1]) continue;
        csi_string_entry *e = vk_rpc_new_message(call, desc);
        e->key = vk_rpc_strdup(call, p[0]);
        e->value = vk_rpc_strdup(call, p[1]);
        entries[(*n)++] = e;
    }
    return entries;
}
