/* Forged snapshot ids and forged snapshot sources (R3, R5, R6): a hand-written
 * VolumeSnapshotContent names an administrator's protection snapshot by its VAST id,
 * with a cluster suffix, or in the driver's own format with another path or tenant; a
 * VolumeSnapshot's source is a forged volume id. */
#include "cases.h"

/* Class: CreateSnapshot whose source is a forged volume id (R6: NOT_FOUND; no snapshot
 * of a directory that is not a volume, whose restore would copy foreign data into a
 * PVC). */
void test_create_snapshot_forged_source(void **state) {
    (void)state;
    size_t n;
    const hostile_id *ids = hostile_volume_ids(&n);
    for (size_t i = 0; i < n; i++) {
        json_t *req = json_pack("{s:s, s:s, s:o}", "name", safety_fmt("csi-safety-forged-snap-%zu", i),
                                "source_volume_id", ids[i].id, "secrets", safety_secrets());
        hostile_call(safety_fmt("CreateSnapshot(source %s)", ids[i].id), "CreateSnapshot", req,
                     VK_NOT_FOUND, ids[i].needle);
    }
    safety_end_case();
}

/* Class: GetSnapshot of a forged id (R5, R6: NOT_FOUND). */
void test_get_snapshot_forged(void **state) {
    (void)state;
    size_t n;
    const hostile_id *ids = hostile_snapshot_ids(&n);
    for (size_t i = 0; i < n; i++) {
        hostile_call(safety_fmt("GetSnapshot(%s)", ids[i].id), "GetSnapshot",
                     json_pack("{s:s, s:o}", "snapshot_id", ids[i].id, "secrets", safety_secrets()),
                     VK_NOT_FOUND, ids[i].needle);
    }
    safety_end_case();
}

/* Class: DeleteSnapshot of a forged id (R5, R6: OK and nothing deleted, the daily
 * protection snapshot above all; R3: FAILED_PRECONDITION naming the cluster). */
void test_delete_snapshot_forged(void **state) {
    (void)state;
    size_t n;
    const hostile_id *ids = hostile_snapshot_ids(&n);
    for (size_t i = 0; i < n; i++) {
        hostile_call(safety_fmt("DeleteSnapshot(%s)", ids[i].id), "DeleteSnapshot",
                     json_pack("{s:s, s:o}", "snapshot_id", ids[i].id, "secrets", safety_secrets()),
                     ids[i].delete_code, ids[i].delete_needle);
    }
    safety_end_case();
}
