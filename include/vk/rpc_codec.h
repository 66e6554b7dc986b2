/* Protobuf messages in and out of gRPC byte buffers; shared by server and client. */
#ifndef VK_RPC_CODEC_H
#define VK_RPC_CODEC_H

#include <grpc/byte_buffer.h>
#include <protobuf-c/protobuf-c.h>

/* Unpacks a (possibly compressed, multi-slice) buffer; NULL when bb is NULL or the bytes
 * are not a valid message of type desc. Free with protobuf_c_message_free_unpacked. */
ProtobufCMessage *vk_rpc_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc);

/* Packs msg into a new byte buffer (caller destroys it); NULL on allocation failure. */
grpc_byte_buffer *vk_rpc_pack(const ProtobufCMessage *msg);

#endif
