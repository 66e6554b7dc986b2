/* The project's one error model: a gRPC status code and a message for a platform
 * engineer (which object, which cluster, what the backend said, what to do).
 * Every layer reports failure through a vk_status; the RPC layer sends it as is. */
#ifndef VK_STATUS_H
#define VK_STATUS_H

#include <grpc/status.h>
#include <stdbool.h>

#define VK_STATUS_MESSAGE_MAX 1024

typedef struct {
    grpc_status_code code;
    char message[VK_STATUS_MESSAGE_MAX];
} vk_status;

/* Sets code and message (printf-style, truncated to fit) and returns the code, so a
 * failing path can end with `return vk_status_set(st, GRPC_STATUS_NOT_FOUND, ...)`. */
grpc_status_code vk_status_set(vk_status *st, grpc_status_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void vk_status_ok(vk_status *st) {
    st->code = GRPC_STATUS_OK;
    st->message[0] = '\0';
}

/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN_CODE" for values outside the gRPC set. */
const char *vk_status_name(grpc_status_code code);

/* Accepts a canonical name (any case, with or without underscores, e.g. "NotFound",
 * "not_found") or the decimal number. */
bool vk_status_parse(const char *text, grpc_status_code *out);

#endif
