/* The Kubernetes API client: any group/version/resource, over vk_http.
 *
 *   vk_kube_client *kc;
 *   if (!vk_kube_client_new(&cfg, NULL, &kc, &st)) ...
 *   vk_kube_ref cm = {.version = "v1", .resource = "configmaps", .namespace_ = "default", .name = "x"};
 *   json_t *obj = vk_kube_get(kc, &cm, vk_deadline_in(10000), &st);
 *   ...st.code VK_NOT_FOUND, VK_ABORTED (a stale resourceVersion), ...
 *   json_decref(obj);
 *   vk_kube_client_free(kc);
 *
 * What it does for every request:
 *   - who we are, from the vk_kube_config: a bearer token (a tokenFile is re-read when
 *     its stat changes - the kubelet rotates it - and once more on a 401), a client
 *     certificate; trust from its CA;
 *   - a client-side rate limit (a token bucket of QPS and burst shared by every thread
 *     of the client); a wait for a token is bounded by the request's deadline;
 *   - retries: transport failures and 5xx of idempotent verbs with jittered backoff;
 *     a 429 (API Priority and Fairness, max-in-flight) waits its Retry-After and is sent
 *     again, for every verb (the server refused it before acting on it); never another 4xx;
 *   - errors as vk_status with the typed kube error (vk/kube_error.h): NOT_FOUND,
 *     ALREADY_EXISTS, ABORTED (conflict), OUT_OF_RANGE (410), INVALID_ARGUMENT (422 with
 *     its causes), RESOURCE_EXHAUSTED (429 past the deadline), UNAUTHENTICATED,
 *     PERMISSION_DENIED, UNAVAILABLE; a transport failure says what failed and where;
 *   - a debug log line per request (method, path, status, attempts, time), never a
 *     header or a token.
 * A client is thread-safe. A verb's deadline bounds all of it, retries and waits
 * included; VK_DEADLINE_NONE takes the settings' request timeout. */
#ifndef VK_KUBE_CLIENT_H
#define VK_KUBE_CLIENT_H

#include "vk/http.h"
#include "vk/kube_config.h"
#include "vk/kube_error.h"
#include "vk/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vk_kube_client vk_kube_client;

/* client-go's defaults (5 QPS, burst 10) are meant for kubectl-like tools; an operator
 * reconciling a few hundred objects after a restart needs more, and the server's own
 * API Priority and Fairness protects it anyway. 20/30 keeps a cold start of ~300
 * objects (a get and an update each) within ~30 s while staying a polite client. */
#define VK_KUBE_DEFAULT_QPS 20.0
#define VK_KUBE_DEFAULT_BURST 30
#define VK_KUBE_DEFAULT_TIMEOUT_MS 30000
#define VK_KUBE_DEFAULT_FIELD_MANAGER "vast-k8s"
/* client-go's bound on 429 resends (rest.Request maxRetries). */
#define VK_KUBE_MAX_THROTTLED_RESENDS 10

/* Zero members take the defaults. */
typedef struct {
    double qps;                 /* VK_KUBE_DEFAULT_QPS; negative: no client-side limit */
    int burst;                  /* VK_KUBE_DEFAULT_BURST */
    int64_t request_timeout_ms; /* one attempt at most, and a call given VK_DEADLINE_NONE */
    const char *user_agent;     /* NULL: vk_http's "vast-k8s/<version>" */
    const char *field_manager;  /* server-side apply and managedFields: VK_KUBE_DEFAULT_FIELD_MANAGER */
    int max_connections;        /* vk_http's default */
    vk_http_retry_policy retry; /* vk_http's defaults (4 attempts, 100 ms .. 2 s) */
} vk_kube_client_settings;

/* settings may be NULL. Reads the token file once (a missing or empty one fails
 * here with VK_FAILED_PRECONDITION); sends nothing. */
bool vk_kube_client_new(const vk_kube_config *cfg, const vk_kube_client_settings *settings, vk_kube_client **out,
                        vk_status *st);
void vk_kube_client_free(vk_kube_client *c);

/* What a request was, for the counters. */
typedef enum {
    VK_KUBE_VERB_RAW = 0, /* vk_kube_send / vk_kube_stream_lines (a watch, a discovery) */
    VK_KUBE_VERB_GET,
    VK_KUBE_VERB_LIST, /* one per page */
    VK_KUBE_VERB_CREATE,
    VK_KUBE_VERB_UPDATE,
    VK_KUBE_VERB_PATCH,
    VK_KUBE_VERB_APPLY,
    VK_KUBE_VERB_DELETE,
    VK_KUBE_VERB_COUNT
} vk_kube_verb;

typedef struct {
    uint64_t requests[VK_KUBE_VERB_COUNT]; /* calls by verb (a list counts its pages) */
    uint64_t attempts;       /* HTTP attempts sent, resends included */
    uint64_t retries;        /* resends after a 5xx or a transport failure */
    uint64_t throttled;      /* 429 answers */
    uint64_t throttle_waits; /* of which waited for and sent again */
    uint64_t limiter_waits;  /* requests that waited for the client-side token bucket */
    uint64_t token_reloads;  /* token file re-reads (changed, or after a 401) */
} vk_kube_stats;
void vk_kube_get_stats(vk_kube_client *c, vk_kube_stats *out);

/* ---- Addressing ---- */

typedef struct {
    const char *group;       /* "" or NULL: the core group (/api/v1) */
    const char *version;     /* "v1" */
    const char *resource;    /* plural, lower case: "configmaps" */
    const char *namespace_;  /* NULL: cluster-scoped (or all namespaces for a list) */
    const char *name;        /* NULL: the collection */
    const char *subresource; /* "status", or NULL */
} vk_kube_ref;

/* A query parameter; a NULL value leaves the parameter out. */
typedef struct {
    const char *key;
    const char *value;
} vk_kube_param;

/* The path and query of ref ("/api/v1/namespaces/ns/configmaps/name?limit=5"), every
 * segment and value percent-escaped; params: count pairs (may be NULL). NULL with st
 * set (VK_INVALID_ARGUMENT) when ref lacks a version or resource, or names a
 * subresource without a name. malloc'd. */
char *vk_kube_url(const vk_kube_ref *ref, const vk_kube_param *params, size_t count, vk_status *st);

/* ---- Raw requests (for watches, leases, anything the verbs do not cover) ---- */

typedef struct {
    vk_kube_verb verb;        /* for the counters */
    const char *method;       /* "GET", ... */
    const char *url;          /* a path from vk_kube_url */
    const char *content_type; /* of the body; NULL: application/json */
    const char *body;         /* body_len bytes, or NULL */
    size_t body_len;
    bool idempotent;          /* 5xx and transport failures may be retried */
    int64_t deadline;         /* VK_DEADLINE_NONE: the request timeout from now */
    const char *what;         /* for messages: "get configmaps default/x" (NULL: the URL) */
} vk_kube_request;

/* Sends rq with auth, the rate limit and the retries above. true with a 2xx answer in
 * res; false with st set (the typed error in err, which may be NULL) and res holding
 * the last attempt. res must be freed either way. */
bool vk_kube_send(vk_kube_client *c, const vk_kube_request *rq, vk_http_result *res, vk_kube_error *err,
                  vk_status *st);

/* One streaming attempt (a watch: ?watch=1&allowWatchBookmarks=true) with the same auth
 * and rate limit; no retries (a watch's caller re-lists or re-watches). A 2xx answer's
 * lines go to stream->on_line; otherwise false with st as vk_kube_send's. */
bool vk_kube_stream_lines(vk_kube_client *c, const vk_kube_request *rq, const vk_http_stream *stream,
                          vk_http_result *res, vk_kube_error *err, vk_status *st);

/* ---- Verbs: each returns the server's object (a new reference) or NULL with st ---- */

json_t *vk_kube_get(vk_kube_client *c, const vk_kube_ref *ref, int64_t deadline, vk_status *st);

/* POST to ref's collection (ref->name is ignored; the object names itself). */
json_t *vk_kube_create(vk_kube_client *c, const vk_kube_ref *ref, const json_t *obj, int64_t deadline, vk_status *st);

/* PUT obj to ref: obj's metadata.resourceVersion is the precondition (a stale one is
 * VK_ABORTED). Retried on 5xx only when obj carries a resourceVersion. */
json_t *vk_kube_update(vk_kube_client *c, const vk_kube_ref *ref, const json_t *obj, int64_t deadline, vk_status *st);

/* A JSON merge patch (RFC 7386, application/merge-patch+json); not retried on 5xx. */
json_t *vk_kube_merge_patch(vk_kube_client *c, const vk_kube_ref *ref, const json_t *patch, int64_t deadline,
                            vk_status *st);

/* Server-side apply of obj (the fields this manager owns) as the client's field
 * manager. Without force, a field another manager owns with another value is
 * VK_ABORTED naming that manager; force takes it over. */
json_t *vk_kube_apply(vk_kube_client *c, const vk_kube_ref *ref, const json_t *obj, bool force, int64_t deadline,
                      vk_status *st);

typedef struct {
    const char *uid;              /* precondition: delete only this incarnation (NULL: any) */
    const char *resource_version; /* precondition: only this version (NULL: any) */
    const char *propagation;      /* "Foreground", "Background", "Orphan", or NULL (the server's) */
} vk_kube_delete_options;

/* DELETE ref; a failed precondition is VK_ABORTED. Returns what the server answered
 * (the object, marked for deletion when finalizers or Foreground hold it, or a Status).
 * Retried on 5xx: a resend after a lost answer may then be VK_NOT_FOUND. */
json_t *vk_kube_delete(vk_kube_client *c, const vk_kube_ref *ref, const vk_kube_delete_options *o, int64_t deadline,
                       vk_status *st);

typedef struct {
    const char *label_selector; /* "app=x,tier!=db" */
    const char *field_selector; /* "metadata.name=x" */
    int64_t limit;              /* items per page; 0: 500 (client-go's pager) */
    /* Either or both, called in order; returning false stops the list (not an error).
     * page is the List object (items, metadata.continue); item one of its items; both
     * borrowed for the call. */
    bool (*on_page)(void *ctx, json_t *page);
    bool (*on_item)(void *ctx, json_t *item);
    void *ctx;
} vk_kube_list_options;

typedef struct {
    char *resource_version; /* the list's (a watch starts there); malloc'd, free it */
    int pages;
    size_t items;
} vk_kube_list_result;

/* Every page of ref's collection (ref->namespace_ NULL: all namespaces) through the
 * callbacks, following metadata.continue. A continue token that expired mid-list
 * (410) is VK_OUT_OF_RANGE: list again. deadline bounds the whole list. out may be
 * NULL; its resource_version is set on success. */
bool vk_kube_list(vk_kube_client *c, const vk_kube_ref *ref, const vk_kube_list_options *o, int64_t deadline,
                  vk_kube_list_result *out, vk_status *st);

#endif
