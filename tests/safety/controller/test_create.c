/* CreateVolume and friends with hostile parameters (R6, R7): a content source naming a
 * foreign snapshot or directory, a root_export that escapes or is not configured, one
 * with a trailing '/', and strings with an embedded NUL byte (which C code reading the
 * decoded message would see cut short, naming another object). */
#include "cases.h"

#include <stdlib.h>
#include <string.h>

/* A CreateVolume request named name with a content source (kind "snapshot" or
 * "volume", the id). */
static json_t *create_from(const char *name, const char *kind, const char *id) {
    json_t *req = safety_create_volume_req(name);
    const char *field = strcmp(kind, "snapshot") == 0 ? "snapshot_id" : "volume_id";
    json_object_set_new(req, "volume_content_source", json_pack("{s:{s:s}}", kind, field, id));
    return req;
}

/* Class: CreateVolume from a forged snapshot or volume source (R6: NOT_FOUND; no clone
 * stream copies an administrator's data into a new volume). */
void test_create_volume_forged_source(void **state) {
    (void)state;
    size_t n;
    const hostile_id *snaps = hostile_snapshot_ids(&n);
    for (size_t i = 0; i < n; i++) {
        hostile_call(safety_fmt("CreateVolume(from snapshot %s)", snaps[i].id), "CreateVolume",
                     create_from(safety_fmt("csi-safety-from-snap-%zu", i), "snapshot", snaps[i].id),
                     VK_NOT_FOUND, snaps[i].needle);
    }
    const hostile_id *vols = hostile_volume_ids(&n);
    for (size_t i = 0; i < n; i++) {
        hostile_call(safety_fmt("CreateVolume(from volume %s)", vols[i].id), "CreateVolume",
                     create_from(safety_fmt("csi-safety-from-vol-%zu", i), "volume", vols[i].id),
                     VK_NOT_FOUND, vols[i].needle);
    }
    safety_end_case();
}

static json_t *with_root(const char *name, const char *root) {
    json_t *req = safety_create_volume_req(name);
    json_object_set_new(json_object_get(req, "parameters"), "root_export", json_string(root));
    return req;
}

/* Class: root_export with '.' or '..', relative, or not one of --root-exports (R7:
 * INVALID_ARGUMENT; nothing is made, not even a directory). */
void test_root_export_invalid(void **state) {
    (void)state;
    static const struct {
        const char *root, *needle;
    } cases[] = {
        {"/k8s/./x", "/k8s/./x"},          {"k8s", "k8s"},
        {"/k8s/../data", "/k8s/../data"},  {"/elsewhere", "--root-exports"},
        {"/data/team", "--root-exports"},  {"/k8s/admin-dir", "--root-exports"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hostile_call(safety_fmt("CreateVolume(root_export %s)", cases[i].root), "CreateVolume",
                     with_root(safety_fmt("csi-safety-root-%zu", i), cases[i].root), VK_INVALID_ARGUMENT,
                     cases[i].needle);
    }
    safety_end_case();
}

/* Class: root_export "/k8s/" (R7: normalised once): the volume's id names a canonical
 * path, it round-trips through ControllerGetVolume and ControllerExpandVolume, and
 * DeleteVolume removes the volume completely (the simulator is as before the create). */
void test_root_export_trailing_slash(void **state) {
    (void)state;
    vk_status st;
    ProtobufCMessage *r = NULL;
    vk_code code = safety_call("CreateVolume", with_root("csi-safety-slash", "/k8s/"), &r, &st);
    const char *made = created_volume_id(r);
    char id[512] = "";
    if (made) snprintf(id, sizeof id, "%s", made);
    if (r) protobuf_c_message_free_unpacked(r, NULL);
    if (!safety_expect("CreateVolume(root_export /k8s/)", code, &st, VK_OK, NULL) || !*id) {
        safety_end_case();
        return;
    }
    const char *path = safety_id_path(id);
    if (!path || strncmp(path, "/k8s/", 5) != 0 || !path[5] || strchr(path + 5, '/')) {
        safety_failf("CreateVolume(root_export /k8s/): id %s does not name a canonical /k8s/<dir>", id);
    }
    code = safety_call("ControllerGetVolume", json_pack("{s:s}", "volume_id", id), NULL, &st);
    safety_expect(safety_fmt("ControllerGetVolume(%s)", id), code, &st, VK_OK, NULL);
    code = safety_call("ControllerExpandVolume",
                       json_pack("{s:s, s:{s:I}, s:o}", "volume_id", id, "capacity_range", "required_bytes",
                                 (json_int_t)2 << 30, "secrets", safety_secrets()),
                       NULL, &st);
    safety_expect(safety_fmt("ControllerExpandVolume(%s)", id), code, &st, VK_OK, NULL);
    code = safety_call("DeleteVolume", json_pack("{s:s, s:o}", "volume_id", id, "secrets", safety_secrets()), NULL,
                       &st);
    safety_expect(safety_fmt("DeleteVolume(%s)", id), code, &st, VK_OK, NULL);
    foreign_unchanged(safety_fmt("CreateVolume(root_export /k8s/), then DeleteVolume(%s)", id));
    safety_end_case();
}

/* A raw map<string,string> entry field: key = value bytes (value holds a NUL). */
static safety_raw_field map_field(uint32_t number, const char *key, const char *value, size_t value_len,
                                  uint8_t **keep) {
    size_t len;
    *keep = safety_map_entry(key, (const uint8_t *)value, value_len, &len);
    return (safety_raw_field){number, *keep, len};
}

/* Class: a NUL byte inside a string field (R7: INVALID_ARGUMENT before anything is
 * decoded): a name, a parameter, a secret, a volume id and a snapshot id whose text
 * before the NUL names something else (another volume, the driver's own volume, the
 * root above a foreign directory). */
void test_nul_bytes(void **state) {
    (void)state;
    /* the name: "csi-safety-nul" + NUL + "evil" must not become volume "csi-safety-nul" */
    static const char name[] = "csi-safety-nul\0evil";
    json_t *req = safety_create_volume_req("placeholder");
    json_object_del(req, "name");
    safety_raw_field f = {1, (const uint8_t *)name, sizeof name - 1};
    hostile_call_raw("CreateVolume(name with a NUL)", "CreateVolume", req, &f, 1, VK_INVALID_ARGUMENT, NULL);

    /* a parameter: root_export "/k8s" + NUL + "/../data/team" */
    static const char root[] = "/k8s\0/../data/team";
    uint8_t *entry;
    req = safety_create_volume_req("csi-safety-nul-param");
    json_object_del(json_object_get(req, "parameters"), "root_export");
    f = map_field(4, "root_export", root, sizeof root - 1, &entry);
    hostile_call_raw("CreateVolume(root_export with a NUL)", "CreateVolume", req, &f, 1,
                     VK_INVALID_ARGUMENT, NULL);
    free(entry);

    /* a secret: the password before the NUL is the right one */
    size_t pw_len = strlen(safety.password);
    char *password = malloc(pw_len + 8);
    if (!password) abort();
    memcpy(password, safety.password, pw_len);
    memcpy(password + pw_len, "\0junk", 5);
    req = safety_create_volume_req("csi-safety-nul-secret");
    json_object_del(json_object_get(req, "secrets"), "password");
    f = map_field(5, "password", password, pw_len + 5, &entry);
    free(password);
    hostile_call_raw("CreateVolume(secret with a NUL)", "CreateVolume", req, &f, 1, VK_INVALID_ARGUMENT,
                     NULL);
    free(entry);

    /* a volume id that is the driver's own volume c up to the NUL */
    size_t c_len = strlen(own.c);
    char *id = malloc(c_len + 32);
    if (!id) abort();
    memcpy(id, own.c, c_len);
    memcpy(id + c_len, "\0/../../data/team", 17);
    f = (safety_raw_field){1, (const uint8_t *)id, c_len + 17};
    hostile_call_raw("DeleteVolume(own volume c + NUL + more)", "DeleteVolume",
                     json_pack("{s:o}", "secrets", safety_secrets()), &f, 1, VK_INVALID_ARGUMENT, NULL);
    hostile_call_raw("ControllerExpandVolume(own volume c + NUL + more)", "ControllerExpandVolume",
                     json_pack("{s:{s:I}, s:o}", "capacity_range", "required_bytes", (json_int_t)1 << 50, "secrets",
                               safety_secrets()),
                     &f, 1, VK_INVALID_ARGUMENT, NULL);
    free(id);

    /* a snapshot id that is the driver's own snapshot up to the NUL */
    size_t s_len = strlen(own.snap_a);
    char *snap = malloc(s_len + 8);
    if (!snap) abort();
    memcpy(snap, own.snap_a, s_len);
    memcpy(snap + s_len, "\0x", 2);
    f = (safety_raw_field){1, (const uint8_t *)snap, s_len + 2};
    hostile_call_raw("DeleteSnapshot(own snapshot + NUL + x)", "DeleteSnapshot",
                     json_pack("{s:o}", "secrets", safety_secrets()), &f, 1, VK_INVALID_ARGUMENT, NULL);

    /* nested: a content source's snapshot id that is the driver's own snapshot up to the
     * NUL (CreateVolumeRequest.volume_content_source = 6, .snapshot = 1, .snapshot_id = 1) */
    size_t inner_len, source_len;
    uint8_t *inner = safety_field_bytes(1, (const uint8_t *)snap, s_len + 2, &inner_len);
    uint8_t *source = safety_field_bytes(1, inner, inner_len, &source_len);
    f = (safety_raw_field){6, source, source_len};
    hostile_call_raw("CreateVolume(from snapshot: own snapshot + NUL + x)", "CreateVolume",
                     safety_create_volume_req("csi-safety-nul-source"), &f, 1, VK_INVALID_ARGUMENT, NULL);
    free(inner);
    free(source);
    free(snap);

    /* a snapshot name that is the driver's own snapshot's up to the NUL */
    static const char snap_name[] = "csi-safety-snap-a\0x";
    f = (safety_raw_field){2, (const uint8_t *)snap_name, sizeof snap_name - 1};
    hostile_call_raw("CreateSnapshot(name with a NUL)", "CreateSnapshot",
                     json_pack("{s:s, s:o}", "source_volume_id", own.a, "secrets", safety_secrets()), &f, 1,
                     VK_INVALID_ARGUMENT, NULL);
    safety_end_case();
}

/* Class: CreateVolume names that are paths, or the names of directories under the root
 * that are not the driver's (R1, R4). A name never escapes the root: the volume is one
 * component under it, and deleting it leaves everything else as it was. A name whose
 * directory already holds someone else's data (the administrator's quota, another
 * tenant's directory, a directory with a quota beneath) is ALREADY_EXISTS: the driver
 * must not adopt a foreign directory as a new volume, which would hand its data to a
 * PVC and let a later DeleteVolume destroy it. */
void test_hostile_names(void **state) {
    (void)state;
    static const char *const paths[] = {"../../data/team", "a/b", "..", ".", ".snapshot", "/k8s/admin-dir"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const char *what = safety_fmt("CreateVolume(name %s)", paths[i]);
        vk_status st;
        ProtobufCMessage *r = NULL;
        vk_code code = safety_call("CreateVolume", safety_create_volume_req(paths[i]), &r, &st);
        const char *made = created_volume_id(r);
        char id[512] = "";
        if (made) snprintf(id, sizeof id, "%s", made);
        if (r) protobuf_c_message_free_unpacked(r, NULL);
        if (!safety_expect(what, code, &st, VK_OK, NULL) || !*id) continue;
        const char *path = safety_id_path(id);
        if (!path || strncmp(path, "/k8s/", 5) != 0 || !path[5] || path[5] == '.' || strchr(path + 5, '/')) {
            safety_failf("%s: volume %s is not one component under /k8s", what, id);
            continue; /* not deleted: its delete could reach what it names */
        }
        code = safety_call("DeleteVolume", json_pack("{s:s, s:o}", "volume_id", id, "secrets", safety_secrets()),
                           NULL, &st);
        safety_expect(safety_fmt("DeleteVolume(%s)", id), code, &st, VK_OK, NULL);
        foreign_unchanged(safety_fmt("%s, then DeleteVolume(%s)", what, id));
    }
    static const struct {
        const char *name;
        int gib; /* the existing quota's size: a size match must not make it "the same volume" */
    } taken[] = {{"admin-dir", 5}, {"forged-mark", 2}, {"admin-nest", 1}, {NULL, 7}};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
        const char *name = taken[i].name ? taken[i].name : safety_fmt("pvc-%s", foreign.uuid_c);
        json_t *req = safety_create_volume_req(name);
        json_object_set_new(json_object_get(req, "capacity_range"), "required_bytes",
                            json_integer((json_int_t)taken[i].gib << 30));
        const char *what = safety_fmt("CreateVolume(name %s, %d GiB: a foreign directory)", name, taken[i].gib);
        vk_status st;
        ProtobufCMessage *r = NULL;
        vk_code code = safety_call("CreateVolume", req, &r, &st);
        safety_expect(what, code, &st, VK_ALREADY_EXISTS, name);
        const char *made = created_volume_id(r);
        if (code == VK_OK && made && safety_id_path(made)) {
            /* adopted: undone as the administrator, since a DeleteVolume would take the
             * directory's data with it */
            print_error("    (%s made %s: its quota and view are removed again, the data stays)\n", what, made);
            foreign_remove_adopted(safety_id_path(made));
        }
        if (r) protobuf_c_message_free_unpacked(r, NULL);
        foreign_unchanged(what);
    }
    safety_end_case();
}
