/* The project's one error model: a status code and a message for a platform engineer
 * (which object, which cluster, what the backend said, what to do). Every layer reports
 * failure through a vk_status. The codes are numbered as gRPC's are, so the RPC layer
 * sends one as is, yet nothing below it needs gRPC (vms-sim and the mount helper link
 * the base layer only). */
#ifndef VK_STATUS_H
#define VK_STATUS_H

#include <stdbool.h>

/* The canonical codes, with gRPC's numbers (grpc/status.h): the RPC layer's casts rely on it. */
typedef enum {
    VK_OK = 0,
    VK_CANCELLED = 1,
    VK_UNKNOWN = 2,
    VK_INVALID_ARGUMENT = 3,
    VK_DEADLINE_EXCEEDED = 4,
    VK_NOT_FOUND = 5,
    VK_ALREADY_EXISTS = 6,
    VK_PERMISSION_DENIED = 7,
    VK_RESOURCE_EXHAUSTED = 8,
    VK_FAILED_PRECONDITION = 9,
    VK_ABORTED = 10,
    VK_OUT_OF_RANGE = 11,
    VK_UNIMPLEMENTED = 12,
    VK_INTERNAL = 13,
    VK_UNAVAILABLE = 14,
    VK_DATA_LOSS = 15,
    VK_UNAUTHENTICATED = 16,
} vk_code;

#define VK_STATUS_MESSAGE_MAX 1024

typedef struct {
    vk_code code;
    char message[VK_STATUS_MESSAGE_MAX];
} vk_status;

/* Sets code and message (printf-style, truncated to fit) and returns the code, so a
 * failing path can end with `return vk_status_set(st, VK_NOT_FOUND, ...)`. */
vk_code vk_status_set(vk_status *st, vk_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void vk_status_ok(vk_status *st) {
    st->code = VK_OK;
    st->message[0] = '\0';
}

/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN_CODE" for values outside the set. */
const char *vk_status_name(vk_code code);

/* Accepts a canonical name (any case, with or without underscores, e.g. "NotFound",
 * "not_found") or the decimal number. */
bool vk_status_parse(const char *text, vk_code *out);

#endif
