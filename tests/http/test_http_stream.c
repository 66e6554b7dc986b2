/* Streamed answers cut into lines, as a Kubernetes watch sends them: lines split
 * across chunks and several in one, CRLF, a last line without a newline; a line over
 * the bound fails; the callback can stop the stream; cancel and the deadline end one
 * that stays open; an idle timeout ends one that stalls, not one that trickles; an
 * error answer is kept whole. */
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

typedef struct {
    const char *const *chunks;
    int delay_ms;
    bool hang_after;
    int status;
} feed;

static test_reply streamed(void *ctx, const test_request *rq) {
    (void)rq;
    const feed *f = ctx;
    test_reply r = {.status = f->status, .chunks = f->chunks, .chunk_delay_ms = f->delay_ms,
                    .hang_after_chunks = f->hang_after};
    if (f->status >= 300) {
        r.chunks = NULL;
        snprintf(r.body, sizeof r.body, "{\"kind\":\"Status\",\"code\":%d}", f->status);
    }
    return r;
}

#define MAX_LINES 16

typedef struct {
    char lines[MAX_LINES][64];
    int count;
    int stop_after; /* 0: never */
    atomic_bool *cancel_after_first;
} collected;

static bool on_line(void *ctx, const char *line, size_t len) {
    collected *col = ctx;
    assert_int_equal(strlen(line), len); /* NUL-terminated at len */
    if (col->count < MAX_LINES) snprintf(col->lines[col->count], sizeof col->lines[0], "%s", line);
    col->count++;
    if (col->cancel_after_first) atomic_store(col->cancel_after_first, true);
    return col->stop_after == 0 || col->count < col->stop_after;
}

static vk_http_client *client_for(const test_server *s) {
    vk_http_client *c;
    vk_status st;
    assert_true(vk_http_client_new(&(vk_http_settings){.base_url = test_server_url(s), .allow_http = true}, &c, &st));
    return c;
}

static bool stream_idle(test_server *s, collected *col, size_t max_line, const atomic_bool *cancel, int64_t ms,
                        int64_t idle_ms, vk_http_result *res) {
    vk_http_client *c = client_for(s);
    vk_http_request rq = {.method = "GET", .url = "/watch", .deadline = vk_deadline_in(ms)};
    vk_http_stream sink = {.on_line = on_line, .ctx = col, .max_line = max_line, .cancel = cancel,
                           .idle_timeout_ms = idle_ms};
    bool answered = vk_http_stream_lines(c, &rq, &sink, res);
    vk_http_client_free(c);
    return answered;
}

static bool stream(test_server *s, collected *col, size_t max_line, const atomic_bool *cancel, int64_t ms,
                   vk_http_result *res) {
    return stream_idle(s, col, max_line, cancel, ms, 0, res);
}

static void test_lines_across_chunks(void **state) {
    (void)state;
    static const char *const chunks[] = {"{\"a\":1}\n{\"b\"", ":2}\n", "{\"c\":3}\r\n{\"d\":4}\n{\"e\"", ":5}", NULL};
    feed f = {.chunks = chunks, .delay_ms = 30};
    test_server *s = test_server_start(streamed, &f, NULL, NULL);
    collected col = {0};
    vk_http_result res;
    assert_true(stream(s, &col, 0, NULL, 10000, &res));
    assert_int_equal(res.failure, VK_HTTP_ANSWERED);
    assert_int_equal(res.status, 200);
    assert_false(res.stopped);
    assert_int_equal(col.count, 5);
    assert_string_equal(col.lines[0], "{\"a\":1}");
    assert_string_equal(col.lines[1], "{\"b\":2}");
    assert_string_equal(col.lines[2], "{\"c\":3}"); /* without its \r */
    assert_string_equal(col.lines[3], "{\"d\":4}");
    assert_string_equal(col.lines[4], "{\"e\":5}"); /* the last, without a newline */
    assert_int_equal(res.body_len, 0);              /* lines are not buffered too */
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_line_over_the_bound_fails(void **state) {
    (void)state;
    /* 12 bytes then more in the next chunk: over 10 before any newline. */
    static const char *const chunks[] = {"short\n0123456789ab", "cdef\n", "never\n", NULL};
    feed f = {.chunks = chunks, .delay_ms = 10};
    test_server *s = test_server_start(streamed, &f, NULL, NULL);
    collected col = {0};
    vk_http_result res;
    assert_false(stream(s, &col, 10, NULL, 10000, &res));
    assert_int_equal(res.failure, VK_HTTP_FAIL_RESPONSE);
    assert_string_equal(res.message, "a line of the answer is longer than 10 bytes");
    assert_int_equal(col.count, 1);
    assert_string_equal(col.lines[0], "short");
    vk_http_result_free(&res);

    /* Exactly at the bound is fine, CRLF or not; a last line over it fails too. */
    static const char *const exact[] = {"0123456789\r\n", "abcdefghij\n", "0123456789x", NULL};
    f.chunks = exact;
    col = (collected){0};
    assert_false(stream(s, &col, 10, NULL, 10000, &res));
    assert_int_equal(res.failure, VK_HTTP_FAIL_RESPONSE);
    assert_int_equal(col.count, 2);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_callback_stops_the_stream(void **state) {
    (void)state;
    static const char *const chunks[] = {"1\n", "2\n", "3\n", "4\n", NULL};
    feed f = {.chunks = chunks, .delay_ms = 20, .hang_after = true};
    test_server *s = test_server_start(streamed, &f, NULL, NULL);
    collected col = {.stop_after = 2};
    vk_http_result res;
    int64_t started = vk_now_ms();
    assert_true(stream(s, &col, 0, NULL, 30000, &res));
    assert_true(vk_now_ms() - started < 20000); /* did not wait for the deadline */
    assert_true(res.stopped);
    assert_int_equal(res.failure, VK_HTTP_ANSWERED);
    assert_int_equal(col.count, 2);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_cancel_ends_an_open_stream(void **state) {
    (void)state;
    static const char *const chunks[] = {"first\n", NULL};
    feed f = {.chunks = chunks, .hang_after = true};
    test_server *s = test_server_start(streamed, &f, NULL, NULL);
    atomic_bool cancel = false;
    collected col = {.cancel_after_first = &cancel};
    vk_http_result res;
    int64_t started = vk_now_ms();
    assert_false(stream(s, &col, 0, &cancel, 30000, &res));
    assert_true(vk_now_ms() - started < 20000);
    assert_int_equal(res.failure, VK_HTTP_FAIL_CANCELLED);
    assert_int_equal(col.count, 1);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_deadline_ends_an_open_stream(void **state) {
    (void)state;
    static const char *const chunks[] = {"first\n", NULL};
    feed f = {.chunks = chunks, .hang_after = true};
    test_server *s = test_server_start(streamed, &f, NULL, NULL);
    collected col = {0};
    vk_http_result res;
    int64_t started = vk_now_ms();
    assert_false(stream(s, &col, 0, NULL, 400, &res));
    int64_t elapsed = vk_now_ms() - started;
    assert_int_equal(res.failure, VK_HTTP_FAIL_DEADLINE);
    assert_true(elapsed >= 350 && elapsed < 10000);
    assert_int_equal(col.count, 1);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_idle_timeout_ends_a_stalled_stream(void **state) {
    (void)state;
    static const char *const chunks[] = {"first\n", NULL};
    feed f = {.chunks = chunks, .hang_after = true};
    test_server *s = test_server_start(streamed, &f, NULL, NULL);
    collected col = {0};
    vk_http_result res;
    int64_t started = vk_now_ms();
    assert_false(stream_idle(s, &col, 0, NULL, 30000, 300, &res));
    int64_t took = vk_now_ms() - started;
    assert_true(took >= 300);   /* never before the bound */
    assert_true(took < 20000);  /* long before the 30 s deadline */
    assert_int_equal(res.failure, VK_HTTP_FAIL_TIMEOUT);
    assert_int_equal(res.cause, VK_HTTP_CAUSE_STALLED);
    assert_string_equal(vk_http_cause_name(res.cause), "stalled");
    assert_non_null(strstr(res.message, "stalled"));
    assert_int_equal(col.count, 1);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_idle_timeout_spares_a_trickling_stream(void **state) {
    (void)state;
    /* 6 chunks 50 ms apart: every gap far below the 3 s bound, the whole stream above
     * the 50 ms any single gap takes - the bound is per gap, not per stream. */
    static const char *const chunks[] = {"1\n", "2\n", "3\n", "4\n", "5\n", "6\n", NULL};
    feed f = {.chunks = chunks, .delay_ms = 50};
    test_server *s = test_server_start(streamed, &f, NULL, NULL);
    collected col = {0};
    vk_http_result res;
    assert_true(stream_idle(s, &col, 0, NULL, 30000, 3000, &res));
    assert_int_equal(res.failure, VK_HTTP_ANSWERED);
    assert_int_equal(col.count, 6);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_error_answer_is_buffered(void **state) {
    (void)state;
    feed f = {.status = 410};
    test_server *s = test_server_start(streamed, &f, NULL, NULL);
    collected col = {0};
    vk_http_result res;
    assert_true(stream(s, &col, 0, NULL, 10000, &res));
    assert_int_equal(res.status, 410);
    assert_string_equal(res.body, "{\"kind\":\"Status\",\"code\":410}");
    assert_int_equal(col.count, 0);
    vk_http_result_free(&res);
    test_server_stop(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_across_chunks),
        cmocka_unit_test(test_line_over_the_bound_fails),
        cmocka_unit_test(test_callback_stops_the_stream),
        cmocka_unit_test(test_cancel_ends_an_open_stream),
        cmocka_unit_test(test_deadline_ends_an_open_stream),
        cmocka_unit_test(test_idle_timeout_ends_a_stalled_stream),
        cmocka_unit_test(test_idle_timeout_spares_a_trickling_stream),
        cmocka_unit_test(test_error_answer_is_buffered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
