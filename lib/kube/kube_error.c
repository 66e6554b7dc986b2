/* The Status object of a failed Kubernetes call (vk/kube_error.h), read with jansson. */
#include "vk/kube_error.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static vk_kube_error_kind kind_of(long status, const char *reason) {
    switch (status) {
    case 401: return VK_KUBE_ERR_UNAUTHORIZED;
    case 403: return VK_KUBE_ERR_FORBIDDEN;
    case 404: return VK_KUBE_ERR_NOT_FOUND;
    case 409: return reason && strcmp(reason, "AlreadyExists") == 0 ? VK_KUBE_ERR_ALREADY_EXISTS : VK_KUBE_ERR_CONFLICT;
    case 410: return VK_KUBE_ERR_EXPIRED;
    case 422: return VK_KUBE_ERR_INVALID;
    case 429: return VK_KUBE_ERR_TOO_MANY;
    default: return status >= 500 ? VK_KUBE_ERR_SERVER : VK_KUBE_ERR_OTHER;
    }
}

/* gRPC-style codes as the rest of the project uses them: a conflict is ABORTED (retry
 * the read-modify-write), an expired version OUT_OF_RANGE (relist). */
static vk_code code_of(vk_kube_error_kind k) {
    static const vk_code codes[] = {
        [VK_KUBE_ERR_OTHER] = VK_UNKNOWN,          [VK_KUBE_ERR_NOT_FOUND] = VK_NOT_FOUND,
        [VK_KUBE_ERR_ALREADY_EXISTS] = VK_ALREADY_EXISTS, [VK_KUBE_ERR_CONFLICT] = VK_ABORTED,
        [VK_KUBE_ERR_EXPIRED] = VK_OUT_OF_RANGE,   [VK_KUBE_ERR_INVALID] = VK_INVALID_ARGUMENT,
        [VK_KUBE_ERR_TOO_MANY] = VK_RESOURCE_EXHAUSTED, [VK_KUBE_ERR_UNAUTHORIZED] = VK_UNAUTHENTICATED,
        [VK_KUBE_ERR_FORBIDDEN] = VK_PERMISSION_DENIED, [VK_KUBE_ERR_SERVER] = VK_UNAVAILABLE,
    };
    return codes[k];
}

void vk_kube_error_from_answer(long status, const char *body, const char *what, vk_kube_error *err,
                               vk_status *st) {
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    const char *reason = json_string_value(json_object_get(j, "reason"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    json_t *details = json_object_get(j, "details");
    err->kind = kind_of(status, reason);
    json_t *ra = json_object_get(details, "retryAfterSeconds");
    err->retry_after_s = json_is_integer(ra) ? json_integer_value(ra) : 0;
    char causes[512] = "";
    size_t used = 0, i;
    json_t *c;
    json_array_foreach(json_object_get(details, "causes"), i, c) {
        const char *f = json_string_value(json_object_get(c, "field"));
        const char *m = json_string_value(json_object_get(c, "message"));
        /* the API server's message often lists the causes already: each is said once */
        if (m && msg && strstr(msg, m)) continue;
        if (used < sizeof causes)
            used += (size_t)snprintf(causes + used, sizeof causes - used, "; %s: %s", f ? f : "?", m ? m : "?");
    }
    /* what to check, where the server's words ("Unauthorized") do not say it */
    const char *hint = err->kind == VK_KUBE_ERR_UNAUTHORIZED
                           ? " (the API server did not accept these credentials: an expired or revoked token or "
                             "client certificate, or credentials of another cluster)"
                       : err->kind == VK_KUBE_ERR_FORBIDDEN
                           ? " (authenticated, but RBAC does not allow it: check the roles bound to this identity)"
                           : "";
    vk_status_set(st, code_of(err->kind), "%s: HTTP %ld %s: %s%s%s", what ? what : "kubernetes", status,
                  reason ? reason : "", msg ? msg : "(no Status object)", causes, hint);
    json_decref(j);
}
