/* vms_error: reading VMS error answers and mapping every failure to a gRPC status. */
#include "vk/vms_error.h"
#include "vk/vms_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void vms_error_clear(vms_error *err) { memset(err, 0, sizeof *err); }

void vms_error_set_object(vms_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->object, sizeof err->object, fmt, ap);
    va_end(ap);
}

void vms_error_set(vms_error *err, vms_error_kind kind, const char *fmt, ...) {
    err->kind = kind;
    err->http_status = 0;
    err->code[0] = err->field[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

void vms_error_set_request(vms_error *err, const vms_client *c, const char *method, const char *path) {
    snprintf(err->method, sizeof err->method, "%s", method);
    snprintf(err->path, sizeof err->path, "%s", path);
    snprintf(err->endpoint, sizeof err->endpoint, "%s", c->s.endpoint);
}

const char *vms_error_kind_name(vms_error_kind kind) {
    switch (kind) {
    case VMS_ERR_NONE: return "none";
    case VMS_ERR_HTTP: return "http";
    case VMS_ERR_TRANSPORT: return "transport";
    case VMS_ERR_TIMEOUT: return "timeout";
    case VMS_ERR_DEADLINE: return "deadline";
    case VMS_ERR_TLS: return "tls";
    case VMS_ERR_RESPONSE: return "response";
    case VMS_ERR_AMBIGUOUS: return "ambiguous";
    case VMS_ERR_TASK: return "task";
    case VMS_ERR_CONFIG: return "config";
    }
    return "unknown";
}

/* ---- Reading an error answer ---- */

/* Appends text to buf (size total), keeping it NUL-terminated and silently cut. */
static void append(char *buf, size_t size, const char *text) {
    size_t used = strlen(buf);
    if (used + 1 >= size) return;
    snprintf(buf + used, size - used, "%s", text);
}

/* "a b c" from a string or an array of strings (DRF puts field errors in arrays). */
static void append_messages(char *buf, size_t size, const json_t *value) {
    if (json_is_string(value)) {
        append(buf, size, json_string_value(value));
    } else if (json_is_array(value)) {
        size_t i;
        const json_t *item;
        json_array_foreach(value, i, item) {
            if (i > 0) append(buf, size, " ");
            append_messages(buf, size, item);
        }
    } else if (json_is_object(value)) {
        /* Nested serializer errors: {"capacity_rules": {"hard_limit": ["..."]}}. */
        char *text = json_dumps(value, JSON_COMPACT);
        if (text) append(buf, size, text);
        free(text);
    }
}

/* DRF error bodies: {"detail": "...", "code": "..."} or {"field": ["msg", ...], ...}. */
static void read_json_error(vms_error *err, const json_t *json) {
    if (json_is_string(json)) {
        snprintf(err->message, sizeof err->message, "%s", json_string_value(json));
        return;
    }
    if (!json_is_object(json)) return;
    const json_t *code = json_object_get(json, "code");
    if (json_is_string(code)) snprintf(err->code, sizeof err->code, "%s", json_string_value(code));
    const json_t *detail = json_object_get(json, "detail");
    if (detail) {
        append_messages(err->message, sizeof err->message, detail);
        return;
    }
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)json, key, value) {
        if (strcmp(key, "code") == 0) continue;
        if (err->message[0]) append(err->message, sizeof err->message, "; ");
        if (strcmp(key, "non_field_errors") != 0) {
            if (!err->field[0]) snprintf(err->field, sizeof err->field, "%s", key);
            append(err->message, sizeof err->message, key);
            append(err->message, sizeof err->message, ": ");
        }
        append_messages(err->message, sizeof err->message, value);
    }
}

/* A proxy's HTML page or plain text: keep the first non-blank line, tags and all. */
static void read_text_error(vms_error *err, const char *body) {
    while (*body && isspace((unsigned char)*body)) body++;
    size_t len = strcspn(body, "\r\n");
    if (len > 200) len = 200;
    snprintf(err->message, sizeof err->message, "%.*s", (int)len, body);
}

void vms_error_from_http(vms_error *err, long status, const char *body) {
    err->kind = VMS_ERR_HTTP;
    err->http_status = status;
    err->message[0] = err->code[0] = err->field[0] = '\0';
    json_t *json = body && *body ? json_loads(body, JSON_DECODE_ANY, NULL) : NULL;
    if (json) {
        read_json_error(err, json);
        json_decref(json);
    } else if (body && *body) {
        read_text_error(err, body);
    }
    if (!err->message[0]) snprintf(err->message, sizeof err->message, "no details in the answer");
}

void vms_error_from_transport(vms_error *err, const vms_exchange *ex) {
    const char *what = ex->curl_message[0] ? ex->curl_message : curl_easy_strerror(ex->curl_code);
    vms_error_kind kind;
    switch (ex->curl_code) {
    case CURLE_OPERATION_TIMEDOUT:
        kind = ex->timeout_was_deadline ? VMS_ERR_DEADLINE : VMS_ERR_TIMEOUT;
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
        kind = VMS_ERR_TLS;
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        kind = VMS_ERR_CONFIG;
        break;
    case CURLE_WRITE_ERROR: /* the answer was too large to keep */
        kind = VMS_ERR_RESPONSE;
        break;
    default:
        kind = VMS_ERR_TRANSPORT;
        break;
    }
    vms_error_set(err, kind, "%s", what);
}

/* ---- Classification ---- */

static bool contains_nocase(const char *haystack, const char *needle) {
    size_t n = strlen(needle);
    for (; *haystack; haystack++)
        if (strncasecmp(haystack, needle, n) == 0) return true;
    return false;
}

bool vms_error_is_unique_violation(const vms_error *err) {
    if (err->kind != VMS_ERR_HTTP || err->http_status != 400) return false;
    /* DRF says "This field must be unique." / "... must make a unique set."; Django models say
     * "X with this name already exists." A bare "already exists" (e.g. "Directory already
     * exists" for a clone target) is about something else. */
    return contains_nocase(err->message, "must be unique") || contains_nocase(err->message, "unique set") ||
           (contains_nocase(err->message, " with this ") && contains_nocase(err->message, "already exists")) ||
           contains_nocase(err->code, "unique");
}

bool vms_error_is_not_found(const vms_error *err) { return err->kind == VMS_ERR_HTTP && err->http_status == 404; }

bool vms_error_is_token_expiry(const vms_error *err) {
    if (err->kind != VMS_ERR_HTTP) return false;
    if (strcmp(err->code, "permission_denied") == 0) return false;
    if (err->http_status == 403) return contains_nocase(err->message, "Token is invalid or expired");
    /* Stock DRF simple-jwt says 401 token_not_valid; accept it in case VMS ever does. */
    return err->http_status == 401 && strcmp(err->code, "token_not_valid") == 0;
}

/* ---- Mapping to a gRPC status ---- */

typedef struct {
    grpc_status_code code;
    const char *summary; /* what happened, in words */
    const char *advice;  /* what to do, or "" */
} status_class;

static status_class classify_http(const vms_error *err) {
    long s = err->http_status;
    if (s == 400 && vms_error_is_unique_violation(err))
        return (status_class){GRPC_STATUS_ALREADY_EXISTS, "already exists", ""};
    if (s == 400) return (status_class){GRPC_STATUS_INVALID_ARGUMENT, "VMS refused the request", ""};
    if (s == 401 || (s == 403 && strcmp(err->code, "permission_denied") != 0))
        return (status_class){GRPC_STATUS_UNAUTHENTICATED, "VMS did not accept the credentials",
                              "; check the username/password (or API token) in the StorageClass secret"};
    if (s == 403)
        return (status_class){GRPC_STATUS_PERMISSION_DENIED, "the VMS user is not allowed to do this",
                              "; give the VMS user in the StorageClass secret a role that allows it (and check "
                              "its tenant)"};
    if (s == 404) return (status_class){GRPC_STATUS_NOT_FOUND, "not found", ""};
    if (s == 409)
        return (status_class){GRPC_STATUS_FAILED_PRECONDITION, "VMS refused it in the object's current state", ""};
    if (s == 429) return (status_class){GRPC_STATUS_RESOURCE_EXHAUSTED, "VMS is limiting requests", "; retry later"};
    if (s >= 500) return (status_class){GRPC_STATUS_UNAVAILABLE, "VMS failed to answer", "; retry later"};
    return (status_class){GRPC_STATUS_FAILED_PRECONDITION, "VMS refused the request", ""};
}

static status_class classify(const vms_error *err) {
    switch (err->kind) {
    case VMS_ERR_NONE: return (status_class){GRPC_STATUS_OK, "", ""};
    case VMS_ERR_HTTP: return classify_http(err);
    case VMS_ERR_TRANSPORT:
        return (status_class){GRPC_STATUS_UNAVAILABLE, "cannot reach VMS",
                              "; check the endpoint in the StorageClass secret and the network"};
    case VMS_ERR_TIMEOUT:
        return (status_class){GRPC_STATUS_UNAVAILABLE, "VMS did not answer in time", "; retry later"};
    case VMS_ERR_DEADLINE:
        return (status_class){GRPC_STATUS_DEADLINE_EXCEEDED, "the deadline passed before VMS answered", ""};
    case VMS_ERR_TLS:
        return (status_class){GRPC_STATUS_UNAVAILABLE, "the VMS TLS certificate could not be verified",
                              "; put the cluster's CA certificate in the secret's ssl_cert (or the CA file), or "
                              "fix the certificate's host name"};
    case VMS_ERR_RESPONSE: return (status_class){GRPC_STATUS_INTERNAL, "unexpected answer from VMS", ""};
    case VMS_ERR_AMBIGUOUS:
        return (status_class){GRPC_STATUS_FAILED_PRECONDITION, "more than one object matches",
                              "; remove the duplicate or use a more specific name"};
    case VMS_ERR_TASK: return (status_class){GRPC_STATUS_FAILED_PRECONDITION, "the VMS task failed", ""};
    case VMS_ERR_CONFIG:
        return (status_class){GRPC_STATUS_INVALID_ARGUMENT, "invalid VMS configuration",
                              "; check the StorageClass secret"};
    }
    return (status_class){GRPC_STATUS_UNKNOWN, "unknown failure", ""};
}

grpc_status_code vms_error_to_status(const vms_error *err, vk_status *st) {
    status_class cls = classify(err);
    if (cls.code == GRPC_STATUS_OK) {
        vk_status_ok(st);
        return GRPC_STATUS_OK;
    }
    const char *object = err->object[0] ? err->object : "VMS request";
    const char *endpoint = err->endpoint[0] ? err->endpoint : "(no endpoint)";
    char request[600] = "";
    if (err->method[0]) snprintf(request, sizeof request, "%s %s: ", err->method, err->path);
    char status_text[32] = "";
    if (err->kind == VMS_ERR_HTTP) snprintf(status_text, sizeof status_text, "HTTP %ld: ", err->http_status);
    return vk_status_set(st, cls.code, "%s: %s (VMS %s, %s%s%s)%s", object, cls.summary, endpoint, request,
                         status_text, err->message, cls.advice);
}
