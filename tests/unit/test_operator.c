/* The operator's pure parts: the Tenant read into C, the admission CEL, the desired
 * children, the subset comparison that decides whether a write is needed, conditions
 * and passwords. What the API server and VMS make of them is proven in tests/operator. */
#include "admission.h"
#include "apply.h"
#include "children.h"
#include "credentials.h"
#include "status.h"
#include "tenant_spec.h"

#include "vk/base64.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static json_t *tenant_json(const char *extra_spec) {
    char text[4096];
    snprintf(text, sizeof text,
             "{\"metadata\": {\"name\": \"acme\", \"uid\": \"u-1\", \"generation\": 3, "
             "\"finalizers\": [\"tenancy.vast-k8s.io/tenant\"]},"
             " \"spec\": {\"namespaces\": {\"names\": [\"acme-train\"]},"
             " \"clusters\": [{\"name\": \"vast-a\", \"vipPool\": {\"ranges\": [{\"start\": \"10.0.0.10\", \"end\": "
             "\"10.0.0.19\"}], \"subnetCIDR\": 24}}],"
             " \"capacity\": {\"hardLimit\": \"10Ti\", \"softLimit\": 1024},"
             " \"clientNetworks\": [\"10.20.0.0/16\"],"
             " \"storageClasses\": [{\"name\": \"acme-fast\", \"default\": true, \"qos\": {\"maxWriteMBps\": 1000}},"
             " {\"name\": \"acme-std\", \"reclaimPolicy\": \"Retain\", \"mountOptions\": [\"nfsvers=4.1\"]}]%s}}",
             extra_spec);
    json_error_t e;
    json_t *obj = json_loads(text, 0, &e);
    assert_non_null(obj);
    return obj;
}

static void parse(const char *extra, op_tenant *t, bool want_ok) {
    json_t *obj = tenant_json(extra);
    vk_status st;
    bool ok = op_tenant_parse(obj, "vk-", t, &st);
    json_decref(obj);
    if (ok != want_ok) fail_msg("parse %s: %s", want_ok ? "failed" : "succeeded", st.message);
}

static void tenant_spec_reads_every_field_with_defaults(void **state) {
    (void)state;
    op_tenant t;
    parse("", &t, true);
    assert_string_equal(t.vast_name, "vk-acme");
    assert_true(t.has_finalizer);
    assert_false(t.deleting);
    assert_int_equal(t.generation, 3);
    assert_int_equal(t.hard_limit, 10LL << 40);
    assert_int_equal(t.soft_limit, 1024);
    assert_int_equal(t.n_clusters, 1);
    assert_int_equal(t.clusters[0].n_ranges, 1);
    assert_int_equal(t.clusters[0].subnet_cidr, 24);
    assert_int_equal(t.n_classes, 2);
    assert_true(t.classes[0].is_default && t.classes[0].has_qos);
    assert_int_equal(t.classes[0].qos.max_write_mbps, 1000);
    assert_string_equal(t.classes[0].reclaim_policy, "Delete");
    assert_string_equal(t.classes[1].reclaim_policy, "Retain");
    assert_false(t.classes[1].has_qos);
    assert_true(t.snapshots);        /* default on */
    assert_false(t.object_storage);  /* default off */
    assert_false(t.delete_on_vast);  /* default Retain */
    assert_false(t.has_qos);
    op_tenant_release(&t);
    parse(", \"deletionPolicy\": \"Delete\", \"qos\": {\"burstReadIOPS\": 5}", &t, true);
    assert_true(t.delete_on_vast);
    assert_true(t.has_qos);
    assert_int_equal(t.qos.burst_read_iops, 5);
    op_tenant_release(&t);
}

static void tenant_spec_refuses_what_cannot_be_made(void **state) {
    (void)state;
    op_tenant t;
    /* a VIP range out of order, and one of two families */
    parse(", \"clusters\": [{\"name\": \"a\", \"vipPool\": {\"ranges\": [{\"start\": \"10.0.0.9\", \"end\": "
          "\"10.0.0.1\"}]}}]",
          &t, false);
    op_tenant_release(&t);
    parse(", \"clusters\": [{\"name\": \"a\", \"vipPool\": {\"ranges\": [{\"start\": \"10.0.0.1\", \"end\": "
          "\"fd00::1\"}]}}]",
          &t, false);
    op_tenant_release(&t);
    parse(", \"clusters\": []", &t, false);
    op_tenant_release(&t);
    parse(", \"namespaces\": {}", &t, false);
    op_tenant_release(&t);
    parse(", \"capacity\": {\"hardLimit\": \"ten\"}", &t, false);
    op_tenant_release(&t);
    json_t *obj = tenant_json("");
    json_object_set_new(json_object_get(obj, "metadata"), "name",
                        json_string("a-name-that-is-far-too-long-for-vast-names-once-prefixed-x"));
    vk_status st;
    assert_false(op_tenant_parse(obj, "vk-", &t, &st));
    assert_non_null(strstr(st.message, "64-character"));
    op_tenant_release(&t);
    json_decref(obj);
}

static void admission_rule_from_names_and_selector(void **state) {
    (void)state;
    op_tenant t;
    parse(", \"namespaces\": {\"names\": [\"a\", \"b\"], \"selector\": {\"matchLabels\": {\"tenant\": \"acme\"}, "
          "\"matchExpressions\": [{\"key\": \"tier\", \"operator\": \"In\", \"values\": [\"gold\"]}, "
          "{\"key\": \"frozen\", \"operator\": \"DoesNotExist\"}]}}",
          &t, true);
    vk_status st;
    char *rule = op_namespace_rule(&t, &st);
    assert_non_null(rule);
    assert_string_equal(rule, "(namespaceObject.metadata.name in ['a', 'b'] || (has(namespaceObject.metadata.labels)"
                              " && 'tenant' in namespaceObject.metadata.labels && "
                              "namespaceObject.metadata.labels['tenant'] == 'acme' && 'tier' in "
                              "namespaceObject.metadata.labels && namespaceObject.metadata.labels['tier'] in ['gold'] "
                              "&& !('frozen' in namespaceObject.metadata.labels)))");
    free(rule);
    op_tenant_release(&t);
    /* a quote can never reach the CEL */
    parse(", \"namespaces\": {\"names\": [\"a' || true || '\"]}", &t, true);
    assert_null(op_namespace_rule(&t, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    op_tenant_release(&t);
    const char *bad[] = {"ok", "no\\pe"};
    assert_null(op_cel_list(bad, 2));
}

static void admission_objects_match_the_classes(void **state) {
    (void)state;
    op_tenant t;
    parse("", &t, true);
    const char *classes[] = {"acme-fast", "acme-std"};
    json_t *policy, *binding;
    vk_status st;
    assert_true(op_admission_objects(&t, "vk-tenant-acme", "", "v1", "persistentvolumeclaims", "storageClassName",
                                     classes, 2, &policy, &binding, &st));
    const char *match = json_string_value(
        json_object_get(json_array_get(json_object_get(json_object_get(policy, "spec"), "matchConditions"), 0),
                        "expression"));
    assert_string_equal(match,
                        "has(object.spec.storageClassName) && object.spec.storageClassName in ['acme-fast', 'acme-std']");
    assert_string_equal(json_string_value(json_object_get(json_object_get(binding, "spec"), "policyName")),
                        "vk-tenant-acme");
    json_decref(policy);
    json_decref(binding);
    op_tenant_release(&t);
}

static void subset_decides_writes(void **state) {
    (void)state;
    json_t *live = json_loads("{\"metadata\": {\"name\": \"x\", \"uid\": \"9\", \"labels\": {\"a\": \"1\", \"b\": "
                              "\"2\"}}, \"parameters\": {\"p\": \"1\", \"q\": \"2\"}, \"list\": [1, 2]}",
                              0, NULL);
    json_t *same = json_loads("{\"metadata\": {\"labels\": {\"a\": \"1\"}}, \"parameters\": {\"p\": \"1\", \"q\": "
                              "\"2\"}, \"list\": [1, 2]}",
                              0, NULL);
    json_t *fewer_params = json_loads("{\"parameters\": {\"p\": \"1\"}}", 0, NULL);
    json_t *other_list = json_loads("{\"list\": [1]}", 0, NULL);
    json_t *other_label = json_loads("{\"metadata\": {\"labels\": {\"a\": \"2\"}}}", 0, NULL);
    assert_true(op_json_subset(same, live));
    assert_false(op_json_subset(fewer_params, live)); /* a parameter no longer wanted must go */
    assert_false(op_json_subset(other_list, live));
    assert_false(op_json_subset(other_label, live));
    json_decref(same), json_decref(fewer_params), json_decref(other_list), json_decref(other_label);
    json_t *owned = json_loads("{\"metadata\": {\"ownerReferences\": [{\"uid\": \"u-1\"}]}}", 0, NULL);
    assert_true(op_owned_by(owned, "u-1"));
    assert_false(op_owned_by(owned, "u-2"));
    assert_false(op_owned_by(live, "u-1"));
    json_decref(owned);
    json_decref(live);
}

static void conditions_keep_their_transition_time(void **state) {
    (void)state;
    json_t *old = json_loads("[{\"type\": \"Ready\", \"status\": \"True\", \"lastTransitionTime\": "
                             "\"2020-01-01T00:00:00Z\"}, {\"type\": \"Degraded\", \"status\": \"True\", "
                             "\"lastTransitionTime\": \"2020-01-01T00:00:00Z\"}]",
                             0, NULL);
    op_condition conds[] = {{"Ready", "True", "Reconciled", "fine"}, {"Degraded", "False", "AsExpected", ""}};
    json_t *now = op_conditions_build(old, conds, 2, 7);
    assert_string_equal(json_string_value(json_object_get(json_array_get(now, 0), "lastTransitionTime")),
                        "2020-01-01T00:00:00Z");
    assert_string_not_equal(json_string_value(json_object_get(json_array_get(now, 1), "lastTransitionTime")),
                            "2020-01-01T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(now, 0), "observedGeneration")), 7);
    json_decref(now);
    json_decref(old);
    char text[32];
    op_bytes_text(0, text, sizeof text);
    assert_string_equal(text, "0");
    op_bytes_text(10LL << 40, text, sizeof text);
    assert_string_equal(text, "10Ti");
    op_bytes_text(1536LL << 20, text, sizeof text);
    assert_string_equal(text, "1.5Gi");
}

static void passwords_are_random_and_kept(void **state) {
    (void)state;
    char a[OP_PASSWORD_MAX], b[OP_PASSWORD_MAX];
    assert_true(op_password_new(a, sizeof a));
    assert_true(op_password_new(b, sizeof b));
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 32);
    op_tenant t;
    parse(", \"clusters\": [{\"name\": \"vast-a\"}, {\"name\": \"vast-b\"}]", &t, true);
    const char *clusters = "{\"vast-a\": {\"password\": \"kept-one\"}}";
    char *coded = vk_base64_encode((const uint8_t *)clusters, strlen(clusters));
    json_t *secret = json_pack("{s:{s:s}}", "data", "clusters", coded);
    char passwords[OP_TENANT_CLUSTERS_MAX][OP_PASSWORD_MAX];
    bool made[OP_TENANT_CLUSTERS_MAX];
    op_passwords_read(&t, secret, passwords, made);
    assert_false(made[0]);
    assert_string_equal(passwords[0], "kept-one");
    assert_true(made[1]);
    assert_int_equal(strlen(passwords[1]), 32);
    json_decref(secret);
    free(coded);
    op_tenant_release(&t);
}

static op_options options(void) {
    op_options o = {0};
    snprintf(o.driver_namespace, sizeof o.driver_namespace, "vast-system");
    snprintf(o.csi_driver, sizeof o.csi_driver, "csi.vast-k8s.io");
    snprintf(o.cosi_driver, sizeof o.cosi_driver, "cosi.vast-k8s.io");
    return o;
}

static json_t *find_child(op_children *c, const char *resource, const char *name) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].resource, resource) == 0 && strcmp(c->items[i].name, name) == 0)
            return c->items[i].desired;
    fail_msg("no %s %s among the children", resource, name);
    return NULL;
}

static void children_of_a_two_cluster_tenant(void **state) {
    (void)state;
    op_tenant t;
    parse(", \"clusters\": [{\"name\": \"vast-a\", \"vipPool\": {\"ranges\": [{\"start\": \"10.0.0.1\", \"end\": "
          "\"10.0.0.2\"}]}}, {\"name\": \"vast-b\"}], \"objectStorage\": {\"enabled\": true, \"bucketQuota\": \"1Gi\"}",
          &t, true);
    op_options o = options();
    op_cluster_info infos[2] = {
        {.name = "vast-a", .endpoint = "https://a:443", .tenants_root = "/vast-k8s/tenants", .zone = "zone-a"},
        {.name = "vast-b", .endpoint = "https://b:443", .tenants_root = "/t", .zone = "zone-b", .region = "eu"},
    };
    char passwords[OP_TENANT_CLUSTERS_MAX][OP_PASSWORD_MAX] = {"pa", "pb"};
    op_children_input in = {.tenant = &t, .options = &o, .clusters = infos, .passwords = passwords,
                            .snapshot_api = true, .cosi_api = true};
    op_children c;
    vk_status st;
    assert_true(op_children_build(&in, &c, &st));
    /* per class: the primary's and one per cluster */
    json_t *sc = find_child(&c, "storageclasses", "acme-fast");
    json_t *params = json_object_get(sc, "parameters");
    assert_string_equal(json_string_value(json_object_get(params, "root_export")), "/vast-k8s/tenants/vk-acme");
    assert_string_equal(json_string_value(json_object_get(params, "cluster_name")), "vast-a");
    assert_string_equal(json_string_value(json_object_get(params, "vip_pool_name")), "vk-acme");
    assert_non_null(json_object_get(params, "qos_policy"));
    assert_string_equal(json_string_value(json_object_get(params, "csi.storage.k8s.io/provisioner-secret-name")),
                        "vk-tenant-acme");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(sc, "metadata"), "annotations"),
                                          "storageclass.kubernetes.io/is-default-class")),
        "true");
    assert_null(json_object_get(sc, "allowedTopologies"));
    json_t *b = find_child(&c, "storageclasses", "acme-fast-vast-b");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "parameters"), "root_export")),
                        "/t/vk-acme");
    assert_null(json_object_get(json_object_get(b, "parameters"), "vip_pool_name")); /* no pool there */
    json_t *terms = json_object_get(json_array_get(json_object_get(b, "allowedTopologies"), 0), "matchLabelExpressions");
    assert_int_equal(json_array_size(terms), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(terms, 0), "values"), 0)),
                        "zone-b");
    find_child(&c, "storageclasses", "acme-std-vast-a");
    find_child(&c, "volumesnapshotclasses", "vk-tenant-acme");
    json_t *bc = find_child(&c, "bucketclasses", "vk-tenant-acme");
    assert_string_equal(json_string_value(json_object_get(json_object_get(bc, "parameters"), "quota")), "1073741824");
    find_child(&c, "bucketaccessclasses", "vk-tenant-acme");
    find_child(&c, "validatingadmissionpolicies", "vk-tenant-acme");
    find_child(&c, "validatingadmissionpolicybindings", "vk-tenant-acme-buckets");
    for (size_t i = 0; i < c.n; i++) assert_true(op_owned_by(c.items[i].desired, "u-1"));
    op_children_free(&c);

    /* the Secret: the tenant admins' logins, one entry per cluster */
    op_child secret;
    assert_true(op_children_secret(&in, &secret, &st));
    const char *coded = json_string_value(json_object_get(json_object_get(secret.desired, "data"), "clusters"));
    char *text = (char *)vk_base64_decode(coded, NULL);
    json_t *entries = json_loads(text, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(entries, "vast-a"), "username")),
                        "vk-acme-csi");
    assert_string_equal(json_string_value(json_object_get(json_object_get(entries, "vast-b"), "password")), "pb");
    assert_string_equal(json_string_value(json_object_get(json_object_get(entries, "vast-b"), "tenant")), "vk-acme");
    assert_string_equal(secret.ns, "vast-system");
    json_decref(entries);
    free(text);
    op_child_free(&secret);
    op_tenant_release(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tenant_spec_reads_every_field_with_defaults),
        cmocka_unit_test(tenant_spec_refuses_what_cannot_be_made),
        cmocka_unit_test(admission_rule_from_names_and_selector),
        cmocka_unit_test(admission_objects_match_the_classes),
        cmocka_unit_test(subset_decides_writes),
        cmocka_unit_test(conditions_keep_their_transition_time),
        cmocka_unit_test(passwords_are_random_and_kept),
        cmocka_unit_test(children_of_a_two_cluster_tenant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
