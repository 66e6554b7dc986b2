/* The vast layer's listings and capacity in process, against the real vms-sim: what
 * ListVolumes, ListSnapshots and GetCapacity answer, without gRPC. Pages follow ids
 * (a token is the last id a page returned), only the driver's own objects (and the
 * vendor driver's) are listed, and the room a StorageClass has is its tenant's limit
 * minus its tenant's use. Each case removes what it made. */
#include "vast_fixture.h"
#include "vk/deadline.h"
#include "vk/vast_capacity.h"
#include "vk/vast_list.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1LL << 20)
#define VENDOR_NAME "pvc-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"

static int64_t soon(void) { return vk_deadline_in(DEADLINE_MS); }

static void require(bool ok, const vms_error *err) {
    if (!ok) fail_msg("VMS: %s", err->message);
}

static vast_volume_list list_volumes(int64_t after, size_t max_entries) {
    vast_page page = {.after = after, .max_entries = max_entries};
    vast_volume_list list;
    vk_status st;
    if (vast_list_volumes(&fx.ctx, &page, soon(), &list, &st) != VK_OK) fail_msg("list volumes: %s", st.message);
    return list;
}

static int64_t token_id(const char *token) {
    int64_t after;
    assert_true(vast_page_token_parse(token, &after));
    return after;
}

/* Writes bytes of zeroes into the volume's directory on the simulator's disk. */
static void write_data(const char *volume_path, int64_t bytes) {
    char path[2048];
    snprintf(path, sizeof path, "%s/fs%s/data", fx.sim.dir, volume_path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    static const char zeroes[4096];
    for (int64_t done = 0; done < bytes; done += (int64_t)sizeof zeroes) {
        assert_int_equal(fwrite(zeroes, 1, sizeof zeroes, f), sizeof zeroes);
    }
    assert_int_equal(fclose(f), 0);
}

static int64_t seeded_tenant(void) {
    vms_viewpolicy policy;
    vms_error err;
    assert_int_equal(vms_viewpolicy_find(fx.inspector, VMS_FILTERS("name", "vast-k8s-nfs"), &policy, soon(), &err),
                     VMS_FOUND);
    int64_t tenant = policy.obj.tenant_id;
    vms_object_free(&policy.obj);
    return tenant;
}

/* ---- paging ---- */

static void test_page_tokens(void **state) {
    (void)state;
    int64_t after = -1;
    assert_true(vast_page_token_parse(NULL, &after));
    assert_int_equal(after, 0);
    assert_true(vast_page_token_parse("", &after));
    assert_int_equal(after, 0);
    assert_true(vast_page_token_parse("42", &after));
    assert_int_equal(after, 42);
    static const char *const forged[] = {"0", "-3", "+3", " 3", "3x", "abc", "99999999999999999999"};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        assert_false(vast_page_token_parse(forged[i], &after));
    }
}

/* Five volumes by pages of two: 2, 2, 1, each once in creation (id) order, the last
 * page without a token; a token stays good when its page's last volume is deleted. */
static void test_volumes_in_pages_of_two(void **state) {
    (void)state;
    vast_volume_result made[5];
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "pvc-page-%d", i + 1);
        fx_create_ok(name, (i + 1) * GIB, &made[i]);
    }
    int64_t after = 0;
    size_t seen = 0;
    static const size_t sizes[] = {2, 2, 1};
    for (int p = 0; p < 3; p++) {
        vast_volume_list page = list_volumes(after, 2);
        assert_int_equal(page.n, sizes[p]);
        for (size_t i = 0; i < page.n; i++, seen++) {
            assert_string_equal(page.entries[i].volume_id, made[seen].volume_id);
            assert_string_equal(page.entries[i].path, made[seen].path);
            assert_int_equal(page.entries[i].capacity_bytes, (int64_t)(seen + 1) * GIB);
            assert_true(page.entries[i].has_view);
            assert_false(page.entries[i].abnormal);
            assert_string_equal(page.entries[i].condition, "healthy");
        }
        if (p < 2) assert_true(*page.next_token);
        if (p == 2) assert_string_equal(page.next_token, "");
        after = *page.next_token ? token_id(page.next_token) : 0;
        vast_volume_list_free(&page);
    }
    vast_volume_list all = list_volumes(0, 0);
    assert_int_equal(all.n, 5);
    assert_string_equal(all.next_token, "");
    vast_volume_list_free(&all);

    vast_volume_list first = list_volumes(0, 2);
    after = token_id(first.next_token);
    vast_volume_list_free(&first);
    vk_status st;
    assert_int_equal(fx_delete_volume(made[1].volume_id, &st), VK_OK);
    vast_volume_list rest = list_volumes(after, 2);
    assert_int_equal(rest.n, 2);
    assert_string_equal(rest.entries[0].volume_id, made[2].volume_id);
    assert_string_equal(rest.entries[1].volume_id, made[3].volume_id);
    vast_volume_list_free(&rest);
    for (int i = 0; i < 5; i++) assert_int_equal(fx_delete_volume(made[i].volume_id, &st), VK_OK);
    vast_volume_list none = list_volumes(0, 0);
    assert_int_equal(none.n, 0);
    vast_volume_list_free(&none);
}

/* ListVolumes streams by id, one chunk (max_entries + 1) per root at a time: volumes
 * spread across two root exports, with foreign quotas between them, list each once in
 * id order at every page size. The layout makes a chunk of one root end before the
 * other root's next volume: a walk that took ids past that bound would skip it. */
/* Two root exports, "/k8s" (a) and "/k8s-b" (b), and what a layout puts under them. */
typedef struct {
    vast_roots roots;
    const vast_roots *saved;
    vast_volume_result made[16];
    int64_t foreign[16];
    char foreign_paths[16][64];
    size_t n_made, n_foreign;
} walk_layout;

static walk_layout walk; /* large: off the stack */

/* In creation (id) order: a/b a volume under /k8s or /k8s-b, A/B a foreign quota. */
static void walk_layout_make(const char *layout) {
    char err_text[256];
    memset(&walk, 0, sizeof walk);
    assert_true(vast_roots_parse("/k8s,/k8s-b", &walk.roots, err_text, sizeof err_text));
    walk.saved = fx.ctx.roots;
    fx.ctx.roots = &walk.roots;
    int64_t tenant = seeded_tenant();
    vms_error err;
    for (size_t i = 0; layout[i]; i++) {
        char name[32];
        const char *root = layout[i] == 'a' || layout[i] == 'A' ? "/k8s" : "/k8s-b";
        if (layout[i] == 'a' || layout[i] == 'b') {
            snprintf(name, sizeof name, "pvc-walk-%zu", i);
            fx_volume_request r;
            fx_volume_request_init(&r, name, root, GIB);
            vk_status st;
            if (fx_create(&r, &walk.made[walk.n_made++], &st) != VK_OK) fail_msg("create %s: %s", name, st.message);
            continue;
        }
        char *path = walk.foreign_paths[walk.n_foreign];
        snprintf(name, sizeof name, "admin-%zu", i);
        snprintf(path, sizeof walk.foreign_paths[0], "%s/%s", root, name);
        vms_quota q;
        vms_quota_spec spec = {.name = name, .path = path, .tenant_id = tenant, .hard_limit = GIB, .create_dir = true};
        require(vms_quota_create(fx.inspector, &spec, &q, soon(), &err), &err);
        walk.foreign[walk.n_foreign++] = q.obj.id;
        vms_object_free(&q.obj);
    }
}

static void walk_layout_remove(void) {
    vk_status st;
    vms_error err;
    for (size_t i = 0; i < walk.n_made; i++) assert_int_equal(fx_delete_volume(walk.made[i].volume_id, &st), VK_OK);
    for (size_t i = 0; i < walk.n_foreign; i++)
        assert_int_equal(vms_quota_delete(fx.inspector, walk.foreign[i], soon(), &err), VMS_FOUND);
    fx.ctx.roots = walk.saved;
}

/* The layout makes a chunk of one root end before the other root's next volume: a walk
 * that took ids past that bound would skip it. */
#define WALK_LAYOUT "aBBBbaAbabBa"

/* ListVolumes streams by id, one chunk (max_entries + 1) per root at a time: volumes
 * spread across two root exports, with foreign quotas between them, list each once in
 * id order at every page size. */
static void test_walk_across_roots(void **state) {
    (void)state;
    walk_layout_make(WALK_LAYOUT);
    for (size_t max = 0; max <= walk.n_made + 1; max++) {
        int64_t after = 0;
        size_t seen = 0, pages = 0;
        do {
            vast_volume_list page = list_volumes(after, max);
            if (max) assert_true(page.n <= max);
            for (size_t i = 0; i < page.n; i++, seen++) {
                assert_true(seen < walk.n_made);
                assert_string_equal(page.entries[i].volume_id, walk.made[seen].volume_id);
                assert_true(page.entries[i].has_view);
            }
            after = *page.next_token ? token_id(page.next_token) : 0;
            vast_volume_list_free(&page);
            assert_true(++pages <= walk.n_made + 1);
        } while (after);
        assert_int_equal(seen, walk.n_made);
    }
    walk_layout_remove();
}

/* ---- what is listed ---- */

static int64_t inspector_quota(const char *name, const char *path, int64_t tenant) {
    vms_quota q;
    vms_error err;
    vms_quota_spec spec = {.name = name, .path = path, .tenant_id = tenant, .hard_limit = GIB, .create_dir = true};
    require(vms_quota_create(fx.inspector, &spec, &q, soon(), &err), &err);
    int64_t id = q.obj.id;
    vms_object_free(&q.obj);
    return id;
}

/* An administrator's quota, one whose name forges a mark, and one nested in a volume
 * are not listed; the vendor driver's volume is, by its own name. A volume whose view
 * is gone is listed as abnormal. */
static void test_foreign_quotas_not_listed(void **state) {
    (void)state;
    vast_volume_result mine;
    fx_create_ok("pvc-mine", GIB, &mine);
    int64_t tenant = mine.tenant_id;
    int64_t foreign[] = {
        inspector_quota("admin-data", "/k8s/admin-data", tenant),
        inspector_quota("pvc-forged~0123456789ab", "/k8s/pvc-forged", tenant),
        inspector_quota("nested", "/k8s/pvc-mine/nested", tenant),
        inspector_quota("csi-" VENDOR_NAME, "/k8s/" VENDOR_NAME, tenant),
    };
    vast_volume_list list = list_volumes(0, 0);
    assert_int_equal(list.n, 2);
    assert_string_equal(list.entries[0].volume_id, mine.volume_id);
    assert_string_equal(list.entries[1].volume_id, VENDOR_NAME);
    assert_false(list.entries[1].has_view); /* made without one */
    vast_volume_list_free(&list);

    vms_view view;
    vms_error err;
    assert_int_equal(vms_view_find_by_path(fx.inspector, mine.path, 0, &view, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_view_delete(fx.inspector, view.obj.id, soon(), &err), VMS_FOUND);
    vms_object_free(&view.obj);
    list = list_volumes(0, 1);
    assert_int_equal(list.n, 1);
    assert_true(list.entries[0].abnormal);
    assert_non_null(strstr(list.entries[0].condition, "no NFS export"));
    vast_volume_list_free(&list);

    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        assert_int_equal(vms_quota_delete(fx.inspector, foreign[i], soon(), &err), VMS_FOUND);
    }
    vk_status st;
    assert_int_equal(fx_delete_volume(mine.volume_id, &st), VK_OK);
}

static void test_full_volume_is_abnormal(void **state) {
    (void)state;
    vast_volume_result v;
    fx_create_ok("pvc-full", MIB, &v);
    write_data(v.path, 2 * MIB);
    vast_volume_list list = list_volumes(0, 0);
    assert_int_equal(list.n, 1);
    assert_true(list.entries[0].abnormal);
    assert_non_null(strstr(list.entries[0].condition, "full"));
    vast_volume_list_free(&list);
    vk_status st;
    assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
}

/* ---- snapshots ---- */

static void snapshot_ok(const char *name, const vast_volume_result *source, vast_snapshot_entry *out) {
    vast_snapshot_params p = {0};
    vast_snapshot_spec spec = {.name = name, .params = &p, .source_volume_id = source->volume_id,
                               .secrets = fx.secrets};
    vast_snapshot_result made;
    vk_status st;
    if (vast_snapshot_create(&fx.ctx, &spec, soon(), &made, &st) != VK_OK) fail_msg("snapshot: %s", st.message);
    vast_snapshot_entry_of(made.cluster, &made.snap, made.size_bytes, out);
    vast_snapshot_result_free(&made);
}

static vast_snapshot_list list_snapshots(const char *snapshot_id, const char *source, int64_t after, size_t max) {
    vast_snapshot_query q = {.snapshot_id = snapshot_id, .source_volume_id = source, .secrets = fx.secrets,
                             .page = {.after = after, .max_entries = max}};
    vast_snapshot_list list;
    vk_status st;
    if (vast_list_snapshots(&fx.ctx, &q, soon(), &list, &st) != VK_OK) fail_msg("list snapshots: %s", st.message);
    return list;
}

/* ListSnapshots streams the same way: the driver's snapshots of volumes under two
 * roots, with an administrator's snapshots between them, each listed once in id order
 * at every page size. */
static void test_snapshot_walk_across_roots(void **state) {
    (void)state;
    walk_layout_make(WALK_LAYOUT);
    vast_snapshot_entry ours[16];
    int64_t theirs[16];
    vms_error err;
    for (size_t i = 0; i < walk.n_made; i++) {
        char name[32], path[80];
        snprintf(name, sizeof name, "snap-walk-%zu", i);
        snapshot_ok(name, &walk.made[i], &ours[i]);
        snprintf(name, sizeof name, "admin-snap-%zu", i);
        snprintf(path, sizeof path, "%s/", walk.foreign_paths[i % walk.n_foreign]);
        vms_snapshot_spec spec = {.name = name, .path = path, .tenant_id = walk.made[i].tenant_id};
        vms_snapshot snap;
        require(vms_snapshot_create(fx.inspector, &spec, &snap, soon(), &err), &err);
        theirs[i] = snap.obj.id;
        vms_object_free(&snap.obj);
    }
    for (size_t max = 0; max <= walk.n_made + 1; max++) {
        int64_t after = 0;
        size_t seen = 0, pages = 0;
        do {
            vast_snapshot_list page = list_snapshots(NULL, NULL, after, max);
            if (max) assert_true(page.n <= max);
            for (size_t i = 0; i < page.n; i++, seen++) {
                assert_true(seen < walk.n_made);
                assert_string_equal(page.entries[i].snapshot_id, ours[seen].snapshot_id);
            }
            after = *page.next_token ? token_id(page.next_token) : 0;
            vast_snapshot_list_free(&page);
            assert_true(++pages <= walk.n_made + 1);
        } while (after);
        assert_int_equal(seen, walk.n_made);
    }
    for (size_t i = 0; i < walk.n_made; i++) {
        vk_status st;
        assert_int_equal(vast_snapshot_delete(&fx.ctx, ours[i].snapshot_id, fx.secrets, soon(), &st), VK_OK);
        assert_int_equal(vms_snapshot_delete(fx.inspector, theirs[i], soon(), &err), VMS_FOUND);
    }
    walk_layout_remove();
}

/* The ids of a listing, one a line. */
static const char *ids_of(const vast_snapshot_list *list, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < list->n && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s\n", list->entries[i].snapshot_id);
    }
    return buf;
}

static void expect_listed(const char *snapshot_id, const char *source, int64_t after, size_t max,
                          const char *expected, const char *next_token_set) {
    vast_snapshot_list list = list_snapshots(snapshot_id, source, after, max);
    char got[2048];
    assert_string_equal(ids_of(&list, got, sizeof got), expected);
    if (next_token_set) assert_string_equal(*list.next_token ? "token" : "", next_token_set);
    vast_snapshot_list_free(&list);
}

static void test_snapshot_filters(void **state) {
    (void)state;
    vast_volume_result a, b;
    fx_create_ok("pvc-snap-a", GIB, &a);
    fx_create_ok("pvc-snap-b", 2 * GIB, &b);
    vast_snapshot_entry a1, a2, b1;
    snapshot_ok("a-1", &a, &a1);
    snapshot_ok("a-2", &a, &a2);
    snapshot_ok("b-1", &b, &b1);
    /* an administrator's snapshot of the same directory is not the CO's */
    vms_snapshot admin;
    vms_error err;
    char a_dir[VAST_PATH_MAX + 2];
    snprintf(a_dir, sizeof a_dir, "%s/", a.path);
    vms_snapshot_spec admin_spec = {.name = "admin-backup", .path = a_dir, .tenant_id = a.tenant_id};
    require(vms_snapshot_create(fx.inspector, &admin_spec, &admin, soon(), &err), &err);

    vast_snapshot_list one = list_snapshots(a1.snapshot_id, NULL, 0, 0);
    assert_int_equal(one.n, 1);
    assert_string_equal(one.entries[0].snapshot_id, a1.snapshot_id);
    assert_string_equal(one.entries[0].source_volume_id, a.volume_id);
    assert_true(one.entries[0].ready);
    assert_true(*one.entries[0].created);
    vast_snapshot_list_free(&one);

    char expected[1024];
    snprintf(expected, sizeof expected, "%s\n%s\n", a1.snapshot_id, a2.snapshot_id);
    expect_listed(NULL, a.volume_id, 0, 0, expected, "");
    snprintf(expected, sizeof expected, "%s\n", b1.snapshot_id);
    expect_listed(NULL, b.volume_id, 0, 0, expected, "");
    snprintf(expected, sizeof expected, "%s\n%s\n%s\n", a1.snapshot_id, a2.snapshot_id, b1.snapshot_id);
    expect_listed(NULL, NULL, 0, 0, expected, "");

    /* every snapshot by pages of two; one volume's by pages of one */
    vast_snapshot_list page = list_snapshots(NULL, NULL, 0, 2);
    assert_int_equal(page.n, 2);
    int64_t after = token_id(page.next_token);
    vast_snapshot_list_free(&page);
    snprintf(expected, sizeof expected, "%s\n", b1.snapshot_id);
    expect_listed(NULL, NULL, after, 2, expected, "");
    page = list_snapshots(NULL, a.volume_id, 0, 1);
    after = token_id(page.next_token);
    vast_snapshot_list_free(&page);
    snprintf(expected, sizeof expected, "%s\n", a2.snapshot_id);
    expect_listed(NULL, a.volume_id, after, 1, expected, "");

    /* ids that name nothing of ours: an empty list, not an error */
    char forged[VAST_ID_MAX + 1];
    assert_true(vast_snapshot_id_format("", a.tenant_id, admin.obj.id, a.path, forged, sizeof forged));
    expect_listed(forged, NULL, 0, 0, "", "");
    expect_listed("garbage", NULL, 0, 0, "", "");
    expect_listed(NULL, "vk1::1:/k8s/pvc-none", 0, 0, "", "");

    assert_int_equal(vms_snapshot_delete(fx.inspector, admin.obj.id, soon(), &err), VMS_FOUND);
    vms_object_free(&admin.obj);
    vk_status st;
    const char *snaps[] = {a1.snapshot_id, a2.snapshot_id, b1.snapshot_id};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(vast_snapshot_delete(&fx.ctx, snaps[i], fx.secrets, soon(), &st), VK_OK);
    }
    expect_listed(NULL, NULL, 0, 0, "", "");
    assert_int_equal(fx_delete_volume(a.volume_id, &st), VK_OK);
    assert_int_equal(fx_delete_volume(b.volume_id, &st), VK_OK);
}

static int64_t inspector_snapshot(const char *name, const char *dir, int64_t tenant) {
    vms_snapshot snap;
    vms_error err;
    vms_snapshot_spec spec = {.name = name, .path = dir, .tenant_id = tenant};
    require(vms_snapshot_create(fx.inspector, &spec, &snap, soon(), &err), &err);
    int64_t id = snap.obj.id;
    vms_object_free(&snap.obj);
    return id;
}

/* The vendor driver's snapshots are listed, by its ids, only when taken of its
 * volumes: a look-alike of a directory whose quota is not the vendor's is not. */
static void test_vendor_snapshots(void **state) {
    (void)state;
    int64_t tenant = seeded_tenant();
    int64_t quotas[] = {
        inspector_quota("csi-" VENDOR_NAME, "/k8s/" VENDOR_NAME, tenant),
        inspector_quota("admin", "/k8s/pvc-11111111-2222-3333-4444-555555555555", tenant),
    };
    const char *uuid_name = "snapshot-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    int64_t vendor = inspector_snapshot(uuid_name, "/k8s/" VENDOR_NAME "/", tenant);
    int64_t lookalike = inspector_snapshot("snapshot-0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                                           "/k8s/pvc-11111111-2222-3333-4444-555555555555/", tenant);
    vast_snapshot_list all = list_snapshots(NULL, NULL, 0, 0);
    assert_int_equal(all.n, 1);
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, vendor);
    assert_string_equal(all.entries[0].snapshot_id, id);
    assert_string_equal(all.entries[0].source_volume_id, VENDOR_NAME);
    vast_snapshot_list_free(&all);
    char expected[40];
    snprintf(expected, sizeof expected, "%s\n", id);
    expect_listed(NULL, VENDOR_NAME, 0, 0, expected, ""); /* by its volume: the same one */
    expect_listed(id, NULL, 0, 0, expected, "");
    vms_error err;
    assert_int_equal(vms_snapshot_delete(fx.inspector, vendor, soon(), &err), VMS_FOUND);
    assert_int_equal(vms_snapshot_delete(fx.inspector, lookalike, soon(), &err), VMS_FOUND);
    for (size_t i = 0; i < 2; i++) assert_int_equal(vms_quota_delete(fx.inspector, quotas[i], soon(), &err), VMS_FOUND);
}

/* ---- capacity ---- */

static int64_t available(const char *view_policy, vk_code expected) {
    vast_volume_params p = {.view_policy = view_policy};
    int64_t bytes = -1;
    vk_status st;
    vk_code code = vast_capacity_available(&fx.ctx, &p, soon(), &bytes, &st);
    if (code != expected) fail_msg("capacity for %s: %s", view_policy ? view_policy : "(none)", st.message);
    return bytes;
}

static void set_tenant_limit(int64_t tenant, int64_t hard_limit) {
    json_t *changes = json_pack("{s:{s:I}}", "capacity_rules", "hard_limit", (json_int_t)hard_limit);
    vms_error err;
    require(vms_tenant_update(fx.inspector, tenant, changes, NULL, soon(), &err), &err);
    json_decref(changes);
}

static int64_t cluster_free(void) {
    vms_cluster cluster;
    vms_error err;
    require(vms_cluster_get(fx.inspector, &cluster, soon(), &err), &err);
    int64_t free_bytes = cluster.free_usable_capacity;
    vms_object_free(&cluster.obj);
    return free_bytes;
}

static void test_capacity_against_tenant_limit(void **state) {
    (void)state;
    int64_t free_bytes = cluster_free();
    assert_true(free_bytes > 10 * GIB);
    assert_int_equal(available(NULL, VK_OK), free_bytes);
    assert_int_equal(available("vast-k8s-nfs", VK_OK), free_bytes); /* no tenant limit yet */

    vast_volume_result v;
    fx_create_ok("pvc-used", GIB, &v);
    write_data(v.path, MIB);
    int64_t tenant = seeded_tenant();
    set_tenant_limit(tenant, 10 * GIB);
    assert_int_equal(available("vast-k8s-nfs", VK_OK), 10 * GIB - MIB);
    free_bytes = cluster_free();
    assert_int_equal(available(NULL, VK_OK), free_bytes); /* the cluster's, whatever the tenants' */
    set_tenant_limit(tenant, MIB / 2);
    assert_int_equal(available("vast-k8s-nfs", VK_OK), 0); /* over its limit: no room, never negative */
    set_tenant_limit(tenant, 0);
    assert_int_equal(available("vast-k8s-nfs", VK_OK), free_bytes);
    available("no-such-policy", VK_NOT_FOUND);
    vk_status st;
    assert_int_equal(fx_delete_volume(v.volume_id, &st), VK_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_tokens),
        cmocka_unit_test(test_volumes_in_pages_of_two),
        cmocka_unit_test(test_walk_across_roots),
        cmocka_unit_test(test_foreign_quotas_not_listed),
        cmocka_unit_test(test_full_volume_is_abnormal),
        cmocka_unit_test(test_snapshot_walk_across_roots),
        cmocka_unit_test(test_snapshot_filters),
        cmocka_unit_test(test_vendor_snapshots),
        cmocka_unit_test(test_capacity_against_tenant_limit),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
