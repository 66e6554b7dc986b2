/* Buckets and bucket accesses (what COSI calls) in process against the real vms-sim.
 * Each operation is retried after a failure at each of its fault points (where a crash
 * would cut it short) and must converge: one quota, one S3 view and one owner per
 * bucket, one policy, one user and exactly one key per access, nothing left after a
 * delete or revoke. Objects the driver did not make (an administrator's bucket, user,
 * directory) are never touched, whatever id names them. */
#include "vast_fixture.h"
#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/vast_bucket.h"
#include "vk/vms_list.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vk_strmap NO_SECRETS = {0};

/* ---- helpers ---- */

static size_t count_where(const char *collection, const char *key, const char *value) {
    json_t *items = NULL;
    vms_error err;
    if (!vms_list(fx.inspector, collection, VMS_FILTERS(key, value), vk_deadline_in(DEADLINE_MS), &items, &err)) {
        fail_msg("listing %s %s=%s: %s", collection, key, value, err.message);
    }
    size_t n = json_array_size(items);
    json_decref(items);
    return n;
}

/* The id of the user named name, 0 when there is none. */
static int64_t user_id(const char *name) {
    vms_user u = {0};
    vms_error err;
    vms_lookup found = vms_user_find(fx.inspector, VMS_FILTERS("name", name), &u, vk_deadline_in(DEADLINE_MS), &err);
    if (found == VMS_FAILED) fail_msg("finding user %s: %s", name, err.message);
    int64_t id = found == VMS_FOUND ? u.obj.id : 0;
    vms_object_free(&u.obj);
    return id;
}

static size_t keys_of(const char *user) {
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)user_id(user));
    return count_where("locals3keys/", "user_id", id);
}

static json_t *post(const char *collection, json_t *body) {
    json_t *answer = NULL;
    vms_error err;
    if (!vms_post(fx.inspector, collection, body, 0, vk_deadline_in(DEADLINE_MS), &answer, &err)) {
        fail_msg("POST %s: %s", collection, err.message);
    }
    json_decref(body);
    return answer;
}

/* A BucketClass's parameters. */
typedef struct {
    vk_strpair pairs[6];
    const vk_strpair *ptrs[6];
    vk_strmap map;
} params;

static void params_init(params *p, const char *quota) {
    size_t n = 0;
    p->pairs[n++] = (vk_strpair){"root_export", "/k8s"};
    p->pairs[n++] = (vk_strpair){"vip_pool_name", "vast-k8s-pool"};
    p->pairs[n++] = (vk_strpair){"scheme", "http"};
    p->pairs[n++] = (vk_strpair){"s3_port", "9000"};
    if (quota) p->pairs[n++] = (vk_strpair){"quota", quota};
    for (size_t i = 0; i < n; i++) p->ptrs[i] = &p->pairs[i];
    p->map = VK_STRMAP_OF(p->ptrs, n);
}

static vk_code create(const char *name, const char *quota, vast_bucket_result *out, vk_status *st) {
    params p;
    params_init(&p, quota);
    return vast_bucket_create(&fx.ctx, name, p.map, NO_SECRETS, vk_deadline_in(DEADLINE_MS), out, st);
}

static void create_ok(const char *name, vast_bucket_result *out) {
    vk_status st;
    if (create(name, NULL, out, &st) != VK_OK) fail_msg("create %s: %s", name, st.message);
}

static vk_code grant(const char *bucket_id, const char *account, const char *mode, vast_access_result *out,
                     vk_status *st) {
    vk_strpair pair = {"access_mode", mode};
    const vk_strpair *ptr = &pair;
    vk_strmap map = VK_STRMAP_OF(&ptr, mode ? 1 : 0);
    return vast_access_grant(&fx.ctx, bucket_id, account, map, NO_SECRETS, vk_deadline_in(DEADLINE_MS), out, st);
}

static vk_code revoke(const char *bucket_id, const char *account_id, vk_status *st) {
    return vast_access_revoke(&fx.ctx, bucket_id, account_id, NO_SECRETS, vk_deadline_in(DEADLINE_MS), st);
}

static vk_code delete_bucket(const char *bucket_id, vk_status *st) {
    return vast_bucket_delete(&fx.ctx, bucket_id, NO_SECRETS, vk_deadline_in(DEADLINE_MS), st);
}

static void path_of(const char *bucket, char *out, size_t size) { snprintf(out, size, "/k8s/%s", bucket); }

/* ---- names and ids (no VMS) ---- */

static void test_names_are_s3_names_and_deterministic(void **state) {
    (void)state;
    char a[64], b[64], c[64];
    assert_true(vast_bucket_name_from_cosi("bucket-1b2c", a, sizeof a));
    assert_string_equal(a, "bucket-1b2c"); /* a valid S3 name stays itself */
    static const char long_name[] = "bucket-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_true(vast_bucket_name_from_cosi(long_name, a, sizeof a));
    assert_true(vast_bucket_name_from_cosi(long_name, b, sizeof b));
    assert_string_equal(a, b);
    assert_true(strlen(a) <= 63 && vast_bucket_name_valid(a));
    /* names that differ only past the cut, or in case, are two buckets */
    char other[sizeof long_name];
    snprintf(other, sizeof other, "%s", long_name);
    other[sizeof other - 2] = 'e';
    assert_true(vast_bucket_name_from_cosi(other, c, sizeof c));
    assert_string_not_equal(a, c);
    assert_true(vast_bucket_name_from_cosi("My_Bucket", a, sizeof a));
    assert_true(vast_bucket_name_from_cosi("my-bucket", b, sizeof b));
    assert_true(vast_bucket_name_valid(a));
    assert_string_not_equal(a, b);
    assert_true(vast_bucket_name_from_cosi("..", a, sizeof a) && vast_bucket_name_valid(a));
    assert_false(vast_bucket_name_from_cosi("", a, sizeof a));
    assert_false(vast_bucket_name_valid("192.168.1.1"));
    assert_false(vast_bucket_name_valid("a..b"));
    assert_false(vast_bucket_name_valid("-ab"));
}

static void test_bucket_ids_round_trip_and_refuse_odd_spellings(void **state) {
    (void)state;
    vast_bucket_ref r = {.tenant_id = 3, .port = 9000};
    snprintf(r.path, sizeof r.path, "/k8s/b12");
    snprintf(r.bucket, sizeof r.bucket, "b1x");
    snprintf(r.pool, sizeof r.pool, "pool1");
    snprintf(r.scheme, sizeof r.scheme, "http");
    snprintf(r.region, sizeof r.region, "us-east-1");
    char id[VAST_BUCKET_ID_MAX + 1];
    assert_true(vast_bucket_id_format(&r, id, sizeof id));
    assert_string_equal(id, "vb1::3:/k8s/b12?pool=pool1&scheme=http&port=9000&region=us-east-1");
    vast_bucket_ref back;
    assert_true(vast_bucket_id_parse(id, &back));
    assert_int_equal(back.tenant_id, 3);
    assert_string_equal(back.bucket, "b12"); /* from the path, not from the caller */
    assert_int_equal(back.port, 9000);
    assert_true(vast_bucket_id_parse("vb1:c2:7:/k8s/b22?url=https://s3.example.com&region=eu-1", &back));
    assert_string_equal(back.cluster, "c2");
    assert_string_equal(back.url, "https://s3.example.com");
    static const char *const bad[] = {
        "vb1::3:/k8s/b1",                                     /* no endpoint settings */
        "vb1::03:/k8s/b1?pool=p&scheme=http&region=r",        /* a tenant spelled two ways */
        "vb1::3:/k8s//b1?pool=p&scheme=http&region=r",        /* a path spelled two ways */
        "vb1::3:/k8s/../etc?pool=p&scheme=http&region=r",     /* dots */
        "vb1::3:/k8s/B1?pool=p&scheme=http&region=r",         /* not an S3 name */
        "vb1::3:/k8s/b1?pool=p&url=http://x&region=r",        /* two endpoints */
        "vb1::3:/k8s/b1?pool=p&scheme=ftp&region=r",          /* a scheme pods cannot use */
        "vb1::3:/k8s/b1?pool=p&scheme=http&region=r&x=1",     /* an unknown setting */
        "vb1:a/b:3:/k8s/b1?pool=p&scheme=http&region=r",      /* a cluster name with a slash */
        "bucket-1", "", "vk1::3:/k8s/b1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (vast_bucket_id_parse(bad[i], &back)) fail_msg("accepted %s", bad[i]);
    }
}

static void test_parameters_are_checked(void **state) {
    (void)state;
    struct {
        vk_strpair pairs[3];
        const char *why;
    } cases[] = {
        {{{"root_export", "/k8s"}, {"vip_pool_name", "p"}, {"colour", "red"}}, "unknown BucketClass parameter"},
        {{{"root_export", "k8s"}, {"vip_pool_name", "p"}, {"region", "r"}}, "absolute path"},
        {{{"root_export", "/k8s"}, {"region", "r"}, {"scheme", "http"}}, "exactly one of"},
        {{{"root_export", "/k8s"}, {"vip_pool_name", "p"}, {"s3_endpoint", "http://x"}}, "exactly one of"},
        {{{"root_export", "/k8s"}, {"vip_pool_name", "p"}, {"quota", "lots"}}, "quantity"},
        {{{"root_export", "/k8s"}, {"vip_pool_name", "p"}, {"s3_port", "70000"}}, "port"},
        {{{"root_export", "/k8s"}, {"s3_endpoint", "http://x?y"}, {"region", "r"}}, "URL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const vk_strpair *ptrs[3] = {&cases[i].pairs[0], &cases[i].pairs[1], &cases[i].pairs[2]};
        vast_bucket_params p;
        vk_status st;
        assert_false(vast_bucket_params_parse(VK_STRMAP_OF(ptrs, 3), &p, &st));
        assert_int_equal(st.code, VK_INVALID_ARGUMENT);
        if (!strstr(st.message, cases[i].why)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, st.message, cases[i].why);
    }
    vk_strpair mode = {"access_mode", "WriteOnly"};
    const vk_strpair *ptr = &mode;
    vast_access_params ap;
    vk_status st;
    assert_false(vast_access_params_parse(VK_STRMAP_OF(&ptr, 1), &ap, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
}

/* ---- buckets ---- */

static void test_create_twice_is_one_bucket(void **state) {
    (void)state;
    vast_bucket_result a, b;
    create_ok("bucket-twice", &a);
    create_ok("bucket-twice", &b);
    assert_string_equal(a.bucket_id, b.bucket_id);
    assert_string_equal(a.region, "us-east-1");
    assert_null(strstr(a.bucket_id, "127.0.0.1")); /* no address in the id */
    char path[128];
    path_of(a.bucket, path, sizeof path);
    assert_int_equal(fx_count_at(VMS_QUOTAS, path), 1);
    assert_int_equal(fx_count_at(VMS_VIEWS, path), 1);
    assert_int_equal(count_where(VMS_VIEWS, "bucket", a.bucket), 1);
    vms_view view = {0};
    vms_error err;
    assert_int_equal(vms_view_find_by_path(fx.inspector, path, 0, &view, vk_deadline_in(DEADLINE_MS), &err),
                     VMS_FOUND);
    assert_true(vms_view_has_protocol(&view, "S3"));
    assert_string_equal(view.bucket, "bucket-twice");
    assert_int_not_equal(user_id(view.bucket_owner), 0);
    char owner[VAST_NAME_MAX + 1];
    snprintf(owner, sizeof owner, "%s", view.bucket_owner);
    vms_object_free(&view.obj);
    vk_status st;
    assert_int_equal(delete_bucket(a.bucket_id, &st), VK_OK);
    assert_int_equal(fx_count_at(VMS_QUOTAS, path), 0);
    assert_int_equal(fx_count_at(VMS_VIEWS, path), 0);
    assert_int_equal(user_id(owner), 0);
    assert_int_equal(delete_bucket(a.bucket_id, &st), VK_OK); /* already gone */
}

static void test_create_converges_after_each_fault_point(void **state) {
    (void)state;
    static const char *const points[] = {"cosi.create.after_quota", "cosi.create.after_owner",
                                         "cosi.create.after_view"};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        char name[32], spec[96], path[128];
        snprintf(name, sizeof name, "bucket-crash-%zu", i);
        snprintf(spec, sizeof spec, "%s=error:UNAVAILABLE@1", points[i]);
        fx_faults(spec);
        vast_bucket_result b;
        vk_status st;
        assert_int_equal(create(name, NULL, &b, &st), VK_UNAVAILABLE);
        assert_non_null(strstr(st.message, points[i]));
        assert_int_equal(create(name, NULL, &b, &st), VK_OK);
        fx_faults(NULL);
        path_of(b.bucket, path, sizeof path);
        assert_int_equal(fx_count_at(VMS_QUOTAS, path), 1);
        assert_int_equal(count_where(VMS_VIEWS, "bucket", b.bucket), 1);
        assert_int_equal(delete_bucket(b.bucket_id, &st), VK_OK);
        assert_int_equal(fx_count_at(VMS_QUOTAS, path), 0);
    }
}

static void test_delete_converges_after_each_fault_point(void **state) {
    (void)state;
    static const char *const points[] = {"controller.delete.after_lookups", "controller.delete.after_data",
                                         "cosi.delete.after_quota"};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        char name[32], spec[96], path[128], owner[VAST_NAME_MAX + 1];
        snprintf(name, sizeof name, "bucket-gone-%zu", i);
        vast_bucket_result b;
        create_ok(name, &b);
        path_of(b.bucket, path, sizeof path);
        vms_view view = {0};
        vms_error err;
        assert_int_equal(vms_view_find_by_path(fx.inspector, path, 0, &view, vk_deadline_in(DEADLINE_MS), &err),
                         VMS_FOUND);
        snprintf(owner, sizeof owner, "%s", view.bucket_owner);
        vms_object_free(&view.obj);
        snprintf(spec, sizeof spec, "%s=error:UNAVAILABLE@1", points[i]);
        fx_faults(spec);
        vk_status st;
        assert_int_equal(delete_bucket(b.bucket_id, &st), VK_UNAVAILABLE);
        assert_int_equal(delete_bucket(b.bucket_id, &st), VK_OK);
        fx_faults(NULL);
        assert_int_equal(fx_count_at(VMS_QUOTAS, path), 0);
        assert_int_equal(fx_count_at(VMS_VIEWS, path), 0);
        assert_int_equal(user_id(owner), 0);
    }
}

static void test_same_name_other_parameters_is_already_exists(void **state) {
    (void)state;
    vast_bucket_result a, b;
    vk_status st;
    assert_int_equal(create("bucket-sized", "1Gi", &a, &st), VK_OK);
    assert_int_equal(create("bucket-sized", "1Gi", &b, &st), VK_OK);
    assert_int_equal(create("bucket-sized", "2Gi", &b, &st), VK_ALREADY_EXISTS);
    assert_non_null(strstr(st.message, "bucket bucket-sized"));
    char path[128];
    path_of(a.bucket, path, sizeof path);
    assert_int_equal(fx_quota_limit(path), GIB);
    assert_int_equal(delete_bucket(a.bucket_id, &st), VK_OK);
}

/* An administrator's bucket (its own owner, view and directory outside the driver's
 * roots) keeps its name: a COSI bucket of that name is ALREADY_EXISTS, and no id
 * reaching for it touches it. */
static void test_foreign_bucket_is_never_touched(void **state) {
    (void)state;
    json_decref(post(VMS_USERS, json_pack("{s:s}", "name", "admin-owner")));
    vms_viewpolicy s3policy = {0};
    vms_error err;
    assert_int_equal(vms_viewpolicy_find(fx.inspector, VMS_FILTERS("name", "s3_default_policy"), &s3policy,
                                         vk_deadline_in(DEADLINE_MS), &err),
                     VMS_FOUND);
    json_int_t policy_id = s3policy.obj.id, tenant_id = s3policy.obj.tenant_id;
    vms_object_free(&s3policy.obj);
    json_t *view = post(VMS_VIEWS, json_pack("{s:s, s:I, s:I, s:[s], s:s, s:s, s:b}", "path", "/data/shared",
                                             "policy_id", policy_id, "tenant_id", tenant_id, "protocols", "S3", "bucket", "shared-data", "bucket_owner",
                                             "admin-owner", "create_dir", 1));
    json_decref(view);
    /* also a foreign bucket directly under the root, with the administrator's quota */
    json_decref(post(VMS_QUOTAS, json_pack("{s:s, s:s, s:I, s:I, s:b}", "name", "team-quota", "path",
                                           "/k8s/team-data", "tenant_id", tenant_id, "hard_limit", (json_int_t)GIB,
                                           "create_dir", 1)));
    size_t users = count_where(VMS_USERS, "name__contains", "");
    vast_bucket_result b;
    vk_status st;
    assert_int_equal(create("shared-data", NULL, &b, &st), VK_ALREADY_EXISTS);
    assert_int_equal(create("team-data", NULL, &b, &st), VK_ALREADY_EXISTS);
    assert_int_equal(count_where(VMS_VIEWS, "bucket", "shared-data"), 1);
    assert_int_equal(fx_count_at(VMS_QUOTAS, "/k8s/team-data"), 1);
    static const char *const forged[] = {
        "vb1::1:/k8s/team-data?pool=vast-k8s-pool&scheme=http&region=us-east-1",
        "vb1::2:/k8s/team-data?pool=vast-k8s-pool&scheme=http&region=us-east-1",
        "vb1::1:/data/shared?pool=vast-k8s-pool&scheme=http&region=us-east-1",
        "vb1:other:1:/k8s/team-data?pool=vast-k8s-pool&scheme=http&region=us-east-1",
    };
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        vast_access_result a;
        vk_code code = grant(forged[i], "ba-forged", NULL, &a, &st);
        if (code != VK_NOT_FOUND) fail_msg("grant on %s: %d %s", forged[i], code, st.message);
        code = delete_bucket(forged[i], &st);
        if (code != VK_OK && code != VK_FAILED_PRECONDITION) fail_msg("delete %s: %d %s", forged[i], code, st.message);
    }
    assert_int_equal(count_where(VMS_VIEWS, "bucket", "shared-data"), 1);
    assert_int_equal(fx_count_at(VMS_QUOTAS, "/k8s/team-data"), 1);
    assert_int_equal(fx_quota_limit("/k8s/team-data"), GIB);
    assert_int_equal(count_where(VMS_USERS, "name__contains", ""), users); /* no user made for a forged grant */
    assert_int_not_equal(user_id("admin-owner"), 0);
    /* a revoke naming the administrator's user is not ours: the user stays */
    assert_int_equal(revoke(forged[0], "admin-owner", &st), VK_OK);
    assert_int_not_equal(user_id("admin-owner"), 0);
}

/* A volume id and a bucket id of one path name different objects: neither deletes the other. */
static void test_volume_and_bucket_ids_do_not_cross(void **state) {
    (void)state;
    vast_bucket_result b;
    create_ok("bucket-cross", &b);
    vk_status st;
    assert_int_equal(fx_delete_volume("vk1::1:/k8s/bucket-cross", &st), VK_OK);
    assert_int_equal(count_where(VMS_VIEWS, "bucket", "bucket-cross"), 1);
    vast_volume_result v;
    fx_create_ok("pvc-cross", GIB, &v);
    char forged[VAST_BUCKET_ID_MAX + 1];
    snprintf(forged, sizeof forged, "vb1::%lld:%s?pool=vast-k8s-pool&scheme=http&region=us-east-1",
             (long long)v.tenant_id, v.path);
    assert_int_equal(delete_bucket(forged, &st), VK_OK);
    assert_int_equal(fx_count_at(VMS_QUOTAS, v.path), 1);
    assert_int_equal(fx_count_at(VMS_VIEWS, v.path), 1);
    vast_access_result a;
    assert_int_equal(grant(forged, "ba-cross", NULL, &a, &st), VK_NOT_FOUND);
    assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
    assert_int_equal(delete_bucket(b.bucket_id, &st), VK_OK);
}

/* ---- accesses ---- */

static void test_grant_replay_leaves_one_key(void **state) {
    (void)state;
    vast_bucket_result b;
    create_ok("bucket-keys", &b);
    vast_access_result a1, a2;
    vk_status st;
    assert_int_equal(grant(b.bucket_id, "ba-0001", NULL, &a1, &st), VK_OK);
    /* a VIP of the seeded pool (127.0.0.10-13), with the class's scheme and port */
    assert_true(strncmp(a1.endpoint, "http://127.0.0.1", 16) == 0 && a1.endpoint[16] >= '0' && a1.endpoint[16] <= '3');
    assert_string_equal(a1.endpoint + 17, ":9000");
    assert_string_equal(a1.region, "us-east-1");
    assert_true(strlen(a1.access_key) > 0 && strlen(a1.secret_key) > 0);
    assert_int_equal(keys_of(a1.account_id), 1);
    assert_int_equal(count_where(VMS_S3POLICIES, "name", a1.account_id), 1);
    assert_int_equal(grant(b.bucket_id, "ba-0001", "ReadWrite", &a2, &st), VK_OK);
    assert_string_equal(a1.account_id, a2.account_id);
    assert_string_not_equal(a1.access_key, a2.access_key); /* a fresh key: the first secret cannot be shown again */
    assert_int_equal(keys_of(a2.account_id), 1);
    assert_int_equal(count_where(VMS_USERS, "name", a2.account_id), 1);
    assert_int_equal(grant(b.bucket_id, "ba-0001", "ReadOnly", &a2, &st), VK_ALREADY_EXISTS);
    assert_string_equal(a2.secret_key, ""); /* a failed grant hands out nothing */
    assert_int_equal(revoke(b.bucket_id, a1.account_id, &st), VK_OK);
    assert_int_equal(count_where(VMS_USERS, "name", a1.account_id), 0);
    assert_int_equal(count_where(VMS_S3POLICIES, "name", a1.account_id), 0);
    assert_int_equal(count_where("locals3keys/", "access_key", a1.access_key), 0);
    assert_int_equal(revoke(b.bucket_id, a1.account_id, &st), VK_OK); /* already revoked */
    assert_int_equal(delete_bucket(b.bucket_id, &st), VK_OK);
}

static void test_grant_converges_after_each_fault_point(void **state) {
    (void)state;
    static const char *const points[] = {"cosi.grant.after_policy", "cosi.grant.after_user",
                                         "cosi.grant.after_old_keys", "cosi.grant.after_key"};
    vast_bucket_result b;
    create_ok("bucket-grants", &b);
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        char account[32], spec[96];
        snprintf(account, sizeof account, "ba-crash-%zu", i);
        snprintf(spec, sizeof spec, "%s=error:UNAVAILABLE@1", points[i]);
        vast_access_result a;
        vk_status st;
        if (i == 2) assert_int_equal(grant(b.bucket_id, account, NULL, &a, &st), VK_OK); /* a key to drop */
        fx_faults(spec);
        assert_int_equal(grant(b.bucket_id, account, NULL, &a, &st), VK_UNAVAILABLE);
        assert_int_equal(grant(b.bucket_id, account, NULL, &a, &st), VK_OK);
        fx_faults(NULL);
        assert_int_equal(keys_of(a.account_id), 1);
        assert_int_equal(count_where(VMS_S3POLICIES, "name", a.account_id), 1);
        assert_int_equal(count_where("locals3keys/", "access_key", a.access_key), 1);
        assert_int_equal(revoke(b.bucket_id, a.account_id, &st), VK_OK);
        assert_int_equal(count_where(VMS_USERS, "name", a.account_id), 0);
    }
    vk_status st;
    assert_int_equal(delete_bucket(b.bucket_id, &st), VK_OK);
}

static void test_revoke_converges_and_outlives_the_bucket(void **state) {
    (void)state;
    vast_bucket_result b;
    create_ok("bucket-revoke", &b);
    vast_access_result a;
    vk_status st;
    assert_int_equal(grant(b.bucket_id, "ba-late", "ReadOnly", &a, &st), VK_OK);
    fx_faults("cosi.revoke.after_user=error:UNAVAILABLE@1");
    assert_int_equal(revoke(b.bucket_id, a.account_id, &st), VK_UNAVAILABLE);
    assert_int_equal(count_where(VMS_USERS, "name", a.account_id), 0);
    assert_int_equal(count_where(VMS_S3POLICIES, "name", a.account_id), 1);
    fx_faults(NULL);
    /* the bucket goes first (an access whose revoke came late): the revoke still cleans up */
    assert_int_equal(delete_bucket(b.bucket_id, &st), VK_OK);
    assert_int_equal(revoke(b.bucket_id, a.account_id, &st), VK_OK);
    assert_int_equal(count_where(VMS_S3POLICIES, "name", a.account_id), 0);
}

/* The read-only policy lets a key read, and nothing else; read-write allows all. */
static void test_access_modes_are_scoped_to_the_bucket(void **state) {
    (void)state;
    vast_bucket_result b;
    create_ok("bucket-modes", &b);
    vast_access_result ro, rw;
    vk_status st;
    assert_int_equal(grant(b.bucket_id, "ba-reader", "ReadOnly", &ro, &st), VK_OK);
    assert_int_equal(grant(b.bucket_id, "ba-writer", NULL, &rw, &st), VK_OK);
    vms_s3policy p = {0};
    vms_error err;
    assert_int_equal(vms_s3policy_find(fx.inspector, VMS_FILTERS("name", ro.account_id), &p,
                                       vk_deadline_in(DEADLINE_MS), &err),
                     VMS_FOUND);
    assert_non_null(strstr(p.policy, "arn:aws:s3:::bucket-modes/*"));
    assert_non_null(strstr(p.policy, "s3:GetObject"));
    assert_null(strstr(p.policy, "s3:*"));
    assert_null(strstr(p.policy, "PutObject"));
    vms_object_free(&p.obj);
    assert_int_equal(vms_s3policy_find(fx.inspector, VMS_FILTERS("name", rw.account_id), &p,
                                       vk_deadline_in(DEADLINE_MS), &err),
                     VMS_FOUND);
    assert_non_null(strstr(p.policy, "s3:*"));
    assert_null(strstr(p.policy, "arn:aws:s3:::*"));
    vms_object_free(&p.obj);
    assert_int_equal(revoke(b.bucket_id, ro.account_id, &st), VK_OK);
    assert_int_equal(revoke(b.bucket_id, rw.account_id, &st), VK_OK);
    assert_int_equal(delete_bucket(b.bucket_id, &st), VK_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_are_s3_names_and_deterministic),
        cmocka_unit_test(test_bucket_ids_round_trip_and_refuse_odd_spellings),
        cmocka_unit_test(test_parameters_are_checked),
        cmocka_unit_test(test_create_twice_is_one_bucket),
        cmocka_unit_test(test_create_converges_after_each_fault_point),
        cmocka_unit_test(test_delete_converges_after_each_fault_point),
        cmocka_unit_test(test_same_name_other_parameters_is_already_exists),
        cmocka_unit_test(test_foreign_bucket_is_never_touched),
        cmocka_unit_test(test_volume_and_bucket_ids_do_not_cross),
        cmocka_unit_test(test_grant_replay_leaves_one_key),
        cmocka_unit_test(test_grant_converges_after_each_fault_point),
        cmocka_unit_test(test_revoke_converges_and_outlives_the_bucket),
        cmocka_unit_test(test_access_modes_are_scoped_to_the_bucket),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
