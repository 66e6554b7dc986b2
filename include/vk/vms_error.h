/* The VMS client's one error type, and the one place it becomes a gRPC status.
 *
 * Every failing VMS call fills a vms_error: what kind of failure (VMS answered with an
 * error, the network failed, the deadline passed, TLS did not verify, ...), the HTTP
 * status and what VMS said, which request (method and path) on which cluster, and -
 * set by the typed layer or the caller - which object it was about. It is plain data
 * (fixed arrays, nothing to free), so it can be copied, returned and kept freely.
 *
 * vms_error_to_status() turns it into a vk_status whose code the CSI sidecars and the
 * operator act on, and whose message tells a platform engineer what to fix. */
#ifndef VK_VMS_ERROR_H
#define VK_VMS_ERROR_H

#include "vk/status.h"

#include <stdbool.h>

typedef enum {
    VMS_ERR_NONE = 0,
    VMS_ERR_HTTP,      /* VMS answered with a status >= 300: http_status, message, code, field */
    VMS_ERR_TRANSPORT, /* no answer: connection refused or reset, DNS, dropped connection */
    VMS_ERR_TIMEOUT,   /* VMS did not answer within the per-request timeout (deadline not reached) */
    VMS_ERR_DEADLINE,  /* the caller's deadline passed before VMS answered */
    VMS_ERR_TLS,       /* the TLS handshake failed: untrusted or mismatched certificate, ... */
    VMS_ERR_RESPONSE,  /* VMS answered 2xx with something this client cannot read */
    VMS_ERR_AMBIGUOUS, /* a lookup by natural key matched more than one object */
    VMS_ERR_TASK,      /* an asynchronous VMS task ended FAILED */
    VMS_ERR_CONFIG,    /* the client configuration is unusable (endpoint, CA file, ...) */
} vms_error_kind;

/* What exactly failed when no answer came (VMS_ERR_TRANSPORT, _TIMEOUT, _TLS), so the
 * message can say it and what to do; VMS_CAUSE_NONE when not known. */
typedef enum {
    VMS_CAUSE_NONE = 0,
    VMS_CAUSE_REFUSED,         /* TRANSPORT: nothing listens on the port */
    VMS_CAUSE_DNS,             /* TRANSPORT: the host name does not resolve */
    VMS_CAUSE_UNREACHABLE,     /* TRANSPORT: no route to the host / network down */
    VMS_CAUSE_RESET,           /* TRANSPORT: the connection was reset or closed before an answer */
    VMS_CAUSE_CONNECT_TIMEOUT, /* TIMEOUT: TCP (+ TLS) connection not made within the connect timeout */
    VMS_CAUSE_REQUEST_TIMEOUT, /* TIMEOUT: connected, but no full answer within the request timeout */
    VMS_CAUSE_TLS_HANDSHAKE,   /* TLS: the handshake failed (protocol, cipher, peer hung up) */
    VMS_CAUSE_PLAIN_HTTP,      /* TLS: the https:// endpoint answered in plain HTTP */
    VMS_CAUSE_CERT_UNTRUSTED,  /* TLS: the certificate does not chain to a trusted CA (or expired) */
    VMS_CAUSE_CERT_HOSTNAME,   /* TLS: the certificate is for another host name */
    VMS_CAUSE_CA_UNUSABLE,     /* TLS: the configured CA certificate could not be loaded */
} vms_error_cause;

typedef struct {
    vms_error_kind kind;
    vms_error_cause cause; /* for kinds TRANSPORT, TIMEOUT and TLS */
    long http_status;   /* VMS_ERR_HTTP: the status; 0 otherwise */
    char method[8];     /* "GET", "POST", ... of the failed request ("" before any) */
    char path[512];     /* the request path after /api/<version>/, with its query */
    char endpoint[272]; /* the cluster, "https://host:port" (never userinfo, path or query) */
    char object[256];   /* what the call was about, e.g. "quota path=/k8s/pvc-1" */
    char message[512];  /* what VMS said (detail, or "field: error; ..."), or the transport
                         * error; always redacted (vk/redact.h) and a quoted body capped */
    char code[64];      /* VMS's machine-readable code, e.g. "permission_denied" */
    char field[64];     /* the first field a 400 complained about, e.g. "name" */
    int attempts;       /* how many times the request was sent */
} vms_error;

/* Resets to "no error". */
void vms_error_clear(vms_error *err);

/* Names what the failed call was about (printf-style); the typed layer sets this, and
 * callers may overwrite it with something more specific ("volume pvc-1"). */
void vms_error_set_object(vms_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "http", "transport", "timeout", "deadline", "tls", "response", "ambiguous", "task", "config". */
const char *vms_error_kind_name(vms_error_kind kind);
/* "refused", "dns", "unreachable", "reset", "connect-timeout", "request-timeout",
 * "tls-handshake", "plain-http", "cert-untrusted", "cert-hostname", "ca-unusable", or
 * NULL for none (so it can be an optional log field). */
const char *vms_error_cause_name(vms_error_cause cause);

/* VMS refused a create because a unique field is taken ({"name": ["This field must be
 * unique."]} and the like): the object exists already. */
bool vms_error_is_unique_violation(const vms_error *err);

/* HTTP 404 (the object or the endpoint does not exist). */
bool vms_error_is_not_found(const vms_error *err);

/* The 403 VMS sends for an expired or unknown access token (as opposed to a missing
 * permission, which carries "permission_denied"). */
bool vms_error_is_token_expiry(const vms_error *err);

/* Maps err to a gRPC code and an actionable message in st, and returns the code:
 *   400 unique -> ALREADY_EXISTS, other 400 -> INVALID_ARGUMENT,
 *   401 and 403 without permission -> UNAUTHENTICATED (check the secret's credentials),
 *   403 permission_denied -> PERMISSION_DENIED, 404 -> NOT_FOUND,
 *   409 and failed tasks -> FAILED_PRECONDITION, 429 -> RESOURCE_EXHAUSTED,
 *   5xx, transport, timeout, TLS -> UNAVAILABLE, deadline -> DEADLINE_EXCEEDED,
 *   more than one match -> FAILED_PRECONDITION, configuration -> INVALID_ARGUMENT,
 *   an unreadable answer -> INTERNAL;
 *   by cause: every cause is UNAVAILABLE (VMS down, DNS or network trouble, a proxy, a
 *   certificate being replaced: the CO retries, and the retry works once the cluster or
 *   the secret is fixed) except the two that no retry can mend, a plain-HTTP answer on
 *   an https:// endpoint and an unloadable CA certificate -> INVALID_ARGUMENT, like the
 *   other endpoint and trust settings the configuration check refuses.
 * The message names the object, the cluster endpoint, the request and what VMS said,
 * says in words what failed and what to do, and passes the redactor once more. */
vk_code vms_error_to_status(const vms_error *err, vk_status *st);

/* The words the advice uses for where the credentials and the CA are, and how to skip
 * TLS verification, for a process that is not the CSI driver (NULL keeps one). The
 * defaults: "the StorageClass secret", "the secret's ssl_cert key", "start vast-csi with
 * --vms-insecure-skip-verify". Call once at start, before any thread. */
void vms_error_set_wording(const char *secret, const char *ca, const char *skip);

#endif
