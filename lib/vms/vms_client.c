/* vms_client: the client's life cycle and the request loop (auth, retries with
 * backoff, deadlines, answer parsing). Configuration is vms_config.c. */
#include "vk/deadline.h"
#include "vk/log.h"
#include "vms_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Life cycle ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_global_setup(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

bool vms_client_new(const vms_config *cfg, vms_client **out, vms_error *err) {
    *out = NULL;
    vms_error_clear(err);
    pthread_once(&curl_once, curl_global_setup);
    vms_client *c = calloc(1, sizeof *c);
    if (!c) abort();
    if (!vms_settings_from_config(cfg, &c->s, err)) {
        vms_settings_free(&c->s);
        free(c);
        return false;
    }
    atomic_init(&c->refs, 1);
    vms_auth_init(c);
    if (!vms_transport_init(c, err)) {
        vms_transport_cleanup(c);
        vms_auth_cleanup(c);
        vms_settings_free(&c->s);
        free(c);
        return false;
    }
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
    vms_transport_cleanup(c);
    vms_auth_cleanup(c);
    vms_settings_free(&c->s);
    free(c);
}

const char *vms_client_endpoint(const vms_client *c) { return c->s.endpoint; }

const char *vms_client_identity(const vms_client *c) { return c->s.username ? c->s.username : "(api token)"; }

uint64_t vms_client_fingerprint(const vms_client *c) { return vms_settings_hash(&c->s); }

void vms_client_get_stats(const vms_client *c, vms_client_stats *out) {
    out->requests = atomic_load(&c->stat_requests);
    out->retries = atomic_load(&c->stat_retries);
    out->token_requests = atomic_load(&c->stat_token_requests);
    out->connections = atomic_load(&c->stat_connections);
}

/* ---- The request loop ---- */

typedef struct {
    const char *method;
    const char *path;
    const char *url;
    const char *body; /* serialized JSON or NULL */
    unsigned flags;
    bool authenticate;
} request;

/* What to do after one attempt. */
typedef enum { OUTCOME_DONE, OUTCOME_FAILED, OUTCOME_RETRY, OUTCOME_REFRESH } outcome;

static bool is_safe_to_repeat(const request *rq) {
    return strcmp(rq->method, "GET") == 0 || (rq->flags & VMS_IDEMPOTENT);
}

/* These failures happen before a byte of the request reached VMS, so any method may
 * be sent again. */
static bool never_reached_server(CURLcode code) {
    return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST;
}

static bool is_retryable_status(const request *rq, long status) {
    if (status == 500) return strcmp(rq->method, "GET") == 0; /* a write may have happened */
    return (status == 502 || status == 503 || status == 504 || status == 429) && is_safe_to_repeat(rq);
}

static struct curl_slist *build_headers(const vms_client *c, const char *auth) {
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    if (auth) h = curl_slist_append(h, auth);
    if (c->s.tenant) {
        char line[512];
        snprintf(line, sizeof line, "X-Tenant-Name: %s", c->s.tenant);
        h = curl_slist_append(h, line);
    }
    if (!h) abort();
    return h;
}

static bool parse_answer(const vms_exchange *ex, json_t **out, vms_error *err) {
    const char *p = ex->body;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) return true; /* 204, or 200 with nothing */
    json_error_t jerr;
    *out = json_loadb(ex->body, ex->body_len, JSON_DECODE_ANY, &jerr);
    if (*out) return true;
    /* Only where: jansson's text quotes the body (a token answer holds tokens). */
    vms_error_set(err, VMS_ERR_RESPONSE, "HTTP %ld with a body that is not JSON (line %d, column %d)", ex->status,
                  jerr.line, jerr.column);
    return false;
}

/* Turns a failed exchange into err, redacted with every secret value the client holds
 * and the token this request sent. */
static void record_failure(vms_client *c, const vms_exchange *ex, const char *sent_auth, vms_error *err) {
    vk_secrets secrets;
    vms_auth_secrets_begin(c, sent_auth, &secrets);
    if (ex->curl_code != CURLE_OK) vms_error_from_transport(err, ex, c, &secrets);
    else vms_error_from_http(err, ex->status, ex->body, ex->body_len, &secrets);
    vms_auth_secrets_end(c);
}

static outcome judge(vms_client *c, const request *rq, const vms_exchange *ex, const char *sent_auth, bool refreshed,
                     json_t **out, vms_error *err) {
    vms_error_set_request(err, c, rq->method, rq->path);
    if (ex->curl_code != CURLE_OK) {
        record_failure(c, ex, sent_auth, err);
        if (err->kind != VMS_ERR_TRANSPORT && err->kind != VMS_ERR_TIMEOUT) return OUTCOME_FAILED;
        return is_safe_to_repeat(rq) || never_reached_server(ex->curl_code) ? OUTCOME_RETRY : OUTCOME_FAILED;
    }
    if (ex->status >= 200 && ex->status < 300) return parse_answer(ex, out, err) ? OUTCOME_DONE : OUTCOME_FAILED;
    record_failure(c, ex, sent_auth, err);
    if (rq->authenticate && !refreshed && vms_auth_refreshable(c) && vms_error_is_token_expiry(err))
        return OUTCOME_REFRESH;
    return is_retryable_status(rq, ex->status) ? OUTCOME_RETRY : OUTCOME_FAILED;
}

/* Full jitter on the upper half: delay/2 + rand(0..delay/2), so concurrent retries
 * spread out but never come back sooner than half the nominal backoff. */
static int64_t backoff_ms(const vms_client *c, int retry) {
    static _Thread_local unsigned int seed;
    if (!seed) seed = (unsigned int)vk_now_ms() ^ (unsigned int)(uintptr_t)&seed;
    int64_t delay = c->s.retry_initial_ms;
    for (int i = 1; i < retry && delay < c->s.retry_max_ms; i++) delay *= 2;
    if (delay > c->s.retry_max_ms) delay = c->s.retry_max_ms;
    return delay / 2 + (int64_t)(rand_r(&seed) % (unsigned int)(delay / 2 + 1));
}

/* The request log: the path as the error carries it (redacted), curl's code in words,
 * never a body or a header. */
static void log_attempt(const vms_client *c, const request *rq, const vms_exchange *ex, const vms_error *err,
                        int64_t started, int attempt) {
    if (!vk_log_enabled(VK_LOG_DEBUG)) return;
    char status[16], ms[24], n[16];
    bool failed = ex->curl_code != CURLE_OK || ex->status >= 300;
    VK_LOG(VK_LOG_DEBUG, "VMS request", "endpoint", c->s.endpoint, "method", rq->method, "path", err->path, "status",
           vk_fmt(status, sizeof status, "%ld", ex->status), "curl",
           ex->curl_code ? curl_easy_strerror(ex->curl_code) : NULL, "cause",
           failed ? vms_error_cause_name(err->cause) : NULL, "ms",
           vk_fmt(ms, sizeof ms, "%lld", (long long)(vk_now_ms() - started)), "attempt",
           vk_fmt(n, sizeof n, "%d", attempt));
}

static bool run(vms_client *c, const request *rq, int64_t deadline, json_t **out, vms_error *err) {
    bool refreshed = false;
    int attempts = 0;
    for (;;) {
        char *auth = NULL;
        uint64_t generation = 0;
        if (rq->authenticate && !vms_auth_current(c, deadline, &auth, &generation, err)) return false;
        struct curl_slist *headers = build_headers(c, auth);
        vms_exchange ex;
        int64_t started = vk_now_ms();
        bool sent = vms_transport_exchange(c, rq->method, rq->url, headers, rq->body, deadline, &ex, err);
        curl_slist_free_all(headers);
        if (!sent) {
            if (auth) {
                explicit_bzero(auth, strlen(auth));
                free(auth);
            }
            vms_error_set_request(err, c, rq->method, rq->path);
            err->attempts = attempts;
            return false;
        }
        attempts++;
        outcome next = judge(c, rq, &ex, auth, refreshed, out, err);
        log_attempt(c, rq, &ex, err, started, attempts);
        vms_exchange_free(&ex);
        if (auth) {
            explicit_bzero(auth, strlen(auth));
            free(auth);
        }
        err->attempts = attempts;
        if (next == OUTCOME_DONE) return true;
        if (next == OUTCOME_REFRESH) {
            /* Not counted as a retry: the request never ran. Once per request, so a
             * token that VMS refuses at once does not loop. */
            refreshed = true;
            if (!vms_auth_refresh(c, generation, deadline, err)) return false;
            continue;
        }
        if (next == OUTCOME_FAILED || attempts >= c->s.max_attempts) return false;
        int64_t pause = backoff_ms(c, attempts);
        if (vk_deadline_remaining(deadline) <= pause) return false; /* no time for another try */
        char ms[24];
        VK_LOG(VK_LOG_WARN, "retrying VMS request", "endpoint", c->s.endpoint, "method", rq->method, "path",
               err->path, "cause", vms_error_cause_name(err->cause), "error", err->message, "backoff_ms", vk_fmt(ms, sizeof ms, "%lld", (long long)pause));
        atomic_fetch_add(&c->stat_retries, 1);
        vk_sleep_ms(pause);
    }
}

/* base URL + path, with the trailing slash VMS's router insists on (a path without it
 * answers 404) added before the query when the caller left it out. */
static char *request_url(const vms_client *c, const char *path) {
    size_t len = strcspn(path, "?");
    bool needs_slash = len > 0 && path[len - 1] != '/';
    char *url;
    if (asprintf(&url, "%s%.*s%s%s", c->s.base_url, (int)len, path, needs_slash ? "/" : "", path + len) < 0) abort();
    return url;
}

static bool send_request(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags,
                         bool authenticate, int64_t deadline, json_t **out, vms_error *err) {
    *out = NULL;
    vms_error_clear(err);
    char *url = request_url(c, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !text) abort();
    request rq = {.method = method, .path = path, .url = url, .body = text, .flags = flags,
                  .authenticate = authenticate};
    bool ok = run(c, &rq, deadline, out, err);
    if (text) {
        explicit_bzero(text, strlen(text)); /* may hold a password or a secret key */
        free(text);
    }
    free(url);
    if (ok) vms_error_clear(err);
    return ok;
}

bool vms_request(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags, int64_t deadline,
                 json_t **out, vms_error *err) {
    return send_request(c, method, path, body, flags, true, deadline, out, err);
}

bool vms_request_unauthenticated(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags,
                                 int64_t deadline, json_t **out, vms_error *err) {
    return send_request(c, method, path, body, flags, false, deadline, out, err);
}
