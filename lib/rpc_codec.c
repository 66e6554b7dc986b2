#include "vk/rpc_codec.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

ProtobufCMessage *vk_rpc_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc) {
    grpc_byte_buffer_reader reader;
    if (!bb || !grpc_byte_buffer_reader_init(&reader, bb)) return NULL;
    /* protobuf-c cannot unpack from several slices, so read them into one */
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    ProtobufCMessage *msg =
        protobuf_c_message_unpack(desc, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return msg;
}

grpc_byte_buffer *vk_rpc_pack(const ProtobufCMessage *msg) {
    size_t size = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_slice_malloc(size);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}
