/* vms_error: reading VMS error answers and mapping every failure to a gRPC status. */
#include "vk/vms_error.h"
#include "vms_error_internal.h"

#include <jansson.h>
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

/* Every message of a vms_error is written here, through the redactor: the one way text
 * from outside (an answer body, curl's words, a URL) gets into an error. */
static void put_message(vms_error *err, const char *text, const vk_secrets *secrets) {
    vk_redact_into(text, secrets, err->message, sizeof err->message);
}

void vms_error_set(vms_error *err, vms_error_kind kind, const char *fmt, ...) {
    err->kind = kind;
    err->cause = VMS_CAUSE_NONE;
    err->http_status = 0;
    err->code[0] = err->field[0] = '\0';
    char text[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    put_message(err, text, NULL);
}

void vms_error_note_request(vms_error *err, const char *endpoint, const char *method, const char *path) {
    snprintf(err->method, sizeof err->method, "%s", method);
    vk_redact_into(path, NULL, err->path, sizeof err->path); /* a query may name a token */
    snprintf(err->endpoint, sizeof err->endpoint, "%s", endpoint);
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

/* The causes are the http layer's (vk_http_cause), named as it names them. */
static const struct {
    vk_http_cause http;
    vms_error_cause vms;
} causes[] = {
    {VK_HTTP_CAUSE_REFUSED, VMS_CAUSE_REFUSED},
    {VK_HTTP_CAUSE_DNS, VMS_CAUSE_DNS},
    {VK_HTTP_CAUSE_UNREACHABLE, VMS_CAUSE_UNREACHABLE},
    {VK_HTTP_CAUSE_RESET, VMS_CAUSE_RESET},
    {VK_HTTP_CAUSE_CONNECT_TIMEOUT, VMS_CAUSE_CONNECT_TIMEOUT},
    {VK_HTTP_CAUSE_REQUEST_TIMEOUT, VMS_CAUSE_REQUEST_TIMEOUT},
    {VK_HTTP_CAUSE_TLS_HANDSHAKE, VMS_CAUSE_TLS_HANDSHAKE},
    {VK_HTTP_CAUSE_PLAIN_HTTP, VMS_CAUSE_PLAIN_HTTP},
    {VK_HTTP_CAUSE_CERT_UNTRUSTED, VMS_CAUSE_CERT_UNTRUSTED},
    {VK_HTTP_CAUSE_CERT_HOSTNAME, VMS_CAUSE_CERT_HOSTNAME},
    {VK_HTTP_CAUSE_CA_UNUSABLE, VMS_CAUSE_CA_UNUSABLE},
};

const char *vms_error_cause_name(vms_error_cause cause) {
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        if (causes[i].vms == cause) return vk_http_cause_name(causes[i].http);
    return NULL;
}

static vms_error_cause cause_from_http(vk_http_cause cause) {
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        if (causes[i].http == cause) return causes[i].vms;
    return VMS_CAUSE_NONE;
}

static vms_error_kind kind_from_http(vk_http_failure failure) {
    switch (failure) {
    case VK_HTTP_FAIL_TIMEOUT: return VMS_ERR_TIMEOUT;
    case VK_HTTP_FAIL_DEADLINE: return VMS_ERR_DEADLINE;
    case VK_HTTP_FAIL_TLS: return VMS_ERR_TLS;
    case VK_HTTP_FAIL_CONFIG: return VMS_ERR_CONFIG;
    case VK_HTTP_FAIL_RESPONSE: return VMS_ERR_RESPONSE; /* the answer was too large to keep */
    case VK_HTTP_ANSWERED:
    case VK_HTTP_FAIL_TRANSPORT:
    case VK_HTTP_FAIL_CANCELLED: break;
    }
    return VMS_ERR_TRANSPORT;
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

/* How much of an answer a message quotes (the rest of the message names the request). */
#define QUOTE_MAX 400
/* Larger error answers are not parsed as JSON, only quoted as text (cut). */
#define JSON_ERROR_MAX (64u * 1024)

void vms_error_from_http(vms_error *err, long status, const char *body, size_t len, const vk_secrets *secrets) {
    err->kind = VMS_ERR_HTTP;
    err->cause = VMS_CAUSE_NONE;
    err->http_status = status;
    err->message[0] = err->code[0] = err->field[0] = '\0';
    if (!body) body = "";
    len = strnlen(body, len);
    /* The body is redacted before it is parsed, so even what is read from it verbatim
     * (the code, a field name) has been through the redactor. */
    json_t *json = NULL;
    if (len > 0 && len <= JSON_ERROR_MAX) {
        char *clean = vk_redact(body, len, secrets);
        json = json_loads(clean, JSON_DECODE_ANY, NULL);
        free(clean);
    }
    if (json) {
        read_json_error(err, json);
        json_decref(json);
        char composed[sizeof err->message];
        snprintf(composed, sizeof composed, "%s", err->message);
        vk_redact_body(composed, strlen(composed), secrets, QUOTE_MAX, err->message, sizeof err->message);
    } else if (len > 0) {
        /* A proxy's page or plain text, maybe echoing our request: its text, redacted, capped. */
        vk_redact_body(body, len, secrets, QUOTE_MAX, err->message, sizeof err->message);
    }
    if (!err->message[0]) snprintf(err->message, sizeof err->message, "no details in the answer");
}

/* ---- Transport failures ---- */

/* Which CAs the client trusted, for certificate messages. */
static void describe_trust(const char *ca_file, const char *ca_pem, char *out, size_t size) {
    if (ca_file && ca_pem)
        snprintf(out, size, "; trusted: the CA file %s and the secret's ssl_cert", ca_file);
    else if (ca_file)
        snprintf(out, size, "; trusted: the CA file %s", ca_file);
    else if (ca_pem)
        snprintf(out, size, "; trusted: the CA certificate in the secret's ssl_cert");
    else
        snprintf(out, size, "; trusted: the system CAs only (the secret has no ssl_cert)");
}

void vms_error_from_transport(vms_error *err, const vk_http_result *res, const char *ca_file, const char *ca_pem,
                              const vk_secrets *secrets) {
    vms_error_cause cause = cause_from_http(res->cause);
    char trust[400] = "";
    if (cause == VMS_CAUSE_CERT_UNTRUSTED || cause == VMS_CAUSE_CERT_HOSTNAME || cause == VMS_CAUSE_CA_UNUSABLE)
        describe_trust(ca_file, ca_pem, trust, sizeof trust);
    char text[sizeof err->message];
    snprintf(text, sizeof text, "%.250s%.250s", res->message, trust); /* each capped: both fit the message */
    err->kind = kind_from_http(res->failure);
    err->cause = cause;
    err->http_status = 0;
    err->code[0] = err->field[0] = '\0';
    put_message(err, text, secrets);
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
    vk_code code;
    const char *summary; /* what happened, in words */
    const char *advice;  /* what to do, or "" */
} status_class;

static status_class classify_http(const vms_error *err) {
    long s = err->http_status;
    if (s == 400 && vms_error_is_unique_violation(err))
        return (status_class){VK_ALREADY_EXISTS, "already exists", ""};
    if (s == 400) return (status_class){VK_INVALID_ARGUMENT, "VMS refused the request", ""};
    if (s == 401 || (s == 403 && strcmp(err->code, "permission_denied") != 0))
        return (status_class){VK_UNAUTHENTICATED, "VMS did not accept the credentials",
                              "; check the username/password (or API token) in {secret}"};
    if (s == 403)
        return (status_class){VK_PERMISSION_DENIED, "the VMS user is not allowed to do this",
                              "; give the VMS user in {secret} a role that allows it (and check "
                              "its tenant)"};
    if (s == 404) return (status_class){VK_NOT_FOUND, "not found", ""};
    if (s == 409)
        return (status_class){VK_FAILED_PRECONDITION, "VMS refused it in the object's current state", ""};
    if (s == 429) return (status_class){VK_RESOURCE_EXHAUSTED, "VMS is limiting requests", "; retry later"};
    if (s >= 500) return (status_class){VK_UNAVAILABLE, "VMS failed to answer", "; retry later"};
    return (status_class){VK_FAILED_PRECONDITION, "VMS refused the request", ""};
}

#define SKIP_VERIFY_HINT "or, for a test cluster only, {skip}"

/* Transport, timeout and TLS failures by what exactly happened; summary NULL when the
 * cause is not known. */
static status_class classify_cause(const vms_error *err) {
    switch (err->cause) {
    case VMS_CAUSE_REFUSED:
        return (status_class){VK_UNAVAILABLE, "VMS refused the connection (nothing listens on that port)",
                              "; check the host and port of the endpoint in {secret}, and that VMS "
                              "is up"};
    case VMS_CAUSE_DNS:
        return (status_class){VK_UNAVAILABLE, "the VMS host name was not found (DNS)",
                              "; check the host name of the endpoint in {secret} and the DNS of "
                              "the node running the controller"};
    case VMS_CAUSE_UNREACHABLE:
        return (status_class){VK_UNAVAILABLE, "cannot connect to VMS (no route to the host)",
                              "; check the endpoint in {secret} and the network to VMS"};
    case VMS_CAUSE_RESET:
        return (status_class){VK_UNAVAILABLE, "the connection to VMS was reset or closed before an answer",
                              "; a proxy, load balancer or firewall between the driver and VMS may cut it; "
                              "retry later"};
    case VMS_CAUSE_CONNECT_TIMEOUT:
        return (status_class){VK_UNAVAILABLE, "VMS did not accept the connection in time (connect timeout)",
                              "; check the endpoint and that no firewall drops the traffic"};
    case VMS_CAUSE_REQUEST_TIMEOUT:
        return (status_class){VK_UNAVAILABLE,
                              "VMS accepted the connection but did not answer in time (request timeout)",
                              "; VMS may be overloaded: retry later, or raise --vms-timeout"};
    case VMS_CAUSE_TLS_HANDSHAKE:
        return (status_class){VK_UNAVAILABLE, "the TLS handshake with VMS failed",
                              "; check that the endpoint is VMS's HTTPS port and that no proxy intercepts TLS"};
    case VMS_CAUSE_PLAIN_HTTP:
        return (status_class){VK_INVALID_ARGUMENT,
                              "the endpoint answered in plain HTTP: use http:// or the HTTPS port", ""};
    case VMS_CAUSE_CERT_UNTRUSTED:
        return (status_class){VK_UNAVAILABLE, "the VMS TLS certificate is not trusted",
                              "; put the CA certificate (PEM) that signed it in {ca}, "
                              SKIP_VERIFY_HINT};
    case VMS_CAUSE_CERT_HOSTNAME:
        return (status_class){VK_UNAVAILABLE, "the VMS TLS certificate is not issued for this host name",
                              "; use in the endpoint a host name the certificate names (its subject alternative "
                              "names), or reissue it with this one, " SKIP_VERIFY_HINT};
    case VMS_CAUSE_CA_UNUSABLE:
        return (status_class){VK_INVALID_ARGUMENT, "the VMS CA certificate could not be loaded",
                              "; put a valid PEM certificate in {ca} (or fix the CA file)"};
    case VMS_CAUSE_NONE: break;
    }
    return (status_class){VK_UNKNOWN, NULL, NULL};
}

static status_class classify(const vms_error *err) {
    if (err->kind == VMS_ERR_TRANSPORT || err->kind == VMS_ERR_TIMEOUT || err->kind == VMS_ERR_TLS) {
        status_class by_cause = classify_cause(err);
        if (by_cause.summary) return by_cause;
    }
    switch (err->kind) {

    case VMS_ERR_NONE: return (status_class){VK_OK, "", ""};
    case VMS_ERR_HTTP: return classify_http(err);
    case VMS_ERR_TRANSPORT:
        return (status_class){VK_UNAVAILABLE, "cannot reach VMS",
                              "; check the endpoint in {secret} and the network"};
    case VMS_ERR_TIMEOUT:
        return (status_class){VK_UNAVAILABLE, "VMS did not answer in time", "; retry later"};
    case VMS_ERR_DEADLINE:
        return (status_class){VK_DEADLINE_EXCEEDED, "the deadline passed before VMS answered", ""};
    case VMS_ERR_TLS:
        return (status_class){VK_UNAVAILABLE, "the VMS TLS certificate could not be verified",
                              "; put the cluster's CA certificate in {ca} (or the CA file), or "
                              "fix the certificate's host name"};
    case VMS_ERR_RESPONSE: return (status_class){VK_INTERNAL, "unexpected answer from VMS", ""};
    case VMS_ERR_AMBIGUOUS:
        return (status_class){VK_FAILED_PRECONDITION, "more than one object matches",
                              "; remove the duplicate or use a more specific name"};
    case VMS_ERR_TASK: return (status_class){VK_FAILED_PRECONDITION, "the VMS task failed", ""};
    case VMS_ERR_CONFIG:
        return (status_class){VK_INVALID_ARGUMENT, "invalid VMS configuration",
                              "; check {secret}"};
    }
    return (status_class){VK_UNKNOWN, "unknown failure", ""};
}

/* Where the advice sends the reader: the CSI driver's words by default; the operator
 * names its VastCluster objects instead (vms_error_set_wording). */
static const char *wording_secret = "the StorageClass secret";
static const char *wording_ca = "the secret's ssl_cert key";
static const char *wording_skip = "start vast-csi with --vms-insecure-skip-verify";

void vms_error_set_wording(const char *secret, const char *ca, const char *skip) {
    if (secret) wording_secret = secret;
    if (ca) wording_ca = ca;
    if (skip) wording_skip = skip;
}

/* advice with {secret}, {ca} and {skip} replaced by the process's wording. */
static void word_advice(const char *advice, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = advice; *p && used + 1 < size;) {
        const char *word = NULL;
        size_t skip = 0;
        if (strncmp(p, "{secret}", 8) == 0) word = wording_secret, skip = 8;
        else if (strncmp(p, "{ca}", 4) == 0) word = wording_ca, skip = 4;
        else if (strncmp(p, "{skip}", 6) == 0) word = wording_skip, skip = 6;
        if (word) {
            int n = snprintf(out + used, size - used, "%s", word);
            used = n < 0 || (size_t)n >= size - used ? size - 1 : used + (size_t)n;
            p += skip;
        } else {
            out[used++] = *p++;
            out[used] = '\0';
        }
    }
}

vk_code vms_error_to_status(const vms_error *err, vk_status *st) {
    status_class cls = classify(err);
    if (cls.code == VK_OK) {
        vk_status_ok(st);
        return VK_OK;
    }
    const char *object = err->object[0] ? err->object : "VMS request";
    const char *endpoint = err->endpoint[0] ? err->endpoint : "(no endpoint)";
    char request[600] = "";
    if (err->method[0]) snprintf(request, sizeof request, "%s %s: ", err->method, err->path);
    char status_text[32] = "";
    if (err->kind == VMS_ERR_HTTP) snprintf(status_text, sizeof status_text, "HTTP %ld: ", err->http_status);
    char advice[512];
    word_advice(cls.advice, advice, sizeof advice);
    vk_status_set(st, cls.code, "%s: %s (VMS %s, %s%s%s)%s", object, cls.summary, endpoint, request, status_text,
                  err->message, advice);
    /* The parts were redacted as they came in; the object and a hand-made error were
     * not necessarily, so the whole passes once more. */
    char clean[sizeof st->message];
    vk_redact_into(st->message, NULL, clean, sizeof clean);
    memcpy(st->message, clean, sizeof clean);
    return cls.code;
}
