/* Protobuf messages in and out of gRPC byte buffers; shared by server and client. */
#ifndef VK_RPC_CODEC_H
#define VK_RPC_CODEC_H

#include <grpc/byte_buffer.h>
#include <protobuf-c/protobuf-c.h>

/* Unpacks a (possibly compressed, multi-slice) buffer; NULL when bb is NULL or the bytes
 * are not a valid message of type desc. Free with protobuf_c_message_free_unpacked. */
ProtobufCMessage *vk_rpc_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc);

/* As vk_rpc_unpack, and refuses a message any of whose string fields (at any depth,
 * map keys and values included) holds a NUL byte: protobuf-c hands strings to C as
 * NUL-terminated, so "pvc-1\0x" would silently become "pvc-1" and name another object.
 * On refusal, why names the field ("name", "parameters.value", ...). */
ProtobufCMessage *vk_rpc_unpack_strict(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc, char *why,
                                       size_t why_size);

/* Packs msg into a new byte buffer (caller destroys it); NULL on allocation failure. */
grpc_byte_buffer *vk_rpc_pack(const ProtobufCMessage *msg);

#endif
