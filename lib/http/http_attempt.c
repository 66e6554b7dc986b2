/* http_attempt: one attempt of a request on a pooled connection - the curl options
 * (URL, deadline-cut timeouts, TLS, method, headers, body) going in, and what the
 * transfer left (status, how far the connection got, curl's words) coming out. */
#include "http_internal.h"
#include "vk/deadline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bool has_scheme(const char *url) {
    return strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0;
}

static char *full_url(const vk_http_client *c, const char *url) {
    char *full;
    if (c->base_url && !has_scheme(url)) {
        if (asprintf(&full, "%s%s", c->base_url, url) < 0) abort();
    } else {
        full = strdup(url);
        if (!full) abort();
    }
    return full;
}

/* The PEM texts live as long as the client, so curl need not copy them per request. */
static struct curl_blob pem_blob(char *pem) {
    return (struct curl_blob){.data = pem, .len = strlen(pem), .flags = CURL_BLOB_NOCOPY};
}

/* Sent whether or not the peer is verified: it is who we are, not whom we trust. */
static void apply_client_certificate(const vk_http_client *c, CURL *h) {
    if (c->client_cert_pem) {
        struct curl_blob blob = pem_blob(c->client_cert_pem);
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
    } else if (c->client_cert_file) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert_file);
    }
    if (c->client_key_pem) {
        struct curl_blob blob = pem_blob(c->client_key_pem);
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
    } else if (c->client_key_file) {
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key_file);
    }
}

static void apply_tls_options(const vk_http_client *c, CURL *h) {
    apply_client_certificate(c, h);
    if (c->insecure_skip_tls_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        return;
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (c->ca_pem) {
        struct curl_blob blob = pem_blob(c->ca_pem);
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
}

static void apply_method(CURL *h, const vk_http_request *rq) {
    if (strcmp(rq->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(rq->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return;
    }
    if (strcmp(rq->method, "POST") != 0) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    if (rq->body || strcmp(rq->method, "POST") == 0) {
        /* POSTFIELDS makes curl send a body; CUSTOMREQUEST keeps the method name. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    }
}

static struct curl_slist *header_list(const vk_http_request *rq) {
    /* No "Expect: 100-continue" round trip before a larger body. */
    struct curl_slist *list = curl_slist_append(NULL, "Expect:");
    for (const char *const *h = rq->headers; h && *h && list; h++) list = curl_slist_append(list, *h);
    if (!list) abort();
    return list;
}

/* A deadline nearer than the request timeout becomes this attempt's timeout, and the
 * result remembers it, so a timeout can be told apart from the deadline. A stream has
 * no request timeout: it lasts as long as its deadline allows. */
static void apply_timeouts(const vk_http_client *c, CURL *h, const vk_http_request *rq, bool stream,
                           vk_http_result *res) {
    int64_t left = vk_deadline_remaining(rq->deadline);
    int64_t timeout = stream ? 0 : c->request_timeout_ms; /* 0: none */
    if (left != INT64_MAX && (timeout == 0 || left < timeout)) {
        timeout = left > 0 ? left : 1;
        res->timeout_was_deadline = true;
    }
    int64_t connect_timeout = c->connect_timeout_ms;
    if (timeout > 0 && timeout <= connect_timeout) {
        connect_timeout = timeout;
        res->connect_timeout_was_deadline = res->timeout_was_deadline;
    }
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_timeout);
}

void http_attempt_start(vk_http_client *c, http_attempt *a, http_slot *slot, const vk_http_request *rq,
                        const vk_http_stream *stream, vk_http_result *res) {
    CURL *h = slot->easy;
    *a = (http_attempt){.slot = slot, .headers = header_list(rq), .url = full_url(c, rq->url), .started = vk_now_ms()};
    a->sink = (http_sink){.easy = h, .res = res, .stream = stream, .max_body = c->max_body_bytes,
                          .max_line = stream && stream->max_line ? stream->max_line : HTTP_DEFAULT_MAX_LINE,
                          .last_byte_ms = a->started};
    res->https = strncasecmp(a->url, "https://", 8) == 0;
    /* Reset forgets the previous request's options but keeps the live connection. */
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, a->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    apply_timeouts(c, h, rq, stream != NULL, res);
    /* Never follow a redirect or switch scheme: an http:// hop would send a token in clear. */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->allow_http ? "http,https" : "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a->sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_sink_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &a->sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, res->message);
    apply_tls_options(c, h);
    apply_method(h, rq);
    atomic_fetch_add(&c->stat_requests, 1);
    if (curl_multi_add_handle(slot->multi, h) != CURLM_OK) abort(); /* only misuse fails here */
}

/* Retry-After as seconds from now: delay-seconds, or an HTTP-date (RFC 9110 10.2.3),
 * which curl_getdate reads; -1 when absent or unreadable. */
static int64_t read_retry_after(CURL *h) {
    struct curl_header *header;
    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &header) != CURLHE_OK) return -1;
    const char *v = header->value;
    if (*v >= '0' && *v <= '9') {
        char *end;
        long long s = strtoll(v, &end, 10);
        while (*end == ' ' || *end == '\t') end++;
        return *end == '\0' ? (int64_t)s : -1;
    }
    time_t at = curl_getdate(v, NULL);
    if (at == (time_t)-1) return -1;
    time_t now = time(NULL);
    return at > now ? (int64_t)(at - now) : 0;
}

/* How far the attempt got, so a failure can say what failed. */
static void read_progress(CURL *h, vk_http_result *res) {
    curl_off_t connect_us = 0, handshake_us = 0;
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &handshake_us);
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &res->os_errno);
    res->connected = connect_us > 0;
    res->handshaken = handshake_us > 0;
}

void http_attempt_finish(http_attempt *a, CURLcode code, vk_http_result *res) {
    CURL *h = a->slot->easy;
    curl_multi_remove_handle(a->slot->multi, h);
    if (code == CURLE_OK) http_sink_finish(&a->sink);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    res->retry_after_s = res->status ? read_retry_after(h) : -1;
    res->stopped = a->sink.stopped;
    if (res->stopped) code = CURLE_OK; /* the caller ended its stream: not a failure */
    if (a->sink.line_too_long) code = CURLE_WRITE_ERROR; /* a last line, too, after a complete answer */
    res->curl_code = (int)code;
    if (code != CURLE_OK) read_progress(h, res);
    if (a->sink.too_large)
        snprintf(res->message, sizeof res->message, "the answer is larger than %zu bytes", a->sink.max_body);
    if (a->sink.line_too_long)
        snprintf(res->message, sizeof res->message, "a line of the answer is longer than %zu bytes",
                 a->sink.max_line);
    if (a->sink.stalled)
        snprintf(res->message, sizeof res->message, "the stream sent nothing for %lld ms (stalled)",
                 (long long)a->sink.stream->idle_timeout_ms);
    /* The error buffer belongs to res, which the caller may free before the handle's next use. */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    res->elapsed_ms = vk_now_ms() - a->started;
    http_failure_classify(res);
    if (a->sink.stalled) { /* curl saw no error of its own: the stream was ended here */
        res->failure = VK_HTTP_FAIL_TIMEOUT;
        res->cause = VK_HTTP_CAUSE_STALLED;
        a->slot->doomed = true;
    }
    if (!res->body) {
        res->body = calloc(1, 1);
        if (!res->body) abort();
    }
    http_sink_free(&a->sink);
    curl_slist_free_all(a->headers);
    free(a->url);
    a->slot = NULL;
}
