/* Protobuf messages <-> JSON (jansson), driven by protobuf-c descriptors, following
 * the proto3 JSON mapping: field names as in the .proto (snake_case), enums by name,
 * int64/uint64 as JSON numbers, bytes as base64, maps as objects, repeated fields as
 * arrays, oneofs by their set member, google.protobuf.{Bool,Int64,...}Value as the
 * plain value, google.protobuf.Timestamp as an RFC 3339 string.
 *
 * Used by csictl (request from flags, response to stdout) and by the RPC runtime to
 * log requests and responses with credentials redacted. */
#ifndef VK_PBJSON_H
#define VK_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

enum {
    /* Replace the value of every sensitive field or map entry (vk_redact_is_sensitive on
     * the field name or the map key) with VK_REDACTED. */
    VK_PBJSON_REDACT = 1u << 0,
    /* Also emit fields that hold their default value (0, "", false, empty). */
    VK_PBJSON_EMIT_DEFAULTS = 1u << 1,
};

/* New reference to a JSON object; NULL only on allocation failure. */
json_t *vk_pbjson_from_message(const ProtobufCMessage *msg, unsigned flags);

/* Compact one-line JSON text of msg (malloc'd; caller frees); NULL on allocation failure. */
char *vk_pbjson_dumps(const ProtobufCMessage *msg, unsigned flags);

/* Builds a message of type desc from a JSON object. Unknown field names, wrong JSON types,
 * unknown enum names and out-of-range numbers are errors. The message and everything in it
 * is allocated with the default protobuf-c allocator, so the caller frees it with
 * protobuf_c_message_free_unpacked(msg, NULL). On failure returns NULL and writes a message
 * naming the field path (e.g. "volume_capabilities[0].access_mode.mode: unknown enum value
 * \"X\"") into err. */
ProtobufCMessage *vk_pbjson_to_message(const ProtobufCMessageDescriptor *desc, const json_t *json,
                                       char *err, size_t err_size);

#endif
