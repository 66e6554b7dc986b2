/* The Kubernetes client's parts that need no server: resource URLs (core and named
 * groups, namespaced and cluster-scoped, subresources, escaping, query parameters),
 * the rate limit's deadline-bounded reservations on an injected clock, and the token
 * file re-read when it changes (rewritten in place, swapped by rename as the kubelet
 * does, unreadable for a moment, forced after a 401). */
#include "kube_client_internal.h"
#include "vk/deadline.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void assert_url(const vk_kube_ref *ref, const vk_kube_param *params, size_t n, const char *want) {
    vk_status st;
    char *url = vk_kube_url(ref, params, n, &st);
    assert_non_null(url);
    assert_string_equal(url, want);
    free(url);
}

static void test_url_core_and_groups(void **state) {
    (void)state;
    assert_url(&(vk_kube_ref){.version = "v1", .resource = "namespaces"}, NULL, 0, "/api/v1/namespaces");
    assert_url(&(vk_kube_ref){.group = "", .version = "v1", .resource = "configmaps", .namespace_ = "default",
                              .name = "cm"},
               NULL, 0, "/api/v1/namespaces/default/configmaps/cm");
    assert_url(&(vk_kube_ref){.version = "v1", .resource = "persistentvolumes", .name = "pv-1"}, NULL, 0,
               "/api/v1/persistentvolumes/pv-1");
    assert_url(&(vk_kube_ref){.group = "coordination.k8s.io", .version = "v1", .resource = "leases",
                              .namespace_ = "kube-system", .name = "vast"},
               NULL, 0, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/vast");
    assert_url(&(vk_kube_ref){.group = "storage.k8s.io", .version = "v1", .resource = "storageclasses"}, NULL, 0,
               "/apis/storage.k8s.io/v1/storageclasses");
    /* a namespace's own status: cluster-scoped, named, with its subresource */
    assert_url(&(vk_kube_ref){.version = "v1", .resource = "namespaces", .name = "ns", .subresource = "status"}, NULL,
               0, "/api/v1/namespaces/ns/status");
    assert_url(&(vk_kube_ref){.group = "example.com", .version = "v1alpha1", .resource = "widgets", .namespace_ = "a",
                              .name = "w", .subresource = "status"},
               NULL, 0, "/apis/example.com/v1alpha1/namespaces/a/widgets/w/status");
}

static void test_url_escaping_and_query(void **state) {
    (void)state;
    /* a name cannot hold these, but a caller's input can: it stays one segment */
    assert_url(&(vk_kube_ref){.version = "v1", .resource = "configmaps", .namespace_ = "a/b", .name = "x?y#z w"},
               NULL, 0, "/api/v1/namespaces/a%2Fb/configmaps/x%3Fy%23z%20w");
    const vk_kube_param params[] = {{"labelSelector", "app=x,tier!=db"},
                                    {"continue", NULL}, /* left out */
                                    {"fieldSelector", "metadata.name=a&b"},
                                    {"limit", "5"}};
    assert_url(&(vk_kube_ref){.version = "v1", .resource = "pods"}, params, 4,
               "/api/v1/pods?labelSelector=app%3Dx%2Ctier%21%3Ddb&fieldSelector=metadata.name%3Da%26b&limit=5");
    const vk_kube_param only_null[] = {{"continue", NULL}};
    assert_url(&(vk_kube_ref){.version = "v1", .resource = "pods"}, only_null, 1, "/api/v1/pods");
}

static void test_url_refuses_incomplete_refs(void **state) {
    (void)state;
    vk_status st;
    assert_null(vk_kube_url(&(vk_kube_ref){.resource = "pods"}, NULL, 0, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_null(vk_kube_url(&(vk_kube_ref){.version = "v1"}, NULL, 0, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_null(vk_kube_url(&(vk_kube_ref){.version = "v1", .resource = "pods", .subresource = "status"}, NULL, 0, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "status"));
}

static void test_describe(void **state) {
    (void)state;
    char buf[128];
    assert_string_equal(kube_describe("get", &(vk_kube_ref){.version = "v1", .resource = "configmaps",
                                                            .namespace_ = "default", .name = "x"}, buf, sizeof buf),
                        "get configmaps default/x");
    assert_string_equal(kube_describe("update", &(vk_kube_ref){.group = "example.com", .version = "v1",
                                                               .resource = "widgets", .name = "w",
                                                               .subresource = "status"}, buf, sizeof buf),
                        "update widgets.example.com/status w");
    char tiny[8];
    kube_describe("list", &(vk_kube_ref){.version = "v1", .resource = "configmaps", .namespace_ = "ns"}, tiny, sizeof tiny);
    assert_string_equal(tiny, "list co");
}

/* 10 QPS, burst 3, all at t=1000 ms: three at once, then one each 100 ms. */
static void test_limit_burst_then_qps(void **state) {
    (void)state;
    vk_token_bucket b;
    vk_token_bucket_init(&b, 10, 3, 1000);
    for (int i = 0; i < 3; i++) assert_int_equal(kube_limit_take(&b, 1000, VK_DEADLINE_NONE), 0);
    assert_int_equal(kube_limit_take(&b, 1000, VK_DEADLINE_NONE), 100);
    assert_int_equal(kube_limit_take(&b, 1000, VK_DEADLINE_NONE), 200);
    /* 250 ms later the queue ahead (up to 1200) has passed: the next waits 50 ms */
    assert_int_equal(kube_limit_take(&b, 1250, VK_DEADLINE_NONE), 50);
    /* idle for long: the bucket refills to its burst, not beyond */
    for (int i = 0; i < 3; i++) assert_int_equal(kube_limit_take(&b, 60000, VK_DEADLINE_NONE), 0);
    assert_int_equal(kube_limit_take(&b, 60000, VK_DEADLINE_NONE), 100);
}

/* A wait past the deadline takes no token: who comes next is not delayed by it. */
static void test_limit_bounded_by_deadline(void **state) {
    (void)state;
    vk_token_bucket b;
    vk_token_bucket_init(&b, 10, 1, 0);
    assert_int_equal(kube_limit_take(&b, 0, 0), 0); /* within the burst: no wait, even at the deadline */
    assert_int_equal(kube_limit_take(&b, 0, 99), -1);
    assert_int_equal(kube_limit_take(&b, 0, 50), -1);
    assert_int_equal(kube_limit_take(&b, 0, 100), 100); /* exactly in time */
    assert_int_equal(kube_limit_take(&b, 0, 150), -1);   /* the one after it would wait 200 */
    assert_int_equal(kube_limit_take(&b, 0, VK_DEADLINE_NONE), 200);
}

static char dir[64];
static char path[128];

static int make_dir(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vk-kube-token-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof path, "%s/token", dir);
    return 0;
}

static int remove_dir(void **state) {
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static void write_at(const char *p, const char *text) {
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static void assert_header(kube_token *t, const char *want) {
    char *h = kube_token_header(t);
    if (!want) {
        assert_null(h);
        return;
    }
    assert_non_null(h);
    char line[256];
    snprintf(line, sizeof line, "Authorization: Bearer %s", want);
    assert_string_equal(h, line);
    kube_secret_free(h);
}

static void test_token_fixed_or_none(void **state) {
    (void)state;
    kube_token t;
    vk_status st;
    assert_true(kube_token_init(&t, "abc", NULL, &st));
    assert_header(&t, "abc");
    assert_false(kube_token_reload(&t)); /* nothing to re-read */
    kube_token_free(&t);
    assert_true(kube_token_init(&t, NULL, NULL, &st));
    assert_header(&t, NULL);
    kube_token_free(&t);
}

static void test_token_file_follows_changes(void **state) {
    (void)state;
    write_at(path, "first-token\n");
    kube_token t;
    vk_status st;
    assert_true(kube_token_init(&t, "ignored: the file wins", path, &st));
    assert_header(&t, "first-token");
    assert_header(&t, "first-token");
    assert_int_equal(atomic_load(&t.reloads), 0); /* unchanged: not read again */

    write_at(path, "second-token-longer\n"); /* in place, another size */
    assert_header(&t, "second-token-longer");
    assert_int_equal(atomic_load(&t.reloads), 1);

    /* the kubelet's way: a new file renamed over the old one (a new inode), same size */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s/token.new", dir);
    write_at(tmp, "third--token-longer\n");
    assert_int_equal(rename(tmp, path), 0);
    assert_header(&t, "third--token-longer");

    /* in place, same size, same second: the nanoseconds of mtime tell */
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    write_at(path, "fourth-token-longer\n");
    struct timespec times[2] = {before.st_atim, {.tv_sec = before.st_mtim.tv_sec,
                                                 .tv_nsec = (before.st_mtim.tv_nsec + 1) % 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
    assert_header(&t, "fourth-token-longer");

    /* gone for a moment (mid-swap): the last token stays */
    assert_int_equal(unlink(path), 0);
    assert_header(&t, "fourth-token-longer");
    write_at(path, "   \n");
    assert_header(&t, "fourth-token-longer"); /* empty: unreadable, kept */
    kube_token_free(&t);
}

/* After a 401 the file is read whatever its stat says; the resend is worth it only
 * when the token changed. */
static void test_token_reload_after_401(void **state) {
    (void)state;
    write_at(path, "one");
    kube_token t;
    vk_status st;
    assert_true(kube_token_init(&t, NULL, path, &st));
    assert_false(kube_token_reload(&t)); /* same token */
    assert_int_equal(atomic_load(&t.reloads), 1);
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    write_at(path, "two");
    struct timespec times[2] = {before.st_atim, before.st_mtim}; /* a stat that hides the change */
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
    assert_header(&t, "one");
    assert_true(kube_token_reload(&t));
    assert_header(&t, "two");
    kube_token_free(&t);
}

static void test_token_file_refused_at_start(void **state) {
    (void)state;
    kube_token t;
    vk_status st;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none", dir);
    assert_false(kube_token_init(&t, NULL, missing, &st));
    assert_int_equal(st.code, VK_FAILED_PRECONDITION);
    assert_non_null(strstr(st.message, missing));
    kube_token_free(&t);
    write_at(path, "\n");
    assert_false(kube_token_init(&t, NULL, path, &st));
    assert_non_null(strstr(st.message, "empty"));
    kube_token_free(&t);
    write_at(path, "a\nb\n");
    assert_false(kube_token_init(&t, NULL, path, &st));
    assert_non_null(strstr(st.message, "more than one line"));
    assert_null(strstr(st.message, "a\n")); /* never the token itself */
    kube_token_free(&t);
}

/* The client refuses what no request could use, before sending anything. */
static void test_client_new_refusals(void **state) {
    (void)state;
    vk_kube_client *c;
    vk_status st;
    vk_kube_config cfg = {0};
    assert_false(vk_kube_client_new(&cfg, NULL, &c, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none", dir);
    cfg = (vk_kube_config){.server = "https://127.0.0.1:1", .token_file = missing};
    assert_false(vk_kube_client_new(&cfg, NULL, &c, &st));
    assert_int_equal(st.code, VK_FAILED_PRECONDITION);
    assert_null(c);
    cfg = (vk_kube_config){.server = "https://127.0.0.1:1/", .token = "t"};
    assert_true(vk_kube_client_new(&cfg, NULL, &c, &st));
    assert_string_equal(c->server, "https://127.0.0.1:1");
    assert_int_equal(c->burst, VK_KUBE_DEFAULT_BURST);
    assert_string_equal(c->field_manager, VK_KUBE_DEFAULT_FIELD_MANAGER);
    /* a name-less get fails before any request */
    assert_null(vk_kube_get(c, &(vk_kube_ref){.version = "v1", .resource = "pods", .namespace_ = "a"}, VK_DEADLINE_NONE,
                            &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    vk_kube_stats stats;
    vk_kube_get_stats(c, &stats);
    assert_int_equal(stats.attempts, 0);
    vk_kube_client_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_core_and_groups),
        cmocka_unit_test(test_url_escaping_and_query),
        cmocka_unit_test(test_url_refuses_incomplete_refs),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_limit_burst_then_qps),
        cmocka_unit_test(test_limit_bounded_by_deadline),
        cmocka_unit_test(test_token_fixed_or_none),
        cmocka_unit_test(test_token_file_follows_changes),
        cmocka_unit_test(test_token_reload_after_401),
        cmocka_unit_test(test_token_file_refused_at_start),
        cmocka_unit_test(test_client_new_refusals),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
