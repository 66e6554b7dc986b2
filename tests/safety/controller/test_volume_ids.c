/* Forged volume ids at every Controller RPC that takes one (R1-R4, R6): a hand-written
 * PV or a careless copy names a directory the driver never made, a path that escapes the
 * root export, another tenant's volume, or a cluster the secret does not hold. Each call
 * must answer the exact code and leave the simulator as it was. */
#include "cases.h"

#include <stdlib.h>

typedef json_t *(*request_for)(const char *volume_id);

/* Runs method with the request for each forged id; every one must answer want
 * (NOT_FOUND naming the object), or each id's delete expectation when delete is set. */
static void each_forged_id(const char *method, request_for make, bool delete) {
    size_t n;
    const hostile_id *ids = hostile_volume_ids(&n);
    for (size_t i = 0; i < n; i++) {
        vk_code want = delete ? ids[i].delete_code : VK_NOT_FOUND;
        const char *needle = delete ? ids[i].delete_needle : ids[i].needle;
        hostile_call(safety_fmt("%s(%s)", method, ids[i].id), method, make(ids[i].id), want, needle);
    }
    safety_end_case();
}

static json_t *get_request(const char *id) { return json_pack("{s:s}", "volume_id", id); }

static json_t *validate_request(const char *id) {
    return json_pack("{s:s, s:[o], s:o}", "volume_id", id, "volume_capabilities", safety_capability(), "secrets",
                     safety_secrets());
}

static json_t *modify_request(const char *id) {
    return json_pack("{s:s, s:o, s:{s:s}}", "volume_id", id, "secrets", safety_secrets(), "mutable_parameters",
                     "qos_policy", SAFETY_QOS);
}

/* 1 PiB: what the forged-id expand once set on an administrator's quota */
static json_t *expand_request(const char *id) {
    return json_pack("{s:s, s:{s:I}, s:o, s:o}", "volume_id", id, "capacity_range", "required_bytes",
                     (json_int_t)1 << 50, "secrets", safety_secrets(), "volume_capability", safety_capability());
}

static json_t *delete_request(const char *id) {
    return json_pack("{s:s, s:o}", "volume_id", id, "secrets", safety_secrets());
}

/* Class: reads of a forged id (R6: NOT_FOUND; nothing is read into a reply). */
void test_get_volume_forged(void **state) {
    (void)state;
    each_forged_id("ControllerGetVolume", get_request, false);
}

/* Class: capability checks of a forged id (R6: NOT_FOUND, not "confirmed"). */
void test_validate_forged(void **state) {
    (void)state;
    each_forged_id("ValidateVolumeCapabilities", validate_request, false);
}

/* Class: VolumeAttributesClass changes of a forged id (R6: NOT_FOUND; no view's QoS
 * policy changes). */
void test_modify_forged(void **state) {
    (void)state;
    each_forged_id("ControllerModifyVolume", modify_request, false);
}

/* Class: expansion of a forged id (R6: NOT_FOUND; no quota's hard_limit changes). */
void test_expand_forged(void **state) {
    (void)state;
    each_forged_id("ControllerExpandVolume", expand_request, false);
}

/* Class: deletion of a forged id (R6: OK, the id names nothing of ours, and nothing is
 * deleted - nor logged as deleted; R3: a cluster the secret does not hold is
 * FAILED_PRECONDITION naming it). */
void test_delete_volume_forged(void **state) {
    (void)state;
    each_forged_id("DeleteVolume", delete_request, true);
    size_t n;
    const hostile_id *ids = hostile_volume_ids(&n);
    for (size_t i = 0; i < n; i++) safety_expect_log_lacks("volume deleted", safety_fmt("volume=%s ", ids[i].id));
    safety_end_case();
}

/* Class: a multi-cluster secret (key `clusters`) and ids of clusters it does not hold
 * (R3), and an id of the cluster it holds naming a foreign path (R1). */
void test_multi_cluster_secret(void **state) {
    (void)state;
    long long t = (long long)foreign.tenant;
    const char *other = safety_fmt("vk1:other:%lld:%s", t, own.pa);
    hostile_call(safety_fmt("DeleteVolume(%s) with a secret of cluster main", other), "DeleteVolume",
                 json_pack("{s:s, s:o}", "volume_id", other, "secrets", safety_multi_cluster_secrets("main")),
                 VK_FAILED_PRECONDITION, "other");
    hostile_call(safety_fmt("ControllerExpandVolume(%s) with a secret of cluster main", other),
                 "ControllerExpandVolume",
                 json_pack("{s:s, s:{s:I}, s:o}", "volume_id", other, "capacity_range", "required_bytes",
                           (json_int_t)1 << 50, "secrets", safety_multi_cluster_secrets("main")),
                 VK_NOT_FOUND, own.pa);
    /* the id's cluster is "" (a single-cluster secret's); this secret holds only main */
    hostile_call(safety_fmt("DeleteVolume(%s) with a secret of cluster main", own.a), "DeleteVolume",
                 json_pack("{s:s, s:o}", "volume_id", own.a, "secrets", safety_multi_cluster_secrets("main")),
                 VK_FAILED_PRECONDITION, NULL);
    const char *team = safety_fmt("vk1:main:%lld:/data/team", t);
    hostile_call(safety_fmt("DeleteVolume(%s) with a secret of cluster main", team), "DeleteVolume",
                 json_pack("{s:s, s:o}", "volume_id", team, "secrets", safety_multi_cluster_secrets("main")),
                 VK_OK, NULL);
    const char *snap = safety_fmt("vk1s:other:%lld:%lld:%s", t, own.snap_a_vast_id, own.pa);
    hostile_call(safety_fmt("DeleteSnapshot(%s) with a secret of cluster main", snap), "DeleteSnapshot",
                 json_pack("{s:s, s:o}", "snapshot_id", snap, "secrets", safety_multi_cluster_secrets("main")),
                 VK_FAILED_PRECONDITION, "other");
    safety_end_case();
}
