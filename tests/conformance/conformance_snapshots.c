/* csi-sanity's snapshot blocks from pkg/sanity/controller.go: "CreateSnapshot" (5),
 * "DeleteSnapshot" (3), "ListSnapshots" (7) and "GetSnapshot" (3) [Controller Server].
 * Every block is gated in its BeforeEach, as sanity does. */
#include "conformance.h"

#include <stdio.h>
#include <string.h>

#define CAP(name) CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__##name

/* ---------- CreateSnapshot ---------- */

static void create_gate(void) {
    conf_require_controller_cap(CAP(CREATE_DELETE_SNAPSHOT), "CreateSnapshot not supported");
}

static void create_snapshot_no_name(void **state) {
    (void)state;
    create_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_create_snapshot(json_pack("{s:s}", "source_volume_id", "testId"), NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "CreateSnapshot without name");
}

static void create_snapshot_no_source(void **state) {
    (void)state;
    create_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_create_snapshot(json_pack("{s:s}", "name", "name"), NULL, &st), VK_INVALID_ARGUMENT,
                     &st, "CreateSnapshot without source_volume_id");
}

static void create_snapshot_same_name_same_source(void **state) {
    (void)state;
    create_gate();
    Csi__V1__CreateVolumeResponse *volume =
        conf_must_create_volume(conf_make_create_volume_req(conf_unique("CreateSnapshot-volume-1")));
    const char *name = conf_unique("CreateSnapshot-snapshot-1");
    Csi__V1__CreateSnapshotResponse *first =
        conf_must_create_snapshot(conf_make_create_snapshot_req(name, volume->volume->volume_id));
    /* creating a snapshot with the same name and source volume ID */
    Csi__V1__CreateSnapshotResponse *second =
        conf_must_create_snapshot(conf_make_create_snapshot_req(name, volume->volume->volume_id));
    (void)first, (void)second; /* sanity does not compare them */
}

static void create_snapshot_same_name_other_source(void **state) {
    (void)state;
    create_gate();
    const char *snapshot_name = conf_unique("CreateSnapshot-snapshot-2");
    conf_must_create_snapshot_from_volume_request(conf_make_create_volume_req(conf_unique("CreateSnapshot-volume-2")),
                                                  snapshot_name, NULL);
    /* creating a new source volume */
    Csi__V1__CreateVolumeResponse *volume2 =
        conf_must_create_volume(conf_make_create_volume_req(conf_unique("CreateSnapshot-volume-3")));
    /* creating a snapshot with the same name but different source volume ID */
    vk_status st;
    CONF_EXPECT_CODE(
        conf_create_snapshot(conf_make_create_snapshot_req(snapshot_name, volume2->volume->volume_id), NULL, &st),
        VK_ALREADY_EXISTS, &st, "CreateSnapshot of an existing name from another volume");
}

static void create_snapshot_max_length_name(void **state) {
    (void)state;
    create_gate();
    Csi__V1__CreateVolumeResponse *volume =
        conf_must_create_volume(conf_make_create_volume_req(conf_unique("CreateSnapshot-volume-maxlen-name")));
    const char *name = conf_unique_len("CreateSnapshot-snapshot-maxlen", CONF_MAX_NAME_LENGTH);
    conf_must_create_snapshot(conf_make_create_snapshot_req(name, volume->volume->volume_id));
    conf_must_create_snapshot(conf_make_create_snapshot_req(name, volume->volume->volume_id));
}

/* ---------- DeleteSnapshot ---------- */

static void delete_gate(void) {
    conf_require_controller_cap(CAP(CREATE_DELETE_SNAPSHOT), "DeleteSnapshot not supported");
}

static void delete_snapshot_no_id(void **state) {
    (void)state;
    delete_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_delete_snapshot("", &st), VK_INVALID_ARGUMENT, &st,
                     "DeleteSnapshot without snapshot_id");
}

static void delete_snapshot_invalid_id(void **state) {
    (void)state;
    delete_gate();
    vk_status st;
    CONF_EXPECT_OK(conf_delete_snapshot("reallyfakesnapshotid", &st), &st,
                   "DeleteSnapshot of \"reallyfakesnapshotid\"");
}

static void delete_snapshot_appropriate_values(void **state) {
    (void)state;
    delete_gate();
    Csi__V1__CreateVolumeResponse *volume;
    vk_status st;
    CONF_EXPECT_OK(
        conf_create_volume(conf_make_create_volume_req(conf_unique("DeleteSnapshot-volume-1")), &volume, &st), &st,
        "CreateVolume");
    conf_must_create_snapshot(
        conf_make_create_snapshot_req(conf_unique("DeleteSnapshot-snapshot-1"), volume->volume->volume_id));
    /* as in sanity, the snapshot is deleted by the cleanup, which must succeed */
}

/* ---------- ListSnapshots ---------- */

static void list_gate(void) { conf_require_controller_cap(CAP(LIST_SNAPSHOTS), "ListSnapshots not supported"); }

static Csi__V1__ListSnapshotsResponse *must_list(json_t *request) {
    Csi__V1__ListSnapshotsResponse *snapshots;
    vk_status st;
    CONF_EXPECT_OK(conf_call("ListSnapshots", request, &snapshots, &st), &st, "ListSnapshots");
    assert_non_null(snapshots);
    return snapshots;
}

/* Three volumes with a snapshot each; returns the middle one's snapshot. */
static Csi__V1__CreateSnapshotResponse *target_among_unrelated(const char *kind, char tag) {
    conf_must_create_snapshot_from_volume_request(
        conf_make_create_volume_req(conf_unique(conf_fmt("%s-volume-unrelated-%c-1", kind, tag))),
        conf_unique(conf_fmt("%s-snapshot-unrelated-%c-1", kind, tag)), NULL);
    Csi__V1__CreateSnapshotResponse *target = conf_must_create_snapshot_from_volume_request(
        conf_make_create_volume_req(conf_unique(conf_fmt("%s-volume-target-%c", kind, tag))),
        conf_unique(conf_fmt("%s-snapshot-target-%c", kind, tag)), NULL);
    conf_must_create_snapshot_from_volume_request(
        conf_make_create_volume_req(conf_unique(conf_fmt("%s-volume-unrelated-%c-2", kind, tag))),
        conf_unique(conf_fmt("%s-snapshot-unrelated-%c-2", kind, tag)), NULL);
    return target;
}

static void list_snapshots_appropriate_values(void **state) {
    (void)state;
    list_gate();
    Csi__V1__ListSnapshotsResponse *snapshots = must_list(NULL);
    for (size_t i = 0; i < snapshots->n_entries; i++) conf_verify_snapshot_info(snapshots->entries[i]->snapshot);
}

static void list_snapshots_by_snapshot_id(void **state) {
    (void)state;
    list_gate();
    Csi__V1__CreateSnapshotResponse *target = target_among_unrelated("listSnapshots", 's');
    const char *id = target->snapshot->snapshot_id;
    Csi__V1__ListSnapshotsResponse *snapshots = must_list(json_pack("{s:s}", "snapshot_id", id));
    if (snapshots->n_entries != 1) {
        CONF_FAIL("ListSnapshots snapshot_id=%s: %zu entries, expected 1", id, snapshots->n_entries);
    }
    conf_verify_snapshot_info(snapshots->entries[0]->snapshot);
    if (strcmp(snapshots->entries[0]->snapshot->snapshot_id, id) != 0) {
        CONF_FAIL("ListSnapshots snapshot_id=%s listed %s", id, snapshots->entries[0]->snapshot->snapshot_id);
    }
}

static void list_snapshots_missing_snapshot_id(void **state) {
    (void)state;
    list_gate();
    Csi__V1__ListSnapshotsResponse *snapshots = must_list(json_pack("{s:s}", "snapshot_id", "none-exist-id"));
    if (snapshots->n_entries != 0) {
        CONF_FAIL("ListSnapshots snapshot_id=none-exist-id: %zu entries, expected none", snapshots->n_entries);
    }
}

static void list_snapshots_by_source_volume_id(void **state) {
    (void)state;
    list_gate();
    Csi__V1__CreateSnapshotResponse *target = target_among_unrelated("listSnapshots", 'v');
    const char *source = target->snapshot->source_volume_id;
    Csi__V1__ListSnapshotsResponse *snapshots = must_list(json_pack("{s:s}", "source_volume_id", source));
    if (snapshots->n_entries != 1) {
        CONF_FAIL("ListSnapshots source_volume_id=%s: %zu entries, expected 1", source, snapshots->n_entries);
    }
    const Csi__V1__Snapshot *snapshot = snapshots->entries[0]->snapshot;
    conf_verify_snapshot_info(snapshot);
    if (strcmp(snapshot->source_volume_id, source) != 0) {
        CONF_FAIL("ListSnapshots source_volume_id=%s listed a snapshot of %s", source, snapshot->source_volume_id);
    }
}

static void list_snapshots_missing_source_volume_id(void **state) {
    (void)state;
    list_gate();
    const char *missing = conf_fake_volume_id();
    Csi__V1__ListSnapshotsResponse *snapshots = must_list(json_pack("{s:s}", "source_volume_id", missing));
    if (snapshots->n_entries != 0) {
        CONF_FAIL("ListSnapshots source_volume_id=%s: %zu entries, expected none", missing, snapshots->n_entries);
    }
}

static void list_snapshots_presence(void **state) {
    (void)state;
    list_gate();
    size_t total = must_list(NULL)->n_entries;

    /* creating a snapshot */
    Csi__V1__CreateSnapshotResponse *snapshot = conf_must_create_snapshot_from_volume_request(
        conf_make_create_volume_req(conf_unique("listSnapshots-volume-3")), conf_unique("listSnapshots-snapshot-3"),
        NULL);
    conf_verify_snapshot_info(snapshot->snapshot);
    size_t n = must_list(NULL)->n_entries;
    if (n != total + 1) CONF_FAIL("ListSnapshots after CreateSnapshot: %zu entries, expected %zu", n, total + 1);

    /* deleting the snapshot */
    vk_status st;
    CONF_EXPECT_OK(conf_delete_snapshot(snapshot->snapshot->snapshot_id, &st), &st, "DeleteSnapshot");

    /* checking if deleted snapshot is omitted */
    n = must_list(NULL)->n_entries;
    if (n != total) CONF_FAIL("ListSnapshots after DeleteSnapshot: %zu entries, expected %zu", n, total);
}

static void list_snapshots_next_token(void **state) {
    (void)state;
    list_gate();
    const size_t min_snapshot_count = 5;
    const int max_entries = 2;
    size_t initial = must_list(NULL)->n_entries;
    size_t current = initial;
    if (initial < min_snapshot_count) {
        /* creating required new volumes */
        size_t required = min_snapshot_count - initial;
        for (size_t i = 1; i <= required; i++) {
            Csi__V1__CreateSnapshotResponse *snapshot = conf_must_create_snapshot_from_volume_request(
                conf_make_create_volume_req(conf_unique(conf_fmt("volume%zu", i))),
                conf_unique(conf_fmt("snapshot%zu", i)), NULL);
            conf_verify_snapshot_info(snapshot->snapshot);
        }
        current += required;
    }

    Csi__V1__ListSnapshotsResponse *page = must_list(json_pack("{s:i}", "max_entries", max_entries));
    const char *next_token = page->next_token ? page->next_token : "";
    if (page->n_entries != (size_t)max_entries) {
        CONF_FAIL("ListSnapshots max_entries=%d: %zu entries", max_entries, page->n_entries);
    }
    /* implied by the next check, but clearer when it fails: more entries remain, so the
     * page must say where to go on */
    if (!*next_token) {
        CONF_FAIL("ListSnapshots max_entries=%d of %zu snapshots: next_token is empty", max_entries, current);
    }

    /* starting_token and no max_entries: all the rest at once */
    Csi__V1__ListSnapshotsResponse *rest = must_list(json_pack("{s:s}", "starting_token", next_token));
    if (rest->n_entries != current - (size_t)max_entries) {
        CONF_FAIL("ListSnapshots starting_token=%s: %zu entries, expected the remaining %zu", next_token,
                  rest->n_entries, current - (size_t)max_entries);
    }
}

/* ---------- GetSnapshot ---------- */

static void get_gate(void) { conf_require_controller_cap(CAP(GET_SNAPSHOT), "GetSnapshot not supported"); }

static void get_snapshot_empty_request(void **state) {
    (void)state;
    get_gate();
    vk_status st;
    CONF_EXPECT_ERROR(conf_call("GetSnapshot", NULL, NULL, &st), &st, "GetSnapshot with an empty request");
}

static void get_snapshot_by_id(void **state) {
    (void)state;
    get_gate();
    Csi__V1__CreateSnapshotResponse *target = target_among_unrelated("getSnapshot", 's');
    const char *id = target->snapshot->snapshot_id;
    Csi__V1__GetSnapshotResponse *snapshot;
    vk_status st;
    CONF_EXPECT_OK(conf_call("GetSnapshot", json_pack("{s:s}", "snapshot_id", id), &snapshot, &st), &st,
                   "GetSnapshot");
    assert_non_null(snapshot);
    conf_verify_snapshot_info(snapshot->snapshot);
    if (strcmp(snapshot->snapshot->snapshot_id, id) != 0) {
        CONF_FAIL("GetSnapshot %s returned snapshot %s", id, snapshot->snapshot->snapshot_id);
    }
}

static void get_snapshot_missing(void **state) {
    (void)state;
    get_gate();
    vk_status st;
    CONF_EXPECT_ERROR(conf_call("GetSnapshot", json_pack("{s:s}", "snapshot_id", "none-exist-id"), NULL, &st), &st,
                      "GetSnapshot of \"none-exist-id\"");
}

int main(void) {
    const struct CMUnitTest specs[] = {
        CONF_SPEC("CreateSnapshot should fail when no name is provided", create_snapshot_no_name),
        CONF_SPEC("CreateSnapshot should fail when no source volume id is provided", create_snapshot_no_source),
        CONF_SPEC("CreateSnapshot should succeed when requesting to create a snapshot with already existing name and "
                  "same source volume ID",
                  create_snapshot_same_name_same_source),
        CONF_SPEC("CreateSnapshot should fail when requesting to create a snapshot with already existing name and "
                  "different source volume ID",
                  create_snapshot_same_name_other_source),
        CONF_SPEC("CreateSnapshot should succeed when creating snapshot with maximum-length name",
                  create_snapshot_max_length_name),
        CONF_SPEC("DeleteSnapshot should fail when no snapshot id is provided", delete_snapshot_no_id),
        CONF_SPEC("DeleteSnapshot should succeed when an invalid snapshot id is used", delete_snapshot_invalid_id),
        CONF_SPEC("DeleteSnapshot should return appropriate values (no optional values added)",
                  delete_snapshot_appropriate_values),
        CONF_SPEC("ListSnapshots should return appropriate values (no optional values added)",
                  list_snapshots_appropriate_values),
        CONF_SPEC("ListSnapshots should return snapshots that match the specified snapshot id",
                  list_snapshots_by_snapshot_id),
        CONF_SPEC("ListSnapshots should return empty when the specified snapshot id does not exist",
                  list_snapshots_missing_snapshot_id),
        CONF_SPEC("ListSnapshots should return snapshots that match the specified source volume id",
                  list_snapshots_by_source_volume_id),
        CONF_SPEC("ListSnapshots should return empty when the specified source volume id does not exist",
                  list_snapshots_missing_source_volume_id),
        CONF_SPEC("ListSnapshots check the presence of new snapshots in the snapshot list", list_snapshots_presence),
        CONF_SPEC("ListSnapshots should return next token when a limited number of entries are requested",
                  list_snapshots_next_token),
        CONF_SPEC("GetSnapshot should return an error", get_snapshot_empty_request),
        CONF_SPEC("GetSnapshot should return snapshot that match the specified snapshot id", get_snapshot_by_id),
        CONF_SPEC("GetSnapshot should return an error when the specified snapshot id does not exist",
                  get_snapshot_missing),
        CONF_CHECK_NOTHING_LEFT,
    };
    return CONF_RUN("Snapshots [Controller Server]", specs);
}
