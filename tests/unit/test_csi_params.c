/* StorageClass, VolumeSnapshotClass and VolumeAttributesClass parameters (csi/params.c):
 * every vendor parameter read, unknown and malformed ones refused naming the parameter,
 * required ones and exclusive pairs checked. Maps are built from the generated request
 * types and read through CSI_MAP, as the handlers do. */
#include "vk/parse.h"
#include "csi_map.h"
#include "vk/vast_params.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

enum { MAX_ENTRIES = 32 };

/* A CreateVolumeRequest whose parameters are the NULL-terminated key/value pairs kv
 * (a NULL value stays NULL, as a hand-built message could have it). */
typedef struct {
    Csi__V1__CreateVolumeRequest__ParametersEntry entries[MAX_ENTRIES];
    Csi__V1__CreateVolumeRequest__ParametersEntry *ptrs[MAX_ENTRIES];
    Csi__V1__CreateVolumeRequest req;
} volume_request;

static void volume_request_init(volume_request *r, const char *const *kv) {
    r->req = (Csi__V1__CreateVolumeRequest)CSI__V1__CREATE_VOLUME_REQUEST__INIT;
    size_t n = 0;
    for (const char *const *p = kv; p[0]; p += 2) {
        assert_true(n < MAX_ENTRIES);
        r->entries[n] = (Csi__V1__CreateVolumeRequest__ParametersEntry)CSI__V1__CREATE_VOLUME_REQUEST__PARAMETERS_ENTRY__INIT;
        r->entries[n].key = (char *)p[0];
        r->entries[n].value = (char *)p[1];
        r->ptrs[n] = &r->entries[n];
        n++;
    }
    r->req.parameters = r->ptrs;
    r->req.n_parameters = n;
}

typedef struct {
    Csi__V1__CreateSnapshotRequest__ParametersEntry entries[MAX_ENTRIES];
    Csi__V1__CreateSnapshotRequest__ParametersEntry *ptrs[MAX_ENTRIES];
    Csi__V1__CreateSnapshotRequest req;
} snapshot_request;

static void snapshot_request_init(snapshot_request *r, const char *const *kv) {
    r->req = (Csi__V1__CreateSnapshotRequest)CSI__V1__CREATE_SNAPSHOT_REQUEST__INIT;
    size_t n = 0;
    for (const char *const *p = kv; p[0]; p += 2) {
        assert_true(n < MAX_ENTRIES);
        r->entries[n] =
            (Csi__V1__CreateSnapshotRequest__ParametersEntry)CSI__V1__CREATE_SNAPSHOT_REQUEST__PARAMETERS_ENTRY__INIT;
        r->entries[n].key = (char *)p[0];
        r->entries[n].value = (char *)p[1];
        r->ptrs[n] = &r->entries[n];
        n++;
    }
    r->req.parameters = r->ptrs;
    r->req.n_parameters = n;
}

typedef struct {
    Csi__V1__ControllerModifyVolumeRequest__MutableParametersEntry entries[MAX_ENTRIES];
    Csi__V1__ControllerModifyVolumeRequest__MutableParametersEntry *ptrs[MAX_ENTRIES];
    Csi__V1__ControllerModifyVolumeRequest req;
} modify_request;

static void modify_request_init(modify_request *r, const char *const *kv) {
    r->req = (Csi__V1__ControllerModifyVolumeRequest)CSI__V1__CONTROLLER_MODIFY_VOLUME_REQUEST__INIT;
    size_t n = 0;
    for (const char *const *p = kv; p[0]; p += 2) {
        assert_true(n < MAX_ENTRIES);
        r->entries[n] = (Csi__V1__ControllerModifyVolumeRequest__MutableParametersEntry)
            CSI__V1__CONTROLLER_MODIFY_VOLUME_REQUEST__MUTABLE_PARAMETERS_ENTRY__INIT;
        r->entries[n].key = (char *)p[0];
        r->entries[n].value = (char *)p[1];
        r->ptrs[n] = &r->entries[n];
        n++;
    }
    r->req.mutable_parameters = r->ptrs;
    r->req.n_mutable_parameters = n;
}

static void assert_contains(const char *haystack, const char *needle) {
    if (!strstr(haystack, needle)) fail_msg("\"%s\" lacks \"%s\"", haystack, needle);
}

/* Parses kv strictly and expects INVALID_ARGUMENT whose message has every needle. */
static void volume_refused(const char *const *kv, const char *needle1, const char *needle2) {
    volume_request r;
    volume_request_init(&r, kv);
    vast_volume_params p;
    vk_status st = {0};
    assert_false(vast_volume_params_parse(CSI_MAP(&r.req, parameters), &p, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    if (needle1) assert_contains(st.message, needle1);
    if (needle2) assert_contains(st.message, needle2);
}

#define BASE "root_export", "/k8s", "view_policy", "vast-k8s-nfs", "vip_pool_name", "vast-k8s-pool"

/* ---------- volume parameters ---------- */

static void test_every_vendor_parameter_is_read(void **state) {
    (void)state;
    static const char *const kv[] = {
        "root_export", "/k8s/volumes",
        "view_policy", "vast-k8s-nfs",
        "vip_pool_name", "vast-k8s-pool",
        "vip_pool_fqdn_random_prefix", "false",
        "qos_policy", "gold",
        "mount_options", "vers=4.1,nconnect=8",
        "volume_name_fmt", "{namespace}-{name}",
        "eph_volume_name_fmt", "eph-{id}",
        "cluster_name", "east",
        "lb_strategy", "roundrobin",
        "blocking_clones", "true",
        "csi.storage.k8s.io/pvc/name", "data",
        "csi.storage.k8s.io/pvc/namespace", "shop",
        "csi.storage.k8s.io/pv/name", "pvc-1234",
        "csi.storage.k8s.io/provisioner-secret-name", "vast-secret",
        "csi.storage.k8s.io/provisioner-secret-namespace", "vast-system",
        NULL,
    };
    volume_request r;
    volume_request_init(&r, kv);
    vast_volume_params p;
    vk_status st = {0};
    if (!vast_volume_params_parse(CSI_MAP(&r.req, parameters), &p, &st)) fail_msg("refused: %s", st.message);
    assert_string_equal(p.root_export, "/k8s/volumes");
    assert_string_equal(p.view_policy, "vast-k8s-nfs");
    assert_string_equal(p.vip_pool_name, "vast-k8s-pool");
    assert_null(p.vip_pool_fqdn);
    assert_false(p.vip_pool_fqdn_random_prefix);
    assert_string_equal(p.qos_policy, "gold");
    assert_int_equal(p.qos_policy_id, 0);
    assert_string_equal(p.mount_options, "vers=4.1,nconnect=8");
    assert_string_equal(p.volume_name_fmt, "{namespace}-{name}");
    assert_string_equal(p.eph_volume_name_fmt, "eph-{id}");
    assert_string_equal(p.cluster_name, "east");
    assert_string_equal(p.pvc_name, "data");
    assert_string_equal(p.pvc_namespace, "shop");
    /* strings point into the request: no copies to free */
    assert_ptr_equal(p.root_export, kv[1]);
}

static void test_defaults_and_fqdn_variant(void **state) {
    (void)state;
    static const char *const minimal[] = {BASE, NULL};
    volume_request r;
    volume_request_init(&r, minimal);
    vast_volume_params p;
    vk_status st = {0};
    assert_true(vast_volume_params_parse(CSI_MAP(&r.req, parameters), &p, &st));
    assert_true(p.vip_pool_fqdn_random_prefix); /* the vendor's default */
    assert_null(p.qos_policy);
    assert_int_equal(p.qos_policy_id, 0);
    assert_null(p.mount_options);
    assert_null(p.volume_name_fmt);
    assert_null(p.eph_volume_name_fmt);
    assert_null(p.cluster_name);
    assert_null(p.pvc_name);
    assert_null(p.pvc_namespace);

    static const char *const fqdn[] = {"root_export", "/", "view_policy", "p", "vip_pool_fqdn", "pool.vast.example",
                                       "vip_pool_fqdn_random_prefix", "YES", "qos_policy_id", "42", NULL};
    volume_request_init(&r, fqdn);
    assert_true(vast_volume_params_parse(CSI_MAP(&r.req, parameters), &p, &st));
    assert_string_equal(p.root_export, "/");
    assert_null(p.vip_pool_name);
    assert_string_equal(p.vip_pool_fqdn, "pool.vast.example");
    assert_true(p.vip_pool_fqdn_random_prefix);
    assert_int_equal(p.qos_policy_id, 42);
    assert_null(p.qos_policy);
}

static void test_empty_optional_values(void **state) {
    (void)state;
    /* an empty qos_policy or cluster_name means "none" */
    static const char *const kv[] = {BASE, "qos_policy", "", "cluster_name", "", "qos_policy_id", "7", NULL};
    volume_request r;
    volume_request_init(&r, kv);
    vast_volume_params p;
    vk_status st = {0};
    if (!vast_volume_params_parse(CSI_MAP(&r.req, parameters), &p, &st)) fail_msg("refused: %s", st.message);
    assert_null(p.qos_policy);
    assert_null(p.cluster_name);
    assert_int_equal(p.qos_policy_id, 7); /* not "both set": qos_policy was empty */
}

static void test_unknown_key_is_named(void **state) {
    (void)state;
    static const char *const typo[] = {BASE, "rootExport", "/k8s", NULL};
    volume_refused(typo, "\"rootExport\"", "unknown StorageClass parameter");
    static const char *const snapshot_key[] = {BASE, "snapshot_name_fmt", "x", NULL};
    volume_refused(snapshot_key, "snapshot_name_fmt", NULL);
    /* a key that merely starts like the CO's prefix is not the CO's */
    static const char *const near_co[] = {BASE, "csi.storage.k8s.io", "x", NULL};
    volume_refused(near_co, "\"csi.storage.k8s.io\"", NULL);
    /* case matters, as in the vendor driver */
    static const char *const upper[] = {BASE, "View_Policy", "x", NULL};
    volume_refused(upper, "View_Policy", NULL);
}

static void test_malformed_values_name_the_parameter(void **state) {
    (void)state;
    static const char *const relative[] = {"root_export", "k8s", "view_policy", "p", "vip_pool_name", "v", NULL};
    volume_refused(relative, "root_export", "\"k8s\"");
    static const char *const empty_root[] = {"root_export", "", "view_policy", "p", "vip_pool_name", "v", NULL};
    volume_refused(empty_root, "root_export", NULL);

    static const char *const bad_bools[] = {"maybe", "", "2", "on", "truee", " true"};
    for (size_t i = 0; i < sizeof bad_bools / sizeof bad_bools[0]; i++) {
        const char *kv[] = {BASE, "vip_pool_fqdn_random_prefix", bad_bools[i], NULL};
        volume_refused(kv, "vip_pool_fqdn_random_prefix", "true or false");
    }
    static const char *const bad_ids[] = {"abc", "0", "-3", "", "12x", "99999999999999999999", "1.5"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        const char *kv[] = {BASE, "qos_policy_id", bad_ids[i], NULL};
        volume_refused(kv, "qos_policy_id", "positive number");
    }
}

static void test_null_value_is_empty(void **state) {
    (void)state;
    /* a map entry without a value reads as "" (protobuf's absent string) */
    volume_request r;
    static const char *const kv[] = {BASE, "root_export", "/x", NULL};
    volume_request_init(&r, kv);
    r.entries[3].value = NULL; /* root_export's second occurrence */
    vast_volume_params p;
    vk_status st = {0};
    assert_false(vast_volume_params_parse(CSI_MAP(&r.req, parameters), &p, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_contains(st.message, "root_export");
}

static void test_required_parameters(void **state) {
    (void)state;
    static const char *const no_root[] = {"view_policy", "p", "vip_pool_name", "v", NULL};
    volume_refused(no_root, "root_export", "required");
    static const char *const no_policy[] = {"root_export", "/k8s", "vip_pool_name", "v", NULL};
    volume_refused(no_policy, "view_policy", "required");
    static const char *const no_pool[] = {"root_export", "/k8s", "view_policy", "p", NULL};
    volume_refused(no_pool, "vip_pool_name", "vip_pool_fqdn");
    static const char *const empty_policy[] = {"root_export", "/k8s", "view_policy", "", "vip_pool_name", "v", NULL};
    volume_refused(empty_policy, "view_policy", NULL);
    static const char *const nothing[] = {NULL};
    volume_refused(nothing, "required", NULL);
}

static void test_exclusive_pairs(void **state) {
    (void)state;
    static const char *const pools[] = {BASE, "vip_pool_fqdn", "pool.example", NULL};
    volume_refused(pools, "vip_pool_name", "vip_pool_fqdn");
    static const char *const qos[] = {BASE, "qos_policy", "gold", "qos_policy_id", "3", NULL};
    volume_refused(qos, "qos_policy", "qos_policy_id");
}

static void test_lenient_parse(void **state) {
    (void)state;
    /* GetCapacity and ControllerGetVolume: nothing is required */
    static const char *const some[] = {"qos_policy", "gold", "cluster_name", "west", NULL};
    volume_request r;
    volume_request_init(&r, some);
    vast_volume_params p;
    vk_status st = {0};
    assert_true(vast_volume_params_parse_lenient(CSI_MAP(&r.req, parameters), &p, &st));
    assert_null(p.root_export);
    assert_string_equal(p.cluster_name, "west");
    static const char *const none[] = {NULL};
    volume_request_init(&r, none);
    assert_true(vast_volume_params_parse_lenient(CSI_MAP(&r.req, parameters), &p, &st));
    /* ...but unknown keys and malformed values are still refused */
    static const char *const unknown[] = {"colour", "blue", NULL};
    volume_request_init(&r, unknown);
    assert_false(vast_volume_params_parse_lenient(CSI_MAP(&r.req, parameters), &p, &st));
    assert_contains(st.message, "colour");
    static const char *const relative[] = {"root_export", "k8s", NULL};
    volume_request_init(&r, relative);
    assert_false(vast_volume_params_parse_lenient(CSI_MAP(&r.req, parameters), &p, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_contains(st.message, "root_export");
}

/* ---------- snapshot and mutable parameters ---------- */

static void test_snapshot_params(void **state) {
    (void)state;
    static const char *const kv[] = {
        "snapshot_name_fmt", "{namespace}-{name}",
        "cluster_name", "east",
        "csi.storage.k8s.io/volumesnapshot/name", "snap-1",
        "csi.storage.k8s.io/volumesnapshot/namespace", "shop",
        "csi.storage.k8s.io/volumesnapshotcontent/name", "snapcontent-1",
        "csi.storage.k8s.io/snapshotter-secret-name", "vast-secret",
        NULL,
    };
    snapshot_request r;
    snapshot_request_init(&r, kv);
    vast_snapshot_params p;
    vk_status st = {0};
    if (!vast_snapshot_params_parse(CSI_MAP(&r.req, parameters), &p, &st)) fail_msg("refused: %s", st.message);
    assert_string_equal(p.snapshot_name_fmt, "{namespace}-{name}");
    assert_string_equal(p.cluster_name, "east");
    assert_string_equal(p.snapshot_name, "snap-1");
    assert_string_equal(p.snapshot_namespace, "shop");

    static const char *const none[] = {NULL};
    snapshot_request_init(&r, none);
    assert_true(vast_snapshot_params_parse(CSI_MAP(&r.req, parameters), &p, &st));
    assert_null(p.snapshot_name_fmt);
    assert_null(p.cluster_name);
    assert_null(p.snapshot_name);
    assert_null(p.snapshot_namespace);

    static const char *const empty_cluster[] = {"cluster_name", "", NULL};
    snapshot_request_init(&r, empty_cluster);
    assert_true(vast_snapshot_params_parse(CSI_MAP(&r.req, parameters), &p, &st));
    assert_null(p.cluster_name);

    /* a StorageClass parameter is not a VolumeSnapshotClass parameter */
    static const char *const volume_key[] = {"root_export", "/k8s", NULL};
    snapshot_request_init(&r, volume_key);
    assert_false(vast_snapshot_params_parse(CSI_MAP(&r.req, parameters), &p, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_contains(st.message, "\"root_export\"");
    assert_contains(st.message, "VolumeSnapshotClass");
}

static void test_mutable_params(void **state) {
    (void)state;
    static const char *const qos[] = {"qos_policy", "silver", NULL};
    modify_request r;
    modify_request_init(&r, qos);
    vast_mutable_params p;
    vk_status st = {0};
    assert_true(vast_mutable_params_parse(CSI_MAP(&r.req, mutable_parameters), &p, &st));
    assert_string_equal(p.qos_policy, "silver");

    static const char *const clear[] = {"qos_policy", "", NULL};
    modify_request_init(&r, clear);
    assert_true(vast_mutable_params_parse(CSI_MAP(&r.req, mutable_parameters), &p, &st));
    assert_non_null(p.qos_policy); /* present and empty: "remove the QoS policy" */
    assert_string_equal(p.qos_policy, "");

    static const char *const none[] = {NULL};
    modify_request_init(&r, none);
    assert_true(vast_mutable_params_parse(CSI_MAP(&r.req, mutable_parameters), &p, &st));
    assert_null(p.qos_policy);

    static const char *const others[] = {"root_export", "/k8s", "view_policy", "p", "qos_policy_id", "3", NULL};
    for (const char *const *k = others; *k; k += 2) {
        const char *kv[] = {"qos_policy", "gold", k[0], k[1], NULL};
        modify_request_init(&r, kv);
        assert_false(vast_mutable_params_parse(CSI_MAP(&r.req, mutable_parameters), &p, &st));
        assert_int_equal(st.code, VK_INVALID_ARGUMENT);
        assert_contains(st.message, k[0]);
        assert_contains(st.message, "only qos_policy");
    }
}

/* ---------- helpers ---------- */

static void test_parse_bool(void **state) {
    (void)state;
    static const char *const yes[] = {"true", "TRUE", "True", "yes", "YeS", "1"};
    static const char *const no[] = {"false", "FALSE", "no", "No", "0"};
    static const char *const bad[] = {"", "2", "on", "off", "y", "n", "t", "truex", " true", "true ", "01"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        bool v = false;
        assert_true(vk_parse_bool(yes[i], &v));
        assert_true(v);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        bool v = true;
        assert_true(vk_parse_bool(no[i], &v));
        assert_false(v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool v = false;
        if (vk_parse_bool(bad[i], &v)) fail_msg("\"%s\" accepted as a boolean", bad[i]);
    }
}

static void test_map_get(void **state) {
    (void)state;
    static const char *const kv[] = {"a", "1", "b", "", "a", "second", "c", "x", NULL};
    volume_request r;
    volume_request_init(&r, kv);
    r.entries[3].value = NULL; /* "c" without a value */
    vk_strmap m = CSI_MAP(&r.req, parameters);
    assert_int_equal(m.n, 4);
    assert_string_equal(vk_strmap_get(m, "a"), "1"); /* the first of duplicates */
    assert_string_equal(vk_strmap_get(m, "b"), "");
    assert_string_equal(vk_strmap_get(m, "c"), ""); /* NULL value reads as empty, not absent */
    assert_null(vk_strmap_get(m, "d"));
    assert_null(vk_strmap_get(m, "A"));
    assert_null(vk_strmap_get(m, ""));
    static const char *const none[] = {NULL};
    volume_request_init(&r, none);
    assert_null(vk_strmap_get(CSI_MAP(&r.req, parameters), "a"));
    /* the map macro works on every generated map field: secrets too */
    Csi__V1__CreateVolumeRequest__SecretsEntry secret = CSI__V1__CREATE_VOLUME_REQUEST__SECRETS_ENTRY__INIT;
    secret.key = "password";
    secret.value = "pw";
    Csi__V1__CreateVolumeRequest__SecretsEntry *secrets[] = {&secret};
    r.req.secrets = secrets;
    r.req.n_secrets = 1;
    assert_string_equal(vk_strmap_get(CSI_MAP(&r.req, secrets), "password"), "pw");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vendor_parameter_is_read),
        cmocka_unit_test(test_defaults_and_fqdn_variant),
        cmocka_unit_test(test_empty_optional_values),
        cmocka_unit_test(test_unknown_key_is_named),
        cmocka_unit_test(test_malformed_values_name_the_parameter),
        cmocka_unit_test(test_null_value_is_empty),
        cmocka_unit_test(test_required_parameters),
        cmocka_unit_test(test_exclusive_pairs),
        cmocka_unit_test(test_lenient_parse),
        cmocka_unit_test(test_snapshot_params),
        cmocka_unit_test(test_mutable_params),
        cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_map_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
