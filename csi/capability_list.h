/* The capability lists of ControllerGetCapabilities and NodeGetCapabilities: both are a
 * repeated message holding a oneof `rpc` whose message holds an enum `type`, so one
 * builder fills either through protobuf-c's descriptors. */
#ifndef VK_CSI_CAPABILITY_LIST_H
#define VK_CSI_CAPABILITY_LIST_H

#include "vk/rpc_server.h"

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* n capability messages of cap_desc in the call's arena, the i-th with rpc.type =
 * types[i]; *count is set to n. */
void **csi_rpc_capabilities(vk_rpc_call *call, const ProtobufCMessageDescriptor *cap_desc, const int *types, size_t n,
                            size_t *count);

#endif
