/* A client for one VAST management API (VMS) endpoint: HTTPS + JSON over libcurl.
 *
 *   vms_config cfg = {.endpoint = "vms.example.com", .username = u, .password = p,
 *                     .ca_pem = secret_ssl_cert};
 *   vms_client *c; vms_error err;
 *   if (!vms_client_new(&cfg, &c, &err)) ...vms_error_to_status(&err, &st)...
 *   json_t *view;
 *   if (vms_get(c, "views/12/", deadline, &view, &err)) ...
 *   vms_client_free(c);
 *
 * What it takes care of, so callers do not:
 *   - the base URL https://host[:port]/api/<version>/ (every path ends with a slash);
 *   - authentication: a token is fetched lazily before the first request (never a
 *     request bound to fail), refreshed once when VMS answers 403 "Token is invalid or
 *     expired" - one token request however many threads see the 403 at once - and never
 *     for a 403 permission_denied; or a fixed `Api-Token`; plus `X-Tenant-Name`;
 *   - TLS verified by default (CA from a file or PEM text); plain http:// only when
 *     allowed explicitly (simulator, tests);
 *   - connections reused across threads (a pool of curl handles, each keeping its
 *     connection; DNS and TLS sessions shared);
 *   - deadlines: each attempt's timeout is min(request timeout, time left), and no
 *     wait (for a connection, a token, a backoff, a task) outlives the deadline;
 *   - retries with jittered exponential backoff where it is safe: GETs, and writes the
 *     caller marks VMS_IDEMPOTENT; on transport errors and 502/503/504 (500 for GETs);
 *     a request that never reached VMS (connection refused) is retried for any method.
 *
 * Credentials never reach a log or an error: every message passes vk_redact with the
 * client's secret values (vk/redact.h); the endpoint and the user name may show.
 * A client is thread-safe and reference-counted (see vms_registry.h for sharing). */
#ifndef VK_VMS_H
#define VK_VMS_H

#include "vk/vms_error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct vms_client vms_client;

/* Strings are copied by vms_client_new; zero numbers take the defaults shown. */
typedef struct {
    /* "host", "host:port", "[v6]:port", "https://host[:port]", or "http://host:port"
     * (only with allow_http). The port defaults to 443. user:password@, a path, a query
     * or a fragment is refused (VMS_ERR_CONFIG) with a message that does not quote them. */
    const char *endpoint;
    /* "v1".."v5" or "latest"; NULL means "v1"; "" means the unversioned /api/. */
    const char *api_version;

    /* Either username + password (token auth) or api_token. */
    const char *username;
    const char *password;
    const char *api_token;
    /* X-Tenant-Name on every request (a tenant admin's login); NULL for none. */
    const char *tenant;

    /* Trust: a CA bundle file, and/or PEM text (the secret key `ssl_cert`). Without
     * either the system CAs are used. insecure_skip_tls_verify turns verification off. */
    const char *ca_file;
    const char *ca_pem;
    bool insecure_skip_tls_verify;
    bool allow_http;

    int64_t request_timeout_ms; /* 30000: the most one attempt may take */
    int64_t connect_timeout_ms; /* 10000 */
    int max_connections;        /* 8: concurrent requests; more wait for a free connection */
    int max_attempts;           /* 4: sends of one retryable request, the first included */
    int64_t retry_initial_ms;   /* 100: first backoff; doubles per retry, jittered */
    int64_t retry_max_ms;       /* 2000: backoff cap */
    int list_page_size;         /* 1000: page_size of lists (VMS caps it at 1000) */
} vms_config;

/* Validates cfg and builds a client; no network traffic happens until the first
 * request. Fails with VMS_ERR_CONFIG naming the problem (bad endpoint, http:// without
 * allow_http, both or neither of password and API token, an unreadable CA file). */
bool vms_client_new(const vms_config *cfg, vms_client **out, vms_error *err);

/* Reference counting: vms_client_new returns one reference; vms_client_free drops one
 * and frees the client with the last. */
vms_client *vms_client_ref(vms_client *c);
void vms_client_free(vms_client *c);

/* "https://host:port", for messages: never userinfo, a path, a query or a fragment. */
const char *vms_client_endpoint(const vms_client *c);
/* The user name or "(api token)"; never a secret. */
const char *vms_client_identity(const vms_client *c);

/* A hash of everything that makes this client what it is (endpoint, credentials,
 * tenant, TLS settings): equal for clients that see the same objects. For cache keys;
 * never log it. */
uint64_t vms_client_fingerprint(const vms_client *c);

/* Counters since creation, for tests and benchmarks. */
typedef struct {
    uint64_t requests;       /* HTTP requests sent, token requests included */
    uint64_t retries;        /* resends after a retryable failure */
    uint64_t token_requests; /* POST token/ */
    uint64_t connections;    /* curl handles created (each keeps one connection) */
} vms_client_stats;
void vms_client_get_stats(const vms_client *c, vms_client_stats *out);

/* ---- Generic requests ------------------------------------------------------------
 * path is relative to /api/<version>/ and may carry a query ("views/?path=%2Fk8s");
 * VMS wants a slash before the query, and one is added when missing. body (may be
 * NULL) is borrowed.
 * On success *out receives the parsed JSON answer (NULL for an empty answer, e.g.
 * 204), owned by the caller; on failure *out is NULL and err says why.
 * deadline is absolute monotonic milliseconds (vk/deadline.h), VK_DEADLINE_NONE for
 * none (each attempt still times out). */

enum {
    /* The write may be repeated without harm (DELETE by id, PATCH with absolute
     * values), so it is retried like a GET (except on 500). */
    VMS_IDEMPOTENT = 1u << 0,
};

bool vms_request(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags,
                 int64_t deadline, json_t **out, vms_error *err);

static inline bool vms_get(vms_client *c, const char *path, int64_t deadline, json_t **out, vms_error *err) {
    return vms_request(c, "GET", path, NULL, 0, deadline, out, err);
}
static inline bool vms_post(vms_client *c, const char *path, json_t *body, unsigned flags, int64_t deadline,
                            json_t **out, vms_error *err) {
    return vms_request(c, "POST", path, body, flags, deadline, out, err);
}
static inline bool vms_patch(vms_client *c, const char *path, json_t *body, unsigned flags, int64_t deadline,
                             json_t **out, vms_error *err) {
    return vms_request(c, "PATCH", path, body, flags, deadline, out, err);
}
static inline bool vms_delete(vms_client *c, const char *path, json_t *body, unsigned flags, int64_t deadline,
                              json_t **out, vms_error *err) {
    return vms_request(c, "DELETE", path, body, flags, deadline, out, err);
}

/* ---- Several requests at once ----------------------------------------------------
 * Requests that do not depend on each other (a volume's quota and view) go out
 * together, each on its own pooled connection, and vms_request_all returns when every
 * one has ended: the wall time of one round trip instead of one per request. Each call
 * is retried, refreshed and bounded as vms_request would do it alone; none waits for
 * another's answer, so a caller sends together only what is safe to have happened in
 * any combination (docs/controller.md says why each batch is).
 *
 *   vms_call calls[2] = {{.method = "POST", .path = "quotas/", .body = q},
 *                        {.method = "POST", .path = "views/", .body = v}};
 *   vms_request_all(c, calls, 2, deadline);
 *   ...calls[i].ok, calls[i].answer (owned: json_decref it), calls[i].err...
 */
typedef struct {
    const char *method, *path; /* in, borrowed; path as for vms_request */
    json_t *body;              /* in, borrowed, may be NULL */
    unsigned flags;            /* in: VMS_IDEMPOTENT */
    bool ok;                   /* out: answered 2xx and parsed */
    json_t *answer;            /* out: the parsed answer (NULL when empty), owned */
    vms_error err;             /* out: why not, when !ok */
} vms_call;

void vms_request_all(vms_client *c, vms_call *calls, size_t n, int64_t deadline);

#endif
