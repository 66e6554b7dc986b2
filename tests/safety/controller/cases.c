/* The suite's main: the run (simulator, plugin, the administrator's objects, the
 * driver's own volumes), the forged ids, the shared step of every case, and the list of
 * tests in the order they run: calls that only read or change first, then deletes, so
 * a driver that destroys what a forged id names shows every such failure before the
 * objects are gone. */
#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

own_objects own;

/* ---- the shared step ---- */

const char *created_volume_id(const ProtobufCMessage *response) {
    const Csi__V1__CreateVolumeResponse *r = (const Csi__V1__CreateVolumeResponse *)response;
    return r && r->volume && r->volume->volume_id && *r->volume->volume_id ? r->volume->volume_id : NULL;
}

const char *created_snapshot_id(const ProtobufCMessage *response) {
    const Csi__V1__CreateSnapshotResponse *r = (const Csi__V1__CreateSnapshotResponse *)response;
    return r && r->snapshot && r->snapshot->snapshot_id && *r->snapshot->snapshot_id ? r->snapshot->snapshot_id
                                                                                       : NULL;
}

/* A create that should have been refused made something: delete it again so that the
 * next case is judged on its own. */
static void undo_create(const char *what, const char *method, const ProtobufCMessage *response) {
    bool volume = strcmp(method, "CreateVolume") == 0;
    const char *id = volume                                  ? created_volume_id(response)
                     : strcmp(method, "CreateSnapshot") == 0 ? created_snapshot_id(response)
                                                             : NULL;
    if (!id) return;
    /* only what this suite names csi-safety-*: a create that adopted a foreign directory
     * is reported, and its delete would reach that directory */
    const char *path = volume ? safety_id_path(id) : NULL;
    if (volume && (!path || strncmp(path, SAFETY_ROOT "/csi-safety-", strlen(SAFETY_ROOT "/csi-safety-")) != 0)) {
        print_error("    (%s made %s, which is not deleted again)\n", what, id);
        return;
    }
    /* an idempotent answer naming a positive control: it stays */
    if (strcmp(id, own.a) == 0 || strcmp(id, own.b) == 0 || strcmp(id, own.c) == 0 || strcmp(id, own.snap_a) == 0 ||
        strcmp(id, own.t) == 0 || strcmp(id, own.snap_t) == 0) {
        print_error("    (%s answered with the positive control %s)\n", what, id);
        return;
    }
    vk_status st;
    vk_code code =
        safety_call(volume ? "DeleteVolume" : "DeleteSnapshot",
                    json_pack("{s:s, s:o}", volume ? "volume_id" : "snapshot_id", id, "secrets", safety_secrets()),
                    NULL, &st);
    print_error("    (%s made %s; deleted again: %s %s)\n", what, id, vk_status_name(code),
                code == VK_OK ? "" : st.message);
}

void hostile_call_raw(const char *what, const char *method, json_t *request, const safety_raw_field *raw,
                      size_t n_raw, vk_code want, const char *needle) {
    vk_status st;
    ProtobufCMessage *response = NULL;
    vk_code code = safety_call_raw(method, request, raw, n_raw, &response, &st);
    safety_expect(what, code, &st, want, needle);
    if (code == VK_OK && want != VK_OK) undo_create(what, method, response);
    if (response) protobuf_c_message_free_unpacked(response, NULL);
    foreign_unchanged(what);
}

void hostile_call(const char *what, const char *method, json_t *request, vk_code want, const char *needle) {
    hostile_call_raw(what, method, request, NULL, 0, want, needle);
}

/* ---- the forged ids ---- */

typedef struct {
    hostile_id items[48];
    size_t n;
} id_list;

static id_list volume_ids, snapshot_ids;

static void add_id(id_list *list, const char *id, vk_code delete_code, const char *delete_needle,
                   const char *needle) {
    if (list->n == sizeof list->items / sizeof list->items[0]) abort();
    list->items[list->n++] = (hostile_id){id, delete_code, delete_needle, needle};
}

/* A forged id naming path: gone for the driver (DeleteVolume OK), NOT_FOUND naming
 * the path. */
static void forged(const char *id, const char *path) {
    add_id(&volume_ids, id, VK_OK, NULL, path);
}

static void vk1(const char *cluster, long long tenant, const char *path) {
    forged(safety_fmt("vk1:%s:%lld:%s", cluster, tenant, path), path);
}

static void vendor(const char *id) { add_id(&volume_ids, id, VK_OK, NULL, id); }

static void build_ids(void) {
    long long t = (long long)foreign.tenant, o = (long long)foreign.other_tenant;
    /* R1: not an id of this driver */
    vendor("alpha");
    vk1("", t, "/data/team");                                   /* outside every root export */
    vk1("", t, "/k8s");                                         /* the root export itself */
    vk1("", t, "/k8s/../data/team");                            /* escapes the root */
    vk1("", t, "/k8s//x");                                      /* not canonical */
    vk1("", t, "/k8s//admin-dir");                              /* not canonical, names a foreign dir */
    vk1("", t, safety_fmt("%s/", own.pa));                      /* the driver's own volume, trailing '/' */
    vk1("", t, "/data/team/.snapshot/daily-2026-12-01");        /* a restore outside every root */
    vk1("", t, safety_fmt("/k8s/admin-vendor/.snapshot/snapshot-%s", foreign.uuid_e)); /* a foreign snapshot */
    /* R4: canonical paths under the root whose quota is not the driver's */
    vk1("", t, "/k8s/admin-dir");                               /* administrator's quota "csi-admin-dir" */
    vk1("", t, "/k8s/admin-vendor");                            /* vendor-named quota, no mark */
    vk1("", t, "/k8s/forged-mark");                             /* a mark that is not its own */
    vk1("", o, safety_fmt("/k8s/pvc-%s", foreign.uuid_c));      /* another tenant's directory */
    vk1("", o, own.pa);                                         /* own path, another tenant */
    forged(safety_fmt("vk1::0%lld:%s", t, own.pa), own.pa);     /* own volume, tenant spelled 02 */
    forged(safety_fmt("VK1::%lld:%s", t, own.pa), own.pa);      /* own volume, another prefix */
    forged(safety_fmt("vk1::%lld:%s/.", t, own.pa), own.pa);    /* own volume, trailing "." */
    /* R1, R4 under the wildcard root export /vast-k8s/tenants/\*: a volume sits in a
     * tenant root, never at the parent, a tenant root itself or deeper */
    vk1("", t, SAFETY_TENANTS);                                 /* the wildcard's parent */
    vk1("", t, SAFETY_TENANT_ROOT);                             /* a tenant root: the operator's quota */
    vk1("", t, SAFETY_TENANTS "/marked");                       /* a genuine mark, no tenant directory */
    vk1("", t, SAFETY_TENANTS "/a/b/c");                        /* a genuine mark, deeper than a volume */
    vk1("", t, SAFETY_TENANTS "/a/b");                          /* the deep quota's parent */
    vk1("", t, SAFETY_TENANTS "/*/marked");                     /* the wildcard's spelling as a tenant */
    vk1("", t, SAFETY_TENANTS "/vk-x/../marked");               /* escapes the tenant root */
    vk1("", t, safety_fmt("%s/.snapshot/%s", SAFETY_TENANT_ROOT, foreign.tenant_root_snapshot_name));
    vk1("", o, own.pt);                                         /* own tenant volume, another tenant */
    vendor(safety_fmt("pvc-%s", foreign.uuid_j));               /* vendor-named, directly under the parent */
    /* R2: vendor-style ids that name no vendor volume */
    vendor("pvc-1234abcd");                                     /* not a uuid; a suffix of team-b's path */
    vendor(safety_fmt("pvc-%s", foreign.uuid_b));               /* quota named for it, at another path */
    vendor(safety_fmt("pvc-%s", foreign.uuid_c));               /* team-b's /k8s/pvc-..., quota name lacks it */
    vendor(safety_fmt("pvc-%s", foreign.uuid_d));               /* outside every root, in team-b */
    vendor(safety_fmt("pvc-%s", foreign.uuid_e));               /* a loose directory outside every root */
    vendor(safety_fmt("PVC-%s", foreign.uuid_b));               /* not lowercase */
    vendor(safety_fmt("pvc-%s", foreign.uuid_i));               /* not directly under the root */
    /* R3: a cluster the secret does not hold */
    add_id(&volume_ids, safety_fmt("vk1:nocluster:%lld:%s", t, own.pa),
           VK_FAILED_PRECONDITION, "nocluster", own.pa);
    add_id(&volume_ids, safety_fmt("pvc-%s@x", foreign.uuid_c), VK_FAILED_PRECONDITION,
           "\"x\"", safety_fmt("pvc-%s", foreign.uuid_c));

    /* snapshots: R5 (not ours) and R3 (cluster) */
    const char *daily = safety_fmt("%lld", (long long)foreign.daily_snapshot);
    const char *vendor_like = safety_fmt("%lld", (long long)foreign.vendor_like_snapshot);
    add_id(&snapshot_ids, daily, VK_OK, NULL, daily);
    add_id(&snapshot_ids, vendor_like, VK_OK, NULL, vendor_like);
    /* named as the external-snapshotter names them, of a vendor-style path that is no
     * vendor volume (its quota's name lacks the id), in another tenant */
    const char *other_snap = safety_fmt("%lld", (long long)foreign.other_tenant_snapshot);
    add_id(&snapshot_ids, other_snap, VK_OK, NULL, other_snap);
    add_id(&snapshot_ids, safety_fmt("%s@x", daily), VK_FAILED_PRECONDITION, "\"x\"",
           daily);
    /* under the wildcard root export: the tenant root's snapshot, a marked one deeper
     * than a volume */
    const char *root_snap = safety_fmt("%lld", (long long)foreign.tenant_root_snapshot);
    const char *deep_snap = safety_fmt("%lld", (long long)foreign.deep_snapshot);
    add_id(&snapshot_ids, root_snap, VK_OK, NULL, root_snap);
    add_id(&snapshot_ids, deep_snap, VK_OK, NULL, deep_snap);
    const char *ids[] = {
        safety_fmt("vk1s::%lld:%s:/data/team", t, daily),               /* its real path: not a volume */
        safety_fmt("vk1s::%lld:%s:%s", t, daily, own.pa),               /* claims an own volume's path */
        safety_fmt("vk1s::%lld:%s:/k8s/admin-vendor", t, vendor_like),  /* under the root, not ours */
        safety_fmt("vk1s::%lld:%lld:%s", o, own.snap_a_vast_id, own.pa), /* own snapshot, another tenant */
        safety_fmt("vk1s::%lld:%lld:%s/", t, own.snap_a_vast_id, own.pa), /* own snapshot, path not canonical */
        safety_fmt("vk1s::%lld:%lld:%s", t, own.snap_a_vast_id, own.pb), /* own snapshot, another volume */
        safety_fmt("vk1s::%lld:%s:%s", t, root_snap, SAFETY_TENANT_ROOT),        /* a tenant root's */
        safety_fmt("vk1s::%lld:%s:%s", t, deep_snap, SAFETY_TENANTS "/a/b/c"),   /* marked, too deep */
        safety_fmt("vk1s::%lld:%s:%s", t, deep_snap, SAFETY_TENANTS "/a/b"),
        "alpha",
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        add_id(&snapshot_ids, ids[i], VK_OK, NULL, ids[i]);
    }
    add_id(&snapshot_ids, safety_fmt("vk1s:nocluster:%lld:%lld:%s", t, own.snap_a_vast_id, own.pa),
           VK_FAILED_PRECONDITION, "nocluster", safety_fmt("%lld", own.snap_a_vast_id));
}

const hostile_id *hostile_volume_ids(size_t *n) {
    *n = volume_ids.n;
    return volume_ids.items;
}

const hostile_id *hostile_snapshot_ids(size_t *n) {
    *n = snapshot_ids.n;
    return snapshot_ids.items;
}

/* ---- the run ---- */

static bool create_own_volume(const char *name, const char *root, char *id, size_t size) {
    vk_status st;
    ProtobufCMessage *r = NULL;
    json_t *req = safety_create_volume_req(name);
    json_object_set_new(json_object_get(req, "parameters"), "root_export", json_string(root));
    vk_code code = safety_call("CreateVolume", req, &r, &st);
    const char *made = created_volume_id(r);
    if (code != VK_OK || !made || !safety_id_path(made)) {
        print_error("CreateVolume %s in %s (a positive control): %s: %s\n", name, root, vk_status_name(code),
                    st.message);
        if (r) protobuf_c_message_free_unpacked(r, NULL);
        return false;
    }
    snprintf(id, size, "%s", made);
    protobuf_c_message_free_unpacked(r, NULL);
    return true;
}

/* A snapshot of volume; *vast_id (when not NULL) is VAST's id, from the snapshot id. */
static bool create_own_snapshot(const char *name, const char *volume, char *id, size_t size, long long *vast_id) {
    vk_status st;
    ProtobufCMessage *r = NULL;
    vk_code code = safety_call(
        "CreateSnapshot",
        json_pack("{s:s, s:s, s:o}", "name", name, "source_volume_id", volume, "secrets", safety_secrets()), &r,
        &st);
    const char *snap = created_snapshot_id(r);
    /* vk1s:<cluster>:<tenant>:<snapshot id>:<path> */
    const char *p = snap && strncmp(snap, "vk1s:", 5) == 0 ? strchr(snap + 5, ':') : NULL;
    long long parsed;
    if (code != VK_OK || !p || sscanf(p + 1, "%*d:%lld:", &parsed) != 1) {
        print_error("CreateSnapshot of %s (a positive control): %s: %s (id %s)\n", volume, vk_status_name(code),
                    st.message, snap ? snap : "none");
        if (r) protobuf_c_message_free_unpacked(r, NULL);
        return false;
    }
    if (vast_id) *vast_id = parsed;
    snprintf(id, size, "%s", snap);
    protobuf_c_message_free_unpacked(r, NULL);
    return true;
}

static int group_setup(void **state) {
    if (safety_start(state) != 0) return -1;
    foreign_create();
    if (!create_own_volume("csi-safety-own-a", SAFETY_ROOT, own.a, sizeof own.a) ||
        !create_own_volume("csi-safety-own-b", SAFETY_ROOT, own.b, sizeof own.b) ||
        !create_own_volume("csi-safety-own-c", SAFETY_ROOT, own.c, sizeof own.c) ||
        !create_own_volume("csi-safety-own-t", SAFETY_OWN_TENANT_ROOT, own.t, sizeof own.t)) {
        return -1;
    }
    own.pa = safety_id_path(own.a);
    own.pb = safety_id_path(own.b);
    own.pc = safety_id_path(own.c);
    own.pt = safety_id_path(own.t);
    if (!create_own_snapshot("csi-safety-snap-a", own.a, own.snap_a, sizeof own.snap_a, &own.snap_a_vast_id) ||
        !create_own_snapshot("csi-safety-snap-t", own.t, own.snap_t, sizeof own.snap_t, NULL)) {
        return -1;
    }
    build_ids();
    foreign_baseline();
    print_message("safety: own volumes %s, %s, %s, %s; own snapshots %s, %s; daily snapshot %lld\n", own.a, own.b,
                  own.c, own.t, own.snap_a, own.snap_t, (long long)foreign.daily_snapshot);
    fflush(stdout);
    return 0;
}

static int group_teardown(void **state) {
    foreign_close();
    return safety_stop(state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_volume_forged),
        cmocka_unit_test(test_validate_forged),
        cmocka_unit_test(test_modify_forged),
        cmocka_unit_test(test_expand_forged),
        cmocka_unit_test(test_create_snapshot_forged_source),
        cmocka_unit_test(test_create_volume_forged_source),
        cmocka_unit_test(test_get_snapshot_forged),
        cmocka_unit_test(test_root_export_invalid),
        cmocka_unit_test(test_root_export_trailing_slash),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_lists_only_ours),
        cmocka_unit_test(test_delete_snapshot_forged),
        cmocka_unit_test(test_multi_cluster_secret),
        cmocka_unit_test(test_delete_volume_forged),
        cmocka_unit_test(test_vendor_objects_still_work),
        cmocka_unit_test(test_own_objects_still_work),
        cmocka_unit_test(test_driver_log_clean),
        cmocka_unit_test(test_foreign_intact_at_end),
    };
    return cmocka_run_group_tests_name("safety.controller", tests, group_setup, group_teardown);
}
