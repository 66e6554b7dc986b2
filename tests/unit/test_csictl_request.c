#include "request.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "csi.pb-c.h"

#include <stdlib.h>
#include <string.h>

/* Applies assignments to a CreateVolumeRequest and returns the JSON text. */
static char *build(const char *const *assignments, size_t n, char *err, size_t err_size, int *rc) {
    json_t *obj = json_object();
    *rc = 0;
    for (size_t i = 0; i < n && *rc == 0; i++) {
        *rc = csictl_assign(obj, &csi__v1__create_volume_request__descriptor, assignments[i], err, err_size);
    }
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    return text;
}

static void expect_json(const char *const *assignments, size_t n, const char *want) {
    char err[256] = "";
    int rc;
    char *text = build(assignments, n, err, sizeof err, &rc);
    if (rc != 0) fail_msg("unexpected error: %s", err);
    assert_string_equal(text, want);
    free(text);
}

static void expect_error(const char *assignment, const char *why) {
    char err[256] = "";
    int rc;
    const char *one[] = {assignment};
    char *text = build(one, 1, err, sizeof err, &rc);
    assert_int_equal(rc, -1);
    if (!strstr(err, why)) fail_msg("error \"%s\" lacks \"%s\"", err, why);
    free(text);
}

static void test_scalars_and_nesting(void **state) {
    (void)state;
    const char *a[] = {"name=pvc-1", "capacity_range.required_bytes=1073741824", "capacity_range.limit_bytes=2147483648"};
    expect_json(a, 3, "{\"capacity_range\":{\"limit_bytes\":2147483648,\"required_bytes\":1073741824},\"name\":\"pvc-1\"}");
}

static void test_maps_keep_dots_in_keys(void **state) {
    (void)state;
    const char *a[] = {"parameters.csi.storage.k8s.io/pvc/name=data", "secrets.password=p"};
    expect_json(a, 2, "{\"parameters\":{\"csi.storage.k8s.io/pvc/name\":\"data\"},\"secrets\":{\"password\":\"p\"}}");
}

static void test_repeated_messages_by_index(void **state) {
    (void)state;
    const char *a[] = {"volume_capabilities[0].access_mode.mode=SINGLE_NODE_WRITER",
                       "volume_capabilities[0].mount.fs_type=nfs",
                       "volume_capabilities[1].access_mode.mode=MULTI_NODE_MULTI_WRITER",
                       "volume_capabilities[0].mount.mount_flags=vers=4.1",
                       "volume_capabilities[0].mount.mount_flags=nconnect=8"};
    expect_json(a, 5,
                "{\"volume_capabilities\":[{\"access_mode\":{\"mode\":\"SINGLE_NODE_WRITER\"},"
                "\"mount\":{\"fs_type\":\"nfs\",\"mount_flags\":[\"vers=4.1\",\"nconnect=8\"]}},"
                "{\"access_mode\":{\"mode\":\"MULTI_NODE_MULTI_WRITER\"}}]}");
}

static void test_message_field_takes_json(void **state) {
    (void)state;
    const char *a[] = {"capacity_range={\"required_bytes\":5}"};
    expect_json(a, 1, "{\"capacity_range\":{\"required_bytes\":5}}");
}

static void test_errors_name_the_path(void **state) {
    (void)state;
    expect_error("nosuchfield=1", "no field \"nosuchfield\"");
    expect_error("capacity_range.required_bytes=lots", "expected an integer");
    expect_error("name.sub=x", "not a message");
    expect_error("volume_capabilities.mount.fs_type=nfs", "is a list");
    expect_error("volume_capabilities[3].mount.fs_type=nfs", "skips ahead");
    expect_error("parameters=x", "needs a key");
    expect_error("noequals", "field=value");
    expect_error("capacity_range={bad json", "JSON");
    expect_error("volume_capabilities[x].mount.fs_type=nfs", "bad index");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_and_nesting),
        cmocka_unit_test(test_maps_keep_dots_in_keys),
        cmocka_unit_test(test_repeated_messages_by_index),
        cmocka_unit_test(test_message_field_takes_json),
        cmocka_unit_test(test_errors_name_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
