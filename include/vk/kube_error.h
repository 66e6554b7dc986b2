/* A Kubernetes API answer that is not 2xx, as the project's error model: the Status
 * object's reason and message in a vk_status, plus what a caller branches on (conflict,
 * expired, the 422 causes, a 429's wait). */
#ifndef VK_KUBE_ERROR_H
#define VK_KUBE_ERROR_H

#include "vk/status.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    VK_KUBE_ERR_OTHER = 0,
    VK_KUBE_ERR_NOT_FOUND,      /* 404 */
    VK_KUBE_ERR_ALREADY_EXISTS, /* 409, reason AlreadyExists */
    VK_KUBE_ERR_CONFLICT,       /* 409: a stale resourceVersion or precondition */
    VK_KUBE_ERR_EXPIRED,        /* 410: the resourceVersion is gone; relist */
    VK_KUBE_ERR_INVALID,        /* 422, causes in the message */
    VK_KUBE_ERR_TOO_MANY,       /* 429: retry_after_s says how long to wait */
    VK_KUBE_ERR_UNAUTHORIZED,   /* 401 */
    VK_KUBE_ERR_FORBIDDEN,      /* 403 */
    VK_KUBE_ERR_SERVER,         /* 5xx */
} vk_kube_error_kind;

typedef struct {
    vk_kube_error_kind kind;
    int64_t retry_after_s; /* details.retryAfterSeconds, 0 when none */
} vk_kube_error;

/* status and body (a Status object, or anything) into st (code and a message naming
 * what, the reason, the server's message and each cause "field: message") and err. */
void vk_kube_error_from_answer(long status, const char *body, const char *what, vk_kube_error *err,
                               vk_status *st);

#endif
