#include "capability_list.h"

#include <stdint.h>
#include <stdlib.h>

void **csi_rpc_capabilities(vk_rpc_call *call, const ProtobufCMessageDescriptor *cap_desc, const int *types, size_t n,
                            size_t *count) {
    const ProtobufCFieldDescriptor *rpc_field = protobuf_c_message_descriptor_get_field_by_name(cap_desc, "rpc");
    const ProtobufCMessageDescriptor *rpc_desc = rpc_field ? rpc_field->descriptor : NULL;
    const ProtobufCFieldDescriptor *type_field =
        rpc_desc ? protobuf_c_message_descriptor_get_field_by_name(rpc_desc, "type") : NULL;
    if (!type_field) abort(); /* a descriptor without the CSI shape: a build error */
    void **caps = vk_rpc_alloc(call, (n ? n : 1) * sizeof *caps);
    for (size_t i = 0; i < n; i++) {
        char *cap = vk_rpc_new_message(call, cap_desc);
        char *rpc = vk_rpc_new_message(call, rpc_desc);
        *(int *)(rpc + type_field->offset) = types[i];
        *(void **)(cap + rpc_field->offset) = rpc;
        *(uint32_t *)(cap + rpc_field->quantifier_offset) = rpc_field->id; /* the oneof's case */
        caps[i] = cap;
    }
    *count = n;
    return caps;
}
