/* http_client: settings (copied, defaults applied), the shared DNS and TLS session
 * cache, and the client's life cycle. */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>

#ifndef VK_HTTP_USER_AGENT
#define VK_HTTP_USER_AGENT "vast-k8s"
#endif

/* A page of 1000 VMS objects is a few MB; more is refused rather than buffered. */
#define DEFAULT_MAX_BODY_BYTES (64u * 1024 * 1024)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_global_setup(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *userp) {
    (void)handle;
    (void)access;
    vk_http_client *c = userp;
    pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userp) {
    (void)handle;
    vk_http_client *c = userp;
    pthread_mutex_unlock(&c->share_locks[data]);
}

/* Only DNS and TLS sessions are shared: curl documents a shared connection cache as
 * unsafe for concurrent threads, so connections stay with the pool's handles. */
static bool share_init(vk_http_client *c) {
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&c->share_locks[i], NULL);
    c->share = curl_share_init();
    if (!c->share) return false;
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return true;
}

static char *dup_or_null(const char *s) {
    if (!s || !*s) return NULL;
    char *copy = strdup(s);
    if (!copy) abort(); /* the project treats memory exhaustion as fatal (see vk/arena.h) */
    return copy;
}

static bool given(const char *s) { return s && *s; }

static void free_secret(char *s) {
    if (s) explicit_bzero(s, strlen(s));
    free(s);
}

static int64_t or_default(int64_t value, int64_t fallback) { return value > 0 ? value : fallback; }

static void copy_settings(vk_http_client *c, const vk_http_settings *s) {
    c->base_url = dup_or_null(s->base_url);
    c->ca_file = dup_or_null(s->ca_file);
    c->ca_pem = dup_or_null(s->ca_pem);
    c->user_agent = dup_or_null(s->user_agent ? s->user_agent : VK_HTTP_USER_AGENT);
    /* Text wins over its file twin, so only one of each pair reaches curl. */
    c->client_cert_pem = dup_or_null(s->client_cert_pem);
    c->client_cert_file = c->client_cert_pem ? NULL : dup_or_null(s->client_cert_file);
    c->client_key_pem = dup_or_null(s->client_key_pem);
    c->client_key_file = c->client_key_pem ? NULL : dup_or_null(s->client_key_file);
    c->insecure_skip_tls_verify = s->insecure_skip_tls_verify;
    c->allow_http = s->allow_http;
    c->request_timeout_ms = or_default(s->request_timeout_ms, VK_HTTP_DEFAULT_REQUEST_TIMEOUT_MS);
    c->connect_timeout_ms = or_default(s->connect_timeout_ms, VK_HTTP_DEFAULT_CONNECT_TIMEOUT_MS);
    c->max_connections = (int)or_default(s->max_connections, VK_HTTP_DEFAULT_MAX_CONNECTIONS);
    c->max_body_bytes = s->max_body_bytes ? s->max_body_bytes : DEFAULT_MAX_BODY_BYTES;
    c->retry.max_attempts = (int)or_default(s->retry.max_attempts, VK_HTTP_DEFAULT_MAX_ATTEMPTS);
    c->retry.initial_backoff_ms = or_default(s->retry.initial_backoff_ms, VK_HTTP_DEFAULT_RETRY_INITIAL_MS);
    c->retry.max_backoff_ms = or_default(s->retry.max_backoff_ms, VK_HTTP_DEFAULT_RETRY_MAX_MS);
}

bool vk_http_client_new(const vk_http_settings *settings, vk_http_client **out, vk_status *st) {
    *out = NULL;
    if (settings->user_agent && strpbrk(settings->user_agent, "\r\n")) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "the HTTP user agent contains a line break");
        return false;
    }
    bool has_cert = given(settings->client_cert_pem) || given(settings->client_cert_file);
    bool has_key = given(settings->client_key_pem) || given(settings->client_key_file);
    if (has_cert != has_key) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "a client certificate needs its key, and a key its certificate");
        return false;
    }
    pthread_once(&curl_once, curl_global_setup);
    vk_http_client *c = calloc(1, sizeof *c);
    if (!c) abort();
    copy_settings(c, settings);
    bool shared = share_init(c);
    bool pooled = http_pool_init(c); /* both run, so free can undo both */
    if (!shared || !pooled) {
        vk_http_client_free(c);
        vk_status_set(st, VK_RESOURCE_EXHAUSTED, "out of memory creating the HTTP client");
        return false;
    }
    vk_status_ok(st);
    *out = c;
    return true;
}

void vk_http_client_free(vk_http_client *c) {
    if (!c) return;
    http_pool_cleanup(c); /* the handles first: they reference the share */
    if (c->share) curl_share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&c->share_locks[i]);
    free(c->base_url);
    free(c->ca_file);
    free(c->ca_pem);
    free(c->user_agent);
    free(c->client_cert_file);
    free(c->client_cert_pem);
    free(c->client_key_file);
    free_secret(c->client_key_pem);
    free(c);
}

void vk_http_get_stats(const vk_http_client *c, vk_http_stats *out) {
    out->requests = atomic_load(&c->stat_requests);
    out->retries = atomic_load(&c->stat_retries);
    out->connections = atomic_load(&c->stat_connections);
}
