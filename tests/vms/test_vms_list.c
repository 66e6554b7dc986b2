/* Lists: 2,500 quotas come back complete and without duplicates through pagination,
 * while an unpaged GET is silently cut (the simulator's --unpaged-limit, like VMS 5.5);
 * next links are followed whatever the API version; filters are URL-encoded. */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTAS 2500
#define UNPAGED_LIMIT 1000
#define CREATORS 8

static sim_instance sim;
static vms_client *client;

typedef struct {
    int first, step;
    bool ok;
    vms_error err;
} creator;

static void *create_quotas(void *arg) {
    creator *w = arg;
    w->ok = true;
    for (int i = w->first; i < QUOTAS && w->ok; i += w->step) {
        char name[32], path[64];
        snprintf(name, sizeof name, "page-%04d", i);
        snprintf(path, sizeof path, "/k8s/page-%04d", i);
        vms_quota_spec spec = {.name = name, .path = path, .create_dir = true, .hard_limit = 1 << 20};
        w->ok = vms_quota_create(client, &spec, NULL, vk_deadline_in(60000), &w->err);
    }
    return NULL;
}

static int group_setup(void **state) {
    (void)state;
    static const char *const args[] = {"--unpaged-limit", "1000", NULL};
    sim_start(&sim, &(sim_options){.http = true, .seed = true, .extra_args = args});
    vms_config cfg = sim_client_config(&sim);
    client = sim_client(&cfg);
    int64_t started = vk_now_ms();
    pthread_t threads[CREATORS];
    creator workers[CREATORS];
    for (int i = 0; i < CREATORS; i++) {
        workers[i] = (creator){.first = i, .step = CREATORS};
        pthread_create(&threads[i], NULL, create_quotas, &workers[i]);
    }
    for (int i = 0; i < CREATORS; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < CREATORS; i++)
        if (!workers[i].ok) fail_msg("creating quotas: %s", workers[i].err.message);
    print_message("created %d quotas in %lld ms\n", QUOTAS, (long long)(vk_now_ms() - started));
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    vms_client_free(client);
    sim_stop(&sim);
    return 0;
}

static int compare_ids(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_list_is_complete_without_duplicates(void **state) {
    (void)state;
    sim_reset_stats(&sim);
    json_t *items = NULL;
    vms_error err;
    assert_true(vms_list(client, VMS_QUOTAS, VMS_FILTERS("path__startswith", "/k8s/page-"), vk_deadline_in(60000),
                         &items, &err));
    assert_int_equal(json_array_size(items), QUOTAS);
    int64_t *ids = calloc(QUOTAS, sizeof *ids);
    bool *named = calloc(QUOTAS, sizeof *named);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        vms_quota q;
        vms_quota_from_json(item, &q);
        ids[i] = q.obj.id;
        int n = -1;
        assert_int_equal(sscanf(q.obj.name, "page-%d", &n), 1);
        assert_in_range(n, 0, QUOTAS - 1);
        named[n] = true;
        assert_int_equal(q.hard_limit, 1 << 20);
        vms_object_free(&q.obj);
    }
    qsort(ids, QUOTAS, sizeof *ids, compare_ids);
    for (i = 1; i < QUOTAS; i++) assert_true(ids[i] != ids[i - 1]);
    for (i = 0; i < QUOTAS; i++) assert_true(named[i]);
    free(ids);
    free(named);
    json_decref(items);
    /* Three pages of at most 1000. */
    assert_int_equal(sim_stat(&sim, "GET quotas/"), 3);
}

static void test_unpaged_get_would_have_been_truncated(void **state) {
    (void)state;
    json_t *unpaged = NULL, *paged = NULL;
    vms_error err;
    assert_true(vms_get(client, "quotas/", vk_deadline_in(60000), &unpaged, &err));
    assert_true(json_is_array(unpaged));
    assert_int_equal(json_array_size(unpaged), UNPAGED_LIMIT); /* silently cut */
    assert_true(vms_list(client, VMS_QUOTAS, VMS_NO_FILTERS, vk_deadline_in(60000), &paged, &err));
    assert_true(json_array_size(paged) >= QUOTAS);
    json_decref(unpaged);
    json_decref(paged);
}

static void test_small_pages(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&sim);
    cfg.list_page_size = 7;
    vms_client *c = sim_client(&cfg);
    sim_reset_stats(&sim);
    json_t *items = NULL;
    vms_error err;
    assert_true(vms_list(c, VMS_QUOTAS, VMS_FILTERS("path__startswith", "/k8s/page-00"), vk_deadline_in(60000),
                         &items, &err));
    assert_int_equal(json_array_size(items), 100);
    assert_int_equal(sim_stat(&sim, "GET quotas/"), (100 + 6) / 7);
    json_decref(items);
    vms_client_free(c);
}

static bool stop_after_five(json_t *item, void *ctx) {
    (void)item;
    return ++*(int *)ctx < 5;
}

static void test_list_each_stops_when_asked(void **state) {
    (void)state;
    sim_reset_stats(&sim);
    int seen = 0;
    vms_error err;
    assert_true(vms_list_each(client, VMS_QUOTAS, VMS_NO_FILTERS, stop_after_five, &seen, vk_deadline_in(60000),
                              &err));
    assert_int_equal(seen, 5);
    assert_int_equal(sim_stat(&sim, "GET quotas/"), 1);
}

/* The next links embed /api/<version>/ (or /api/ alone): none is doubled or lost. */
static void test_next_links_for_every_version(void **state) {
    (void)state;
    const char *versions[] = {"v1", "v5", "latest", ""};
    for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
        vms_config cfg = sim_client_config(&sim);
        cfg.api_version = versions[v];
        cfg.list_page_size = 30;
        vms_client *c = sim_client(&cfg);
        json_t *items = NULL;
        vms_error err;
        if (!vms_list(c, VMS_QUOTAS, VMS_FILTERS("path__startswith", "/k8s/page-01"), vk_deadline_in(60000), &items,
                      &err))
            fail_msg("version \"%s\": %s", versions[v], err.message);
        assert_int_equal(json_array_size(items), 100);
        json_decref(items);
        vms_client_free(c);
    }
}

static void test_filter_values_are_encoded(void **state) {
    (void)state;
    const char *path = "/k8s/odd name&x=1+2%";
    vms_quota_spec spec = {.name = "odd", .path = path, .create_dir = true};
    vms_quota created, found;
    vms_error err;
    if (!vms_quota_create(client, &spec, &created, vk_deadline_in(10000), &err)) fail_msg("%s", err.message);
    assert_int_equal(vms_quota_find_by_path(client, path, 0, &found, vk_deadline_in(10000), &err), VMS_FOUND);
    assert_int_equal(found.obj.id, created.obj.id);
    assert_string_equal(found.path, path);
    vms_object_free(&found.obj);
    assert_int_equal(vms_quota_delete(client, created.obj.id, vk_deadline_in(10000), &err), VMS_FOUND);
    vms_object_free(&created.obj);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_is_complete_without_duplicates),
        cmocka_unit_test(test_unpaged_get_would_have_been_truncated),
        cmocka_unit_test(test_small_pages),
        cmocka_unit_test(test_list_each_stops_when_asked),
        cmocka_unit_test(test_next_links_for_every_version),
        cmocka_unit_test(test_filter_values_are_encoded),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
