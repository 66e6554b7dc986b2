/* vms_request: one VMS request on the http layer - the URL under the base with the
 * trailing slash VMS wants, the JSON and auth headers, the answer parsed, every
 * failure read into a vms_error redacted with the client's secrets, one token refresh
 * when VMS says the token expired, and the request log. Which failures are retried,
 * the backoff and the deadlines are the http layer's (vk_http_send). */
#include "vk/http_multi.h"
#include "vk/log.h"
#include "vms_internal.h"
#include "vms_metrics.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One request as its hooks see it. */
typedef struct {
    vms_client *c;
    const char *method, *path;
    bool authenticate;
    bool refreshed;      /* the token was refreshed once already */
    char *auth;          /* the "Authorization: ..." line of the current attempt */
    uint64_t generation; /* ... and its token generation */
    char tenant[512];
    const char *headers[5];
    json_t **out;
    vms_error *err;
    bool ok; /* answered 2xx, and the answer parsed */
} call;

static void wipe_auth(call *k) {
    if (!k->auth) return;
    explicit_bzero(k->auth, strlen(k->auth));
    free(k->auth);
    k->auth = NULL;
}

/* Before each attempt: the current token (fetched first if there is none). */
static bool prepare(void *ctx, vk_http_request *rq) {
    call *k = ctx;
    wipe_auth(k);
    if (k->authenticate && !vms_auth_current(&k->c->auth, rq->deadline, &k->auth, &k->generation, k->err))
        return false;
    size_t n = 0;
    k->headers[n++] = "Accept: application/json";
    k->headers[n++] = "Content-Type: application/json";
    if (k->auth) k->headers[n++] = k->auth;
    if (k->tenant[0]) k->headers[n++] = k->tenant;
    k->headers[n] = NULL;
    rq->headers = k->headers;
    return true;
}

static bool parse_answer(const vk_http_result *res, json_t **out, vms_error *err) {
    const char *p = res->body;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) return true; /* 204, or 200 with nothing */
    json_error_t jerr;
    *out = json_loadb(res->body, res->body_len, JSON_DECODE_ANY, &jerr);
    if (*out) return true;
    /* Only where: jansson's text quotes the body (a token answer holds tokens). */
    vms_error_set(err, VMS_ERR_RESPONSE, "HTTP %ld with a body that is not JSON (line %d, column %d)", res->status,
                  jerr.line, jerr.column);
    return false;
}

/* Turns a failed exchange into err, redacted with every secret value the client holds
 * and the token this request sent. */
static void record_failure(vms_client *c, const vk_http_result *res, const char *sent_auth, vms_error *err) {
    vk_secrets secrets;
    vms_auth_secrets_begin(&c->auth, sent_auth, &secrets);
    if (res->failure != VK_HTTP_ANSWERED) vms_error_from_transport(err, res, c->s.ca_file, c->s.ca_pem, &secrets);
    else vms_error_from_http(err, res->status, res->body, res->body_len, &secrets);
    vms_auth_secrets_end(&c->auth);
}

/* The request log: the path as the error carries it (redacted), curl's code in words,
 * never a body or a header. */
static void log_attempt(const vms_client *c, const char *method, const vk_http_result *res, const vms_error *err) {
    if (!vk_log_enabled(VK_LOG_DEBUG)) return;
    char status[16], ms[24], n[16];
    bool failed = res->failure != VK_HTTP_ANSWERED || res->status >= 300;
    VK_LOG(VK_LOG_DEBUG, "VMS request", "endpoint", c->s.endpoint, "method", method, "path", err->path, "status",
           vk_fmt(status, sizeof status, "%ld", res->status), "curl", vk_http_curl_text(res), "cause",
           failed ? vms_error_cause_name(err->cause) : NULL, "ms",
           vk_fmt(ms, sizeof ms, "%lld", (long long)res->elapsed_ms), "attempt",
           vk_fmt(n, sizeof n, "%d", res->attempts));
}

static vk_http_verdict verdict(call *k, const vk_http_request *rq, const vk_http_result *res) {
    vms_client *c = k->c;
    if (res->failure == VK_HTTP_ANSWERED && res->status >= 200 && res->status < 300) {
        k->ok = parse_answer(res, k->out, k->err);
        return VK_HTTP_DONE;
    }
    record_failure(c, res, k->auth, k->err);
    if (res->failure == VK_HTTP_ANSWERED && k->authenticate && !k->refreshed && vms_auth_refreshable(&c->auth) &&
        vms_error_is_token_expiry(k->err))
        return VK_HTTP_RESEND;
    return vk_http_retryable(rq, res) ? VK_HTTP_RETRY : VK_HTTP_DONE;
}

/* After each attempt (or none, when no connection came free in time). */
static vk_http_verdict judge(void *ctx, const vk_http_request *rq, const vk_http_result *res) {
    call *k = ctx;
    vms_error_set_request(k->err, k->c, k->method, k->path);
    vk_http_verdict next = verdict(k, rq, res);
    if (res->sent) {
        log_attempt(k->c, k->method, res, k->err);
        vms_metrics_attempt(&k->c->s, k->method, k->path, res);
    }
    k->err->attempts = res->attempts;
    if (next == VK_HTTP_RESEND) {
        /* Not counted as a retry: the request never ran. Once per request, so a token
         * that VMS refuses at once does not loop. */
        k->refreshed = true;
        if (!vms_auth_refresh(&k->c->auth, k->generation, rq->deadline, k->err)) return VK_HTTP_DONE;
    }
    return next;
}

static void on_retry(void *ctx, const vk_http_result *res, int64_t pause_ms) {
    (void)res;
    const call *k = ctx;
    char ms[24];
    VK_LOG(VK_LOG_WARN, "retrying VMS request", "endpoint", k->c->s.endpoint, "method", k->method, "path",
           k->err->path, "cause", vms_error_cause_name(k->err->cause), "error", k->err->message, "backoff_ms",
           vk_fmt(ms, sizeof ms, "%lld", (long long)pause_ms));
}

/* path under the base URL, with the trailing slash VMS's router insists on (a path
 * without it answers 404) added before the query when the caller left it out. */
static char *request_path(const char *path) {
    size_t len = strcspn(path, "?");
    bool needs_slash = len > 0 && path[len - 1] != '/';
    char *url;
    if (asprintf(&url, "%.*s%s%s", (int)len, path, needs_slash ? "/" : "", path + len) < 0) abort();
    return url;
}

/* One request's part of a batch: what send_all prepares for it and wipes after it. */
typedef struct {
    call k;
    vk_http_hooks hooks;
    char *url, *text;
} pending;

/* Sends every call at once (vk_http_send_all), each with its own hooks; *calls[i].out
 * and calls[i].err receive its answer. */
static void send_all(vms_client *c, vms_call *calls, size_t n, bool authenticate, int64_t deadline) {
    pending *p = calloc(n, sizeof *p);
    vk_http_job *jobs = calloc(n, sizeof *jobs);
    if (!p || !jobs) abort();
    for (size_t i = 0; i < n; i++) {
        vms_call *q = &calls[i];
        q->answer = NULL;
        q->ok = false;
        vms_error_clear(&q->err);
        p[i].url = request_path(q->path);
        p[i].text = q->body ? json_dumps(q->body, JSON_COMPACT) : NULL;
        if (q->body && !p[i].text) abort();
        p[i].k = (call){.c = c, .method = q->method, .path = q->path, .authenticate = authenticate,
                        .out = &q->answer, .err = &q->err};
        if (c->s.tenant) snprintf(p[i].k.tenant, sizeof p[i].k.tenant, "X-Tenant-Name: %s", c->s.tenant);
        p[i].hooks = (vk_http_hooks){.prepare = prepare, .judge = judge, .on_retry = on_retry, .ctx = &p[i].k};
        jobs[i] = (vk_http_job){
            .request = {.method = q->method, .url = p[i].url, .body = p[i].text,
                        .body_len = p[i].text ? strlen(p[i].text) : 0,
                        .idempotent = (q->flags & VMS_IDEMPOTENT) != 0, .deadline = deadline},
            .hooks = &p[i].hooks};
    }
    vk_http_send_all(c->http, jobs, n);
    for (size_t i = 0; i < n; i++) {
        vk_http_result_free(&jobs[i].result);
        wipe_auth(&p[i].k);
        if (p[i].text) {
            explicit_bzero(p[i].text, strlen(p[i].text)); /* may hold a password or a secret key */
            free(p[i].text);
        }
        free(p[i].url);
        calls[i].ok = p[i].k.ok;
        if (calls[i].ok) vms_error_clear(&calls[i].err);
    }
    free(jobs);
    free(p);
}

static bool send_request(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags,
                         bool authenticate, int64_t deadline, json_t **out, vms_error *err) {
    vms_call one = {.method = method, .path = path, .body = body, .flags = flags};
    send_all(c, &one, 1, authenticate, deadline);
    *out = one.answer;
    *err = one.err;
    return one.ok;
}

void vms_request_all(vms_client *c, vms_call *calls, size_t n, int64_t deadline) {
    if (n > 0) send_all(c, calls, n, true, deadline);
}

bool vms_request(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags, int64_t deadline,
                 json_t **out, vms_error *err) {
    return send_request(c, method, path, body, flags, true, deadline, out, err);
}

bool vms_request_unauthenticated(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags,
                                 int64_t deadline, json_t **out, vms_error *err) {
    return send_request(c, method, path, body, flags, false, deadline, out, err);
}
