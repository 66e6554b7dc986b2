/* Private to lib/vms*.c: the client's state and the seams between its modules
 * (vms_config.c: settings; vms_client.c: life cycle and the request loop;
 * vms_transport.c: curl handles and one HTTP exchange; vms_auth.c: tokens; vms_error.c:
 * reading error answers; vms_objects.c: the typed engine). Callers outside lib/ use
 * vms.h and friends instead. */
#ifndef VK_VMS_INTERNAL_H
#define VK_VMS_INTERNAL_H

#include "vk/redact.h"
#include "vk/vms.h"
#include "vk/vms_objects.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* The configuration as the client keeps it (owned copies, defaults applied). */
typedef struct {
    char *endpoint;     /* "https://host:port" */
    char *base_url;     /* "https://host:port/api/v1/" */
    char *api_version;  /* "v1", or "" for unversioned */
    char *username;     /* NULL with API-token auth */
    char *password;
    char *api_token;
    char *tenant;
    char *ca_file;
    char *ca_pem;
    bool insecure_skip_tls_verify;
    bool allow_http;
    int64_t request_timeout_ms;
    int64_t connect_timeout_ms;
    int max_connections;
    int max_attempts;
    int64_t retry_initial_ms;
    int64_t retry_max_ms;
    int list_page_size;
} vms_settings;

struct vms_client {
    atomic_int refs;
    vms_settings s;

    /* Transport: idle curl handles (each keeps its connection alive) and a share for
     * DNS and TLS sessions. total counts handles in use and idle. */
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    CURL **idle;
    int idle_count;
    int total;

    /* Auth: the current "Authorization: ..." header and its generation, bumped by
     * every successful token fetch; at most one fetch runs (refreshing). */
    pthread_mutex_t auth_mu;
    pthread_cond_t auth_cv;
    char *auth_header;
    char *access_token, *refresh_token; /* the last token answer's, for the redactor */
    uint64_t auth_generation;
    uint64_t auth_fetches; /* finished fetches, failed ones included */
    bool refreshing;
    vms_error fetch_error; /* why the last fetch failed */

    atomic_uint_fast64_t stat_requests;
    atomic_uint_fast64_t stat_retries;
    atomic_uint_fast64_t stat_token_requests;
    atomic_uint_fast64_t stat_connections;
};


/* ---- vms_transport.c ---- */

/* What one HTTP exchange produced. */
typedef struct {
    long status;             /* HTTP status; 0 when none arrived */
    CURLcode curl_code;      /* CURLE_OK when an answer arrived */
    bool timeout_was_deadline; /* the attempt's timeout was cut to the caller's deadline */
    bool connect_timeout_was_deadline; /* ... and so was its connect timeout */
    bool https;              /* the URL was https:// */
    bool connected;          /* TCP was connected (CURLINFO_CONNECT_TIME_T > 0) */
    bool handshaken;         /* the TLS handshake finished (CURLINFO_APPCONNECT_TIME_T > 0) */
    long os_errno;           /* CURLINFO_OS_ERRNO: ECONNREFUSED, ECONNRESET, ... */
    char curl_message[CURL_ERROR_SIZE];
    char *body;              /* NUL-terminated answer body (may be empty) */
    size_t body_len;
} vms_exchange;

bool vms_transport_init(vms_client *c, vms_error *err);
void vms_transport_cleanup(vms_client *c);

/* Sends one request on a pooled handle. headers are extra header lines. Returns false
 * (err = VMS_ERR_DEADLINE) only when no connection became free before the deadline;
 * otherwise fills ex (transport failures included) and returns true. */
bool vms_transport_exchange(vms_client *c, const char *method, const char *url, const struct curl_slist *headers,
                            const char *body, int64_t deadline, vms_exchange *ex, vms_error *err);
void vms_exchange_free(vms_exchange *ex);

/* ---- vms_auth.c ---- */

/* The "Authorization: ..." header line to send now (malloc'd) and the token
 * generation it belongs to; fetches the first token if there is none yet. */
bool vms_auth_current(vms_client *c, int64_t deadline, char **header, uint64_t *generation, vms_error *err);
/* Called after a request sent with token `generation` was refused as expired: fetches
 * a new token unless another thread already did (or is doing) so. Single-flight. */
bool vms_auth_refresh(vms_client *c, uint64_t generation, int64_t deadline, vms_error *err);
/* True when tokens can be refreshed (password auth, not an API token). */
bool vms_auth_refreshable(const vms_client *c);
void vms_auth_init(vms_client *c);
void vms_auth_cleanup(vms_client *c);
/* Locks the token state and lists every secret value the client holds - password, API
 * token, the last access and refresh tokens - plus sent_auth (the "Authorization: ..."
 * line a request sent, may be NULL), for the redactor; vms_auth_secrets_end unlocks.
 * Keep the window short: it holds up token refreshes. */
void vms_auth_secrets_begin(vms_client *c, const char *sent_auth, vk_secrets *out);
void vms_auth_secrets_end(vms_client *c);

/* ---- vms_config.c ---- */

/* Validates cfg into owned settings (defaults applied); vms_settings_free releases
 * them (wiping secrets). */
bool vms_settings_from_config(const vms_config *cfg, vms_settings *s, vms_error *err);
void vms_settings_free(vms_settings *s);
/* Same cluster, credentials, tenant, version, TLS and tuning: one client serves both. */
bool vms_settings_equal(const vms_settings *a, const vms_settings *b);
/* A hash of everything vms_settings_equal compares (a lookup key; never logged). */
uint64_t vms_settings_hash(const vms_settings *s);

/* ---- vms_client.c ---- */

/* The request loop without authentication (the token request itself). */
bool vms_request_unauthenticated(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags,
                                 int64_t deadline, json_t **out, vms_error *err);

/* ---- vms_error.c ---- */

/* Fills err from an HTTP error answer (detail/code/field map, or a proxy page's text),
 * redacted with secrets (may be NULL) and capped. */
void vms_error_from_http(vms_error *err, long status, const char *body, size_t len, const vk_secrets *secrets);
/* Fills err from a transport failure of ex: kind and cause by curl code, errno and how
 * far the connection got; c (may be NULL) says which CAs were trusted. Redacted. */
void vms_error_from_transport(vms_error *err, const vms_exchange *ex, const vms_client *c, const vk_secrets *secrets);
/* Records which request failed on which cluster (path without the base). */
void vms_error_set_request(vms_error *err, const vms_client *c, const char *method, const char *path);
/* Sets kind and a message (printf-style); the message passes the redactor (without
 * secret values: callers compose it from paths, names and numbers). Clears the cause. */
void vms_error_set(vms_error *err, vms_error_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- vms_objects.c: the typed layer's engine, shared by vms_actions.c ---- */

/* One object type: where it lives and how to decode it into its typed struct (whose
 * first member is the vms_object header). */
typedef struct {
    const char *collection; /* "views/" */
    const char *noun;       /* "view", for messages */
    void (*decode)(json_t *json, vms_object *out);
} vms_kind;

extern const vms_kind vms_kind_tenant, vms_kind_viewpolicy, vms_kind_qospolicy, vms_kind_vippool, vms_kind_view,
    vms_kind_quota, vms_kind_snapshot, vms_kind_snapstream, vms_kind_user;

vms_lookup vms_object_get(vms_client *c, const vms_kind *k, int64_t id, vms_object *out, int64_t deadline,
                          vms_error *err);
vms_lookup vms_object_find(vms_client *c, const vms_kind *k, const char *const *filters, vms_object *out,
                           int64_t deadline, vms_error *err);
/* POSTs body to path (the collection, or an action such as snapshots/1/clone/) and
 * decodes the answer as k; label names the object in errors. */
bool vms_object_create(vms_client *c, const vms_kind *k, const char *path, json_t *body, const char *label,
                       vms_object *out, int64_t deadline, vms_error *err);
bool vms_object_update(vms_client *c, const vms_kind *k, int64_t id, json_t *changes, vms_object *out,
                       int64_t deadline, vms_error *err);
/* DELETE collection/id/ + query (may be NULL) with body (may be NULL); waits for an async task. */
vms_lookup vms_object_delete(vms_client *c, const vms_kind *k, int64_t id, const char *query, json_t *body,
                             int64_t deadline, vms_error *err);
/* Field readers: "" / 0 when absent. */
const char *vms_json_text(const json_t *json, const char *key);
int64_t vms_json_number(const json_t *json, const char *key);

#endif
