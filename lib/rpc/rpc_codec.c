#include "vk/rpc_codec.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { MAX_DEPTH = 32 };

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Walks the wire form of a message of type desc. Returns false only for a string with
 * a NUL (naming it in why); malformed input is left for protobuf-c to refuse. */
static bool strings_clean(const uint8_t *p, const uint8_t *end, const ProtobufCMessageDescriptor *desc, int depth,
                          char *why, size_t why_size) {
    while (p < end) {
        uint64_t key, len;
        if (!read_varint(&p, end, &key)) return true;
        unsigned wire = (unsigned)(key & 7);
        uint32_t number = (uint32_t)(key >> 3);
        if (wire == 0) {
            if (!read_varint(&p, end, &len)) return true;
        } else if (wire == 1 || wire == 5) {
            size_t n = wire == 1 ? 8 : 4;
            if ((size_t)(end - p) < n) return true;
            p += n;
        } else if (wire == 2) {
            if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p)) return true;
            const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(desc, number);
            if (f && f->type == PROTOBUF_C_TYPE_STRING && memchr(p, '\0', (size_t)len)) {
                snprintf(why, why_size, "%s", f->name);
                return false;
            }
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && depth < MAX_DEPTH &&
                !strings_clean(p, p + len, f->descriptor, depth + 1, why, why_size)) {
                /* prefix the outer field: "parameters.value" */
                char inner[128];
                snprintf(inner, sizeof inner, "%s", why);
                snprintf(why, why_size, "%s.%s", f->name, inner);
                return false;
            }
            p += len;
        } else {
            return true; /* groups: not in proto3; protobuf-c decides */
        }
    }
    return true;
}

/* Unpacks bb, after the NUL check when why is given. */
static ProtobufCMessage *unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc, char *why,
                                size_t why_size) {
    grpc_byte_buffer_reader reader;
    if (why) why[0] = '\0';
    if (!bb || !grpc_byte_buffer_reader_init(&reader, bb)) return NULL;
    /* protobuf-c cannot unpack from several slices, so read them into one */
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    const uint8_t *data = GRPC_SLICE_START_PTR(all);
    size_t len = GRPC_SLICE_LENGTH(all);
    ProtobufCMessage *msg = !why || strings_clean(data, data + len, desc, 0, why, why_size)
                                ? protobuf_c_message_unpack(desc, NULL, len, data)
                                : NULL;
    grpc_slice_unref(all);
    return msg;
}

ProtobufCMessage *vk_rpc_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc) {
    return unpack(bb, desc, NULL, 0);
}

ProtobufCMessage *vk_rpc_unpack_strict(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc, char *why,
                                       size_t why_size) {
    return unpack(bb, desc, why, why_size);
}

grpc_byte_buffer *vk_rpc_pack(const ProtobufCMessage *msg) {
    size_t size = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_slice_malloc(size);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}
