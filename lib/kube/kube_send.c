/* kube_send: one Kubernetes request to its end - a token of the client-side rate
 * limit and the bearer token before each attempt, the judgment after it (a 401 re-reads
 * the token file once, 5xx and transport failures of idempotent requests are retried
 * by vk_http's backoff), 429s waited out by their Retry-After within the deadline, the
 * request log, and the outcome as a vk_status with the typed kube error. */
#include "kube_client_internal.h"
#include "vk/deadline.h"
#include "vk/log.h"
#include "vk/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One request as its hooks see it. */
typedef struct {
    vk_kube_client *c;
    const vk_kube_request *rq;
    const char *what;
    char *auth; /* the "Authorization: Bearer ..." line of the current attempt */
    char content_type[96];
    const char *headers[4];
    bool reloaded; /* the token file was re-read after a 401 */
    bool limited;  /* no token of the rate limit came before the deadline */
} send_call;

int64_t kube_deadline(const vk_kube_client *c, int64_t deadline) {
    return deadline == VK_DEADLINE_NONE ? vk_deadline_in(c->request_timeout_ms) : deadline;
}

json_t *kube_parse_answer(const vk_http_result *res, const char *what, vk_status *st) {
    if (strspn(res->body, " \t\r\n") == res->body_len) return json_object(); /* 204, or nothing */
    json_error_t jerr;
    json_t *j = json_loadb(res->body, res->body_len, 0, &jerr);
    if (!j) /* only where: jansson's text would quote the body */
        vk_status_set(st, VK_INTERNAL, "%s: HTTP %ld with an answer that is not a JSON object (line %d, column %d)",
                      what, res->status, jerr.line, jerr.column);
    return j;
}

/* Waits for a token of the client's bucket; false when none comes before deadline. */
static bool take_token(vk_kube_client *c, int64_t deadline) {
    if (c->qps < 0) return true;
    pthread_mutex_lock(&c->limit_mu);
    int64_t wait = kube_limit_take(&c->bucket, vk_now_ms(), deadline);
    pthread_mutex_unlock(&c->limit_mu);
    if (wait < 0) return false;
    if (wait > 0) {
        atomic_fetch_add(&c->limiter_waits, 1);
        vk_sleep_ms(wait);
    }
    return true;
}

static bool prepare(void *ctx, vk_http_request *hrq) {
    send_call *k = ctx;
    if (!take_token(k->c, hrq->deadline)) {
        k->limited = true;
        return false;
    }
    kube_secret_free(k->auth);
    k->auth = kube_token_header(&k->c->token);
    size_t n = 0;
    k->headers[n++] = "Accept: application/json";
    if (k->rq->body) {
        snprintf(k->content_type, sizeof k->content_type, "Content-Type: %s",
                 k->rq->content_type ? k->rq->content_type : "application/json");
        k->headers[n++] = k->content_type;
    }
    if (k->auth) k->headers[n++] = k->auth;
    k->headers[n] = NULL;
    hrq->headers = k->headers;
    atomic_fetch_add(&k->c->attempts, 1);
    return true;
}

/* The request log: never a header or a body, so no token reaches it. */
static void log_attempt(const send_call *k, const vk_http_result *res) {
    if (!vk_log_enabled(VK_LOG_DEBUG)) return;
    char status[16], ms[24], n[16];
    bool failed = res->failure != VK_HTTP_ANSWERED;
    VK_LOG(VK_LOG_DEBUG, "kubernetes request", "server", k->c->server, "method", k->rq->method, "path", k->rq->url,
           "status", vk_fmt(status, sizeof status, "%ld", res->status), "failure",
           failed ? vk_http_failure_name(res->failure) : NULL, "cause", failed ? vk_http_cause_name(res->cause) : NULL,
           "ms", vk_fmt(ms, sizeof ms, "%lld", (long long)res->elapsed_ms), "attempt",
           vk_fmt(n, sizeof n, "%d", res->attempts));
}

static vk_http_verdict judge(void *ctx, const vk_http_request *hrq, const vk_http_result *res) {
    send_call *k = ctx;
    if (res->sent) log_attempt(k, res);
    if (res->failure != VK_HTTP_ANSWERED) return vk_http_retryable(hrq, res) ? VK_HTTP_RETRY : VK_HTTP_DONE;
    /* A rotated token the file already holds: read it and resend, once per request,
     * so a token the server refuses outright does not loop. */
    if (res->status == 401 && !k->reloaded && k->c->token.path) {
        k->reloaded = true;
        if (kube_token_reload(&k->c->token)) return VK_HTTP_RESEND;
    }
    /* A PUT with a resourceVersion cannot apply twice; a 5xx says nothing was done or
     * that it may be done again. 429 is the caller's loop (it waits Retry-After). */
    if (res->status >= 500 && k->rq->idempotent) return VK_HTTP_RETRY;
    return VK_HTTP_DONE;
}

static void on_retry(void *ctx, const vk_http_result *res, int64_t pause_ms) {
    send_call *k = ctx;
    atomic_fetch_add(&k->c->retries, 1);
    char status[16], ms[24];
    VK_LOG(VK_LOG_WARN, "retrying kubernetes request", "server", k->c->server, "request", k->what, "status",
           vk_fmt(status, sizeof status, "%ld", res->status), "failure",
           res->failure != VK_HTTP_ANSWERED ? vk_http_failure_name(res->failure) : NULL, "backoff_ms",
           vk_fmt(ms, sizeof ms, "%lld", (long long)pause_ms));
}

/* A stream is one attempt (its caller re-watches), but a rotated token still earns
 * the one resend a buffered request gets. */
static void stream_attempts(send_call *k, vk_http_request *hrq, const vk_http_stream *stream, vk_http_result *res) {
    for (;;) {
        if (!prepare(k, hrq)) {
            memset(res, 0, sizeof *res);
            res->failure = VK_HTTP_FAIL_CANCELLED;
            res->retry_after_s = -1;
            res->body = calloc(1, 1);
            if (!res->body) abort();
            return;
        }
        vk_http_stream_lines(k->c->http, hrq, stream, res);
        if (judge(k, hrq, res) != VK_HTTP_RESEND) return;
        vk_http_result_free(res);
    }
}

/* How long a 429 asks us to wait: its Retry-After header, else the Status object's
 * retryAfterSeconds (the API server sets both), else our own backoff. */
static int64_t throttle_wait_ms(const vk_kube_client *c, const vk_http_result *res, int resend) {
    int64_t s = res->retry_after_s;
    if (s <= 0) {
        vk_kube_error e;
        vk_status ignore;
        vk_kube_error_from_answer(res->status, res->body, NULL, &e, &ignore);
        s = e.retry_after_s;
    }
    return s > 0 ? s * 1000 : vk_http_backoff_ms(&c->retry, resend);
}

static vk_code transport_code(const vk_http_result *res) {
    switch (res->failure) {
    case VK_HTTP_FAIL_DEADLINE: return VK_DEADLINE_EXCEEDED;
    case VK_HTTP_FAIL_TIMEOUT: return res->timeout_was_deadline ? VK_DEADLINE_EXCEEDED : VK_UNAVAILABLE;
    case VK_HTTP_FAIL_CONFIG: return VK_INVALID_ARGUMENT;
    case VK_HTTP_FAIL_RESPONSE: return VK_RESOURCE_EXHAUSTED;
    case VK_HTTP_FAIL_CANCELLED: return VK_CANCELLED;
    default: return VK_UNAVAILABLE; /* transport, TLS: another server or a fixed one may answer */
    }
}

/* st (and err) from how the request ended; true for a 2xx answer. */
static bool outcome(const send_call *k, const vk_http_result *res, int throttled, vk_kube_error *err, vk_status *st) {
    const vk_kube_client *c = k->c;
    *err = (vk_kube_error){0};
    if (res->failure == VK_HTTP_ANSWERED && res->status >= 200 && res->status < 300) {
        vk_status_ok(st);
        return true;
    }
    if (res->failure == VK_HTTP_ANSWERED) {
        vk_kube_error_from_answer(res->status, res->body, k->what, err, st);
        if (res->status == 429) {
            size_t len = strlen(st->message);
            snprintf(st->message + len, sizeof st->message - len,
                     " (answered 429 %d times; the server's next wait passes the deadline or the %d resends are spent)",
                     throttled, VK_KUBE_MAX_THROTTLED_RESENDS);
        }
    } else if (k->limited) {
        vk_status_set(st, VK_DEADLINE_EXCEEDED,
                      "%s: the client-side rate limit (%g QPS, burst %d) has no token for it before its deadline",
                      k->what, c->qps, c->burst);
    } else {
        const char *cause = vk_http_cause_name(res->cause);
        vk_status_set(st, transport_code(res), "%s: %s: %s%s%s%s after %d attempt%s: %s", k->what, c->server,
                      vk_http_failure_name(res->failure), cause ? " (" : "", cause ? cause : "", cause ? ")" : "",
                      res->attempts, res->attempts == 1 ? "" : "s", res->message);
    }
    /* Nothing of ours in a message: curl's words may quote a URL, a server's an input. */
    char *token = kube_token_copy((kube_token *)&c->token);
    vk_secrets secrets = {0};
    vk_secrets_add(&secrets, token);
    char clean[sizeof st->message];
    vk_redact_into(st->message, &secrets, clean, sizeof clean);
    memcpy(st->message, clean, sizeof clean);
    kube_secret_free(token);
    return false;
}

static bool run(vk_kube_client *c, const vk_kube_request *rq, const vk_http_stream *stream, vk_http_result *res,
                vk_kube_error *err, vk_status *st) {
    vk_kube_error scratch;
    if (!err) err = &scratch;
    atomic_fetch_add(&c->requests[rq->verb < VK_KUBE_VERB_COUNT ? rq->verb : VK_KUBE_VERB_RAW], 1);
    send_call k = {.c = c, .rq = rq, .what = rq->what ? rq->what : rq->url};
    const vk_http_hooks hooks = {.prepare = prepare, .judge = judge, .on_retry = on_retry, .ctx = &k};
    int64_t deadline = kube_deadline(c, rq->deadline);
    int throttled = 0;
    for (;;) {
        vk_http_request hrq = {.method = rq->method, .url = rq->url, .body = rq->body, .body_len = rq->body_len,
                               .idempotent = rq->idempotent, .deadline = deadline};
        if (stream) stream_attempts(&k, &hrq, stream, res);
        else vk_http_send(c->http, &hrq, &hooks, res);
        if (res->failure != VK_HTTP_ANSWERED || res->status != 429) break;
        throttled++;
        atomic_fetch_add(&c->throttled, 1);
        /* The server refused before acting (APF, max-in-flight): a resend is safe for
         * any verb, once it has waited what the server asked. */
        int64_t wait = throttle_wait_ms(c, res, throttled);
        if (throttled > VK_KUBE_MAX_THROTTLED_RESENDS || vk_deadline_remaining(deadline) <= wait) break;
        atomic_fetch_add(&c->throttle_waits, 1);
        char ms[24];
        VK_LOG(VK_LOG_DEBUG, "kubernetes request throttled", "server", c->server, "request", k.what, "wait_ms",
               vk_fmt(ms, sizeof ms, "%lld", (long long)wait));
        vk_http_result_free(res);
        vk_sleep_ms(wait);
    }
    bool ok = outcome(&k, res, throttled, err, st);
    kube_secret_free(k.auth);
    return ok;
}

bool vk_kube_send(vk_kube_client *c, const vk_kube_request *rq, vk_http_result *res, vk_kube_error *err,
                  vk_status *st) {
    return run(c, rq, NULL, res, err, st);
}

bool vk_kube_stream_lines(vk_kube_client *c, const vk_kube_request *rq, const vk_http_stream *stream,
                          vk_http_result *res, vk_kube_error *err, vk_status *st) {
    return run(c, rq, stream, res, err, st);
}
