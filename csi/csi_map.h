/* A CSI request's map<string,string> fields (parameters, secrets, volume context) as
 * the shared layers' vk_strmap, without copying: protoc-c generates one entry type per
 * such field, all laid out alike ({ProtobufCMessage base; char *key; char *value;}), so
 * one type describes them all. */
#ifndef VK_CSI_MAP_H
#define VK_CSI_MAP_H

#include "csi.pb-c.h"
#include "vk/rpc_server.h"
#include "vk/strmap.h"

#include <stddef.h>

typedef Csi__V1__CreateVolumeRequest__ParametersEntry csi_string_entry;

_Static_assert(offsetof(csi_string_entry, value) == offsetof(csi_string_entry, key) + sizeof(char *),
               "vk_strmap reads the value right after the key");

/* n pointers to csi_string_entry records as a map. */
#define CSI_ENTRIES(list, count) ((vk_strmap){(const void *const *)(list), (count), offsetof(csi_string_entry, key)})

/* The map field `field` of a request message. */
#define CSI_MAP(msg, field) CSI_ENTRIES((msg)->field, (msg)->n_##field)

/* Builds a map<string,string> response field from key/value pairs in the call's arena.
 * desc is the map entry's descriptor; NULL values are left out. */
void **csi_build_map(vk_rpc_call *call, const ProtobufCMessageDescriptor *desc, size_t *n, const char *const *kv);

#endif
