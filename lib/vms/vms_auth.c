/* vms_auth: the Authorization header, fetched lazily and refreshed single-flight.
 *
 * Every fetched token gets a generation number. A request remembers the generation of
 * the token it sent; when VMS answers "Token is invalid or expired", the request asks
 * for a refresh of *that* generation. If the current generation is already newer,
 * someone else refreshed and the request simply retries; if a fetch is running, it
 * waits for it; otherwise it fetches. So 16 threads hitting the 403 together cause
 * one POST token/, not 16 (vast-csi 2.5 stampeded; 2.6 serialised with a condvar). */
#include "vms_auth.h"
#include "vk/deadline.h"
#include "vk/log.h"
#include "vms_error_internal.h"
#include "vms_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vms_auth_init(vms_auth *a, const vms_settings *s, vms_plain_request request, void *request_ctx) {
    memset(a, 0, sizeof *a);
    a->s = s;
    a->request = request;
    a->request_ctx = request_ctx;
    atomic_init(&a->token_requests, 0);
    pthread_mutex_init(&a->mu, NULL);
    vk_cond_init_monotonic(&a->cv);
    if (s->api_token) {
        /* API tokens do not expire by themselves; nothing to fetch. */
        if (asprintf(&a->header, "Authorization: Api-Token %s", s->api_token) < 0) abort();
        a->generation = 1;
    }
}

static void wipe(char **text) {
    if (*text) {
        explicit_bzero(*text, strlen(*text));
        free(*text);
        *text = NULL;
    }
}

void vms_auth_cleanup(vms_auth *a) {
    wipe(&a->header);
    wipe(&a->access_token);
    wipe(&a->refresh_token);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
}

bool vms_auth_refreshable(const vms_auth *a) { return a->s->api_token == NULL; }

void vms_auth_secrets_begin(vms_auth *a, const char *sent_auth, vk_secrets *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&a->mu);
    vk_secrets_add(out, a->s->password);
    vk_secrets_add(out, a->s->api_token);
    vk_secrets_add(out, a->access_token);
    vk_secrets_add(out, a->refresh_token);
    /* The token this request sent may be older than the current one. */
    const char *space = sent_auth ? strrchr(sent_auth, ' ') : NULL;
    if (space) vk_secrets_add(out, space + 1);
}

void vms_auth_secrets_end(vms_auth *a) { pthread_mutex_unlock(&a->mu); }

/* POST token/ with the user's name and password; *header gets "Authorization: Bearer ...",
 * *access and *refresh the answer's tokens (for the redactor; refresh may be NULL). */
static bool fetch_token(vms_auth *a, int64_t deadline, char **header, char **access_out, char **refresh_out,
                        vms_error *err) {
    const vms_settings *s = a->s;
    json_t *body = json_pack("{s:s, s:s}", "username", s->username, "password", s->password);
    json_t *answer = NULL;
    atomic_fetch_add(&a->token_requests, 1);
    vms_metrics_token_fetch(s);
    bool ok = a->request(a->request_ctx, "POST", "token/", body, VMS_IDEMPOTENT, deadline, &answer, err);
    json_decref(body);
    if (!ok) {
        vms_error_set_object(err, "login of VMS user %s", s->username);
        VK_LOG(VK_LOG_WARN, "VMS login failed", "endpoint", s->endpoint, "user", s->username, "error",
               err->message);
        return false;
    }
    const char *access = json_string_value(json_object_get(answer, "access"));
    if (!access || !*access) {
        json_decref(answer);
        vms_error_set(err, VMS_ERR_RESPONSE, "the token answer carries no \"access\" token");
        vms_error_set_object(err, "login of VMS user %s", s->username);
        return false;
    }
    if (asprintf(header, "Authorization: Bearer %s", access) < 0) abort();
    const char *refresh = json_string_value(json_object_get(answer, "refresh"));
    *access_out = strdup(access);
    *refresh_out = refresh && *refresh ? strdup(refresh) : NULL;
    if (!*access_out || (refresh && *refresh && !*refresh_out)) abort();
    json_decref(answer);
    VK_LOG(VK_LOG_INFO, "VMS login", "endpoint", s->endpoint, "user", s->username);
    return true;
}

bool vms_auth_current(vms_auth *a, int64_t deadline, char **header, uint64_t *generation, vms_error *err) {
    for (;;) {
        pthread_mutex_lock(&a->mu);
        if (a->header) {
            *header = strdup(a->header);
            if (!*header) abort();
            *generation = a->generation;
            pthread_mutex_unlock(&a->mu);
            return true;
        }
        uint64_t seen = a->generation;
        pthread_mutex_unlock(&a->mu);
        /* No token yet: fetch one before the first request rather than send one bound to fail. */
        if (!vms_auth_refresh(a, seen, deadline, err)) return false;
    }
}

bool vms_auth_refresh(vms_auth *a, uint64_t generation, int64_t deadline, vms_error *err) {
    pthread_mutex_lock(&a->mu);
    for (;;) {
        if (a->generation != generation) {
            pthread_mutex_unlock(&a->mu); /* a newer token is in place already */
            return true;
        }
        if (!a->refreshing) break;
        uint64_t fetches = a->fetches;
        while (a->refreshing) {
            if (!vk_cond_wait_until(&a->cv, &a->mu, deadline)) {
                pthread_mutex_unlock(&a->mu);
                vms_error_set(err, VMS_ERR_DEADLINE, "the deadline passed while waiting for a VMS token");
                return false;
            }
        }
        /* The fetch we waited for failed. Share its verdict instead of stampeding VMS with
         * the same bad password - unless it only ran out of its own caller's time. */
        if (a->generation == generation && a->fetches != fetches && a->fetch_error.kind != VMS_ERR_DEADLINE) {
            *err = a->fetch_error;
            pthread_mutex_unlock(&a->mu);
            return false;
        }
    }
    a->refreshing = true;
    pthread_mutex_unlock(&a->mu);

    char *header = NULL, *access = NULL, *refresh = NULL;
    vms_error fetch_err;
    vms_error_clear(&fetch_err);
    bool ok = fetch_token(a, deadline, &header, &access, &refresh, &fetch_err);

    pthread_mutex_lock(&a->mu);
    a->refreshing = false;
    a->fetches++;
    if (ok) {
        wipe(&a->header);
        wipe(&a->access_token);
        wipe(&a->refresh_token);
        a->header = header;
        a->access_token = access;
        a->refresh_token = refresh;
        a->generation++;
    } else {
        a->fetch_error = fetch_err;
    }
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (!ok) *err = fetch_err;
    return ok;
}
