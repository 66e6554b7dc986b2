/* What the hostile cases share: the driver's own volumes and snapshot (positive
 * controls, made through CreateVolume/CreateSnapshot in the group setup), the forged
 * ids, and one step of every case: call, check the code and message, clean up what a
 * wrongly successful create made, prove the simulator unchanged.
 *
 * The rules the cases test (R1-R8) are the driver's ownership rules; see
 * docs/controller.md and include/vk/vast_owner.h. */
#ifndef VK_TESTS_SAFETY_CASES_H
#define VK_TESTS_SAFETY_CASES_H

#include "foreign.h"
#include "harness.h"

typedef struct {
    char a[512], b[512], c[512]; /* volume ids */
    const char *pa, *pb, *pc;    /* their paths (into the ids) */
    char snap_a[512];            /* snapshot of a */
    long long snap_a_vast_id;
    char t[512];                 /* a volume in the tenant root SAFETY_OWN_TENANT_ROOT */
    const char *pt;
    char snap_t[512];            /* snapshot of t */
} own_objects;

extern own_objects own;

/* A forged id and what each kind of call must answer for it. */
typedef struct {
    const char *id;
    vk_code delete_code; /* DeleteVolume / DeleteSnapshot */
    const char *delete_needle;    /* what a refusal must name (the cluster) */
    const char *needle;           /* what a NOT_FOUND must name */
} hostile_id;

/* Forged volume ids: not ids of this driver (R1, R2), objects that are not ours (R4),
 * or a cluster the secret does not hold (R3). */
const hostile_id *hostile_volume_ids(size_t *n);
/* Forged snapshot ids (R3, R5). */
const hostile_id *hostile_snapshot_ids(size_t *n);

/* One hostile call: `method` with request (consumed) must answer want and, when it is
 * an error, name needle. A create that wrongly succeeds is undone (its volume or
 * snapshot deleted) so the next case starts clean; then the simulator must be
 * unchanged. `what` names the case in failures. */
void hostile_call(const char *what, const char *method, json_t *request, vk_code want, const char *needle);
/* hostile_call with raw fields appended to the request's bytes (harness.h). */
void hostile_call_raw(const char *what, const char *method, json_t *request, const safety_raw_field *raw,
                      size_t n_raw, vk_code want, const char *needle);

/* The snapshot id of a CreateSnapshot answer; the volume id of a CreateVolume answer. */
const char *created_snapshot_id(const ProtobufCMessage *response);
const char *created_volume_id(const ProtobufCMessage *response);

/* ---- the tests, one class each (test_*.c) ---- */
void test_get_volume_forged(void **state);
void test_validate_forged(void **state);
void test_modify_forged(void **state);
void test_expand_forged(void **state);
void test_create_snapshot_forged_source(void **state);
void test_create_volume_forged_source(void **state);
void test_get_snapshot_forged(void **state);
void test_delete_snapshot_forged(void **state);
void test_delete_volume_forged(void **state);
void test_multi_cluster_secret(void **state);
void test_root_export_trailing_slash(void **state);
void test_root_export_invalid(void **state);
void test_nul_bytes(void **state);
void test_hostile_names(void **state);
void test_lists_only_ours(void **state);
void test_vendor_objects_still_work(void **state);
void test_own_objects_still_work(void **state);
void test_driver_log_clean(void **state);
void test_foreign_intact_at_end(void **state);

#endif
