/* vms_client: the client's life cycle - settings (vms_config.c), the http client they
 * configure, the token state - and what it says about itself. The request loop is
 * vms_request.c. */
#include "vk/log.h"
#include "vms_internal.h"
#include "vms_metrics.h"

#include <stdlib.h>

/* The token request goes through the client's loop without authentication; vms_auth.c
 * gets it as a function, so it does not depend on the loop. */
static bool token_request(void *ctx, const char *method, const char *path, json_t *body, unsigned flags,
                          int64_t deadline, json_t **out, vms_error *err) {
    return vms_request_unauthenticated(ctx, method, path, body, flags, deadline, out, err);
}

static bool http_new(vms_client *c, vms_error *err) {
    const vms_settings *s = &c->s;
    vk_http_settings hs = {
        .base_url = s->base_url,
        .ca_file = s->ca_file,
        .ca_pem = s->ca_pem,
        .insecure_skip_tls_verify = s->insecure_skip_tls_verify,
        .allow_http = s->allow_http,
        .request_timeout_ms = s->request_timeout_ms,
        .connect_timeout_ms = s->connect_timeout_ms,
        .max_connections = s->max_connections,
        .retry = {.max_attempts = s->max_attempts, .initial_backoff_ms = s->retry_initial_ms,
                  .max_backoff_ms = s->retry_max_ms},
    };
    vk_status st;
    if (vk_http_client_new(&hs, &c->http, &st)) return true;
    vms_error_set(err, VMS_ERR_CONFIG, "creating the VMS client: %s", st.message);
    return false;
}

bool vms_client_new(const vms_config *cfg, vms_client **out, vms_error *err) {
    *out = NULL;
    vms_error_clear(err);
    vms_metrics_register();
    vms_client *c = calloc(1, sizeof *c);
    if (!c) abort();
    if (!vms_settings_from_config(cfg, &c->s, err) || !http_new(c, err)) {
        vms_settings_free(&c->s);
        free(c);
        return false;
    }
    atomic_init(&c->refs, 1);
    vms_auth_init(&c->auth, &c->s, token_request, c);
    VK_LOG(VK_LOG_DEBUG, "VMS client created", "endpoint", c->s.endpoint, "user", vms_client_identity(c),
           "tenant", c->s.tenant, "api_version", c->s.api_version);
    *out = c;
    return true;
}

vms_client *vms_client_ref(vms_client *c) {
    atomic_fetch_add(&c->refs, 1);
    return c;
}

void vms_client_free(vms_client *c) {
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
    vk_http_client_free(c->http);
    vms_auth_cleanup(&c->auth);
    vms_settings_free(&c->s);
    free(c);
}

const char *vms_client_endpoint(const vms_client *c) { return c->s.endpoint; }

const char *vms_client_identity(const vms_client *c) { return c->s.username ? c->s.username : "(api token)"; }

uint64_t vms_client_fingerprint(const vms_client *c) { return vms_settings_hash(&c->s); }

void vms_client_get_stats(const vms_client *c, vms_client_stats *out) {
    vk_http_stats http;
    vk_http_get_stats(c->http, &http);
    out->requests = http.requests;
    out->retries = http.retries;
    out->token_requests = atomic_load(&c->auth.token_requests);
    out->connections = http.connections;
}
