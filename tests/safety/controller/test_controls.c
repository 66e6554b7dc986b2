/* Positive controls and the end of the run: the lists report exactly the driver's own
 * objects (R8); the driver's own volumes and snapshot still work after every hostile
 * call (a driver that refuses everything would pass the hostile cases); at the end,
 * every foreign object is as it was at the start. */
#include "cases.h"

#include <string.h>
#include <sys/stat.h>

/* Every entry of a ListVolumes or ListSnapshots (all pages) as a JSON array of ids. */
static json_t *list_ids(const char *method, json_t *filters) {
    json_t *ids = json_array();
    bool volumes = strcmp(method, "ListVolumes") == 0;
    char token[256] = "";
    for (int page = 0; page < 100; page++) {
        json_t *req = json_deep_copy(filters);
        json_object_set_new(req, "max_entries", json_integer(2)); /* pages too */
        if (*token) json_object_set_new(req, "starting_token", json_string(token));
        vk_status st;
        ProtobufCMessage *r = NULL;
        vk_code code = safety_call(method, req, &r, &st);
        if (!safety_expect(method, code, &st, VK_OK, NULL)) break;
        const char *next;
        if (volumes) {
            const Csi__V1__ListVolumesResponse *lv = (const Csi__V1__ListVolumesResponse *)r;
            for (size_t i = 0; i < lv->n_entries; i++) {
                json_array_append_new(ids, json_string(lv->entries[i]->volume->volume_id));
            }
            next = lv->next_token;
        } else {
            const Csi__V1__ListSnapshotsResponse *ls = (const Csi__V1__ListSnapshotsResponse *)r;
            for (size_t i = 0; i < ls->n_entries; i++) {
                json_array_append_new(ids, json_string(ls->entries[i]->snapshot->snapshot_id));
            }
            next = ls->next_token;
        }
        snprintf(token, sizeof token, "%s", next ? next : "");
        protobuf_c_message_free_unpacked(r, NULL);
        if (!*token) break;
    }
    json_decref(filters);
    return ids;
}

/* The listed ids are want (NULL-terminated), in any order, and nothing else but the
 * vendor driver's objects, which a list may or may not report: `allowed` (NULL for
 * none) or an id naming the vendor volume's path. */
static void expect_ids(const char *what, json_t *ids, const char *const *want, const char *allowed) {
    size_t n_want = 0;
    for (; want[n_want]; n_want++) {
        bool found = false;
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id) found = found || strcmp(json_string_value(id), want[n_want]) == 0;
        if (!found) safety_failf("%s: %s is not listed", what, want[n_want]);
    }
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
        const char *listed = json_string_value(id);
        bool wanted = allowed && (strcmp(listed, allowed) == 0 || strstr(listed, foreign.uuid_f));
        for (size_t w = 0; w < n_want; w++) wanted = wanted || strcmp(listed, want[w]) == 0;
        if (!wanted) safety_failf("%s: lists %s, which is not the driver's", what, listed);
    }
    json_decref(ids);
}

/* Class: ListVolumes and ListSnapshots report only objects that pass R4/R5 (R8): not
 * the administrator's quotas under the root export, not the other tenant's
 * directory, not the daily or the vendor-named snapshot; under the wildcard root
 * export the volume and snapshot in the tenant root, not the tenant root's quota and
 * snapshot nor the marked quotas and snapshot where no volume can be. */
void test_lists_only_ours(void **state) {
    (void)state;
    const char *vendor = safety_fmt("pvc-%s", foreign.uuid_f);
    const char *vendor_snap = safety_fmt("%lld", (long long)foreign.vendor_snapshot);
    expect_ids("ListVolumes", list_ids("ListVolumes", json_object()),
               (const char *[]){own.a, own.b, own.c, own.t, NULL}, vendor);
    expect_ids("ListSnapshots", list_ids("ListSnapshots", json_pack("{s:o}", "secrets", safety_secrets())),
               (const char *[]){own.snap_a, own.snap_t, NULL}, vendor_snap);
    expect_ids("ListSnapshots(source_volume_id own t)",
               list_ids("ListSnapshots", json_pack("{s:s, s:o}", "source_volume_id", own.t, "secrets",
                                                   safety_secrets())),
               (const char *[]){own.snap_t, NULL}, NULL);
    expect_ids("ListSnapshots(source_volume_id own a)",
               list_ids("ListSnapshots", json_pack("{s:s, s:o}", "source_volume_id", own.a, "secrets",
                                                   safety_secrets())),
               (const char *[]){own.snap_a, NULL}, NULL);
    const char *daily = safety_fmt("%lld", (long long)foreign.daily_snapshot);
    expect_ids(safety_fmt("ListSnapshots(snapshot_id %s)", daily),
               list_ids("ListSnapshots", json_pack("{s:s, s:o}", "snapshot_id", daily, "secrets", safety_secrets())),
               (const char *[]){NULL}, NULL);
    const char *team = safety_fmt("vk1::%lld:/data/team", (long long)foreign.tenant);
    expect_ids(safety_fmt("ListSnapshots(source_volume_id %s)", team),
               list_ids("ListSnapshots", json_pack("{s:s, s:o}", "source_volume_id", team, "secrets",
                                                   safety_secrets())),
               (const char *[]){NULL}, NULL);
    foreign_unchanged("ListVolumes, ListSnapshots");
    safety_end_case();
}

static void expect_ok(const char *what, const char *method, json_t *request) {
    vk_status st;
    safety_expect(what, safety_call(method, request, NULL, &st), &st, VK_OK, NULL);
}

/* Nothing of the volume at path is left on the simulator: no quota, view or snapshot
 * at it, no directory. */
static void expect_volume_gone(const char *path) {
    static const char *const collections[] = {"quotas", "views", "snapshots"};
    for (size_t c = 0; c < 3; c++) {
        const char *p = strcmp(collections[c], "snapshots") == 0 ? safety_fmt("%s/", path) : path;
        json_t *left = foreign_find(collections[c], "path", p);
        if (json_array_size(left)) safety_failf("DeleteVolume: %s at %s are left", collections[c], p);
        json_decref(left);
    }
    struct stat st;
    if (lstat(safety_fmt("%s%s", safety.fs, path), &st) == 0) safety_failf("DeleteVolume: directory %s is left", path);
}

/* Class: positive controls. The driver's own volumes and snapshot still answer OK to
 * Get, Validate, Expand, Modify, CreateSnapshot, DeleteSnapshot and DeleteVolume, and
 * the deletes remove them completely. */
void test_own_objects_still_work(void **state) {
    (void)state;
    expect_ok("ControllerGetVolume(own a)", "ControllerGetVolume", json_pack("{s:s}", "volume_id", own.a));
    expect_ok("ControllerGetVolume(own t, in a tenant root)", "ControllerGetVolume",
              json_pack("{s:s}", "volume_id", own.t));
    vk_status st;
    ProtobufCMessage *r = NULL;
    vk_code code = safety_call("ValidateVolumeCapabilities",
                                        json_pack("{s:s, s:[o], s:o}", "volume_id", own.a, "volume_capabilities",
                                                  safety_capability(), "secrets", safety_secrets()),
                                        &r, &st);
    if (safety_expect("ValidateVolumeCapabilities(own a)", code, &st, VK_OK, NULL) &&
        !((Csi__V1__ValidateVolumeCapabilitiesResponse *)r)->confirmed) {
        safety_failf("ValidateVolumeCapabilities(own a): not confirmed");
    }
    if (r) protobuf_c_message_free_unpacked(r, NULL);

    const json_int_t two_gib = (json_int_t)2 << 30;
    expect_ok("ControllerExpandVolume(own a, 2 GiB)", "ControllerExpandVolume",
              json_pack("{s:s, s:{s:I}, s:o}", "volume_id", own.a, "capacity_range", "required_bytes", two_gib,
                        "secrets", safety_secrets()));
    json_t *quota = foreign_find("quotas", "path", own.pa);
    json_int_t limit = json_integer_value(json_object_get(json_array_get(quota, 0), "hard_limit"));
    if (limit != two_gib) safety_failf("ControllerExpandVolume(own a): hard_limit %lld, not 2 GiB", (long long)limit);
    json_decref(quota);
    expect_ok("ControllerModifyVolume(own a)", "ControllerModifyVolume",
              json_pack("{s:s, s:o, s:{s:s}}", "volume_id", own.a, "secrets", safety_secrets(), "mutable_parameters",
                        "qos_policy", SAFETY_QOS));

    r = NULL;
    code = safety_call("CreateSnapshot",
                       json_pack("{s:s, s:s, s:o}", "name", "csi-safety-snap-b", "source_volume_id", own.b, "secrets",
                                 safety_secrets()),
                       &r, &st);
    const char *snap_b = created_snapshot_id(r);
    if (safety_expect("CreateSnapshot(own b)", code, &st, VK_OK, NULL) && snap_b) {
        expect_ok("DeleteSnapshot(own b's)", "DeleteSnapshot",
                  json_pack("{s:s, s:o}", "snapshot_id", snap_b, "secrets", safety_secrets()));
    }
    if (r) protobuf_c_message_free_unpacked(r, NULL);

    /* a read-only restore of the driver's own snapshot is the driver's: the other side
     * of the foreign restores refused in test_volume_ids.c */
    json_t *req = safety_create_volume_req("csi-safety-ro");
    json_object_set_new(req, "volume_content_source", json_pack("{s:{s:s}}", "snapshot", "snapshot_id", own.snap_a));
    json_array_set_new(json_object_get(req, "volume_capabilities"), 0,
                       json_pack("{s:{s:s}, s:{}}", "access_mode", "mode", "MULTI_NODE_READER_ONLY", "mount"));
    r = NULL;
    code = safety_call("CreateVolume", req, &r, &st);
    const char *ro = created_volume_id(r);
    if (safety_expect("CreateVolume(read-only, from own a's snapshot)", code, &st, VK_OK, NULL) && ro) {
        if (!strstr(ro, "/.snapshot/")) safety_failf("CreateVolume(read-only restore): id %s is not a restore", ro);
        expect_ok(safety_fmt("ControllerGetVolume(%s)", ro), "ControllerGetVolume",
                  json_pack("{s:s}", "volume_id", ro));
        expect_ok(safety_fmt("DeleteVolume(%s)", ro), "DeleteVolume",
                  json_pack("{s:s, s:o}", "volume_id", ro, "secrets", safety_secrets()));
    }
    if (r) protobuf_c_message_free_unpacked(r, NULL);
    expect_ok("DeleteSnapshot(own a's)", "DeleteSnapshot",
              json_pack("{s:s, s:o}", "snapshot_id", own.snap_a, "secrets", safety_secrets()));
    expect_ok("DeleteSnapshot(own t's)", "DeleteSnapshot",
              json_pack("{s:s, s:o}", "snapshot_id", own.snap_t, "secrets", safety_secrets()));

    const char *ids[] = {own.a, own.b, own.c, own.t};
    const char *paths[] = {own.pa, own.pb, own.pc, own.pt};
    for (size_t i = 0; i < 4; i++) {
        expect_ok(safety_fmt("DeleteVolume(%s)", ids[i]), "DeleteVolume",
                  json_pack("{s:s, s:o}", "volume_id", ids[i], "secrets", safety_secrets()));
        expect_volume_gone(paths[i]);
    }
    safety_end_case();
}

/* Class: positive controls for the vendor driver's objects (R2, R5): its volume at
 * /k8s/pvc-<uuid> whose quota's name holds the id, and its snapshot named by the
 * external-snapshotter, are still served: Get, Expand, GetSnapshot, DeleteSnapshot and
 * DeleteVolume work on them and the deletes remove them. */
void test_vendor_objects_still_work(void **state) {
    (void)state;
    const char *id = safety_fmt("pvc-%s", foreign.uuid_f);
    const char *path = safety_fmt("/k8s/%s", id);
    const char *snap = safety_fmt("%lld", (long long)foreign.vendor_snapshot);
    expect_ok(safety_fmt("ControllerGetVolume(%s)", id), "ControllerGetVolume", json_pack("{s:s}", "volume_id", id));
    const json_int_t six_gib = (json_int_t)6 << 30;
    expect_ok(safety_fmt("ControllerExpandVolume(%s, 6 GiB)", id), "ControllerExpandVolume",
              json_pack("{s:s, s:{s:I}, s:o}", "volume_id", id, "capacity_range", "required_bytes", six_gib,
                        "secrets", safety_secrets()));
    json_t *quota = foreign_find("quotas", "path", path);
    json_int_t limit = json_integer_value(json_object_get(json_array_get(quota, 0), "hard_limit"));
    if (limit != six_gib) safety_failf("ControllerExpandVolume(%s): hard_limit %lld, not 6 GiB", id, (long long)limit);
    json_decref(quota);
    expect_ok(safety_fmt("GetSnapshot(%s)", snap), "GetSnapshot",
              json_pack("{s:s, s:o}", "snapshot_id", snap, "secrets", safety_secrets()));
    expect_ok(safety_fmt("DeleteSnapshot(%s)", snap), "DeleteSnapshot",
              json_pack("{s:s, s:o}", "snapshot_id", snap, "secrets", safety_secrets()));
    expect_ok(safety_fmt("DeleteVolume(%s)", id), "DeleteVolume",
              json_pack("{s:s, s:o}", "volume_id", id, "secrets", safety_secrets()));
    expect_volume_gone(path);
    safety_end_case();
}

/* Class: secrets and memory. After every hostile call the driver's log holds no VMS
 * password (the replies were checked one by one) and, in a sanitizer build, no report. */
void test_driver_log_clean(void **state) {
    (void)state;
    safety_expect_clean_log();
    safety_end_case();
}

/* Class: the whole run. Every foreign object (VMS JSON and files) is as it was before
 * the first hostile call; only the driver's own objects (named csi-safety-*) and the
 * vendor volume of the positive control changed. */
void test_foreign_intact_at_end(void **state) {
    (void)state;
    /* what the positive controls changed: the driver's own objects and the vendor's */
    foreign_intact_since_start("the whole run", (const char *[]){"csi-safety-", foreign.uuid_f, NULL});
    safety_end_case();
}
