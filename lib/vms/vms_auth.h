/* Private to lib/vms: the Authorization header (vms_auth.c), fetched lazily and
 * refreshed single-flight. The token request goes through a function the client
 * hands in, so this module depends on no request loop. */
#ifndef VK_VMS_AUTH_H
#define VK_VMS_AUTH_H

#include "vk/redact.h"
#include "vk/vms_error.h"
#include "vms_settings.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

/* A request sent without authentication (the token request itself). */
typedef bool (*vms_plain_request)(void *ctx, const char *method, const char *path, json_t *body, unsigned flags,
                                  int64_t deadline, json_t **out, vms_error *err);

typedef struct {
    const vms_settings *s; /* the client's: credentials, endpoint (for logs) */
    vms_plain_request request;
    void *request_ctx;

    /* The current "Authorization: ..." header and its generation, bumped by every
     * successful token fetch; at most one fetch runs (refreshing). */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *header;
    char *access_token, *refresh_token; /* the last token answer's, for the redactor */
    uint64_t generation;
    uint64_t fetches; /* finished fetches, failed ones included */
    bool refreshing;
    vms_error fetch_error; /* why the last fetch failed */
    atomic_uint_fast64_t token_requests;
} vms_auth;

void vms_auth_init(vms_auth *a, const vms_settings *s, vms_plain_request request, void *request_ctx);
void vms_auth_cleanup(vms_auth *a);
/* The "Authorization: ..." header line to send now (malloc'd) and the token
 * generation it belongs to; fetches the first token if there is none yet. */
bool vms_auth_current(vms_auth *a, int64_t deadline, char **header, uint64_t *generation, vms_error *err);
/* Called after a request sent with token `generation` was refused as expired: fetches
 * a new token unless another thread already did (or is doing) so. Single-flight. */
bool vms_auth_refresh(vms_auth *a, uint64_t generation, int64_t deadline, vms_error *err);
/* True when tokens can be refreshed (password auth, not an API token). */
bool vms_auth_refreshable(const vms_auth *a);
/* Locks the token state and lists every secret value the client holds - password, API
 * token, the last access and refresh tokens - plus sent_auth (the "Authorization: ..."
 * line a request sent, may be NULL), for the redactor; vms_auth_secrets_end unlocks.
 * Keep the window short: it holds up token refreshes. */
void vms_auth_secrets_begin(vms_auth *a, const char *sent_auth, vk_secrets *out);
void vms_auth_secrets_end(vms_auth *a);

#endif
