/* kube_client: a Kubernetes client's life cycle - the HTTP client from the
 * kubeconfig's trust and client certificate, the bearer token, the settings with
 * their defaults, the client-side rate limit and the counters. */
#include "kube_client_internal.h"
#include "vk/deadline.h"

#include <stdlib.h>
#include <string.h>

int64_t kube_limit_take(vk_token_bucket *b, int64_t now_ms, int64_t deadline) {
    vk_token_bucket before = *b;
    int64_t wait = vk_token_bucket_reserve(b, now_ms);
    if (deadline != VK_DEADLINE_NONE && now_ms + wait > deadline) {
        *b = before; /* the reservation is cancelled, as x/time/rate's Wait does */
        return -1;
    }
    return wait;
}

static char *dup_or_abort(const char *s) {
    char *copy = strdup(s);
    if (!copy) abort();
    return copy;
}

bool vk_kube_client_new(const vk_kube_config *cfg, const vk_kube_client_settings *settings, vk_kube_client **out,
                        vk_status *st) {
    *out = NULL;
    vk_kube_client_settings s = settings ? *settings : (vk_kube_client_settings){0};
    if (!cfg->server || !*cfg->server)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "kubernetes client: the configuration names no server"), false;
    vk_kube_client *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->request_timeout_ms = s.request_timeout_ms > 0 ? s.request_timeout_ms : VK_KUBE_DEFAULT_TIMEOUT_MS;
    c->qps = s.qps != 0 ? s.qps : VK_KUBE_DEFAULT_QPS;
    c->burst = s.burst > 0 ? s.burst : VK_KUBE_DEFAULT_BURST;
    c->server = dup_or_abort(cfg->server);
    c->field_manager = dup_or_abort(s.field_manager && *s.field_manager ? s.field_manager : VK_KUBE_DEFAULT_FIELD_MANAGER);
    pthread_mutex_init(&c->limit_mu, NULL);
    vk_token_bucket_init(&c->bucket, c->qps, c->burst, vk_now_ms());
    /* kube_token_init runs first so that free can always undo it. */
    bool ok = kube_token_init(&c->token, cfg->token, cfg->token_file, st);
    vk_http_settings hs = {
        /* The server is the base: request URLs are paths ("/api/v1/..."). A trailing
         * slash in the kubeconfig would double the path's first one. */
        .base_url = cfg->server,
        .ca_file = cfg->ca_file,
        .ca_pem = cfg->ca_pem,
        .insecure_skip_tls_verify = cfg->insecure_skip_tls_verify,
        .client_cert_file = cfg->cert_file,
        .client_cert_pem = cfg->cert_pem,
        .client_key_file = cfg->key_file,
        .client_key_pem = cfg->key_pem,
        .request_timeout_ms = c->request_timeout_ms,
        .user_agent = s.user_agent,
        .max_connections = s.max_connections,
        .retry = s.retry,
    };
    size_t len = strlen(c->server);
    while (len > 0 && c->server[len - 1] == '/') c->server[--len] = '\0';
    hs.base_url = c->server;
    if (ok) ok = vk_http_client_new(&hs, &c->http, st);
    if (!ok) {
        vk_kube_client_free(c);
        return false;
    }
    /* What vk_http made of the zero members: the 429 wait falls back on the same policy. */
    c->retry = (vk_http_retry_policy){
        .max_attempts = s.retry.max_attempts > 0 ? s.retry.max_attempts : VK_HTTP_DEFAULT_MAX_ATTEMPTS,
        .initial_backoff_ms = s.retry.initial_backoff_ms > 0 ? s.retry.initial_backoff_ms : VK_HTTP_DEFAULT_RETRY_INITIAL_MS,
        .max_backoff_ms = s.retry.max_backoff_ms > 0 ? s.retry.max_backoff_ms : VK_HTTP_DEFAULT_RETRY_MAX_MS,
    };
    *out = c;
    vk_status_ok(st);
    return true;
}

void vk_kube_client_free(vk_kube_client *c) {
    if (!c) return;
    vk_http_client_free(c->http);
    kube_token_free(&c->token);
    pthread_mutex_destroy(&c->limit_mu);
    free(c->server);
    free(c->field_manager);
    free(c);
}

void vk_kube_get_stats(vk_kube_client *c, vk_kube_stats *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < VK_KUBE_VERB_COUNT; i++) out->requests[i] = atomic_load(&c->requests[i]);
    out->attempts = atomic_load(&c->attempts);
    out->retries = atomic_load(&c->retries);
    out->throttled = atomic_load(&c->throttled);
    out->throttle_waits = atomic_load(&c->throttle_waits);
    out->limiter_waits = atomic_load(&c->limiter_waits);
    out->token_reloads = atomic_load(&c->token.reloads);
}
