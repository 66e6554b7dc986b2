/* Volume and snapshot ids (csi/volume_id.c): this driver's ids round-trip through
 * format and parse, the CSI length limit holds both ways, the vendor driver's ids are
 * understood, and anything else is refused. */
#include "vk/vast_id.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

/* A path of exactly len characters: "/k8s/" followed by 'a's. */
static void path_of_length(char *out, size_t len) {
    assert_true(len >= 5);
    memcpy(out, "/k8s/", 5);
    memset(out + 5, 'a', len - 5);
    out[len] = '\0';
}

/* ---------- volumes ---------- */

static void test_volume_round_trip(void **state) {
    (void)state;
    char id[VAST_ID_MAX + 1];
    vast_volume_ref ref;

    assert_true(vast_volume_id_format("", 3, "/k8s/pvc-4f2a", id, sizeof id));
    assert_string_equal(id, "vk1::3:/k8s/pvc-4f2a");
    assert_true(vast_volume_id_parse(id, &ref));
    assert_string_equal(ref.cluster, "");
    assert_int_equal(ref.tenant_id, 3);
    assert_string_equal(ref.path, "/k8s/pvc-4f2a");
    assert_false(ref.legacy);
    assert_string_equal(ref.legacy_name, "");

    /* NULL cluster is the same as "" */
    assert_true(vast_volume_id_format(NULL, 3, "/k8s/pvc-4f2a", id, sizeof id));
    assert_string_equal(id, "vk1::3:/k8s/pvc-4f2a");

    assert_true(vast_volume_id_format("east", 12, "/k8s/pvc-1", id, sizeof id));
    assert_string_equal(id, "vk1:east:12:/k8s/pvc-1");
    assert_true(vast_volume_id_parse(id, &ref));
    assert_string_equal(ref.cluster, "east");
    assert_int_equal(ref.tenant_id, 12);
    assert_string_equal(ref.path, "/k8s/pvc-1");

    /* tenant 0 and a large tenant id */
    assert_true(vast_volume_id_format("c", 0, "/v", id, sizeof id));
    assert_true(vast_volume_id_parse(id, &ref));
    assert_int_equal(ref.tenant_id, 0);
    assert_true(vast_volume_id_format("c", INT64_MAX, "/v", id, sizeof id));
    assert_true(vast_volume_id_parse(id, &ref));
    assert_true(ref.tenant_id == INT64_MAX);
}

static void test_volume_path_with_colons(void **state) {
    (void)state;
    char id[VAST_ID_MAX + 1];
    vast_volume_ref ref;
    /* the path is the rest after the third colon, whatever it holds */
    assert_true(vast_volume_id_format("west", 5, "/k8s/csi:shop:data:pvc-1", id, sizeof id));
    assert_true(vast_volume_id_parse(id, &ref));
    assert_string_equal(ref.cluster, "west");
    assert_int_equal(ref.tenant_id, 5);
    assert_string_equal(ref.path, "/k8s/csi:shop:data:pvc-1");
    assert_true(vast_volume_id_parse("vk1::1:/a:b::c:", &ref));
    assert_string_equal(ref.path, "/a:b::c:");
}

static void test_volume_length_limit(void **state) {
    (void)state;
    char id[512], path[256];
    vast_volume_ref ref;
    const size_t prefix = strlen("vk1:east:12:");
    /* exactly 128 characters: accepted both ways */
    path_of_length(path, VAST_ID_MAX - prefix);
    assert_true(vast_volume_id_format("east", 12, path, id, sizeof id));
    assert_int_equal(strlen(id), VAST_ID_MAX);
    assert_true(vast_volume_id_parse(id, &ref));
    assert_string_equal(ref.path, path);
    /* 129: format refuses even with room in the buffer, parse refuses the text */
    path_of_length(path, VAST_ID_MAX - prefix + 1);
    assert_false(vast_volume_id_format("east", 12, path, id, sizeof id));
    snprintf(id, sizeof id, "vk1:east:12:%s", path);
    assert_int_equal(strlen(id), VAST_ID_MAX + 1);
    assert_false(vast_volume_id_parse(id, &ref));
    /* a buffer too small is refused, not overrun */
    char small[10];
    assert_false(vast_volume_id_format("", 1, "/k8s/pvc-1", small, sizeof small));
}

static void test_vendor_volume_ids(void **state) {
    (void)state;
    vast_volume_ref ref;
    const char *uid = "pvc-4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f";
    assert_true(vast_volume_id_parse(uid, &ref));
    assert_true(ref.legacy);
    assert_string_equal(ref.legacy_name, uid);
    assert_string_equal(ref.cluster, "");
    assert_string_equal(ref.path, "");
    assert_int_equal(ref.tenant_id, 0);

    char with_cluster[128];
    snprintf(with_cluster, sizeof with_cluster, "%s@east", uid);
    assert_true(vast_volume_id_parse(with_cluster, &ref));
    assert_true(ref.legacy);
    assert_string_equal(ref.legacy_name, uid);
    assert_string_equal(ref.cluster, "east");
    assert_false(vast_volume_is_snapshot_view(&ref));

    /* vendor names are plain: no slashes, spaces or colons */
    assert_false(vast_volume_id_parse("pvc/1", &ref));
    assert_false(vast_volume_id_parse("pvc 1", &ref));
    assert_false(vast_volume_id_parse("pvc:1", &ref));
    assert_false(vast_volume_id_parse("@east", &ref));
    /* a cluster name that does not fit is refused, not cut */
    char long_cluster[VAST_ID_MAX + 1];
    memset(long_cluster, 0, sizeof long_cluster);
    memcpy(long_cluster, "pvc-1@", 6);
    memset(long_cluster + 6, 'c', VAST_CLUSTER_NAME_MAX);
    assert_false(vast_volume_id_parse(long_cluster, &ref));
}

static void test_garbage_volume_ids(void **state) {
    (void)state;
    static const char *const garbage[] = {
        "",                     /* empty */
        "vk1:",                 /* no fields */
        "vk1::",                /* no tenant */
        "vk1::x:/p",            /* tenant not a number */
        "vk1:::/p",             /* empty tenant */
        "vk1::-1:/p",           /* negative tenant */
        "vk1::1:relative",      /* relative path */
        "vk1::1:",              /* empty path */
        "vk1::1:/k8s/../etc",   /* parent traversal */
        "vk1::1://k8s",         /* empty component */
        "vk1::1:/k8s//x",
        "../",                  /* not a vendor name either */
        "..//etc",
        "/k8s/pvc-1",           /* a path is not an id */
        "vk1::99999999999999999999:/p", /* tenant overflows */
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        vast_volume_ref ref;
        if (vast_volume_id_parse(garbage[i], &ref)) fail_msg("volume id \"%s\" accepted", garbage[i]);
    }
    vast_volume_ref ref;
    assert_false(vast_volume_id_parse(NULL, &ref));
    /* a cluster field longer than the buffer is refused */
    char id[VAST_ID_MAX + 1] = "vk1:";
    memset(id + 4, 'c', VAST_CLUSTER_NAME_MAX);
    strcat(id, ":1:/p");
    assert_false(vast_volume_id_parse(id, &ref));
}

/* Regression: at d89fd39 the check in vast_volume_id_parse looked for "/../" and "//"
 * only, so a path ending in "/.." or holding "/./" passed, and DeleteVolume of
 * "vk1::1:/k8s/.." went on to delete the data of "/k8s/..". Ids must name a clean
 * absolute path, snapshot ids' volume paths too. */
static void test_trailing_dot_components_refused(void **state) {
    (void)state;
    static const char *const traversal[] = {"vk1::1:/k8s/..", "vk1::1:/..", "vk1::1:/k8s/.", "vk1::1:/k8s/./x",
                                            "vk1::1:/", "vk1::1:/k8s/"};
    for (size_t i = 0; i < sizeof traversal / sizeof traversal[0]; i++) {
        vast_volume_ref ref;
        if (vast_volume_id_parse(traversal[i], &ref)) fail_msg("volume id \"%s\" accepted", traversal[i]);
    }
    static const char *const snapshot_traversal[] = {"vk1s::1:5:/k8s/..", "vk1s::1:5:/k8s/../x", "vk1s::1:5://x",
                                                     "vk1s::1:5:/"};
    for (size_t i = 0; i < sizeof snapshot_traversal / sizeof snapshot_traversal[0]; i++) {
        vast_snapshot_ref ref;
        if (vast_snapshot_id_parse(snapshot_traversal[i], &ref)) {
            fail_msg("snapshot id \"%s\" accepted", snapshot_traversal[i]);
        }
    }
    /* dots inside a component are ordinary characters */
    vast_volume_ref ref;
    assert_true(vast_volume_id_parse("vk1::1:/k8s/..a/b.c/...", &ref));
    assert_string_equal(ref.path, "/k8s/..a/b.c/...");
}

static void test_snapshot_view(void **state) {
    (void)state;
    vast_volume_ref ref;
    assert_true(vast_volume_id_parse("vk1::3:/k8s/pvc-1/.snapshot/snap-1", &ref));
    assert_true(vast_volume_is_snapshot_view(&ref));
    assert_true(vast_volume_id_parse("vk1::3:/k8s/pvc-1", &ref));
    assert_false(vast_volume_is_snapshot_view(&ref));
    assert_true(vast_volume_id_parse("vk1::3:/k8s/.snapshots/x", &ref));
    assert_false(vast_volume_is_snapshot_view(&ref));
    assert_true(vast_volume_id_parse("vk1::3:/k8s/pvc-1/.snapshot", &ref));
    assert_false(vast_volume_is_snapshot_view(&ref)); /* the directory itself, not inside a snapshot */
    assert_true(vast_volume_id_parse("pvc-4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f", &ref));
    assert_false(vast_volume_is_snapshot_view(&ref));
}

/* Regression (issue 9): any plain word was taken for a vendor volume name and found by
 * a path suffix anywhere on VAST, so DeleteVolume "alpha" deleted an administrator's
 * /data/alpha. A vendor id is the external-provisioner's "<prefix>-<uuid>" only; ids
 * have one spelling (no leading zeros in the tenant, plain cluster names). */
static void test_vendor_ids_are_uuid_names(void **state) {
    (void)state;
    static const char *const not_ids[] = {
        "alpha", "pvc-1", "pvc-1234abcd", "team", "pvc-4F2A5E8C-1D2B-4C3D-9E8F-0A1B2C3D4E5F",
        "pvc_4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f", "-4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f",
        "4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f", "pvc-4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f0",
        "vk1::03:/k8s/pvc-1", "vk1:a b:3:/k8s/pvc-1", "vk1:a/b:3:/k8s/pvc-1",
    };
    for (size_t i = 0; i < sizeof not_ids / sizeof not_ids[0]; i++) {
        vast_volume_ref ref;
        if (vast_volume_id_parse(not_ids[i], &ref)) fail_msg("\"%s\" accepted as a volume id", not_ids[i]);
    }
    vast_volume_ref ref;
    assert_true(vast_volume_id_parse("snap-4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f@east", &ref));
    assert_true(ref.legacy);
    assert_string_equal(ref.cluster, "east");
    assert_true(vast_volume_id_parse("vk1::0:/k8s/pvc-1", &ref));
}

/* ---------- snapshots ---------- */

static void test_snapshot_round_trip(void **state) {
    (void)state;
    char id[VAST_ID_MAX + 1];
    vast_snapshot_ref ref;
    assert_true(vast_snapshot_id_format("", 3, 77, "/k8s/pvc-1", id, sizeof id));
    assert_string_equal(id, "vk1s::3:77:/k8s/pvc-1");
    assert_true(vast_snapshot_id_parse(id, &ref));
    assert_string_equal(ref.cluster, "");
    assert_int_equal(ref.tenant_id, 3);
    assert_int_equal(ref.snapshot_id, 77);
    assert_string_equal(ref.volume_path, "/k8s/pvc-1");

    assert_true(vast_snapshot_id_format(NULL, 3, 77, "/k8s/pvc-1", id, sizeof id));
    assert_string_equal(id, "vk1s::3:77:/k8s/pvc-1");

    assert_true(vast_snapshot_id_format("east", 9, 123456, "/k8s/csi:ns:name:pvc-2", id, sizeof id));
    assert_true(vast_snapshot_id_parse(id, &ref));
    assert_string_equal(ref.cluster, "east");
    assert_int_equal(ref.tenant_id, 9);
    assert_int_equal(ref.snapshot_id, 123456);
    assert_string_equal(ref.volume_path, "/k8s/csi:ns:name:pvc-2");

    /* a volume id is not a snapshot id and the other way round */
    vast_volume_ref vref;
    assert_false(vast_snapshot_id_parse("vk1::3:/k8s/pvc-1", &ref));
    assert_false(vast_volume_id_parse("vk1s::3:77:/k8s/pvc-1", &vref));
}

static void test_snapshot_length_limit(void **state) {
    (void)state;
    char id[512], path[256];
    vast_snapshot_ref ref;
    const size_t prefix = strlen("vk1s:c:1:42:");
    path_of_length(path, VAST_ID_MAX - prefix);
    assert_true(vast_snapshot_id_format("c", 1, 42, path, id, sizeof id));
    assert_int_equal(strlen(id), VAST_ID_MAX);
    assert_true(vast_snapshot_id_parse(id, &ref));
    assert_string_equal(ref.volume_path, path);
    path_of_length(path, VAST_ID_MAX - prefix + 1);
    assert_false(vast_snapshot_id_format("c", 1, 42, path, id, sizeof id));
    snprintf(id, sizeof id, "vk1s:c:1:42:%s", path);
    assert_false(vast_snapshot_id_parse(id, &ref));
}

static void test_vendor_snapshot_ids(void **state) {
    (void)state;
    vast_snapshot_ref ref;
    assert_true(vast_snapshot_id_parse("42", &ref));
    assert_int_equal(ref.snapshot_id, 42);
    assert_string_equal(ref.cluster, "");
    assert_string_equal(ref.volume_path, "");
    assert_int_equal(ref.tenant_id, 0);
    assert_true(vast_snapshot_id_parse("1234567@east", &ref));
    assert_int_equal(ref.snapshot_id, 1234567);
    assert_string_equal(ref.cluster, "east");
    assert_string_equal(ref.volume_path, "");
}

static void test_garbage_snapshot_ids(void **state) {
    (void)state;
    static const char *const garbage[] = {
        "", "0", "0@east", "-5", "abc", "12abc", "@east", "1.5",
        "pvc-1",                  /* a volume name is not a snapshot id */
        "vk1s:", "vk1s::1", "vk1s::1:5",
        "vk1s::1:0:/p",           /* snapshot id 0 */
        "vk1s::1:x:/p", "vk1s::x:5:/p", "vk1s::1::/p",
        "vk1s::1:5:relative", "vk1s::1:5:",
        "99999999999999999999",   /* overflows */
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        vast_snapshot_ref ref;
        if (vast_snapshot_id_parse(garbage[i], &ref)) fail_msg("snapshot id \"%s\" accepted", garbage[i]);
    }
    vast_snapshot_ref ref;
    assert_false(vast_snapshot_id_parse(NULL, &ref));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_volume_round_trip),
        cmocka_unit_test(test_volume_path_with_colons),
        cmocka_unit_test(test_volume_length_limit),
        cmocka_unit_test(test_vendor_volume_ids),
        cmocka_unit_test(test_garbage_volume_ids),
        cmocka_unit_test(test_trailing_dot_components_refused),
        cmocka_unit_test(test_snapshot_view),
        cmocka_unit_test(test_vendor_ids_are_uuid_names),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_snapshot_length_limit),
        cmocka_unit_test(test_vendor_snapshot_ids),
        cmocka_unit_test(test_garbage_snapshot_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
