/* The vast layer's operations in process, against the real vms-sim: no gRPC, no
 * protobuf, just what CSI, inline volumes, COSI and the operator call. Each operation is
 * retried after a failure injected at its fault points (the place a crash would cut it
 * short) and must converge to exactly one quota and one view per volume, one snapshot
 * per name, and nothing left after a delete. Objects the driver did not make are never
 * touched, whatever id names them. */
#include "vast_fixture.h"
#include "vk/deadline.h"
#include "vk/vms_list.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cases ---- */

static void test_create_twice_is_one_volume(void **state) {
    (void)state;
    vast_volume_result a, b;
    fx_create_ok("pvc-twice", GIB, &a);
    fx_create_ok("pvc-twice", GIB, &b);
    assert_string_equal(a.volume_id, b.volume_id);
    assert_int_equal(fx_count_at(VMS_QUOTAS, a.path), 1);
    assert_int_equal(fx_count_at(VMS_VIEWS, a.path), 1);
    assert_int_equal(fx_quota_limit(a.path), GIB);
    assert_non_null(strstr(a.vip_ranges, "-")); /* the pool's ranges, for the node */
    vk_status st;
    assert_int_equal(fx_delete_volume(a.volume_id, &st), VK_OK);
}

/* A failure at each fault point of a create, then the retry: one quota, one view. */
static void test_create_converges_after_each_fault_point(void **state) {
    (void)state;
    static const char *const points[] = {"controller.create.before_requests", "controller.create.after_requests",
                                         "controller.create.after_view"};
    for (size_t i = 0; i < 3; i++) {
        char name[32], spec[96];
        snprintf(name, sizeof name, "pvc-crash-%zu", i);
        snprintf(spec, sizeof spec, "%s=error:UNAVAILABLE@1", points[i]);
        fx_faults(spec);
        fx_volume_request r;
        fx_volume_request_init(&r, name, "/k8s", GIB);
        vast_volume_result v;
        vk_status st;
        assert_int_equal(fx_create(&r, &v, &st), VK_UNAVAILABLE);
        assert_non_null(strstr(st.message, points[i]));
        assert_int_equal(fx_create(&r, &v, &st), VK_OK);
        fx_faults(NULL);
        assert_int_equal(fx_count_at(VMS_QUOTAS, v.path), 1);
        assert_int_equal(fx_count_at(VMS_VIEWS, v.path), 1);
        assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
    }
}

/* A failure after the view and the data went, then the retry: nothing left; a third
 * delete is OK. */
static void test_delete_converges(void **state) {
    (void)state;
    vast_volume_result v;
    fx_create_ok("pvc-delete", GIB, &v);
    fx_faults("controller.delete.after_data=error:UNAVAILABLE@1");
    vk_status st;
    assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_UNAVAILABLE);
    assert_int_equal(fx_count_at(VMS_VIEWS, v.path), 0);
    assert_int_equal(fx_count_at(VMS_QUOTAS, v.path), 1);
    assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
    fx_faults(NULL);
    assert_int_equal(fx_count_at(VMS_QUOTAS, v.path), 0);
    assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
}

static void test_expand_never_shrinks(void **state) {
    (void)state;
    vast_volume_result v;
    fx_create_ok("pvc-grow", GIB, &v);
    vk_status st;
    int64_t capacity = 0;
    assert_int_equal(
        vast_volume_expand(&fx.ctx, v.volume_id, fx.secrets, 2 * GIB, vk_deadline_in(DEADLINE_MS), &capacity, &st),
        VK_OK);
    assert_int_equal(capacity, 2 * GIB);
    assert_int_equal(
        vast_volume_expand(&fx.ctx, v.volume_id, fx.secrets, GIB, vk_deadline_in(DEADLINE_MS), &capacity, &st),
        VK_OK);
    assert_int_equal(capacity, 2 * GIB);
    assert_int_equal(fx_quota_limit(v.path), 2 * GIB);
    assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
}

/* An administrator's quota in the root export, named by a well-formed id: delete
 * answers OK (no volume of ours is there) and leaves it; expand answers NOT_FOUND. */
static void test_foreign_quota_is_never_touched(void **state) {
    (void)state;
    vast_volume_result mine;
    fx_create_ok("pvc-neighbour", GIB, &mine); /* its tenant is the policy's */
    const char *path = "/k8s/admin-data";
    vms_quota q;
    vms_error err;
    vms_quota_spec spec = {.name = "admin-data", .path = path, .tenant_id = mine.tenant_id, .hard_limit = GIB,
                           .create_dir = true};
    assert_true(vms_quota_create(fx.inspector, &spec, &q, vk_deadline_in(DEADLINE_MS), &err));
    vms_object_free(&q.obj);
    char forged[VAST_ID_MAX + 1];
    assert_true(vast_volume_id_format("", mine.tenant_id, path, forged, sizeof forged));
    vk_status st;
    assert_int_equal(fx_delete_volume(forged, &st), VK_OK);
    assert_int_equal(fx_count_at(VMS_QUOTAS, path), 1);
    int64_t capacity;
    assert_int_equal(
        vast_volume_expand(&fx.ctx, forged, fx.secrets, 1024 * GIB, vk_deadline_in(DEADLINE_MS), &capacity, &st),
        VK_NOT_FOUND);
    assert_int_equal(fx_quota_limit(path), GIB);
    assert_int_equal(fx_delete_volume(mine.volume_id, &st), VK_OK);
}

static void test_root_export_must_be_configured(void **state) {
    (void)state;
    fx_volume_request r;
    fx_volume_request_init(&r, "pvc-elsewhere", "/data", GIB);
    vast_volume_result v;
    vk_status st;
    assert_int_equal(fx_create(&r, &v, &st), VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "/data"));
    assert_int_equal(fx_count_at(VMS_QUOTAS, "/data/pvc-elsewhere"), 0);
}

static void test_snapshot_converges_and_deletes(void **state) {
    (void)state;
    vast_volume_result v;
    fx_create_ok("pvc-snapped", GIB, &v);
    vast_snapshot_params p = {0};
    vast_snapshot_spec spec = {.name = "snap-1", .params = &p, .source_volume_id = v.volume_id, .secrets = fx.secrets};
    fx_faults("controller.snapshot.after_create=error:UNAVAILABLE@1");
    vast_snapshot_result a, b;
    vk_status st;
    assert_int_equal(vast_snapshot_create(&fx.ctx, &spec, vk_deadline_in(DEADLINE_MS), &a, &st), VK_UNAVAILABLE);
    vast_snapshot_result_free(&a);
    assert_int_equal(vast_snapshot_create(&fx.ctx, &spec, vk_deadline_in(DEADLINE_MS), &a, &st), VK_OK);
    fx_faults(NULL);
    assert_int_equal(vast_snapshot_create(&fx.ctx, &spec, vk_deadline_in(DEADLINE_MS), &b, &st), VK_OK);
    assert_int_equal(a.snap.obj.id, b.snap.obj.id);
    assert_int_equal(a.size_bytes, GIB);
    char snap_path[VAST_PATH_MAX + 2];
    snprintf(snap_path, sizeof snap_path, "%s/", v.path);
    assert_int_equal(fx_count_at(VMS_SNAPSHOTS, snap_path), 1);
    /* a volume with a snapshot is not deleted under it */
    assert_int_not_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
    char id[VAST_ID_MAX + 1];
    assert_true(vast_snapshot_id_format("", a.snap.obj.tenant_id, a.snap.obj.id, v.path, id, sizeof id));
    assert_int_equal(vast_snapshot_delete(&fx.ctx, id, fx.secrets, vk_deadline_in(DEADLINE_MS), &st), VK_OK);
    assert_int_equal(fx_count_at(VMS_SNAPSHOTS, snap_path), 0);
    assert_int_equal(vast_snapshot_delete(&fx.ctx, id, fx.secrets, vk_deadline_in(DEADLINE_MS), &st), VK_OK);
    vast_snapshot_result_free(&a);
    vast_snapshot_result_free(&b);
    assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
}

/* A volume from a snapshot: the clone stream fills it, one quota and view result, and
 * deleting the copy leaves the source alone. */
static void test_restore_from_snapshot(void **state) {
    (void)state;
    vast_volume_result src;
    fx_create_ok("pvc-source", GIB, &src);
    vast_snapshot_params p = {0};
    vast_snapshot_spec sspec = {.name = "snap-src", .params = &p, .source_volume_id = src.volume_id,
                                .secrets = fx.secrets};
    vast_snapshot_result snap;
    vk_status st;
    assert_int_equal(vast_snapshot_create(&fx.ctx, &sspec, vk_deadline_in(DEADLINE_MS), &snap, &st), VK_OK);
    char snap_id[VAST_ID_MAX + 1];
    assert_true(vast_snapshot_id_format("", snap.snap.obj.tenant_id, snap.snap.obj.id, src.path, snap_id,
                                        sizeof snap_id));
    fx_volume_request r;
    fx_volume_request_init(&r, "pvc-restored", "/k8s", GIB);
    r.spec.source = (vast_content_source){VAST_SOURCE_SNAPSHOT, snap_id};
    vast_volume_result copy;
    if (fx_create(&r, &copy, &st) != VK_OK) fail_msg("restore: %s", st.message);
    assert_int_equal(fx_count_at(VMS_QUOTAS, copy.path), 1);
    assert_int_equal(fx_count_at(VMS_VIEWS, copy.path), 1);
    assert_int_equal(fx_delete_volume(copy.volume_id, &st), VK_OK);
    assert_int_equal(fx_count_at(VMS_QUOTAS, src.path), 1);
    assert_int_equal(vast_snapshot_delete(&fx.ctx, snap_id, fx.secrets, vk_deadline_in(DEADLINE_MS), &st), VK_OK);
    vast_snapshot_result_free(&snap);
    assert_int_equal(fx_delete_volume(src.volume_id, &st), VK_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_twice_is_one_volume),
        cmocka_unit_test(test_create_converges_after_each_fault_point),
        cmocka_unit_test(test_delete_converges),
        cmocka_unit_test(test_expand_never_shrinks),
        cmocka_unit_test(test_foreign_quota_is_never_touched),
        cmocka_unit_test(test_root_export_must_be_configured),
        cmocka_unit_test(test_snapshot_converges_and_deletes),
        cmocka_unit_test(test_restore_from_snapshot),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
