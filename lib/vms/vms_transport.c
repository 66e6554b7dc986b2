/* vms_transport: curl handles and one HTTP exchange.
 *
 * Connection reuse across threads: a pool of easy handles. A handle keeps its
 * connection open after a transfer, so taking the most recently returned handle
 * (LIFO) reuses a warm connection; the pool never holds more than max_connections
 * handles, which also bounds how hard we hit VMS. curl's shared connection cache
 * (CURL_LOCK_DATA_CONNECT with lock callbacks) was the alternative; curl documents it
 * as unsupported for concurrent threads, and measured with curl 7.88 against vms-sim
 * (10,000 GETs from 8 threads) it opened ~9,800 connections where this pool opens 8.
 * So only DNS and TLS sessions go through the share (safe with lock callbacks). */
#include "vk/deadline.h"
#include "vk/log.h"
#include "vms_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An answer larger than this is refused rather than buffered (a page of 1000 objects
 * is a few MB). */
#define MAX_BODY_BYTES (64u * 1024 * 1024)

#ifndef VK_VMS_USER_AGENT
#define VK_VMS_USER_AGENT "vast-k8s"
#endif

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *userp) {
    (void)handle;
    (void)access;
    vms_client *c = userp;
    pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userp) {
    (void)handle;
    vms_client *c = userp;
    pthread_mutex_unlock(&c->share_locks[data]);
}

bool vms_transport_init(vms_client *c, vms_error *err) {
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&c->share_locks[i], NULL);
    pthread_mutex_init(&c->pool_mu, NULL);
    vk_cond_init_monotonic(&c->pool_cv);
    c->idle = calloc((size_t)c->s.max_connections, sizeof *c->idle);
    c->share = curl_share_init();
    if (!c->idle || !c->share) {
        vms_error_set(err, VMS_ERR_CONFIG, "out of memory creating the VMS client");
        return false;
    }
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return true;
}

void vms_transport_cleanup(vms_client *c) {
    /* Handles first: they reference the share. */
    for (int i = 0; i < c->idle_count; i++) curl_easy_cleanup(c->idle[i]);
    free(c->idle);
    if (c->share) curl_share_cleanup(c->share);
    pthread_cond_destroy(&c->pool_cv);
    pthread_mutex_destroy(&c->pool_mu);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&c->share_locks[i]);
}

/* An idle handle, a new one while below max_connections, or NULL when none became
 * free before the deadline. */
static CURL *acquire_handle(vms_client *c, int64_t deadline) {
    pthread_mutex_lock(&c->pool_mu);
    while (c->idle_count == 0 && c->total >= c->s.max_connections) {
        if (!vk_cond_wait_until(&c->pool_cv, &c->pool_mu, deadline)) {
            pthread_mutex_unlock(&c->pool_mu);
            return NULL;
        }
    }
    if (c->idle_count > 0) {
        CURL *h = c->idle[--c->idle_count];
        pthread_mutex_unlock(&c->pool_mu);
        return h;
    }
    c->total++;
    pthread_mutex_unlock(&c->pool_mu);

    CURL *h = curl_easy_init();
    if (!h) {
        VK_LOG(VK_LOG_ERROR, "out of memory creating a curl handle");
        abort(); /* the project treats memory exhaustion as fatal (see vk/arena.h) */
    }
    atomic_fetch_add(&c->stat_connections, 1);
    return h;
}

static void release_handle(vms_client *c, CURL *h) {
    pthread_mutex_lock(&c->pool_mu);
    c->idle[c->idle_count++] = h;
    pthread_cond_signal(&c->pool_cv);
    pthread_mutex_unlock(&c->pool_mu);
}

typedef struct {
    vms_exchange *ex;
    size_t cap;
    bool too_large;
} body_sink;

static size_t collect_body(char *data, size_t size, size_t count, void *userp) {
    body_sink *sink = userp;
    size_t n = size * count;
    vms_exchange *ex = sink->ex;
    if (ex->body_len + n > MAX_BODY_BYTES) {
        sink->too_large = true;
        return 0; /* aborts the transfer */
    }
    if (ex->body_len + n + 1 > sink->cap) {
        size_t cap = sink->cap ? sink->cap : 4096;
        while (cap < ex->body_len + n + 1) cap *= 2;
        char *grown = realloc(ex->body, cap);
        if (!grown) return 0;
        ex->body = grown;
        sink->cap = cap;
    }
    memcpy(ex->body + ex->body_len, data, n);
    ex->body_len += n;
    ex->body[ex->body_len] = '\0';
    return n;
}

static void apply_tls_options(vms_client *c, CURL *h) {
    if (c->s.insecure_skip_tls_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        return;
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->s.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, c->s.ca_file);
    if (c->s.ca_pem) {
        /* The PEM lives as long as the client, so curl need not copy it per request. */
        struct curl_blob blob = {.data = c->s.ca_pem, .len = strlen(c->s.ca_pem), .flags = CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
}

static void apply_method(CURL *h, const char *method, const char *body) {
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(method, "POST") != 0) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body || strcmp(method, "POST") == 0) {
        /* POSTFIELDS makes curl send a body; CUSTOMREQUEST keeps the method name. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
    }
}

bool vms_transport_exchange(vms_client *c, const char *method, const char *url, const struct curl_slist *headers,
                            const char *body, int64_t deadline, vms_exchange *ex, vms_error *err) {
    memset(ex, 0, sizeof *ex);
    CURL *h = vk_deadline_remaining(deadline) > 0 ? acquire_handle(c, deadline) : NULL;
    int64_t left = vk_deadline_remaining(deadline);
    if (!h || left == 0) {
        if (h) release_handle(c, h);
        vms_error_set(err, VMS_ERR_DEADLINE, "the deadline passed while waiting for a free connection (%d in use)",
                      c->s.max_connections);
        return false;
    }
    /* A gRPC deadline becomes this attempt's timeout when it is the nearer one. */
    int64_t timeout = c->s.request_timeout_ms;
    if (left < timeout) {
        timeout = left;
        ex->timeout_was_deadline = true;
    }
    int64_t connect_timeout = c->s.connect_timeout_ms;
    if (timeout <= connect_timeout) {
        connect_timeout = timeout;
        ex->connect_timeout_was_deadline = ex->timeout_was_deadline;
    }
    ex->https = strncmp(url, "https://", 8) == 0;

    /* Reset forgets the previous request's options but keeps the live connection. */
    curl_easy_reset(h);
    body_sink sink = {.ex = ex};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_timeout);
    /* Never follow a redirect or switch scheme: an http:// hop would send the token in clear. */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->s.allow_http ? "http,https" : "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_USERAGENT, VK_VMS_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ex->curl_message);
    apply_tls_options(c, h);
    apply_method(h, method, body);

    atomic_fetch_add(&c->stat_requests, 1);
    ex->curl_code = curl_easy_perform(h);
    if (ex->curl_code == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ex->status);
    } else {
        /* How far the attempt got, so the error can say what failed. */
        curl_off_t connect_us = 0, handshake_us = 0;
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
        curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &handshake_us);
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &ex->os_errno);
        ex->connected = connect_us > 0;
        ex->handshaken = handshake_us > 0;
    }
    if (sink.too_large)
        snprintf(ex->curl_message, sizeof ex->curl_message, "the answer is larger than %u bytes", MAX_BODY_BYTES);
    /* The error buffer belongs to ex, which the caller may free before the handle's next use. */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    release_handle(c, h);
    if (!ex->body) {
        ex->body = calloc(1, 1);
        if (!ex->body) abort();
    }
    return true;
}

void vms_exchange_free(vms_exchange *ex) {
    /* Answers carry access tokens and S3 secret keys: leave nothing in freed memory. */
    if (ex->body) explicit_bzero(ex->body, ex->body_len);
    free(ex->body);
    ex->body = NULL;
    ex->body_len = 0;
}
