/* The VMS client's transport against the real simulator: authentication (lazy login,
 * single-flight refresh, API tokens, permission denied), retries and their limits,
 * deadlines, and tenant scoping. One simulator serves the whole group; every test
 * starts with fresh counters and no faults. */
#include "sim_harness.h"
#include "vk/deadline.h"
#include "vk/vms.h"
#include "vk/vms_list.h"
#include "vk/vms_objects.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

static sim_instance sim;

static int group_setup(void **state) {
    (void)state;
    static const char *const args[] = {"--user", "admin:123456", "--user", "ro:ropass:readonly", "--api-token",
                                       "test-api-token", NULL};
    sim_start(&sim, &(sim_options){.http = true, .seed = true, .extra_args = args});
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    sim_stop(&sim);
    return 0;
}

static int fresh(void **state) {
    (void)state;
    json_decref(sim_admin(&sim, "DELETE", "/_sim/faults", NULL));
    sim_reset_stats(&sim);
    return 0;
}

static int64_t seconds(int n) { return vk_deadline_in(n * 1000); }

static void test_login_is_lazy_and_never_fails_first(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    vms_client *c = sim_client(&cfg);
    assert_int_equal(sim_stat(&sim, "requests_total"), 0); /* creating a client sends nothing */
    json_t *versions = NULL;
    vms_error err;
    assert_true(vms_get(c, "versions/", seconds(10), &versions, &err));
    assert_true(json_is_array(versions));
    json_decref(versions);
    /* One token request, then the GET with a valid token: no request bound to fail. */
    assert_int_equal(sim_stat(&sim, "POST token/"), 1);
    assert_int_equal(sim_stat(&sim, "GET versions/"), 1);
    assert_int_equal(sim_stat(&sim, "requests_total"), 2);
    vms_client_free(c);
}

typedef struct {
    vms_client *client;
    pthread_barrier_t *start;
    bool ok;
    vms_error err;
} expiry_worker;

static void *get_after_barrier(void *arg) {
    expiry_worker *w = arg;
    pthread_barrier_wait(w->start);
    json_t *answer = NULL;
    w->ok = vms_get(w->client, "views/", seconds(30), &answer, &w->err);
    json_decref(answer);
    return NULL;
}

#define EXPIRY_THREADS 16

static void test_token_expiry_refreshes_once_for_16_threads(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    cfg.max_connections = EXPIRY_THREADS; /* let all 16 hit the 403 at the same time */
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    for (int i = 0; i < EXPIRY_THREADS; i++) { /* warm up: a token and open connections */
        assert_true(vms_get(c, "versions/", seconds(10), &answer, &err));
        json_decref(answer);
    }
    sim_reset_stats(&sim);
    json_decref(sim_admin(&sim, "POST", "/_sim/tokens/expire", NULL));

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, EXPIRY_THREADS);
    pthread_t threads[EXPIRY_THREADS];
    expiry_worker workers[EXPIRY_THREADS];
    for (int i = 0; i < EXPIRY_THREADS; i++) {
        workers[i] = (expiry_worker){.client = c, .start = &start};
        pthread_create(&threads[i], NULL, get_after_barrier, &workers[i]);
    }
    for (int i = 0; i < EXPIRY_THREADS; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < EXPIRY_THREADS; i++) {
        if (!workers[i].ok) fail_msg("thread %d: %s", i, workers[i].err.message);
    }
    assert_int_equal(sim_stat(&sim, "POST token/"), 1);
    /* Every thread got its answer: 16 GETs succeeded, some after one 403 each. */
    long gets = sim_stat(&sim, "GET views/");
    assert_in_range(gets, EXPIRY_THREADS, 2 * EXPIRY_THREADS);
    vms_client_stats stats;
    vms_client_get_stats(c, &stats);
    assert_int_equal(stats.token_requests, 2);
    vms_client_free(c);
}

static void test_bad_password_is_unauthenticated(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    cfg.password = "wrong";
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    assert_false(vms_get(c, "views/", seconds(10), &answer, &err));
    assert_null(answer);
    assert_int_equal(err.http_status, 401);
    assert_vms_code(&err, VK_UNAUTHENTICATED);
    vk_status st;
    vms_error_to_status(&err, &st);
    assert_non_null(strstr(st.message, "check the username/password"));
    assert_non_null(strstr(st.message, "user admin"));
    assert_null(strstr(st.message, "wrong")); /* the password never shows */
    assert_int_equal(sim_stat(&sim, "POST token/"), 1);  /* a 401 is not retried */
    assert_int_equal(sim_stat(&sim, "GET views/"), 0);   /* and nothing is sent without a token */
    vms_client_free(c);
}

static void test_permission_denied_is_not_retried(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    cfg.username = "ro";
    cfg.password = "ropass";
    vms_client *c = sim_client(&cfg);
    vms_quota_spec spec = {.name = "ro-quota", .path = "/k8s/ro-quota", .create_dir = true};
    vms_error err;
    assert_false(vms_quota_create(c, &spec, NULL, seconds(10), &err));
    assert_int_equal(err.http_status, 403);
    assert_string_equal(err.code, "permission_denied");
    assert_vms_code(&err, VK_PERMISSION_DENIED);
    assert_int_equal(sim_stat(&sim, "POST quotas/"), 1);
    assert_int_equal(sim_stat(&sim, "POST token/"), 1); /* no refresh for a missing permission */
    /* Reads are allowed. */
    json_t *answer = NULL;
    assert_true(vms_get(c, "quotas/", seconds(10), &answer, &err));
    json_decref(answer);
    vms_client_free(c);
}

static void test_api_token_needs_no_login(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    cfg.username = cfg.password = NULL;
    cfg.api_token = "test-api-token";
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    assert_true(vms_get(c, "views/", seconds(10), &answer, &err));
    json_decref(answer);
    assert_int_equal(sim_stat(&sim, "POST token/"), 0);

    vms_client_free(c);
    cfg.api_token = "not-a-token";
    c = sim_client(&cfg);
    assert_false(vms_get(c, "views/", seconds(10), &answer, &err));
    assert_vms_code(&err, VK_UNAUTHENTICATED);
    assert_int_equal(sim_stat(&sim, "POST token/"), 0); /* an API token is never "refreshed" */
    vms_client_free(c);
}

static void test_503_is_retried_with_backoff(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    assert_true(vms_get(c, "versions/", seconds(10), &answer, &err)); /* login first */
    json_decref(answer);
    sim_reset_stats(&sim);
    sim_set_faults(&sim, "{\"method\": \"GET\", \"path\": \"views/\", \"error_status\": 503, \"error_rate\": 1.0, "
                         "\"count\": 2}");
    int64_t started = vk_now_ms();
    assert_true(vms_get(c, "views/", seconds(10), &answer, &err));
    int64_t elapsed = vk_now_ms() - started;
    json_decref(answer);
    assert_int_equal(sim_stat(&sim, "GET views/"), 3);
    /* Backoff 20 ms then 40 ms nominal, jittered to at least half: >= 30 ms in all. */
    assert_true(elapsed >= 30);
    vms_client_stats stats;
    vms_client_get_stats(c, &stats);
    assert_int_equal(stats.retries, 2);
    vms_client_free(c);
}

static void test_retries_stop_at_max_attempts(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    cfg.max_attempts = 3;
    vms_client *c = sim_client(&cfg);
    sim_set_faults(&sim, "{\"path\": \"views/\", \"error_status\": 503, \"error_rate\": 1.0}");
    json_t *answer = NULL;
    vms_error err;
    assert_false(vms_get(c, "views/", seconds(10), &answer, &err));
    assert_int_equal(err.http_status, 503);
    assert_int_equal(err.attempts, 3);
    assert_vms_code(&err, VK_UNAVAILABLE);
    assert_int_equal(sim_stat(&sim, "GET views/"), 3);
    vms_client_free(c);
}

static void test_400_and_unsafe_writes_are_not_retried(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    /* An injected 400 on a GET. */
    sim_set_faults(&sim, "{\"method\": \"GET\", \"path\": \"views/\", \"error_status\": 400, \"error_rate\": 1.0, "
                         "\"count\": 1}");
    assert_false(vms_get(c, "views/", seconds(10), &answer, &err));
    assert_vms_code(&err, VK_INVALID_ARGUMENT);
    assert_int_equal(sim_stat(&sim, "GET views/"), 1);
    /* A real 400: a quota without a path. */
    json_t *body = json_pack("{s:s}", "name", "no-path");
    assert_false(vms_post(c, "quotas/", body, 0, seconds(10), &answer, &err));
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.field, "path");
    assert_vms_code(&err, VK_INVALID_ARGUMENT);
    assert_int_equal(sim_stat(&sim, "POST quotas/"), 1);
    /* A 503 on a POST that is not marked idempotent: it may have happened, so no resend. */
    sim_set_faults(&sim, "{\"method\": \"POST\", \"path\": \"quotas/\", \"error_status\": 503, \"error_rate\": 1.0, "
                         "\"count\": 1}");
    assert_false(vms_post(c, "quotas/", body, 0, seconds(10), &answer, &err));
    assert_int_equal(err.http_status, 503);
    assert_int_equal(sim_stat(&sim, "POST quotas/"), 2);
    json_decref(body);
    /* A 500 is retried for a GET only; a PATCH marked idempotent is retried on 503. */
    sim_set_faults(&sim, "{\"method\": \"PATCH\", \"error_status\": 500, \"error_rate\": 1.0, \"count\": 1}, "
                         "{\"method\": \"GET\", \"path\": \"versions/\", \"error_status\": 500, \"error_rate\": 1.0, "
                         "\"count\": 1}");
    assert_true(vms_get(c, "versions/", seconds(10), &answer, &err));
    json_decref(answer);
    assert_int_equal(sim_stat(&sim, "GET versions/"), 2);
    json_t *changes = json_pack("{s:s}", "name", "vast-k8s");
    assert_false(vms_patch(c, "tenants/1/", changes, VMS_IDEMPOTENT, seconds(10), &answer, &err));
    assert_int_equal(err.http_status, 500);
    sim_set_faults(&sim, "{\"method\": \"PATCH\", \"error_status\": 503, \"error_rate\": 1.0, \"count\": 1}");
    json_decref(changes);
    changes = json_pack("{s:[[s,s]]}", "client_ip_ranges", "10.9.0.1", "10.9.0.9");
    vms_tenant tenant;
    assert_int_equal(vms_tenant_find(c, VMS_FILTERS("name", "vast-k8s"), &tenant, seconds(10), &err), VMS_FOUND);
    char path[64];
    snprintf(path, sizeof path, "tenants/%lld/", (long long)tenant.obj.id);
    sim_reset_stats(&sim);
    assert_true(vms_patch(c, path, changes, VMS_IDEMPOTENT, seconds(10), &answer, &err));
    assert_int_equal(sim_stat(&sim, "PATCH tenants/{id}/"), 2);
    json_decref(answer);
    json_decref(changes);
    vms_object_free(&tenant.obj);
    vms_client_free(c);
}

static void test_hang_ends_at_the_deadline(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    assert_true(vms_get(c, "versions/", seconds(10), &answer, &err)); /* login first */
    json_decref(answer);
    sim_set_faults(&sim, "{\"method\": \"GET\", \"path\": \"views/\", \"hang_ms\": 10000, \"count\": 1}");
    int64_t started = vk_now_ms();
    assert_false(vms_get(c, "views/", vk_deadline_in(500), &answer, &err));
    int64_t elapsed = vk_now_ms() - started;
    assert_int_equal(err.kind, VMS_ERR_DEADLINE);
    assert_vms_code(&err, VK_DEADLINE_EXCEEDED);
    assert_true(elapsed >= 450);
    assert_true(elapsed < 5000); /* half the 10 s hang it races: a busy machine never decides */
    vms_client_free(c);
}

static void test_request_timeout_is_retried_within_the_deadline(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    cfg.request_timeout_ms = 300;
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    assert_true(vms_get(c, "versions/", seconds(10), &answer, &err));
    json_decref(answer);
    sim_reset_stats(&sim);
    sim_set_faults(&sim, "{\"method\": \"GET\", \"path\": \"views/\", \"hang_ms\": 10000, \"count\": 1}");
    /* The first attempt times out (the caller's deadline is far); the retry gets through. */
    assert_true(vms_get(c, "views/", seconds(10), &answer, &err));
    json_decref(answer);
    assert_int_equal(sim_stat(&sim, "GET views/"), 2);
    vms_client_free(c);
}

static void test_dropped_connection_is_retried(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    vms_client *c = sim_client(&cfg);
    sim_set_faults(&sim, "{\"method\": \"GET\", \"path\": \"views/\", \"drop\": true, \"count\": 1}");
    json_t *answer = NULL;
    vms_error err;
    assert_true(vms_get(c, "views/", seconds(10), &answer, &err));
    json_decref(answer);
    assert_int_equal(sim_stat(&sim, "GET views/"), 2);
    vms_client_free(c);
}

static void test_unreachable_endpoint_is_unavailable(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    cfg.endpoint = "http://127.0.0.1:1"; /* nothing listens on port 1 */
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    assert_false(vms_get(c, "views/", seconds(10), &answer, &err));
    assert_int_equal(err.kind, VMS_ERR_TRANSPORT);
    assert_int_equal(err.attempts, 4); /* connection refused: retried, even for the token POST */
    assert_vms_code(&err, VK_UNAVAILABLE);
    vk_status st;
    vms_error_to_status(&err, &st);
    assert_non_null(strstr(st.message, "http://127.0.0.1:1"));
    vms_client_free(c);
}

static void test_tenant_header_scopes_requests(void **state) {
    (void)state;
    vms_config admin_cfg = sim_client_config(&sim);
    vms_client *admin = sim_client(&admin_cfg);
    vms_config tenant_cfg = sim_client_config(&sim);
    tenant_cfg.tenant = "vast-k8s";
    vms_client *scoped = sim_client(&tenant_cfg);
    vms_error err;

    vms_quota in_default, in_tenant;
    vms_quota_spec spec = {.name = "scope-default", .path = "/scope-default", .create_dir = true};
    assert_true(vms_quota_create(admin, &spec, &in_default, seconds(10), &err));
    spec = (vms_quota_spec){.name = "scope-tenant", .path = "/k8s/scope-tenant", .create_dir = true};
    assert_true(vms_quota_create(scoped, &spec, &in_tenant, seconds(10), &err));
    /* A create scoped to the tenant lands in it without naming tenant_id. */
    assert_string_equal(in_tenant.obj.tenant_name, "vast-k8s");
    assert_string_not_equal(in_default.obj.tenant_name, "vast-k8s");

    json_t *seen = NULL;
    assert_true(vms_list(scoped, VMS_QUOTAS, VMS_NO_FILTERS, seconds(10), &seen, &err));
    size_t i;
    json_t *q;
    json_array_foreach(seen, i, q) assert_string_equal(json_string_value(json_object_get(q, "tenant_name")), "vast-k8s");
    json_decref(seen);
    /* The other tenant's quota is invisible to the scoped client, by id too. */
    vms_quota probe;
    assert_int_equal(vms_quota_get(scoped, in_default.obj.id, &probe, seconds(10), &err), VMS_MISSING);
    assert_int_equal(vms_quota_get(admin, in_default.obj.id, &probe, seconds(10), &err), VMS_FOUND);
    vms_object_free(&probe.obj);

    /* An unknown tenant is refused. */
    vms_config unknown_cfg = sim_client_config(&sim);
    unknown_cfg.tenant = "no-such-tenant";
    vms_client *unknown = sim_client(&unknown_cfg);
    assert_false(vms_list(unknown, VMS_QUOTAS, VMS_NO_FILTERS, seconds(10), &seen, &err));
    assert_vms_code(&err, VK_PERMISSION_DENIED);

    assert_int_equal(vms_quota_delete(admin, in_default.obj.id, seconds(10), &err), VMS_FOUND);
    assert_int_equal(vms_quota_delete(admin, in_tenant.obj.id, seconds(10), &err), VMS_FOUND);
    vms_object_free(&in_default.obj);
    vms_object_free(&in_tenant.obj);
    vms_client_free(unknown);
    vms_client_free(scoped);
    vms_client_free(admin);
}

static void test_connections_are_reused(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    vms_client *c = sim_client(&cfg);
    long before = sim_stat(&sim, "connections_accepted");
    for (int i = 0; i < 50; i++) {
        json_t *answer = NULL;
        vms_error err;
        assert_true(vms_get(c, "versions/", seconds(10), &answer, &err));
        json_decref(answer);
    }
    /* Sequential requests share one connection (the admin calls add their own). */
    assert_in_range(sim_stat(&sim, "connections_accepted") - before, 1, 3);
    vms_client_stats stats;
    vms_client_get_stats(c, &stats);
    assert_int_equal(stats.connections, 1);
    vms_client_free(c);
}

static void test_missing_trailing_slash_is_added(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    vms_client *c = sim_client(&cfg);
    json_t *answer = NULL;
    vms_error err;
    assert_true(vms_get(c, "versions", seconds(10), &answer, &err));
    json_decref(answer);
    assert_true(vms_get(c, "views?page_size=5", seconds(10), &answer, &err));
    assert_true(json_is_object(answer)); /* the paged shape: the query survived */
    json_decref(answer);
    assert_int_equal(sim_stat(&sim, "GET versions/"), 1);
    assert_int_equal(sim_stat(&sim, "GET views/"), 1);
    vms_client_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_login_is_lazy_and_never_fails_first, fresh),
        cmocka_unit_test_setup(test_token_expiry_refreshes_once_for_16_threads, fresh),
        cmocka_unit_test_setup(test_bad_password_is_unauthenticated, fresh),
        cmocka_unit_test_setup(test_permission_denied_is_not_retried, fresh),
        cmocka_unit_test_setup(test_api_token_needs_no_login, fresh),
        cmocka_unit_test_setup(test_503_is_retried_with_backoff, fresh),
        cmocka_unit_test_setup(test_retries_stop_at_max_attempts, fresh),
        cmocka_unit_test_setup(test_400_and_unsafe_writes_are_not_retried, fresh),
        cmocka_unit_test_setup(test_hang_ends_at_the_deadline, fresh),
        cmocka_unit_test_setup(test_request_timeout_is_retried_within_the_deadline, fresh),
        cmocka_unit_test_setup(test_dropped_connection_is_retried, fresh),
        cmocka_unit_test_setup(test_unreachable_endpoint_is_unavailable, fresh),
        cmocka_unit_test_setup(test_tenant_header_scopes_requests, fresh),
        cmocka_unit_test_setup(test_connections_are_reused, fresh),
        cmocka_unit_test_setup(test_missing_trailing_slash_is_added, fresh),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
