/* The http layer's buffered requests against local servers: what goes out and comes
 * back, connections kept alive, retries with backoff (503, resets, refused), what is
 * never retried, deadlines against a server that hangs, the connection limit, hooks,
 * an answer's Retry-After. */
#include "test_server.h"
#include "vk/deadline.h"
#include "vk/http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* What the server does, by request number: the first `failing` requests get `fail`. */
typedef struct {
    int failing;
    test_reply fail;
} script;

/* Echoes "METHOD URL X-Test BODY" - or fails as the script says. */
static test_reply scripted(void *ctx, const test_request *rq) {
    const script *sc = ctx;
    if (sc && rq->number <= sc->failing) return sc->fail;
    test_reply r = {.status = 200};
    snprintf(r.body, sizeof r.body, "%s %s %s %s", rq->method, rq->url, rq->x_test ? rq->x_test : "-", rq->body);
    return r;
}

static vk_http_client *client_for(const test_server *s, int max_attempts) {
    vk_http_settings settings = {.base_url = s ? test_server_url(s) : NULL, .allow_http = true,
                                 .retry = {.max_attempts = max_attempts, .initial_backoff_ms = 20,
                                           .max_backoff_ms = 200}};
    vk_http_client *c;
    vk_status st;
    assert_true(vk_http_client_new(&settings, &c, &st));
    return c;
}

static vk_http_request get(const char *url, int64_t timeout_ms) {
    return (vk_http_request){.method = "GET", .url = url, .deadline = vk_deadline_in(timeout_ms)};
}

static void test_buffered_exchange(void **state) {
    (void)state;
    test_server *s = test_server_start(scripted, NULL, NULL, NULL);
    vk_http_client *c = client_for(s, 1);
    static const char *const headers[] = {"X-Test: hello", NULL};
    vk_http_request rq = {.method = "POST", .url = "/things/", .headers = headers, .body = "{\"n\":1}",
                          .body_len = 7, .deadline = vk_deadline_in(10000)};
    vk_http_result res;
    assert_true(vk_http_exchange(c, &rq, &res));
    assert_int_equal(res.failure, VK_HTTP_ANSWERED);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.body, "POST /things/ hello {\"n\":1}");
    assert_int_equal(res.body_len, strlen(res.body));
    assert_int_equal(res.attempts, 1);
    vk_http_result_free(&res);

    rq = (vk_http_request){.method = "DELETE", .url = "/things/1/", .deadline = vk_deadline_in(10000)};
    assert_true(vk_http_exchange(c, &rq, &res));
    assert_string_equal(res.body, "DELETE /things/1/ - ");
    vk_http_result_free(&res);

    /* An absolute URL is not prefixed. */
    char url[128];
    snprintf(url, sizeof url, "%s/abs", test_server_url(s));
    rq = get(url, 10000);
    assert_true(vk_http_exchange(c, &rq, &res));
    assert_string_equal(res.body, "GET /abs - ");
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

static void test_connections_are_kept_alive(void **state) {
    (void)state;
    test_server *s = test_server_start(scripted, NULL, NULL, NULL);
    vk_http_client *c = client_for(s, 1);
    for (int i = 0; i < 20; i++) {
        vk_http_request rq = get("/again", 10000);
        vk_http_result res;
        assert_true(vk_http_send(c, &rq, NULL, &res));
        assert_int_equal(res.status, 200);
        vk_http_result_free(&res);
    }
    assert_int_equal(test_server_requests(s), 20);
    assert_int_equal(test_server_connections(s), 1);
    vk_http_stats stats;
    vk_http_get_stats(c, &stats);
    assert_int_equal(stats.connections, 1);
    assert_int_equal(stats.requests, 20);
    vk_http_client_free(c);
    test_server_stop(s);
}

static void test_503_is_retried_with_backoff(void **state) {
    (void)state;
    script sc = {.failing = 2, .fail = {.status = 503, .body = "busy"}};
    test_server *s = test_server_start(scripted, &sc, NULL, NULL);
    vk_http_client *c = client_for(s, 4);
    vk_http_request rq = get("/busy", 10000);
    vk_http_result res;
    int64_t started = vk_now_ms();
    assert_true(vk_http_send(c, &rq, NULL, &res));
    int64_t elapsed = vk_now_ms() - started;
    assert_int_equal(res.status, 200);
    assert_int_equal(res.attempts, 3);
    /* Backoff 20 ms then 40 ms nominal, jittered to at least half: >= 30 ms in all. */
    assert_true(elapsed >= 30);
    vk_http_stats stats;
    vk_http_get_stats(c, &stats);
    assert_int_equal(stats.retries, 2);
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

static void test_retries_stop_at_max_attempts(void **state) {
    (void)state;
    script sc = {.failing = 100, .fail = {.status = 503}};
    test_server *s = test_server_start(scripted, &sc, NULL, NULL);
    vk_http_client *c = client_for(s, 3);
    vk_http_request rq = get("/busy", 10000);
    vk_http_result res;
    assert_true(vk_http_send(c, &rq, NULL, &res)); /* answered: 503 is an answer */
    assert_int_equal(res.status, 503);
    assert_int_equal(res.attempts, 3);
    assert_int_equal(test_server_requests(s), 3);
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

/* A POST may have happened: its 503 is final unless the caller says it is idempotent. */
static void test_unsafe_writes_are_not_retried(void **state) {
    (void)state;
    script sc = {.failing = 100, .fail = {.status = 503}};
    test_server *s = test_server_start(scripted, &sc, NULL, NULL);
    vk_http_client *c = client_for(s, 4);
    vk_http_request rq = {.method = "POST", .url = "/w", .body = "{}", .body_len = 2,
                          .deadline = vk_deadline_in(10000)};
    vk_http_result res;
    vk_http_send(c, &rq, NULL, &res);
    assert_int_equal(res.attempts, 1);
    vk_http_result_free(&res);
    rq.idempotent = true;
    vk_http_send(c, &rq, NULL, &res);
    assert_int_equal(res.attempts, 4);
    vk_http_result_free(&res);
    assert_int_equal(test_server_requests(s), 5);
    vk_http_client_free(c);
    test_server_stop(s);
}

static void test_reset_is_retried(void **state) {
    (void)state;
    script sc = {.failing = 2, .fail = {.reset = true}};
    test_server *s = test_server_start(scripted, &sc, NULL, NULL);
    vk_http_client *c = client_for(s, 4);
    vk_http_request rq = get("/flaky", 10000);
    vk_http_result res;
    assert_false(vk_http_exchange(c, &rq, &res)); /* one attempt: the reset itself */
    assert_int_equal(res.failure, VK_HTTP_FAIL_TRANSPORT);
    assert_int_equal(res.cause, VK_HTTP_CAUSE_RESET);
    assert_string_equal(vk_http_cause_name(res.cause), "reset");
    assert_false(res.undelivered); /* it may have reached the server */
    vk_http_result_free(&res);
    assert_true(vk_http_send(c, &rq, NULL, &res)); /* the second reset, then the answer */
    assert_int_equal(res.status, 200);
    assert_int_equal(res.attempts, 2);
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

/* curl's words without its "after N ms" / "after N milliseconds": one cause reads the
 * same on every attempt (a status condition quoting it is not rewritten). */
static void assert_no_duration(const char *words) {
    assert_non_null(words);
    for (const char *at = strstr(words, " after "); at; at = strstr(at + 1, " after "))
        if (at[7] >= '0' && at[7] <= '9') fail_msg("a duration left in curl's words: %s", words);
}

/* Refused: the request never left, so even a POST is sent again. */
static void test_refused_is_undelivered_and_retried(void **state) {
    (void)state;
    vk_http_client *c = client_for(NULL, 3);
    test_server *gone = test_server_start(scripted, NULL, NULL, NULL);
    char url[64];
    snprintf(url, sizeof url, "%s/x", test_server_url(gone));
    test_server_stop(gone); /* its port now refuses */
    vk_http_request rq = {.method = "POST", .url = url, .deadline = vk_deadline_in(10000)};
    vk_http_result res;
    assert_false(vk_http_send(c, &rq, NULL, &res));
    assert_int_equal(res.failure, VK_HTTP_FAIL_TRANSPORT);
    assert_int_equal(res.cause, VK_HTTP_CAUSE_REFUSED);
    assert_true(res.undelivered);
    assert_int_equal(res.attempts, 3);
    assert_non_null(vk_http_curl_text(&res));
    assert_non_null(strstr(res.message, "onnect")); /* "Failed to connect to ... port N: ..." */
    assert_no_duration(res.message);
    vk_http_result_free(&res);
    vk_http_client_free(c);
}

static void test_plain_http_needs_allowing(void **state) {
    (void)state;
    test_server *s = test_server_start(scripted, NULL, NULL, NULL);
    vk_http_client *c;
    vk_status st;
    assert_true(vk_http_client_new(&(vk_http_settings){.base_url = test_server_url(s)}, &c, &st));
    vk_http_request rq = get("/x", 10000);
    vk_http_result res;
    assert_false(vk_http_send(c, &rq, NULL, &res));
    assert_int_equal(res.failure, VK_HTTP_FAIL_CONFIG);
    assert_int_equal(res.attempts, 1); /* not retried */
    assert_int_equal(test_server_requests(s), 0);
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

static void test_large_answer_is_refused(void **state) {
    (void)state;
    test_server *s = test_server_start(scripted, NULL, NULL, NULL);
    vk_http_client *c;
    vk_status st;
    vk_http_settings settings = {.base_url = test_server_url(s), .allow_http = true, .max_body_bytes = 8};
    assert_true(vk_http_client_new(&settings, &c, &st));
    vk_http_request rq = get("/a-long-path", 10000);
    vk_http_result res;
    assert_false(vk_http_exchange(c, &rq, &res));
    assert_int_equal(res.failure, VK_HTTP_FAIL_RESPONSE);
    assert_string_equal(res.message, "the answer is larger than 8 bytes");
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

/* ---- Deadlines ---- */

static test_reply hang(void *ctx, const test_request *rq) {
    (void)ctx;
    (void)rq;
    return (test_reply){.hang = true};
}

/* Bounded against the hang it races, with wide margins: CI is two busy cores under ASan. */
static void test_deadline_ends_a_hang(void **state) {
    (void)state;
    test_server *s = test_server_start(hang, NULL, NULL, NULL);
    vk_http_client *c = client_for(s, 4);
    vk_http_request rq = get("/hang", 300);
    vk_http_result res;
    int64_t started = vk_now_ms();
    assert_false(vk_http_send(c, &rq, NULL, &res));
    int64_t elapsed = vk_now_ms() - started;
    assert_int_equal(res.failure, VK_HTTP_FAIL_DEADLINE);
    assert_int_equal(res.cause, VK_HTTP_CAUSE_REQUEST_TIMEOUT);
    assert_true(res.timeout_was_deadline);
    assert_true(elapsed >= 250 && elapsed < 10000);
    assert_int_equal(res.attempts, 1); /* no time for another */
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

/* The request timeout, nearer than the deadline, is a timeout - and retried. */
static void test_request_timeout_is_not_the_deadline(void **state) {
    (void)state;
    test_server *s = test_server_start(hang, NULL, NULL, NULL);
    vk_http_client *c;
    vk_status st;
    vk_http_settings settings = {.base_url = test_server_url(s), .allow_http = true, .request_timeout_ms = 200,
                                 .retry = {.max_attempts = 2, .initial_backoff_ms = 10}};
    assert_true(vk_http_client_new(&settings, &c, &st));
    vk_http_request rq = get("/hang", 20000);
    vk_http_result res;
    assert_false(vk_http_send(c, &rq, NULL, &res));
    assert_int_equal(res.failure, VK_HTTP_FAIL_TIMEOUT);
    assert_int_equal(res.cause, VK_HTTP_CAUSE_REQUEST_TIMEOUT);
    assert_false(res.timeout_was_deadline);
    assert_true(res.connected);
    assert_int_equal(res.attempts, 2);
    assert_non_null(strstr(res.message, "timed out"));
    assert_no_duration(res.message);
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

typedef struct {
    vk_http_client *c;
    int64_t ms;
} holder;

static void *hold_connection(void *arg) {
    holder *h = arg;
    vk_http_request rq = get("/hang", h->ms);
    vk_http_result res;
    vk_http_exchange(h->c, &rq, &res);
    vk_http_result_free(&res);
    return NULL;
}

/* With every connection busy, a request waits for one - until its deadline, sending nothing. */
static void test_connection_wait_ends_at_the_deadline(void **state) {
    (void)state;
    test_server *s = test_server_start(hang, NULL, NULL, NULL);
    vk_http_client *c;
    vk_status st;
    assert_true(vk_http_client_new(&(vk_http_settings){.base_url = test_server_url(s), .allow_http = true,
                                                       .max_connections = 1},
                                   &c, &st));
    holder h = {.c = c, .ms = 2000};
    pthread_t t;
    pthread_create(&t, NULL, hold_connection, &h);
    for (int i = 0; i < 500 && test_server_requests(s) == 0; i++) {
        struct timespec ts = {.tv_nsec = 10000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(test_server_requests(s), 1);
    vk_http_request rq = get("/waits", 300);
    vk_http_result res;
    assert_false(vk_http_send(c, &rq, NULL, &res));
    assert_false(res.sent);
    assert_int_equal(res.failure, VK_HTTP_FAIL_DEADLINE);
    assert_int_equal(res.attempts, 0);
    assert_string_equal(res.message, "the deadline passed while waiting for a free connection (1 in use)");
    vk_http_result_free(&res);
    pthread_join(t, NULL);
    vk_http_client_free(c);
    test_server_stop(s);
}

/* ---- Hooks ---- */

typedef struct {
    int prepared, judged, resends;
    char header[64];
    const char *headers[2];
} hook_state;

static bool prepare_header(void *ctx, vk_http_request *rq) {
    hook_state *h = ctx;
    snprintf(h->header, sizeof h->header, "X-Test: try-%d", ++h->prepared);
    h->headers[0] = h->header;
    rq->headers = h->headers;
    return true;
}

/* Asks once for a resend (as a token refresh would), then keeps the answer. */
static vk_http_verdict judge_once(void *ctx, const vk_http_request *rq, const vk_http_result *res) {
    (void)rq;
    hook_state *h = ctx;
    h->judged++;
    if (res->status == 200 && h->resends == 0) {
        h->resends++;
        return VK_HTTP_RESEND;
    }
    return VK_HTTP_DONE;
}

static void test_hooks_prepare_and_judge(void **state) {
    (void)state;
    test_server *s = test_server_start(scripted, NULL, NULL, NULL);
    vk_http_client *c = client_for(s, 4);
    hook_state h = {0};
    vk_http_hooks hooks = {.prepare = prepare_header, .judge = judge_once, .ctx = &h};
    vk_http_request rq = get("/h", 10000);
    vk_http_result res;
    assert_true(vk_http_send(c, &rq, &hooks, &res));
    assert_string_equal(res.body, "GET /h try-2 "); /* the resend carried the new header */
    assert_int_equal(h.prepared, 2);
    assert_int_equal(h.judged, 2);
    assert_int_equal(res.attempts, 2);
    vk_http_stats stats;
    vk_http_get_stats(c, &stats);
    assert_int_equal(stats.retries, 0); /* a resend is no retry */
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

/* 429 with the X-Test header's text as its Retry-After ("-": none). */
static test_reply throttled(void *ctx, const test_request *rq) {
    (void)ctx;
    return (test_reply){.status = 429, .retry_after = strcmp(rq->x_test, "-") == 0 ? NULL : rq->x_test};
}

static int64_t retry_after_of(vk_http_client *c, const char *value) {
    char header[128];
    snprintf(header, sizeof header, "X-Test: %s", value);
    const char *const headers[] = {header, NULL};
    vk_http_request rq = get("/busy", 10000);
    rq.headers = headers;
    vk_http_result res;
    assert_true(vk_http_exchange(c, &rq, &res));
    assert_int_equal(res.status, 429);
    int64_t s = res.retry_after_s;
    vk_http_result_free(&res);
    return s;
}

static void test_retry_after(void **state) {
    (void)state;
    test_server *s = test_server_start(throttled, NULL, NULL, NULL);
    vk_http_client *c = client_for(s, 1);
    assert_int_equal(retry_after_of(c, "-"), -1);
    assert_int_equal(retry_after_of(c, "7"), 7);
    assert_int_equal(retry_after_of(c, "0"), 0);
    assert_int_equal(retry_after_of(c, "soon"), -1);
    assert_int_equal(retry_after_of(c, "12x"), -1);
    assert_int_equal(retry_after_of(c, "Sun, 06 Nov 1994 08:49:37 GMT"), 0); /* passed: at once */
    char date[64];
    time_t later = time(NULL) + 120;
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&later, &tm));
    int64_t left = retry_after_of(c, date);
    assert_true(left >= 100 && left <= 120); /* whole seconds, and the clock moved on */
    /* no answer, no header */
    vk_http_result res;
    vk_http_request rq = get("http://127.0.0.1:1/", 10000);
    assert_false(vk_http_exchange(c, &rq, &res));
    assert_int_equal(res.retry_after_s, -1);
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffered_exchange),
        cmocka_unit_test(test_connections_are_kept_alive),
        cmocka_unit_test(test_503_is_retried_with_backoff),
        cmocka_unit_test(test_retries_stop_at_max_attempts),
        cmocka_unit_test(test_unsafe_writes_are_not_retried),
        cmocka_unit_test(test_reset_is_retried),
        cmocka_unit_test(test_refused_is_undelivered_and_retried),
        cmocka_unit_test(test_plain_http_needs_allowing),
        cmocka_unit_test(test_large_answer_is_refused),
        cmocka_unit_test(test_deadline_ends_a_hang),
        cmocka_unit_test(test_request_timeout_is_not_the_deadline),
        cmocka_unit_test(test_connection_wait_ends_at_the_deadline),
        cmocka_unit_test(test_hooks_prepare_and_judge),
        cmocka_unit_test(test_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
