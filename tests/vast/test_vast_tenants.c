/* A tenant's managed storage (vast_tenant_apply / vast_tenant_remove) in process
 * against the real vms-sim. Every object is read back from the simulator as a cluster
 * admin sees it; a pass with nothing to do is proven write-free both by the result's
 * count and by the simulator's own request statistics; drift made through the VMS API
 * is put back and named; a failure at every step's fault points converges on the next
 * pass with no duplicate; names held by another tenant are refused and left alone. */
#include "vast_fixture.h"
#include "vast_tenant_internal.h"
#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/vast_tenant.h"
#include "vk/vms_list.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The operator's cluster-admin client (the fixture's inspector is the test's eyes). */
static vms_client *admin;

/* ---- a spec per test tenant: networks that overlap no other test tenant's ---- */

typedef struct {
    vast_tenant_spec spec;
    char name[VAST_TENANT_NAME_MAX];
    char root[128];
    char cidr[2][48];
    const char *cidrs[2];
    char vip_start[32], vip_end[32];
    vast_address_range vip;
    vast_tenant_class classes[3];
    char password[64];
} tenant_spec;

static const vast_qos FAST = {.max_read_mbps = 500, .max_write_mbps = 400, .burst_read_mbps = 2500,
                              .burst_write_mbps = 2000, .burst_read_credit_mb = 120000,
                              .burst_write_credit_mb = 96000};
static const vast_qos TENANT_WIDE = {.max_read_mbps = 2000, .max_write_mbps = 1500, .max_read_iops = 40000};

/* Tenant vk-<base> with networks 10.<net>.0.0/16 and fd00:<net>::/64, VIPs 172.16.<net>.10-19,
 * 10 GiB hard / 8 GiB soft, tenant-wide QoS, one class "fast" with QoS, a tenant admin. */
static void tenant_spec_init(tenant_spec *t, const char *base, int net) {
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "vk-%s", base);
    snprintf(t->root, sizeof t->root, "/vast-k8s/tenants/%s", t->name);
    snprintf(t->cidr[0], sizeof t->cidr[0], "10.%d.0.0/16", net);
    snprintf(t->cidr[1], sizeof t->cidr[1], "fd00:%d::/64", net);
    t->cidrs[0] = t->cidr[0];
    t->cidrs[1] = t->cidr[1];
    snprintf(t->vip_start, sizeof t->vip_start, "172.16.%d.10", net);
    snprintf(t->vip_end, sizeof t->vip_end, "172.16.%d.19", net);
    t->vip = (vast_address_range){t->vip_start, t->vip_end};
    t->classes[0] = (vast_tenant_class){.name = "fast", .has_qos = true, .qos = FAST};
    snprintf(t->password, sizeof t->password, "pw-%s-Xq7", base);
    t->spec = (vast_tenant_spec){.name = t->name, .root_path = t->root, .hard_limit = 10 * GIB,
                                 .soft_limit = 8 * GIB, .has_qos = true, .qos = TENANT_WIDE,
                                 .client_cidrs = t->cidrs, .n_client_cidrs = 2, .vip_ranges = &t->vip,
                                 .n_vip_ranges = 1, .vip_subnet_cidr = 24, .classes = t->classes, .n_classes = 1,
                                 .admin_password = t->password};
}

static bool apply(const tenant_spec *t, vast_tenant_result *out, vk_status *st) {
    return vast_tenant_apply(admin, &t->spec, vk_deadline_in(DEADLINE_MS), out, st);
}

static void apply_ok(const tenant_spec *t, vast_tenant_result *out) {
    vk_status st;
    if (!apply(t, out, &st)) fail_msg("apply %s: %s: %s", t->name, vk_status_name(st.code), st.message);
}

static bool remove_tenant(const tenant_spec *t, vast_tenant_result *out, vk_status *st) {
    return vast_tenant_remove(admin, &t->spec, vk_deadline_in(DEADLINE_MS), out, st);
}

static void remove_ok(const tenant_spec *t) {
    vast_tenant_result out;
    vk_status st;
    if (!remove_tenant(t, &out, &st)) fail_msg("remove %s: %s", t->name, st.message);
}

/* ---- what the simulator holds ---- */

static json_t *list_where(const char *collection, const char *key, const char *value) {
    json_t *items = NULL;
    vms_error err;
    if (!vms_list(fx.inspector, collection, VMS_FILTERS(key, value), vk_deadline_in(DEADLINE_MS), &items, &err)) {
        fail_msg("listing %s %s=%s: %s", collection, key, value, err.message);
    }
    return items;
}

static size_t count_where(const char *collection, const char *key, const char *value) {
    json_t *items = list_where(collection, key, value);
    size_t n = json_array_size(items);
    json_decref(items);
    return n;
}

/* The one object of collection with key = value (fails the test otherwise). */
static json_t *the_one(const char *collection, const char *key, const char *value) {
    json_t *items = list_where(collection, key, value);
    if (json_array_size(items) != 1) fail_msg("%zu objects in %s with %s=%s", json_array_size(items), collection, key, value);
    json_t *obj = json_incref(json_array_get(items, 0));
    json_decref(items);
    return obj;
}

static int64_t id_of(const json_t *obj) { return (int64_t)json_integer_value(json_object_get(obj, "id")); }

static void assert_json_field(const json_t *obj, const char *key, const char *expected_json) {
    json_error_t error;
    json_t *expected = json_loads(expected_json, JSON_DECODE_ANY, &error);
    if (!expected) fail_msg("bad expectation %s: %s", expected_json, error.text);
    json_t *have = json_object_get(obj, key);
    if (!json_equal(expected, have)) {
        char *text = json_dumps(have, JSON_ENCODE_ANY | JSON_COMPACT);
        print_error("%s: expected %s, VMS has %s\n", key, expected_json, text ? text : "(absent)");
        free(text);
        json_decref(expected);
        fail();
    }
    json_decref(expected);
}

/* A request as a cluster admin would make it in the VMS UI; the answer (NULL for 204). */
static json_t *by_hand(const char *method, const char *path, const char *body_json) {
    json_t *body = body_json ? json_loads(body_json, 0, NULL) : NULL;
    if (body_json) assert_non_null(body);
    json_t *answer = NULL;
    vms_error err;
    if (!vms_request(fx.inspector, method, path, body, 0, vk_deadline_in(DEADLINE_MS), &answer, &err)) {
        fail_msg("%s %s: %s", method, path, err.message);
    }
    json_decref(body);
    return answer;
}

static void patch_by_hand(const char *collection, int64_t id, const char *body_json) {
    char path[96];
    snprintf(path, sizeof path, "%s%" PRId64 "/", collection, id);
    json_decref(by_hand("PATCH", path, body_json));
}

static json_t *post_by_hand(const char *collection, const char *body_json) {
    return by_hand("POST", collection, body_json);
}

static void delete_by_hand(const char *collection, int64_t id) {
    char path[96];
    snprintf(path, sizeof path, "%s%" PRId64 "/", collection, id);
    json_decref(by_hand("DELETE", path, NULL));
}

/* Write requests the simulator received since the last reset (POST/PATCH/DELETE,
 * logins aside), refused ones included. */
static long sim_writes(void) {
    json_t *stats = sim_admin(&fx.sim, "GET", "/_sim/stats", NULL);
    long n = 0;
    const char *key;
    json_t *count;
    json_object_foreach(json_object_get(stats, "requests"), key, count) {
        bool write = strncmp(key, "POST ", 5) == 0 || strncmp(key, "PATCH ", 6) == 0 || strncmp(key, "DELETE ", 7) == 0;
        if (write && !strstr(key, "token")) n += (long)json_integer_value(count);
    }
    json_decref(stats);
    return n;
}

/* The tenant admin's own login works with password (and only in its tenant). */
static void assert_admin_logs_in(const char *tenant, const char *username, const char *password) {
    vms_config cfg = sim_client_config(&fx.sim);
    cfg.username = username;
    cfg.password = password;
    cfg.tenant = tenant;
    vms_client *c = sim_client(&cfg);
    json_t *items = NULL;
    vms_error err;
    if (!vms_list(c, VMS_VIEWPOLICIES, VMS_NO_FILTERS, vk_deadline_in(DEADLINE_MS), &items, &err)) {
        fail_msg("tenant admin %s cannot list view policies: %s", username, err.message);
    }
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) assert_string_equal(vast_json_name(item, "tenant_name"), tenant);
    assert_true(json_array_size(items) >= 1);
    json_decref(items);
    vms_client_free(c);
}

static bool admin_login_refused(const char *tenant, const char *username, const char *password) {
    vms_config cfg = sim_client_config(&fx.sim);
    cfg.username = username;
    cfg.password = password;
    cfg.tenant = tenant;
    cfg.max_attempts = 1;
    vms_client *c = sim_client(&cfg);
    json_t *items = NULL;
    vms_error err;
    bool ok = vms_list(c, VMS_VIEWPOLICIES, VMS_NO_FILTERS, vk_deadline_in(DEADLINE_MS), &items, &err);
    json_decref(items);
    vms_client_free(c);
    return !ok && (err.http_status == 401 || err.http_status == 403);
}

/* Apply with nothing to do: no write by the result's count nor by the simulator's. */
static void assert_no_write_pass(const tenant_spec *t) {
    sim_reset_stats(&fx.sim);
    vast_tenant_result out;
    apply_ok(t, &out);
    assert_int_equal(out.writes, 0);
    assert_string_equal(out.repaired, "");
    assert_int_equal(sim_writes(), 0);
    assert_int_equal(sim_stat(&fx.sim, "writes_total"), 0); /* the simulator's own count */
}

/* Exactly one of each object of t (the tenant, pool, policy, class QoS, root quota, admin). */
static void assert_one_of_each(const tenant_spec *t) {
    vast_tenant_names names;
    vast_tenant_names_of(&t->spec, &names);
    assert_int_equal(count_where(VMS_TENANTS, "name", names.tenant), 1);
    assert_int_equal(count_where(VMS_VIPPOOLS, "name", names.vip_pool), 1);
    assert_int_equal(count_where(VMS_VIEWPOLICIES, "name", names.view_policy), 1);
    assert_int_equal(count_where(VMS_QUOTAS, "path", t->root), 1);
    assert_int_equal(count_where(VMS_MANAGERS, "username", names.admin), 1);
    for (size_t i = 0; i < t->spec.n_classes; i++) {
        if (names.class_qos[i][0]) assert_int_equal(count_where(VMS_QOSPOLICIES, "name", names.class_qos[i]), 1);
    }
}

static void assert_nothing_left(const tenant_spec *t) {
    vast_tenant_names names;
    vast_tenant_names_of(&t->spec, &names);
    assert_int_equal(count_where(VMS_TENANTS, "name", names.tenant), 0);
    assert_int_equal(count_where(VMS_VIPPOOLS, "name", names.vip_pool), 0);
    assert_int_equal(count_where(VMS_VIEWPOLICIES, "name", names.view_policy), 0);
    assert_int_equal(count_where(VMS_QUOTAS, "path", t->root), 0);
    assert_int_equal(count_where(VMS_MANAGERS, "username", names.admin), 0);
    assert_int_equal(count_where(VMS_QOSPOLICIES, "name__startswith", t->name), 0);
}

/* ---- no VMS ---- */

static void assert_range(const char *cidr, const char *first, const char *last) {
    json_t *range = vast_cidr_range(cidr);
    if (!range) fail_msg("%s was refused", cidr);
    assert_string_equal(json_string_value(json_array_get(range, 0)), first);
    assert_string_equal(json_string_value(json_array_get(range, 1)), last);
    json_decref(range);
}

static void test_client_networks_become_address_ranges(void **state) {
    (void)state;
    assert_range("10.20.0.0/16", "10.20.0.0", "10.20.255.255");
    assert_range("10.20.7.9/16", "10.20.0.0", "10.20.255.255"); /* host bits ignored */
    assert_range("192.168.1.128/25", "192.168.1.128", "192.168.1.255");
    assert_range("10.0.0.7", "10.0.0.7", "10.0.0.7");
    assert_range("0.0.0.0/0", "0.0.0.0", "255.255.255.255");
    assert_range("fd00:1::/64", "fd00:1::", "fd00:1::ffff:ffff:ffff:ffff");
    assert_range("fd00::1/127", "fd00::", "fd00::1");
    assert_range("2001:db8::5", "2001:db8::5", "2001:db8::5");
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0/8", "fd00::/129", "10.0.0.0/", "10.0.0.0/8x",
                                      "host.example", "", "/8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *range = vast_cidr_range(bad[i]);
        if (range) fail_msg("%s was taken for a network", bad[i]);
    }
}

static void test_names_derive_from_the_tenant(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "acme", 200);
    static const char long_class[] = "a-storage-class-name-that-is-much-too-long-for-vast-names-0123456789";
    t.classes[1] = (vast_tenant_class){.name = long_class, .has_qos = true};
    t.classes[2] = (vast_tenant_class){.name = "plain", .has_qos = false};
    t.spec.n_classes = 3;
    vast_tenant_names n;
    vast_tenant_names_of(&t.spec, &n);
    assert_string_equal(n.tenant, "vk-acme");
    assert_string_equal(n.view_policy, "vk-acme");
    assert_string_equal(n.vip_pool, "vk-acme");
    assert_string_equal(n.root_quota, "vk-acme");
    assert_string_equal(n.admin, "vk-acme-csi");
    assert_string_equal(n.class_qos[0], "vk-acme-fast");
    assert_int_equal(strlen(n.class_qos[1]), 64);
    assert_memory_equal(n.class_qos[1], "vk-acme-a-storage", 17);
    assert_string_equal(n.class_qos[2], "");
    /* the hash tells two long names apart */
    static const char other_class[] = "a-storage-class-name-that-is-much-too-long-for-vast-names-012345678X";
    t.classes[1].name = other_class;
    vast_tenant_names m;
    vast_tenant_names_of(&t.spec, &m);
    assert_string_not_equal(n.class_qos[1], m.class_qos[1]);
}

static void test_invalid_specs_are_refused_before_any_request(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "bad", 201);
    sim_reset_stats(&fx.sim);
    vast_tenant_result out;
    vk_status st;
    t.cidr[1][0] = 'x';
    assert_false(apply(&t, &out, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "xd00:201::/64"));
    tenant_spec_init(&t, "bad", 201);
    t.classes[1] = t.classes[0];
    t.spec.n_classes = 2;
    assert_false(apply(&t, &out, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "fast"));
    tenant_spec_init(&t, "bad", 201);
    t.spec.root_path = "relative/path";
    assert_false(apply(&t, &out, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_int_equal(sim_stat(&fx.sim, "requests_total"), 0);
}

/* ---- apply ---- */

static void test_create_from_nothing(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "create", 1);
    t.spec.object_storage = true;
    vast_tenant_result out;
    sim_reset_stats(&fx.sim);
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 6); /* tenant, pool, policy, one class QoS, quota, admin */
    assert_int_equal(sim_stat(&fx.sim, "writes_total"), 6); /* the counters agree */
    assert_int_equal(sim_writes(), 6);
    assert_string_equal(out.repaired, "");

    json_t *tenant = the_one(VMS_TENANTS, "name", "vk-create");
    assert_int_equal(id_of(tenant), out.tenant_id);
    assert_json_field(tenant, "client_ip_ranges",
                      "[[\"10.1.0.0\", \"10.1.255.255\"], [\"fd00:1::\", \"fd00:1::ffff:ffff:ffff:ffff\"]]");
    assert_json_field(json_object_get(tenant, "capacity_rules"), "hard_limit", "10737418240");
    assert_json_field(json_object_get(tenant, "capacity_rules"), "soft_limit", "8589934592");
    json_t *limits = json_object_get(json_object_get(tenant, "qos"), "static_limits");
    assert_json_field(limits, "max_reads_bw_mbps", "2000");
    assert_json_field(limits, "max_writes_bw_mbps", "1500");
    assert_json_field(limits, "max_reads_iops", "40000");
    json_decref(tenant);

    json_t *pool = the_one(VMS_VIPPOOLS, "name", "vk-create");
    assert_int_equal(id_of(pool), out.vip_pool_id);
    assert_int_equal(json_integer_value(json_object_get(pool, "tenant_id")), out.tenant_id);
    assert_json_field(pool, "ip_ranges", "[[\"172.16.1.10\", \"172.16.1.19\"]]");
    assert_json_field(pool, "subnet_cidr", "24");
    assert_json_field(pool, "role", "\"PROTOCOLS\"");
    json_decref(pool);

    json_t *policy = the_one(VMS_VIEWPOLICIES, "name", "vk-create");
    assert_int_equal(id_of(policy), out.view_policy_id);
    assert_int_equal(json_integer_value(json_object_get(policy, "tenant_id")), out.tenant_id);
    assert_json_field(policy, "flavor", "\"MIXED_LAST_WINS\"");
    assert_json_field(policy, "auth_source", "\"RPC\"");
    assert_json_field(policy, "nfs_read_write", "[\"10.1.0.0/16\", \"fd00:1::/64\"]");
    assert_json_field(policy, "nfs_no_squash", "[\"10.1.0.0/16\", \"fd00:1::/64\"]");
    assert_json_field(policy, "s3_read_write", "[\"10.1.0.0/16\", \"fd00:1::/64\"]");
    char pools[32];
    snprintf(pools, sizeof pools, "[%" PRId64 "]", out.vip_pool_id);
    assert_json_field(policy, "vip_pools", pools);
    json_decref(policy);

    json_t *qos = the_one(VMS_QOSPOLICIES, "name", "vk-create-fast");
    assert_int_equal(json_integer_value(json_object_get(qos, "tenant_id")), out.tenant_id);
    assert_json_field(qos, "policy_type", "\"VIEW\"");
    assert_json_field(qos, "mode", "\"STATIC\"");
    limits = json_object_get(qos, "static_limits");
    assert_json_field(limits, "max_reads_bw_mbps", "500");
    assert_json_field(limits, "max_writes_bw_mbps", "400");
    assert_json_field(limits, "burst_reads_bw_mb", "2500");
    assert_json_field(limits, "burst_writes_bw_mb", "2000");
    assert_json_field(limits, "burst_reads_loan_mb", "120000");
    assert_json_field(limits, "burst_writes_loan_mb", "96000");
    json_decref(qos);

    json_t *quota = the_one(VMS_QUOTAS, "path", t.root);
    assert_int_equal(id_of(quota), out.root_quota_id);
    assert_int_equal(json_integer_value(json_object_get(quota, "tenant_id")), out.tenant_id);
    assert_json_field(quota, "name", "\"vk-create\"");
    assert_json_field(quota, "hard_limit", "10737418240");
    assert_json_field(quota, "soft_limit", "8589934592");
    json_decref(quota);
    assert_int_equal(out.used_bytes, 0);

    json_t *manager = the_one(VMS_MANAGERS, "username", "vk-create-csi");
    assert_int_equal(id_of(manager), out.admin_id);
    assert_int_equal(json_integer_value(json_object_get(manager, "tenant_id")), out.tenant_id);
    assert_json_field(manager, "user_type", "\"TENANT_ADMIN\"");
    assert_json_field(manager, "password_expiration_disabled", "true");
    assert_null(json_object_get(manager, "password"));
    json_decref(manager);
    assert_admin_logs_in("vk-create", "vk-create-csi", t.password);

    assert_no_write_pass(&t);
    remove_ok(&t);
    assert_nothing_left(&t);
}

static void test_object_storage_off_and_zero_limits(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "plain", 2);
    t.spec.hard_limit = t.spec.soft_limit = 0;
    t.spec.has_qos = false;
    t.spec.n_classes = 0;
    vast_tenant_result out;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 5);
    json_t *policy = the_one(VMS_VIEWPOLICIES, "name", "vk-plain");
    assert_json_field(policy, "flavor", "\"NFS\"");
    assert_json_field(policy, "s3_read_write", "[]");
    json_decref(policy);
    json_t *tenant = the_one(VMS_TENANTS, "name", "vk-plain");
    assert_null(json_object_get(json_object_get(tenant, "capacity_rules"), "hard_limit"));
    json_decref(tenant);
    assert_no_write_pass(&t);
    /* a limit set later is written, and taken away again */
    t.spec.hard_limit = 4 * GIB;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 2); /* tenant capacity_rules, root quota */
    assert_int_equal(fx_quota_limit(t.root), 4 * GIB);
    assert_no_write_pass(&t);
    t.spec.hard_limit = 0;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 2);
    assert_int_equal(fx_quota_limit(t.root), 0);
    assert_no_write_pass(&t);
    remove_ok(&t);
    assert_nothing_left(&t);
}

/* A cluster whose clients reach the tenant through shared pools: no VIP pool of its own
 * (VMS refuses one without addresses), a view policy bound to none; a pool added later is
 * made and bound, and taken away again once the spec drops it. */
static void test_a_cluster_without_vip_pool(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "shared", 3);
    t.spec.n_vip_ranges = 0;
    vast_tenant_result out;
    apply_ok(&t, &out);
    assert_int_equal(out.vip_pool_id, 0);
    assert_int_equal(count_where(VMS_VIPPOOLS, "name", "vk-shared"), 0);
    json_t *policy = the_one(VMS_VIEWPOLICIES, "name", "vk-shared");
    assert_json_field(policy, "vip_pools", "[]");
    json_decref(policy);
    assert_no_write_pass(&t);
    t.spec.n_vip_ranges = 1;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 2); /* the pool, the policy bound to it */
    assert_int_equal(count_where(VMS_VIPPOOLS, "name", "vk-shared"), 1);
    assert_no_write_pass(&t);
    t.spec.n_vip_ranges = 0;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 2); /* the policy lets go of it, then the pool goes */
    assert_int_equal(count_where(VMS_VIPPOOLS, "name", "vk-shared"), 0);
    assert_no_write_pass(&t);
    remove_ok(&t);
    assert_nothing_left(&t);
}

typedef struct {
    const char *collection;
    const char *key; /* how to find it: name or path */
    const char *patch;
    const char *repaired; /* what out->repaired must name */
    const char *field;    /* checked back after the repair */
    const char *expected;
} drift;

static void test_drift_of_each_object_is_repaired_and_named(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "drift", 3);
    vast_tenant_result out;
    apply_ok(&t, &out);
    const drift drifts[] = {
        {VMS_TENANTS, "name", "{\"client_ip_ranges\": [[\"10.99.0.0\", \"10.99.0.255\"]]}",
         "tenant vk-drift (client_ip_ranges)", "client_ip_ranges",
         "[[\"10.3.0.0\", \"10.3.255.255\"], [\"fd00:3::\", \"fd00:3::ffff:ffff:ffff:ffff\"]]"},
        {VMS_TENANTS, "name", "{\"qos\": {\"static_limits\": {\"max_reads_bw_mbps\": 1}}}", "tenant vk-drift (qos)",
         NULL, NULL},
        {VMS_TENANTS, "name", "{\"capacity_rules\": {\"hard_limit\": 1}}", "tenant vk-drift (capacity_rules)", NULL,
         NULL},
        {VMS_VIPPOOLS, "name", "{\"ip_ranges\": [[\"172.16.3.10\", \"172.16.3.11\"]], \"subnet_cidr\": 16}",
         "VIP pool vk-drift (subnet_cidr, ip_ranges)", "ip_ranges", "[[\"172.16.3.10\", \"172.16.3.19\"]]"},
        {VMS_VIEWPOLICIES, "name", "{\"nfs_read_write\": [\"*\"]}", "view policy vk-drift (nfs_read_write)",
         "nfs_read_write", "[\"10.3.0.0/16\", \"fd00:3::/64\"]"},
        {VMS_VIEWPOLICIES, "name", "{\"flavor\": \"SMB\", \"auth_source\": \"PROVIDERS\"}",
         "view policy vk-drift (flavor, auth_source)", "flavor", "\"NFS\""},
        {VMS_VIEWPOLICIES, "name", "{\"vip_pools\": []}", "view policy vk-drift (vip_pools)", NULL, NULL},
        {VMS_QOSPOLICIES, "name", "{\"static_limits\": {\"max_writes_bw_mbps\": 7}}",
         "QoS policy vk-drift-fast (static_limits)", NULL, NULL},
        {VMS_QOSPOLICIES, "name", "{\"mode\": \"USED_CAPACITY\"}", "QoS policy vk-drift-fast (mode)", "mode",
         "\"STATIC\""},
        {VMS_QUOTAS, "path", "{\"hard_limit\": 1073741824, \"soft_limit\": 0}",
         "root quota vk-drift (hard_limit, soft_limit)", "hard_limit", "10737418240"},
        {VMS_MANAGERS, "username", "{\"password_expiration_disabled\": false}",
         "tenant admin vk-drift-csi (password_expiration_disabled)", "password_expiration_disabled", "true"},
    };
    for (size_t i = 0; i < sizeof drifts / sizeof drifts[0]; i++) {
        const drift *d = &drifts[i];
        const char *value = strcmp(d->key, "path") == 0                     ? t.root
                            : strcmp(d->collection, VMS_QOSPOLICIES) == 0 ? "vk-drift-fast"
                            : strcmp(d->collection, VMS_MANAGERS) == 0    ? "vk-drift-csi"
                                                                         : "vk-drift";
        json_t *obj = the_one(d->collection, d->key, value);
        patch_by_hand(d->collection, id_of(obj), d->patch);
        json_decref(obj);
        apply_ok(&t, &out);
        assert_int_equal(out.writes, 1);
        if (strcmp(out.repaired, d->repaired) != 0) fail_msg("drift %zu: repaired \"%s\"", i, out.repaired);
        if (d->field) {
            obj = the_one(d->collection, d->key, value);
            assert_json_field(obj, d->field, d->expected);
            json_decref(obj);
        }
        assert_no_write_pass(&t);
    }
    /* one deleted by hand is made again */
    json_t *qos = the_one(VMS_QOSPOLICIES, "name", "vk-drift-fast");
    delete_by_hand(VMS_QOSPOLICIES, id_of(qos));
    json_decref(qos);
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 1);
    assert_one_of_each(&t);
    assert_no_write_pass(&t);
    remove_ok(&t);
    assert_nothing_left(&t);
}

static void test_class_qos_added_changed_and_removed(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "classes", 4);
    vast_tenant_result out;
    apply_ok(&t, &out);
    /* added */
    t.classes[1] = (vast_tenant_class){.name = "slow", .has_qos = true, .qos = {.max_read_mbps = 100}};
    t.classes[2] = (vast_tenant_class){.name = "free", .has_qos = false};
    t.spec.n_classes = 3;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 1);
    assert_int_equal(count_where(VMS_QOSPOLICIES, "name", "vk-classes-slow"), 1);
    assert_int_equal(count_where(VMS_QOSPOLICIES, "name", "vk-classes-free"), 0);
    assert_no_write_pass(&t);
    /* changed */
    t.classes[1].qos.max_read_mbps = 150;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 1);
    assert_string_equal(out.repaired, "QoS policy vk-classes-slow (static_limits)");
    json_t *slow = the_one(VMS_QOSPOLICIES, "name", "vk-classes-slow");
    assert_json_field(json_object_get(slow, "static_limits"), "max_reads_bw_mbps", "150");
    /* removed while a view uses it: left for a later pass, not an error */
    char view_body[256];
    snprintf(view_body, sizeof view_body,
             "{\"path\": \"%s/pvc-1\", \"create_dir\": true, \"policy_id\": %" PRId64 ", \"tenant_id\": %" PRId64
             ", \"qos_policy_id\": %" PRId64 "}",
             t.root, out.view_policy_id, out.tenant_id, id_of(slow));
    json_decref(slow);
    json_t *view = post_by_hand(VMS_VIEWS, view_body);
    t.classes[1].has_qos = false;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 0);
    assert_int_equal(count_where(VMS_QOSPOLICIES, "name", "vk-classes-slow"), 1);
    delete_by_hand(VMS_VIEWS, id_of(view));
    json_decref(view);
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 1);
    assert_int_equal(count_where(VMS_QOSPOLICIES, "name", "vk-classes-slow"), 0);
    assert_int_equal(count_where(VMS_QOSPOLICIES, "name", "vk-classes-fast"), 1);
    /* a class dropped from the spec altogether */
    t.spec.n_classes = 0;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 1);
    assert_int_equal(count_where(VMS_QOSPOLICIES, "name__startswith", "vk-classes-"), 0);
    assert_no_write_pass(&t);
    remove_ok(&t);
    assert_nothing_left(&t);
}

static void test_a_failure_at_every_step_converges(void **state) {
    (void)state;
    static const char *const objects[] = {"tenant", "vip_pool", "view_policy", "qos_policy", "root_quota", "admin"};
    static const char *const points[] = {"create", "done"};
    int net = 10;
    for (size_t o = 0; o < sizeof objects / sizeof objects[0]; o++) {
        for (size_t p = 0; p < sizeof points / sizeof points[0]; p++) {
            char base[32], spec[96], point[64];
            snprintf(base, sizeof base, "crash-%zu-%zu", o, p);
            snprintf(point, sizeof point, "vast.tenant.%s.%s", objects[o], points[p]);
            snprintf(spec, sizeof spec, "%s=error:UNAVAILABLE@1", point);
            tenant_spec t;
            tenant_spec_init(&t, base, net++);
            fx_faults(spec);
            vast_tenant_result out;
            vk_status st;
            assert_false(apply(&t, &out, &st));
            assert_int_equal(st.code, VK_UNAVAILABLE);
            if (!strstr(st.message, point)) fail_msg("%s: %s", point, st.message);
            apply_ok(&t, &out);
            fx_faults(NULL);
            assert_one_of_each(&t);
            assert_no_write_pass(&t);
            /* and remove, cut short at each of its deletes, finishes on the next call */
            char remove_point[64];
            snprintf(remove_point, sizeof remove_point, "vast.tenant.%s.delete=error:UNAVAILABLE@1", objects[o]);
            fx_faults(remove_point);
            assert_false(remove_tenant(&t, &out, &st));
            assert_int_equal(st.code, VK_UNAVAILABLE);
            assert_true(remove_tenant(&t, &out, &st));
            fx_faults(NULL);
            assert_nothing_left(&t);
        }
    }
    /* an update cut short before its PATCH */
    tenant_spec t;
    tenant_spec_init(&t, "crash-update", net++);
    vast_tenant_result out;
    vk_status st;
    apply_ok(&t, &out);
    t.classes[0].qos.max_read_mbps = 900;
    fx_faults("vast.tenant.qos_policy.update=error:UNAVAILABLE@1");
    assert_false(apply(&t, &out, &st));
    assert_int_equal(st.code, VK_UNAVAILABLE);
    apply_ok(&t, &out);
    fx_faults(NULL);
    assert_int_equal(out.writes, 1);
    assert_no_write_pass(&t);
    remove_ok(&t);
}

static void test_names_held_by_another_tenant_are_refused_and_left_alone(void **state) {
    (void)state;
    json_t *other = post_by_hand(VMS_TENANTS, "{\"name\": \"someone-else\", \"client_ip_ranges\": []}");
    char body[256];
    snprintf(body, sizeof body,
             "{\"name\": \"vk-stolen\", \"subnet_cidr\": 16, \"ip_ranges\": [[\"172.31.0.1\", \"172.31.0.2\"]], "
             "\"tenant_id\": %" PRId64 "}",
             id_of(other));
    json_t *pool = post_by_hand(VMS_VIPPOOLS, body);
    tenant_spec t;
    tenant_spec_init(&t, "stolen", 30);
    vast_tenant_result out;
    vk_status st;
    assert_false(apply(&t, &out, &st));
    assert_int_equal(st.code, VK_ALREADY_EXISTS);
    if (!strstr(st.message, "VIP pool vk-stolen") || !strstr(st.message, "someone-else")) fail_msg("%s", st.message);
    json_t *after = the_one(VMS_VIPPOOLS, "name", "vk-stolen");
    assert_true(json_equal(pool, after)); /* not one field changed */
    json_decref(after);
    /* remove proves ownership before each delete: the other tenant's pool stays */
    remove_ok(&t);
    after = the_one(VMS_VIPPOOLS, "name", "vk-stolen");
    assert_int_equal(json_integer_value(json_object_get(after, "tenant_id")), id_of(other));
    json_decref(after);
    assert_int_equal(count_where(VMS_TENANTS, "name", "vk-stolen"), 0);

    /* a view policy of that name elsewhere, the same */
    snprintf(body, sizeof body, "{\"name\": \"vk-policy-taken\", \"tenant_id\": %" PRId64 "}", id_of(other));
    json_t *policy = post_by_hand(VMS_VIEWPOLICIES, body);
    tenant_spec_init(&t, "policy-taken", 31);
    assert_false(apply(&t, &out, &st));
    assert_int_equal(st.code, VK_ALREADY_EXISTS);
    assert_non_null(strstr(st.message, "view policy vk-policy-taken"));
    after = the_one(VMS_VIEWPOLICIES, "name", "vk-policy-taken");
    assert_true(json_equal(policy, after));
    json_decref(after);
    remove_ok(&t);
    assert_int_equal(count_where(VMS_VIEWPOLICIES, "name", "vk-policy-taken"), 1);
    assert_int_equal(count_where(VMS_VIPPOOLS, "name", "vk-policy-taken"), 0);

    delete_by_hand(VMS_VIEWPOLICIES, id_of(policy));
    delete_by_hand(VMS_VIPPOOLS, id_of(pool));
    json_decref(policy);
    json_decref(pool);
    json_decref(other);
}

static void test_tenant_admin_password_reset_and_names_held_elsewhere(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "admin", 32);
    vast_tenant_result out;
    apply_ok(&t, &out);
    char old_password[64];
    snprintf(old_password, sizeof old_password, "%s", t.password);
    /* a new password without a reset is not written: VMS keeps the one it has */
    snprintf(t.password, sizeof t.password, "pw-admin-renewed-9Zk");
    assert_no_write_pass(&t);
    assert_admin_logs_in("vk-admin", "vk-admin-csi", old_password);
    /* with a reset it is, once */
    t.spec.reset_admin_password = true;
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 1);
    assert_string_equal(out.repaired, "tenant admin vk-admin-csi (password)");
    assert_null(strstr(out.repaired, t.password));
    t.spec.reset_admin_password = false;
    assert_no_write_pass(&t);
    assert_admin_logs_in("vk-admin", "vk-admin-csi", t.password);
    assert_true(admin_login_refused("vk-admin", "vk-admin-csi", old_password));

    /* a login of the admin's name in another tenant is refused and left alone, and the
     * password is in no message */
    tenant_spec other;
    tenant_spec_init(&other, "admin-held", 33);
    char body[256];
    snprintf(body, sizeof body,
             "{\"username\": \"vk-admin-held-csi\", \"password\": \"theirs-1\", \"user_type\": \"TENANT_ADMIN\", "
             "\"tenant_id\": %" PRId64 "}",
             out.tenant_id);
    json_t *foreign = post_by_hand(VMS_MANAGERS, body);
    vk_status st;
    assert_false(apply(&other, &out, &st));
    assert_int_equal(st.code, VK_ALREADY_EXISTS);
    if (!strstr(st.message, "tenant admin vk-admin-held-csi") || !strstr(st.message, "belongs to tenant vk-admin (")) {
        fail_msg("%s", st.message);
    }
    assert_null(strstr(st.message, other.password));
    json_t *after = the_one(VMS_MANAGERS, "username", "vk-admin-held-csi");
    assert_true(json_equal(foreign, after));
    json_decref(after);
    remove_ok(&other);
    assert_int_equal(count_where(VMS_MANAGERS, "username", "vk-admin-held-csi"), 1);
    delete_by_hand(VMS_MANAGERS, id_of(foreign));
    json_decref(foreign);
    remove_ok(&t);
    assert_nothing_left(&t);
    assert_nothing_left(&other);
}

/* A field VMS cannot patch is not patched over and over: the step fails, saying what
 * to do, and writes nothing to that object. */
static void test_a_difference_vms_cannot_patch_is_failed_precondition(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "fixed", 34);
    t.spec.n_classes = 0;
    vast_tenant_result out;
    apply_ok(&t, &out);
    char body[256];
    snprintf(body, sizeof body,
             "{\"name\": \"vk-fixed-fast\", \"policy_type\": \"USER\", \"tenant_id\": %" PRId64 "}",
             out.tenant_id);
    json_t *made = post_by_hand(VMS_QOSPOLICIES, body);
    t.spec.n_classes = 1;
    vk_status st;
    sim_reset_stats(&fx.sim);
    assert_false(apply(&t, &out, &st));
    assert_int_equal(st.code, VK_FAILED_PRECONDITION);
    if (!strstr(st.message, "QoS policy vk-fixed-fast") || !strstr(st.message, "policy_type \"USER\"")) {
        fail_msg("%s", st.message);
    }
    assert_int_equal(sim_writes(), 0);
    delete_by_hand(VMS_QOSPOLICIES, id_of(made));
    json_decref(made);
    apply_ok(&t, &out);
    assert_int_equal(out.writes, 1); /* made again, as the message said */
    assert_no_write_pass(&t);
    remove_ok(&t);
    assert_nothing_left(&t);
}

static void test_overlapping_client_ranges_are_invalid_argument(void **state) {
    (void)state;
    tenant_spec a, b;
    tenant_spec_init(&a, "overlap-a", 40);
    tenant_spec_init(&b, "overlap-b", 41);
    b.cidrs[0] = "10.40.128.0/17"; /* inside a's 10.40.0.0/16 */
    apply_ok(&a, &(vast_tenant_result){0});
    vast_tenant_result out;
    vk_status st;
    assert_false(apply(&b, &out, &st));
    remove_ok(&b);
    remove_ok(&a);
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "creating tenant vk-overlap-b"));
    assert_non_null(strstr(st.message, "client_ip_ranges"));
    assert_non_null(strstr(st.message, "vk-overlap-a")); /* VMS's own words, quoted */
}

/* ---- remove ---- */

static void test_remove_is_blocked_by_foreign_data_then_completes(void **state) {
    (void)state;
    tenant_spec t;
    tenant_spec_init(&t, "blocked", 50);
    vast_tenant_result out;
    apply_ok(&t, &out);
    char body[256];
    snprintf(body, sizeof body,
             "{\"path\": \"%s/pvc-9\", \"create_dir\": true, \"policy_id\": %" PRId64 ", \"tenant_id\": %" PRId64 "}",
             t.root, out.view_policy_id, out.tenant_id);
    json_t *view = post_by_hand(VMS_VIEWS, body);
    snprintf(body, sizeof body,
             "{\"name\": \"pvc-9\", \"path\": \"%s/pvc-9\", \"hard_limit\": 1073741824, \"tenant_id\": %" PRId64 "}",
             t.root, out.tenant_id);
    json_t *quota = post_by_hand(VMS_QUOTAS, body);
    vk_status st;
    sim_reset_stats(&fx.sim);
    assert_false(remove_tenant(&t, &out, &st));
    assert_int_equal(st.code, VK_FAILED_PRECONDITION);
    if (!strstr(st.message, "/pvc-9") || !strstr(st.message, "2 views or quotas")) fail_msg("%s", st.message);
    assert_int_equal(sim_writes(), 0); /* nothing removed */
    assert_one_of_each(&t);
    delete_by_hand(VMS_VIEWS, id_of(view));
    delete_by_hand(VMS_QUOTAS, id_of(quota));
    json_decref(view);
    json_decref(quota);
    assert_true(remove_tenant(&t, &out, &st));
    assert_int_equal(out.writes, 6);
    assert_nothing_left(&t);
    /* twice: nothing to do, nothing written */
    sim_reset_stats(&fx.sim);
    assert_true(remove_tenant(&t, &out, &st));
    assert_int_equal(out.writes, 0);
    assert_int_equal(sim_writes(), 0);
}

static void test_vms_unreachable_is_unavailable_quickly(void **state) {
    (void)state;
    vms_config cfg = sim_client_config(&fx.sim);
    cfg.endpoint = "http://127.0.0.1:1"; /* nothing listens there */
    vms_client *down = sim_client(&cfg);
    tenant_spec t;
    tenant_spec_init(&t, "unreachable", 60);
    vast_tenant_result out;
    vk_status st;
    int64_t start = vk_now_ms();
    assert_false(vast_tenant_apply(down, &t.spec, vk_deadline_in(60000), &out, &st));
    /* bounded against a hang, not a speed check: the 60 s deadline is far away */
    assert_true(vk_now_ms() - start < 30000);
    assert_int_equal(st.code, VK_UNAVAILABLE);
    assert_non_null(strstr(st.message, "127.0.0.1:1"));
    assert_non_null(strstr(st.message, "tenant vk-unreachable"));
    assert_false(vast_tenant_remove(down, &t.spec, vk_deadline_in(60000), &out, &st));
    assert_int_equal(st.code, VK_UNAVAILABLE);
    vms_client_free(down);
}

static int setup(void **state) {
    fx_setup(state);
    vms_config cfg = sim_client_config(&fx.sim);
    admin = sim_client(&cfg);
    return 0;
}

static int teardown(void **state) {
    vms_client_free(admin);
    return fx_teardown(state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_networks_become_address_ranges),
        cmocka_unit_test(test_names_derive_from_the_tenant),
        cmocka_unit_test(test_invalid_specs_are_refused_before_any_request),
        cmocka_unit_test(test_create_from_nothing),
        cmocka_unit_test(test_object_storage_off_and_zero_limits),
        cmocka_unit_test(test_a_cluster_without_vip_pool),
        cmocka_unit_test(test_drift_of_each_object_is_repaired_and_named),
        cmocka_unit_test(test_class_qos_added_changed_and_removed),
        cmocka_unit_test(test_a_failure_at_every_step_converges),
        cmocka_unit_test(test_names_held_by_another_tenant_are_refused_and_left_alone),
        cmocka_unit_test(test_tenant_admin_password_reset_and_names_held_elsewhere),
        cmocka_unit_test(test_a_difference_vms_cannot_patch_is_failed_precondition),
        cmocka_unit_test(test_overlapping_client_ranges_are_invalid_argument),
        cmocka_unit_test(test_remove_is_blocked_by_foreign_data_then_completes),
        cmocka_unit_test(test_vms_unreachable_is_unavailable_quickly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
