/* Several requests at once (vk/http_multi.h): five answers delayed 300 ms each come
 * back together, each matched to its request; each job keeps its own deadline and its
 * own retries; no more than max_connections - 1 run at once; connections are kept for
 * the next batch. */
#include "test_server.h"
#include "vk/deadline.h"
#include "vk/http_multi.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define DELAY_MS 300

/* Each answer names its request; /slow/ waits DELAY_MS, /hang/ never answers, the
 * first /flaky/ gets a 503. */
static atomic_int flaky_seen;

static test_reply by_path(void *ctx, const test_request *rq) {
    (void)ctx;
    test_reply r = {.status = 200};
    if (strncmp(rq->url, "/hang/", 6) == 0) return (test_reply){.hang = true};
    if (strncmp(rq->url, "/slow/", 6) == 0) r.delay_ms = DELAY_MS;
    if (strncmp(rq->url, "/flaky/", 7) == 0 && atomic_fetch_add(&flaky_seen, 1) == 0) r.status = 503;
    snprintf(r.body, sizeof r.body, "%s %s %s", rq->method, rq->url, rq->body);
    return r;
}

static vk_http_client *client_for(const test_server *s, int max_connections) {
    vk_http_client *c;
    vk_status st;
    vk_http_settings settings = {.base_url = test_server_url(s), .allow_http = true,
                                 .max_connections = max_connections,
                                 .retry = {.max_attempts = 3, .initial_backoff_ms = 20}};
    assert_true(vk_http_client_new(&settings, &c, &st));
    return c;
}

#define JOBS 5

static void test_requests_overlap_and_match(void **state) {
    (void)state;
    test_server *s = test_server_start(by_path, NULL, NULL, NULL);
    vk_http_client *c = client_for(s, 8);
    char urls[JOBS][32], bodies[JOBS][16];
    vk_http_job jobs[JOBS];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < JOBS; i++) {
        snprintf(urls[i], sizeof urls[i], "/slow/%d", i);
        snprintf(bodies[i], sizeof bodies[i], "body-%d", i);
        jobs[i].request = (vk_http_request){.method = "POST", .url = urls[i], .body = bodies[i],
                                            .body_len = strlen(bodies[i]), .deadline = vk_deadline_in(20000)};
    }
    int64_t started = vk_now_ms();
    vk_http_send_all(c, jobs, JOBS);
    int64_t elapsed = vk_now_ms() - started;
    print_message("%d requests of %d ms each took %lld ms\n", JOBS, DELAY_MS, (long long)elapsed);
    /* the server saw them in flight together: that, not a stopwatch on 2 busy cores, is
     * the proof they overlapped; the time bound is the hang it races (the jobs' deadline) */
    assert_true(test_server_peak(s) >= 2);
    assert_true(elapsed < 20000);
    for (int i = 0; i < JOBS; i++) {
        char want[64];
        snprintf(want, sizeof want, "POST /slow/%d body-%d", i, i);
        assert_int_equal(jobs[i].result.failure, VK_HTTP_ANSWERED);
        assert_int_equal(jobs[i].result.status, 200);
        assert_string_equal(jobs[i].result.body, want);
        assert_int_equal(jobs[i].result.attempts, 1);
        vk_http_result_free(&jobs[i].result);
    }

    /* The next batch finds the connections open. */
    int connections = test_server_connections(s);
    for (int i = 0; i < JOBS; i++) jobs[i].request.deadline = vk_deadline_in(20000);
    vk_http_send_all(c, jobs, JOBS);
    for (int i = 0; i < JOBS; i++) {
        assert_int_equal(jobs[i].result.status, 200);
        vk_http_result_free(&jobs[i].result);
    }
    assert_int_equal(test_server_connections(s), connections);
    vk_http_client_free(c);
    test_server_stop(s);
}

static void test_each_job_keeps_its_deadline_and_retries(void **state) {
    (void)state;
    test_server *s = test_server_start(by_path, NULL, NULL, NULL);
    vk_http_client *c = client_for(s, 8);
    vk_http_job jobs[3] = {
        {.request = {.method = "GET", .url = "/hang/", .deadline = vk_deadline_in(300)}},
        {.request = {.method = "GET", .url = "/flaky/", .deadline = vk_deadline_in(20000)}},
        {.request = {.method = "GET", .url = "/slow/", .deadline = vk_deadline_in(20000)}},
    };
    vk_http_send_all(c, jobs, 3);
    assert_int_equal(jobs[0].result.failure, VK_HTTP_FAIL_DEADLINE);
    assert_int_equal(jobs[1].result.status, 200);
    assert_int_equal(jobs[1].result.attempts, 2); /* the 503, then the answer */
    assert_string_equal(jobs[1].result.body, "GET /flaky/ ");
    assert_int_equal(jobs[2].result.status, 200);
    assert_string_equal(jobs[2].result.body, "GET /slow/ ");
    for (int i = 0; i < 3; i++) vk_http_result_free(&jobs[i].result);
    vk_http_client_free(c);
    test_server_stop(s);
}

/* With 3 connections a batch runs 2 at a time: one stays free for the hooks. */
static void test_batch_stays_below_the_connection_limit(void **state) {
    (void)state;
    test_server *s = test_server_start(by_path, NULL, NULL, NULL);
    vk_http_client *c = client_for(s, 3);
    vk_http_job jobs[6];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 6; i++)
        jobs[i].request = (vk_http_request){.method = "GET", .url = "/slow/", .deadline = vk_deadline_in(20000)};
    vk_http_send_all(c, jobs, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(jobs[i].result.status, 200);
        vk_http_result_free(&jobs[i].result);
    }
    assert_in_range(test_server_peak(s), 1, 2); /* 2 unless the first answer beat the second request */
    vk_http_stats stats;
    vk_http_get_stats(c, &stats);
    assert_int_equal(stats.connections, 2);
    vk_http_client_free(c);
    test_server_stop(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_overlap_and_match),
        cmocka_unit_test(test_each_job_keeps_its_deadline_and_retries),
        cmocka_unit_test(test_batch_stays_below_the_connection_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
