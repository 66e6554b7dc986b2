/* A unary gRPC client on gRPC core, for csictl, tests and benchmarks. One channel per
 * client, shared by any number of threads; at most 6 calls wait at once (gRPC core's
 * limit on threads plucking one queue), the rest queue behind them. For more
 * concurrency, use a client per thread. */
#ifndef VK_RPC_CLIENT_H
#define VK_RPC_CLIENT_H

#include "vk/endpoint.h"
#include "vk/status.h"

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

typedef struct vk_rpc_client vk_rpc_client;

vk_rpc_client *vk_rpc_client_new(const vk_endpoint *endpoint);
void vk_rpc_client_free(vk_rpc_client *client);

/* Calls `path` ("/csi.v1.Identity/Probe") with request (NULL sends an empty message) and
 * waits at most timeout_ms (<= 0: no deadline). Returns the gRPC code; st holds the
 * server's message. On OK with response_desc set, *response is the decoded reply (free
 * it with protobuf_c_message_free_unpacked). */
vk_code vk_rpc_client_call(vk_rpc_client *client, const char *path,
                                    const ProtobufCMessage *request,
                                    const ProtobufCMessageDescriptor *response_desc,
                                    int64_t timeout_ms, ProtobufCMessage **response, vk_status *st);

#endif
