/* Every typed VMS operation against the seeded simulator, in the shapes the CSI
 * controller and the tenant operator will use them. */
#include "sim_harness.h"
#include "vk/deadline.h"
#include "vk/vms.h"
#include "vk/vms_objects.h"
#include "vk/vms_task.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

static sim_instance sim;
static vms_client *client;

static int group_setup(void **state) {
    (void)state;
    sim_start(&sim, &(sim_options){.http = true, .seed = true});
    vms_config cfg = sim_client_config(&sim);
    client = sim_client(&cfg);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    vms_client_free(client);
    sim_stop(&sim);
    return 0;
}

static int64_t soon(void) { return vk_deadline_in(20000); }

/* Fails the test with the mapped status message. */
static void require(bool ok, const vms_error *err) {
    if (ok) return;
    vk_status st;
    vms_error_to_status(err, &st);
    fail_msg("%s: %s", vk_status_name(st.code), st.message);
}

static int64_t seeded_tenant_id(void) {
    vms_tenant t;
    vms_error err;
    assert_int_equal(vms_tenant_find(client, VMS_FILTERS("name", "vast-k8s"), &t, soon(), &err), VMS_FOUND);
    int64_t id = t.obj.id;
    vms_object_free(&t.obj);
    return id;
}

static int64_t seeded_policy_id(void) {
    vms_viewpolicy p;
    vms_error err;
    assert_int_equal(vms_viewpolicy_find(client, VMS_FILTERS("name", "vast-k8s-nfs"), &p, soon(), &err), VMS_FOUND);
    int64_t id = p.obj.id;
    vms_object_free(&p.obj);
    return id;
}

static void test_cluster_version_and_capacity(void **state) {
    (void)state;
    vms_error err;
    vms_version v;
    require(vms_version_get(client, &v, soon(), &err), &err);
    assert_string_equal(v.sys_version, "5.3.0");
    assert_int_equal(v.major, 5);
    assert_int_equal(v.minor, 3);
    assert_true(vms_version_at_least(&v, 4, 7, 0));
    assert_true(vms_version_at_least(&v, 5, 3, 0));
    assert_false(vms_version_at_least(&v, 5, 3, 1));
    assert_false(vms_version_at_least(&v, 6, 0, 0));
    vms_version_parse("5.4.1.123", &v);
    assert_string_equal(v.sys_version, "5.4.1.123");
    assert_int_equal(v.major * 100 + v.minor * 10 + v.patch, 541);
    vms_version_parse("5", &v);
    assert_int_equal(v.major * 100 + v.minor * 10 + v.patch, 500);

    vms_cluster cl;
    require(vms_cluster_get(client, &cl, soon(), &err), &err);
    assert_string_equal(cl.state, "ONLINE");
    assert_string_equal(cl.sw_version, "5.3.0");
    assert_true(cl.usable_capacity_bytes == (int64_t)1 << 50);
    assert_true(cl.free_usable_capacity > 0 && cl.free_usable_capacity <= cl.usable_capacity_bytes);
    vms_object_free(&cl.obj);
}

static void test_tenant_lifecycle(void **state) {
    (void)state;
    vms_error err;
    vms_tenant t, again;
    json_t *body = json_pack("{s:s, s:[[s,s]], s:{s:I, s:I}}", "name", "ops-tenant", "client_ip_ranges", "10.1.0.1",
                             "10.1.0.20", "capacity_rules", "soft_limit", (json_int_t)1 << 30, "hard_limit",
                             (json_int_t)2 << 30);
    require(vms_tenant_create(client, body, &t, soon(), &err), &err);
    assert_string_equal(t.obj.name, "ops-tenant");
    assert_true(t.capacity_hard_limit == (int64_t)2 << 30);
    assert_true(t.capacity_soft_limit == (int64_t)1 << 30);
    /* A second create is ALREADY_EXISTS, and the lookup by name finds the first. */
    assert_false(vms_tenant_create(client, body, NULL, soon(), &err));
    assert_vms_code(&err, VK_ALREADY_EXISTS);
    assert_non_null(strstr(err.object, "tenant ops-tenant"));
    json_decref(body);
    assert_int_equal(vms_tenant_find(client, VMS_FILTERS("name", "ops-tenant"), &again, soon(), &err), VMS_FOUND);
    assert_int_equal(again.obj.id, t.obj.id);
    vms_object_free(&again.obj);

    json_t *changes = json_pack("{s:{s:I}}", "capacity_rules", "hard_limit", (json_int_t)3 << 30);
    require(vms_tenant_update(client, t.obj.id, changes, &again, soon(), &err), &err);
    json_decref(changes);
    assert_true(again.capacity_hard_limit == (int64_t)3 << 30);
    vms_object_free(&again.obj);

    /* A tenant that owns objects is refused without force_remove (409). */
    json_t *policy = json_pack("{s:s, s:I}", "name", "ops-tenant-policy", "tenant_id", (json_int_t)t.obj.id);
    vms_viewpolicy vp;
    require(vms_viewpolicy_create(client, policy, &vp, soon(), &err), &err);
    json_decref(policy);
    assert_int_equal(vms_tenant_delete(client, t.obj.id, false, soon(), &err), VMS_FAILED);
    assert_vms_code(&err, VK_FAILED_PRECONDITION);
    /* Deleting is asynchronous: the call returns after VMS's task completed. */
    assert_int_equal(vms_tenant_delete(client, t.obj.id, true, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_tenant_get(client, t.obj.id, &again, soon(), &err), VMS_MISSING);
    /* force_remove took the tenant's objects with it. */
    int64_t policy_id = vp.obj.id;
    vms_object_free(&vp.obj);
    assert_int_equal(vms_viewpolicy_get(client, policy_id, &vp, soon(), &err), VMS_MISSING);
    assert_int_equal(vms_tenant_delete(client, t.obj.id, false, soon(), &err), VMS_MISSING);
    assert_int_equal(vms_tenant_find(client, VMS_FILTERS("name", "ops-tenant"), &again, soon(), &err), VMS_MISSING);
    vms_object_free(&t.obj);
}

static void test_viewpolicy_lifecycle(void **state) {
    (void)state;
    vms_error err;
    vms_viewpolicy seeded, p, again;
    assert_int_equal(vms_viewpolicy_find(client, VMS_FILTERS("name", "vast-k8s-nfs"), &seeded, soon(), &err),
                     VMS_FOUND);
    assert_string_equal(seeded.flavor, "NFS");
    assert_string_equal(seeded.obj.tenant_name, "vast-k8s");
    vms_object_free(&seeded.obj);

    int64_t tenant = seeded_tenant_id();
    json_t *body = json_pack("{s:s, s:s, s:I, s:[s]}", "name", "ops-policy", "flavor", "NFS", "tenant_id",
                             (json_int_t)tenant, "nfs_read_write", "*");
    require(vms_viewpolicy_create(client, body, &p, soon(), &err), &err);
    json_decref(body);
    assert_int_equal(p.obj.tenant_id, tenant);
    json_t *changes = json_pack("{s:[s]}", "nfs_read_write", "10.0.0.0/8");
    require(vms_viewpolicy_update(client, p.obj.id, changes, &again, soon(), &err), &err);
    json_decref(changes);
    assert_string_equal(json_string_value(json_array_get(json_object_get(again.obj.raw, "nfs_read_write"), 0)),
                        "10.0.0.0/8");
    vms_object_free(&again.obj);

    /* In use by a view: 409 -> FAILED_PRECONDITION, naming the policy. The view lives in
     * the policy's tenant, as VMS requires (no tenant_id would mean the default tenant). */
    vms_view_spec vs = {.path = "/k8s/policy-user", .policy_id = p.obj.id, .tenant_id = p.obj.tenant_id,
                        .create_dir = true};
    vms_view v;
    require(vms_view_create(client, &vs, &v, soon(), &err), &err);
    assert_int_equal(vms_viewpolicy_delete(client, p.obj.id, soon(), &err), VMS_FAILED);
    assert_int_equal(err.http_status, 409);
    assert_vms_code(&err, VK_FAILED_PRECONDITION);
    assert_non_null(strstr(err.object, "view policy"));
    assert_int_equal(vms_view_delete(client, v.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_viewpolicy_delete(client, p.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_viewpolicy_delete(client, p.obj.id, soon(), &err), VMS_MISSING);
    vms_object_free(&v.obj);
    vms_object_free(&p.obj);
}

static void test_qospolicy_lifecycle(void **state) {
    (void)state;
    vms_error err;
    vms_qospolicy seeded, p, again;
    assert_int_equal(vms_qospolicy_find(client, VMS_FILTERS("name", "vast-k8s-qos"), &seeded, soon(), &err),
                     VMS_FOUND);
    assert_string_equal(seeded.mode, "STATIC");
    vms_object_free(&seeded.obj);
    json_t *body = json_pack("{s:s, s:s, s:{s:i}}", "name", "ops-qos", "mode", "STATIC", "static_limits",
                             "max_reads_bw_mbps", 100);
    require(vms_qospolicy_create(client, body, &p, soon(), &err), &err);
    json_decref(body);
    assert_string_equal(p.policy_type, "VIEW");
    json_t *changes = json_pack("{s:{s:i}}", "static_limits", "max_reads_bw_mbps", 200);
    require(vms_qospolicy_update(client, p.obj.id, changes, &again, soon(), &err), &err);
    json_decref(changes);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(again.obj.raw, "static_limits"),
                                                        "max_reads_bw_mbps")),
                     200);
    vms_object_free(&again.obj);
    assert_int_equal(vms_qospolicy_delete(client, p.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_qospolicy_get(client, p.obj.id, &again, soon(), &err), VMS_MISSING);
    vms_object_free(&p.obj);
}

static void test_vippool_lifecycle_and_addresses(void **state) {
    (void)state;
    vms_error err;
    vms_vippool seeded, pool, again;
    assert_int_equal(vms_vippool_find(client, VMS_FILTERS("name", "vast-k8s-pool"), &seeded, soon(), &err),
                     VMS_FOUND);
    assert_string_equal(seeded.role, "PROTOCOLS");
    assert_string_equal(seeded.domain_name, "vast-k8s");
    assert_int_equal(vms_vippool_ip_count(&seeded), 4);
    char ip[64];
    assert_true(vms_vippool_ip_at(&seeded, 0, ip, sizeof ip));
    assert_string_equal(ip, "127.0.0.10");
    assert_true(vms_vippool_ip_at(&seeded, 3, ip, sizeof ip));
    assert_string_equal(ip, "127.0.0.13");
    assert_false(vms_vippool_ip_at(&seeded, 4, ip, sizeof ip));
    vms_object_free(&seeded.obj);

    json_t *body = json_pack("{s:s, s:i, s:[[s,s],[s,s]]}", "name", "ops-pool", "subnet_cidr", 24, "ip_ranges",
                             "10.2.0.1", "10.2.0.2", "10.3.0.1", "10.3.0.1");
    require(vms_vippool_create(client, body, &pool, soon(), &err), &err);
    json_decref(body);
    assert_int_equal(pool.subnet_cidr, 24);
    assert_int_equal(pool.ip_ranges.n, 2);
    assert_string_equal(pool.ip_ranges.at[1].start, "10.3.0.1");
    char text[64];
    vms_vippool_ranges_text(&pool, text, sizeof text);
    assert_string_equal(text, "10.2.0.1-10.2.0.2,10.3.0.1-10.3.0.1");
    vms_vippool_ranges_text(&pool, text, 24); /* no half range when the second does not fit */
    assert_string_equal(text, "10.2.0.1-10.2.0.2");
    assert_int_equal(vms_vippool_ip_count(&pool), 3);
    assert_true(vms_vippool_ip_at(&pool, 2, ip, sizeof ip));
    assert_string_equal(ip, "10.3.0.1");
    /* PATCH answers 204: the update reads the pool back. */
    json_t *changes = json_pack("{s:s}", "domain_name", "ops");
    require(vms_vippool_update(client, pool.obj.id, changes, &again, soon(), &err), &err);
    json_decref(changes);
    assert_string_equal(again.domain_name, "ops");
    vms_object_free(&again.obj);
    /* Async delete. */
    assert_int_equal(vms_vippool_delete(client, pool.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_vippool_get(client, pool.obj.id, &again, soon(), &err), VMS_MISSING);
    vms_object_free(&pool.obj);
}

/* CreateVolume / ControllerExpandVolume / ListVolumes / DeleteVolume. */
static void test_volume_as_directory_quota_and_view(void **state) {
    (void)state;
    vms_error err;
    int64_t tenant = seeded_tenant_id();
    vms_quota q, found_q;
    vms_view v, found_v;
    vms_quota_spec qs = {.name = "pvc-1", .path = "/k8s/pvc-1", .tenant_id = tenant, .hard_limit = 1 << 30,
                         .create_dir = true};
    require(vms_quota_create(client, &qs, &q, soon(), &err), &err);
    assert_true(q.hard_limit == 1 << 30);
    assert_int_equal(q.obj.tenant_id, tenant);
    static const char *const protocols[] = {"NFS", "NFS4", NULL};
    vms_view_spec vs = {.path = "/k8s/pvc-1", .policy_id = seeded_policy_id(), .protocols = protocols,
                        .tenant_id = tenant};
    require(vms_view_create(client, &vs, &v, soon(), &err), &err);
    assert_string_equal(v.policy, "vast-k8s-nfs");
    assert_true(vms_view_has_protocol(&v, "NFS4"));
    assert_false(vms_view_has_protocol(&v, "S3"));
    /* The same path again: ALREADY_EXISTS, naming the view and the path. */
    assert_false(vms_view_create(client, &vs, NULL, soon(), &err));
    assert_vms_code(&err, VK_ALREADY_EXISTS);
    assert_string_equal(err.object, "view path=/k8s/pvc-1");

    assert_int_equal(vms_view_find_by_path(client, "/k8s/pvc-1", tenant, &found_v, soon(), &err), VMS_FOUND);
    assert_int_equal(found_v.obj.id, v.obj.id);
    vms_object_free(&found_v.obj);
    assert_int_equal(vms_quota_find_by_path(client, "/k8s/pvc-1", 0, &found_q, soon(), &err), VMS_FOUND);
    assert_int_equal(found_q.obj.id, q.obj.id);
    vms_object_free(&found_q.obj);
    assert_int_equal(vms_quota_find_by_path(client, "/k8s/pvc-none", tenant, &found_q, soon(), &err), VMS_MISSING);

    require(vms_quota_set_hard_limit(client, q.obj.id, (int64_t)2 << 30, &found_q, soon(), &err), &err);
    assert_true(found_q.hard_limit == (int64_t)2 << 30);
    vms_object_free(&found_q.obj);
    json_t *changes = json_pack("{s:[s]}", "protocols", "NFS");
    require(vms_view_update(client, v.obj.id, changes, &found_v, soon(), &err), &err);
    json_decref(changes);
    assert_false(vms_view_has_protocol(&found_v, "NFS4"));
    vms_object_free(&found_v.obj);

    /* ListVolumes: quotas by path prefix, typed one by one. */
    vms_quota_spec second = {.name = "pvc-2", .path = "/k8s/pvc-2", .tenant_id = tenant, .create_dir = true};
    vms_quota q2;
    require(vms_quota_create(client, &second, &q2, soon(), &err), &err);
    json_t *items = NULL;
    require(vms_list(client, VMS_QUOTAS, VMS_FILTERS("path__startswith", "/k8s/pvc-"), soon(), &items, &err), &err);
    assert_int_equal(json_array_size(items), 2);
    json_decref(items);
    /* A prefix that matches both is not "the" quota. */
    assert_int_equal(vms_quota_find(client, VMS_FILTERS("path__startswith", "/k8s/pvc-"), &found_q, soon(), &err),
                     VMS_FAILED);
    assert_int_equal(err.kind, VMS_ERR_AMBIGUOUS);
    assert_vms_code(&err, VK_FAILED_PRECONDITION);

    /* DeleteVolume: data (trash API), view, quota; each repeatable. */
    assert_int_equal(vms_folder_delete(client, "/k8s/pvc-1", tenant, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_folder_delete(client, "/k8s/pvc-1", tenant, soon(), &err), VMS_MISSING);
    assert_int_equal(vms_view_delete(client, v.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_view_delete(client, v.obj.id, soon(), &err), VMS_MISSING);
    assert_int_equal(vms_quota_delete(client, q.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_quota_delete(client, q2.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_quota_delete(client, q.obj.id, soon(), &err), VMS_MISSING);
    assert_int_equal(vms_quota_get(client, q.obj.id, &found_q, soon(), &err), VMS_MISSING);
    vms_object_free(&q.obj);
    vms_object_free(&q2.obj);
    vms_object_free(&v.obj);
}

static bool wait_for_stream_state(int64_t id, const char *state, vms_snapstream *out) {
    vms_error err;
    for (int64_t deadline = vk_deadline_in(20000); vk_deadline_remaining(deadline) > 0;) {
        if (vms_snapstream_get(client, id, out, soon(), &err) != VMS_FOUND) return false;
        if (strcmp(out->state, state) == 0) return true;
        vms_object_free(&out->obj);
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000}, NULL);
    }
    return false;
}

/* CreateSnapshot, clone from it (global snapshot stream), stop and delete the stream. */
static void test_snapshots_and_clones(void **state) {
    (void)state;
    vms_error err;
    int64_t tenant = seeded_tenant_id();
    vms_quota q;
    vms_quota_spec qs = {.name = "pvc-src", .path = "/k8s/pvc-src", .tenant_id = tenant, .create_dir = true};
    require(vms_quota_create(client, &qs, &q, soon(), &err), &err);

    vms_snapshot snap, found;
    vms_snapshot_spec ss = {.name = "snap-1", .path = "/k8s/pvc-src/", .tenant_id = tenant,
                            .expiration_time = "2099-01-01T00:00:00Z"};
    require(vms_snapshot_create(client, &ss, &snap, soon(), &err), &err);
    assert_string_equal(snap.obj.name, "snap-1");
    assert_true(*snap.created);
    assert_true(strncmp(snap.expiration_time, "2099-01-01", 10) == 0);
    assert_false(vms_snapshot_create(client, &ss, NULL, soon(), &err));
    assert_vms_code(&err, VK_ALREADY_EXISTS);
    assert_int_equal(vms_snapshot_find(client, VMS_FILTERS("name", "snap-1"), &found, soon(), &err), VMS_FOUND);
    assert_int_equal(found.obj.id, snap.obj.id);
    vms_object_free(&found.obj);
    assert_int_equal(vms_snapshot_get(client, snap.obj.id, &found, soon(), &err), VMS_FOUND);
    assert_string_equal(found.path, snap.path);
    vms_object_free(&found.obj);

    vms_snapstream stream, done;
    vms_clone_spec cs = {.name = "strm-pvc-clone", .loanee_root_path = "/k8s/pvc-clone", .loanee_tenant_id = tenant,
                         .enabled = true};
    require(vms_snapshot_clone(client, snap.obj.id, &cs, &stream, soon(), &err), &err);
    assert_string_equal(stream.obj.name, "strm-pvc-clone");
    assert_string_equal(stream.loanee_root_path, "/k8s/pvc-clone");
    assert_int_equal(stream.loanee_snapshot_id, snap.obj.id);
    /* The destination now exists, so a second clone there is refused (400). */
    cs.name = "strm-pvc-clone-2";
    assert_false(vms_snapshot_clone(client, snap.obj.id, &cs, NULL, soon(), &err));
    assert_vms_code(&err, VK_INVALID_ARGUMENT);
    char snap_id[24];
    snprintf(snap_id, sizeof snap_id, "%lld", (long long)snap.obj.id);
    vms_snapstream by_snapshot;
    assert_int_equal(vms_snapstream_find(client, VMS_FILTERS("loanee_snapshot__id", snap_id), &by_snapshot, soon(),
                                         &err),
                     VMS_FOUND);
    assert_int_equal(by_snapshot.obj.id, stream.obj.id);
    vms_object_free(&by_snapshot.obj);
    assert_true(wait_for_stream_state(stream.obj.id, "FINISHED", &done));
    assert_int_equal(done.progress, 100);
    vms_object_free(&done.obj);

    require(vms_snapstream_stop(client, stream.obj.id, soon(), &err), &err);
    assert_int_equal(vms_snapstream_delete(client, stream.obj.id, true, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_snapstream_delete(client, stream.obj.id, true, soon(), &err), VMS_MISSING);
    assert_int_equal(vms_folder_delete(client, "/k8s/pvc-clone", tenant, soon(), &err), VMS_MISSING);

    assert_int_equal(vms_snapshot_delete(client, snap.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_snapshot_delete(client, snap.obj.id, soon(), &err), VMS_MISSING);
    assert_int_equal(vms_quota_delete(client, q.obj.id, soon(), &err), VMS_FOUND);
    vms_object_free(&stream.obj);
    vms_object_free(&snap.obj);
    vms_object_free(&q.obj);
}

/* COSI: a user per bucket, an S3 key, a bucket view owned by the user. */
static void test_users_and_access_keys(void **state) {
    (void)state;
    vms_error err;
    int64_t tenant = seeded_tenant_id();
    vms_user u, found;
    vms_user_spec us = {.name = "bucket-1", .uid = 55555, .allow_create_bucket = true, .allow_delete_bucket = true};
    require(vms_user_create(client, &us, &u, soon(), &err), &err);
    assert_int_equal(u.uid, 55555);
    assert_int_equal(vms_user_find(client, VMS_FILTERS("name", "bucket-1"), &found, soon(), &err), VMS_FOUND);
    assert_int_equal(found.obj.id, u.obj.id);
    vms_object_free(&found.obj);

    vms_access_key key;
    require(vms_access_key_create(client, u.obj.id, tenant, &key, soon(), &err), &err);
    assert_true(strlen(key.access_key) > 0);
    assert_true(strlen(key.secret_key) > 0);
    /* The key shows in the user; its secret never does. */
    assert_int_equal(vms_user_get(client, u.obj.id, &found, soon(), &err), VMS_FOUND);
    json_t *keys = json_object_get(found.obj.raw, "access_keys");
    assert_int_equal(json_array_size(keys), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "access_key")), key.access_key);
    char *dump = json_dumps(found.obj.raw, 0);
    assert_null(strstr(dump, key.secret_key));
    free(dump);
    vms_object_free(&found.obj);

    json_t *changes = json_pack("{s:b}", "allow_delete_bucket", 0);
    require(vms_user_update(client, u.obj.id, changes, &found, soon(), &err), &err);
    json_decref(changes);
    assert_true(json_is_false(json_object_get(found.obj.raw, "allow_delete_bucket")));
    vms_object_free(&found.obj);

    static const char *const s3[] = {"S3", NULL};
    vms_viewpolicy s3_policy;
    assert_int_equal(vms_viewpolicy_find(client, VMS_FILTERS("name", "s3_default_policy"), &s3_policy, soon(), &err),
                     VMS_FOUND);
    vms_view_spec vs = {.path = "/k8s/bucket-1", .policy_id = s3_policy.obj.id, .protocols = s3, .create_dir = true,
                        .tenant_id = tenant, .bucket = "bucket-1", .bucket_owner = "bucket-1"};
    vms_view bucket;
    require(vms_view_create(client, &vs, &bucket, soon(), &err), &err);
    assert_string_equal(bucket.bucket, "bucket-1");
    assert_string_equal(bucket.bucket_owner, "bucket-1");
    assert_int_equal(vms_view_delete(client, bucket.obj.id, soon(), &err), VMS_FOUND);
    vms_object_free(&bucket.obj);
    vms_object_free(&s3_policy.obj);

    assert_int_equal(vms_access_key_delete(client, u.obj.id, key.access_key, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_access_key_delete(client, u.obj.id, key.access_key, soon(), &err), VMS_MISSING);
    vms_access_key_clear(&key);
    assert_int_equal(key.secret_key[0], 0);
    assert_int_equal(vms_user_delete(client, u.obj.id, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_user_delete(client, u.obj.id, soon(), &err), VMS_MISSING);
    vms_object_free(&u.obj);
}

static void test_task_wait_reports_failure_and_deadline(void **state) {
    (void)state;
    vms_error err;
    /* A task id that does not exist is a 404 from vtasks/. */
    assert_false(vms_task_wait(client, 999999, soon(), NULL, &err));
    assert_vms_code(&err, VK_NOT_FOUND);
    assert_string_equal(err.object, "VMS task 999999");
    /* A response without async_task needs no wait. */
    json_t *plain = json_pack("{s:i}", "id", 3);
    assert_true(vms_task_wait_response(client, plain, soon(), &err));
    json_decref(plain);
}

/* A typed list appends: two filters, one array, each object decoded with its fields. */
static void test_typed_lists_append(void **state) {
    (void)state;
    vms_error err;
    vms_viewpolicy *policies = NULL;
    size_t n = 0;
    require(vms_viewpolicy_list(client, VMS_FILTERS("name", "vast-k8s-nfs"), &policies, &n, soon(), &err), &err);
    assert_int_equal(n, 1);
    require(vms_viewpolicy_list(client, VMS_FILTERS("name", "no-such-policy"), &policies, &n, soon(), &err), &err);
    assert_int_equal(n, 1);
    require(vms_viewpolicy_list(client, VMS_FILTERS("name", "vast-k8s-nfs"), &policies, &n, soon(), &err), &err);
    assert_int_equal(n, 2);
    assert_int_equal(policies[1].obj.id, seeded_policy_id());
    assert_string_equal(policies[1].obj.name, "vast-k8s-nfs");
    assert_int_equal(policies[0].obj.tenant_id, seeded_tenant_id());
    vms_viewpolicy_list_free(policies, n);

    vms_vippool *pools = NULL;
    n = 0;
    require(vms_vippool_list(client, VMS_FILTERS("name", "vast-k8s-pool"), &pools, &n, soon(), &err), &err);
    assert_int_equal(n, 1);
    assert_int_equal(vms_vippool_ip_count(&pools[0]), 4);
    vms_vippool_list_free(pools, n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_version_and_capacity),
        cmocka_unit_test(test_tenant_lifecycle),
        cmocka_unit_test(test_viewpolicy_lifecycle),
        cmocka_unit_test(test_qospolicy_lifecycle),
        cmocka_unit_test(test_vippool_lifecycle_and_addresses),
        cmocka_unit_test(test_volume_as_directory_quota_and_view),
        cmocka_unit_test(test_snapshots_and_clones),
        cmocka_unit_test(test_users_and_access_keys),
        cmocka_unit_test(test_task_wait_reports_failure_and_deadline),
        cmocka_unit_test(test_typed_lists_append),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
