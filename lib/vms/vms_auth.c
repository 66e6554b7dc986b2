/* vms_auth: the Authorization header, fetched lazily and refreshed single-flight.
 *
 * Every fetched token gets a generation number. A request remembers the generation of
 * the token it sent; when VMS answers "Token is invalid or expired", the request asks
 * for a refresh of *that* generation. If the current generation is already newer,
 * someone else refreshed and the request simply retries; if a fetch is running, it
 * waits for it; otherwise it fetches. So 16 threads hitting the 403 together cause
 * one POST token/, not 16 (vast-csi 2.5 stampeded; 2.6 serialised with a condvar). */
#include "vk/deadline.h"
#include "vk/log.h"
#include "vms_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vms_auth_init(vms_client *c) {
    pthread_mutex_init(&c->auth_mu, NULL);
    vk_cond_init_monotonic(&c->auth_cv);
    if (c->s.api_token) {
        /* API tokens do not expire by themselves; nothing to fetch. */
        if (asprintf(&c->auth_header, "Authorization: Api-Token %s", c->s.api_token) < 0) abort();
        c->auth_generation = 1;
    }
}

static void wipe(char **text) {
    if (*text) {
        explicit_bzero(*text, strlen(*text));
        free(*text);
        *text = NULL;
    }
}

void vms_auth_cleanup(vms_client *c) {
    wipe(&c->auth_header);
    wipe(&c->access_token);
    wipe(&c->refresh_token);
    pthread_cond_destroy(&c->auth_cv);
    pthread_mutex_destroy(&c->auth_mu);
}

bool vms_auth_refreshable(const vms_client *c) { return c->s.api_token == NULL; }

void vms_auth_secrets_begin(vms_client *c, const char *sent_auth, vk_secrets *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&c->auth_mu);
    vk_secrets_add(out, c->s.password);
    vk_secrets_add(out, c->s.api_token);
    vk_secrets_add(out, c->access_token);
    vk_secrets_add(out, c->refresh_token);
    /* The token this request sent may be older than the current one. */
    const char *space = sent_auth ? strrchr(sent_auth, ' ') : NULL;
    if (space) vk_secrets_add(out, space + 1);
}

void vms_auth_secrets_end(vms_client *c) { pthread_mutex_unlock(&c->auth_mu); }

/* POST token/ with the user's name and password; *header gets "Authorization: Bearer ...",
 * *access and *refresh the answer's tokens (for the redactor; refresh may be NULL). */
static bool fetch_token(vms_client *c, int64_t deadline, char **header, char **access_out, char **refresh_out,
                        vms_error *err) {
    json_t *body = json_pack("{s:s, s:s}", "username", c->s.username, "password", c->s.password);
    json_t *answer = NULL;
    atomic_fetch_add(&c->stat_token_requests, 1);
    bool ok = vms_request_unauthenticated(c, "POST", "token/", body, VMS_IDEMPOTENT, deadline, &answer, err);
    json_decref(body);
    if (!ok) {
        vms_error_set_object(err, "login of VMS user %s", c->s.username);
        VK_LOG(VK_LOG_WARN, "VMS login failed", "endpoint", c->s.endpoint, "user", c->s.username, "error",
               err->message);
        return false;
    }
    const char *access = json_string_value(json_object_get(answer, "access"));
    if (!access || !*access) {
        json_decref(answer);
        vms_error_set(err, VMS_ERR_RESPONSE, "the token answer carries no \"access\" token");
        vms_error_set_object(err, "login of VMS user %s", c->s.username);
        return false;
    }
    if (asprintf(header, "Authorization: Bearer %s", access) < 0) abort();
    const char *refresh = json_string_value(json_object_get(answer, "refresh"));
    *access_out = strdup(access);
    *refresh_out = refresh && *refresh ? strdup(refresh) : NULL;
    if (!*access_out || (refresh && *refresh && !*refresh_out)) abort();
    json_decref(answer);
    VK_LOG(VK_LOG_INFO, "VMS login", "endpoint", c->s.endpoint, "user", c->s.username);
    return true;
}

bool vms_auth_current(vms_client *c, int64_t deadline, char **header, uint64_t *generation, vms_error *err) {
    for (;;) {
        pthread_mutex_lock(&c->auth_mu);
        if (c->auth_header) {
            *header = strdup(c->auth_header);
            if (!*header) abort();
            *generation = c->auth_generation;
            pthread_mutex_unlock(&c->auth_mu);
            return true;
        }
        uint64_t seen = c->auth_generation;
        pthread_mutex_unlock(&c->auth_mu);
        /* No token yet: fetch one before the first request rather than send one bound to fail. */
        if (!vms_auth_refresh(c, seen, deadline, err)) return false;
    }
}

bool vms_auth_refresh(vms_client *c, uint64_t generation, int64_t deadline, vms_error *err) {
    pthread_mutex_lock(&c->auth_mu);
    for (;;) {
        if (c->auth_generation != generation) {
            pthread_mutex_unlock(&c->auth_mu); /* a newer token is in place already */
            return true;
        }
        if (!c->refreshing) break;
        uint64_t fetches = c->auth_fetches;
        while (c->refreshing) {
            if (!vk_cond_wait_until(&c->auth_cv, &c->auth_mu, deadline)) {
                pthread_mutex_unlock(&c->auth_mu);
                vms_error_set(err, VMS_ERR_DEADLINE, "the deadline passed while waiting for a VMS token");
                return false;
            }
        }
        /* The fetch we waited for failed. Share its verdict instead of stampeding VMS with
         * the same bad password - unless it only ran out of its own caller's time. */
        if (c->auth_generation == generation && c->auth_fetches != fetches && c->fetch_error.kind != VMS_ERR_DEADLINE) {
            *err = c->fetch_error;
            pthread_mutex_unlock(&c->auth_mu);
            return false;
        }
    }
    c->refreshing = true;
    pthread_mutex_unlock(&c->auth_mu);

    char *header = NULL, *access = NULL, *refresh = NULL;
    vms_error fetch_err;
    vms_error_clear(&fetch_err);
    bool ok = fetch_token(c, deadline, &header, &access, &refresh, &fetch_err);

    pthread_mutex_lock(&c->auth_mu);
    c->refreshing = false;
    c->auth_fetches++;
    if (ok) {
        wipe(&c->auth_header);
        wipe(&c->access_token);
        wipe(&c->refresh_token);
        c->auth_header = header;
        c->access_token = access;
        c->refresh_token = refresh;
        c->auth_generation++;
    } else {
        c->fetch_error = fetch_err;
    }
    pthread_cond_broadcast(&c->auth_cv);
    pthread_mutex_unlock(&c->auth_mu);
    if (!ok) *err = fetch_err;
    return ok;
}
