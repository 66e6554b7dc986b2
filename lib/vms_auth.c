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
#include "vk/vms_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vms_auth_init(vms_client *c) {
    pthread_mutex_init(&c->auth_mu, NULL);
    vms_cond_init_monotonic(&c->auth_cv);
    if (c->s.api_token) {
        /* API tokens do not expire by themselves; nothing to fetch. */
        if (asprintf(&c->auth_header, "Authorization: Api-Token %s", c->s.api_token) < 0) abort();
        c->auth_generation = 1;
    }
}

void vms_auth_cleanup(vms_client *c) {
    if (c->auth_header) {
        explicit_bzero(c->auth_header, strlen(c->auth_header));
        free(c->auth_header);
    }
    pthread_cond_destroy(&c->auth_cv);
    pthread_mutex_destroy(&c->auth_mu);
}

bool vms_auth_refreshable(const vms_client *c) { return c->s.api_token == NULL; }

/* POST token/ with the user's name and password; *header gets "Authorization: Bearer ...". */
static bool fetch_token(vms_client *c, int64_t deadline, char **header, vms_error *err) {
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
            if (!vms_cond_wait_until(&c->auth_cv, &c->auth_mu, deadline)) {
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

    char *header = NULL;
    vms_error fetch_err;
    vms_error_clear(&fetch_err);
    bool ok = fetch_token(c, deadline, &header, &fetch_err);

    pthread_mutex_lock(&c->auth_mu);
    c->refreshing = false;
    c->auth_fetches++;
    if (ok) {
        if (c->auth_header) {
            explicit_bzero(c->auth_header, strlen(c->auth_header));
            free(c->auth_header);
        }
        c->auth_header = header;
        c->auth_generation++;
    } else {
        c->fetch_error = fetch_err;
    }
    pthread_cond_broadcast(&c->auth_cv);
    pthread_mutex_unlock(&c->auth_mu);
    if (!ok) *err = fetch_err;
    return ok;
}
