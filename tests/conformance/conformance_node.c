/* csi-sanity "Node Service" (pkg/sanity/node.go): 24 specs. Gates as sanity's
 * BeforeEach blocks, read from the plugin's, the controller's and the node's
 * capabilities before every spec.
 *
 * vast-csi runs in bind mode (--mount-mode bind --bind-root <simulator>/fs): this
 * machine and CI have no NFS client, so NodeStage bind-mounts the volume's directory
 * where it would mount the NFS export, and NodePublish bind-mounts the staging path into
 * the target as it always does. Needs root (mount(2)).
 *
 * After sanity's specs, two checks of our own: nothing the specs made is left on VMS,
 * and no mount is left under the run's directory (sanity's cleanup unpublished and
 * unstaged everything it published and staged). */
#include "conformance.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NODE_CAP(name) CSI__V1__NODE_SERVICE_CAPABILITY__RPC__TYPE__##name
#define CTRL_CAP(name) CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__##name
#define PLUGIN_SERVICE(name) CSI__V1__PLUGIN_CAPABILITY__SERVICE__TYPE__##name

/* sanity's per-spec BeforeEach of the "Node Service" block */
static struct {
    bool provides_controller_service;
    bool controller_publish_supported;
    bool node_stage_supported;
    bool node_volume_stats_supported;
    bool node_expansion_supported;
    bool controller_expansion_supported;
    bool single_node_multi_writer_supported;
} caps;

static void before_each(void) {
    memset(&caps, 0, sizeof caps);
    caps.provides_controller_service = conf_plugin_service_supported(PLUGIN_SERVICE(CONTROLLER_SERVICE));
    if (caps.provides_controller_service) {
        caps.controller_publish_supported = conf_controller_cap_supported(CTRL_CAP(PUBLISH_UNPUBLISH_VOLUME));
    }
    caps.node_stage_supported = conf_node_cap_supported(NODE_CAP(STAGE_UNSTAGE_VOLUME));
    caps.node_volume_stats_supported = conf_node_cap_supported(NODE_CAP(GET_VOLUME_STATS));
    caps.node_expansion_supported = conf_node_cap_supported(NODE_CAP(EXPAND_VOLUME));
    if (caps.provides_controller_service) {
        caps.controller_expansion_supported = conf_controller_cap_supported(CTRL_CAP(EXPAND_VOLUME));
    }
    caps.single_node_multi_writer_supported = conf_node_cap_supported(NODE_CAP(SINGLE_NODE_MULTI_WRITER));
}

/* ---------- sanity's helpers in the Node Service block ---------- */

static Csi__V1__CreateVolumeResponse *create_volume_with_capability(const char *name, const char *access_mode) {
    json_t *req = conf_make_create_volume_req(name);
    json_object_set_new(req, "volume_capabilities", json_pack("[o]", conf_volume_capability(access_mode)));
    return conf_must_create_volume(req);
}

static Csi__V1__CreateVolumeResponse *create_volume(const char *name) {
    return create_volume_with_capability(name, "SINGLE_NODE_WRITER");
}

static Csi__V1__NodeGetInfoResponse *must_node_get_info(void) {
    Csi__V1__NodeGetInfoResponse *ni;
    vk_status st;
    CONF_EXPECT_OK(conf_call("NodeGetInfo", NULL, &ni, &st), &st, "NodeGetInfo");
    assert_non_null(ni);
    if (!ni->node_id || !*ni->node_id) CONF_FAIL("NodeGetInfo: node_id is empty");
    return ni;
}

/* request[field] = JSON of msg's field, when msg is set and has it */
static void copy_field(json_t *request, const char *field, const ProtobufCMessage *msg, const char *msg_field) {
    json_t *value = conf_json_field(msg, msg_field);
    if (value) json_object_set_new(request, field, value);
}

static Csi__V1__ControllerPublishVolumeResponse *controller_publish_with_capability(
    const Csi__V1__CreateVolumeResponse *vol, const Csi__V1__NodeGetInfoResponse *nid, const char *access_mode) {
    if (!caps.controller_publish_supported) return NULL;
    json_t *req = json_pack("{s:s, s:s, s:o, s:b}", "volume_id", vol->volume->volume_id, "node_id", nid->node_id,
                            "volume_capability", conf_volume_capability(access_mode), "readonly", 0);
    copy_field(req, "volume_context", &vol->volume->base, "volume_context");
    return conf_must_controller_publish(req);
}

static void node_stage_with_capability(const Csi__V1__CreateVolumeResponse *vol,
                                       const Csi__V1__ControllerPublishVolumeResponse *conpubvol,
                                       const char *access_mode) {
    if (!caps.node_stage_supported) return;
    json_t *req = json_pack("{s:s, s:o, s:s}", "volume_id", vol->volume->volume_id, "volume_capability",
                            conf_volume_capability(access_mode), "staging_target_path", conf.staging_dir);
    copy_field(req, "volume_context", &vol->volume->base, "volume_context");
    if (conpubvol) copy_field(req, "publish_context", &conpubvol->base, "publish_context");
    vk_status st;
    CONF_EXPECT_OK(conf_call("NodeStageVolume", req, NULL, &st), &st, "NodeStageVolume");
}

static json_t *make_node_publish_req(const Csi__V1__CreateVolumeResponse *vol,
                                     const Csi__V1__ControllerPublishVolumeResponse *conpubvol,
                                     const char *access_mode, const char *target) {
    json_t *req = json_pack("{s:s, s:s, s:s, s:o}", "volume_id", vol->volume->volume_id, "target_path", target,
                            "staging_target_path", caps.node_stage_supported ? conf.staging_dir : "",
                            "volume_capability", conf_volume_capability(access_mode));
    copy_field(req, "volume_context", &vol->volume->base, "volume_context");
    if (conpubvol) copy_field(req, "publish_context", &conpubvol->base, "publish_context");
    return req;
}

static void node_publish_with_capability(const Csi__V1__CreateVolumeResponse *vol,
                                         const Csi__V1__ControllerPublishVolumeResponse *conpubvol,
                                         const char *access_mode) {
    vk_status st;
    CONF_EXPECT_OK(conf_call("NodePublishVolume", make_node_publish_req(vol, conpubvol, access_mode, conf.target_path),
                             NULL, &st),
                   &st, "NodePublishVolume");
}

/* "Staging and publishing a volume" with sanity's default capability */
static void stage_and_publish(const Csi__V1__CreateVolumeResponse *vol) {
    Csi__V1__NodeGetInfoResponse *nid = must_node_get_info();
    Csi__V1__ControllerPublishVolumeResponse *conpubvol =
        controller_publish_with_capability(vol, nid, "SINGLE_NODE_WRITER");
    node_stage_with_capability(vol, conpubvol, "SINGLE_NODE_WRITER");
    node_publish_with_capability(vol, conpubvol, "SINGLE_NODE_WRITER");
}

/* ---------- NodeGetCapabilities ---------- */

static void node_get_capabilities(void **state) {
    (void)state;
    before_each();
    Csi__V1__NodeGetCapabilitiesResponse *res;
    vk_status st;
    CONF_EXPECT_OK(conf_call("NodeGetCapabilities", NULL, &res, &st), &st, "NodeGetCapabilities");
    assert_non_null(res);
    for (size_t i = 0; i < res->n_capabilities; i++) {
        const Csi__V1__NodeServiceCapability *cap = res->capabilities[i];
        if (cap->type_case != CSI__V1__NODE_SERVICE_CAPABILITY__TYPE_RPC || !cap->rpc) {
            CONF_FAIL("capabilities[%zu] has no rpc", i);
        }
        switch (cap->rpc->type) {
        case NODE_CAP(UNKNOWN):
        case NODE_CAP(STAGE_UNSTAGE_VOLUME):
        case NODE_CAP(GET_VOLUME_STATS):
        case NODE_CAP(EXPAND_VOLUME):
        case NODE_CAP(VOLUME_CONDITION):
        case NODE_CAP(SINGLE_NODE_MULTI_WRITER):
        case NODE_CAP(VOLUME_MOUNT_GROUP):
            break;
        default:
            CONF_FAIL("Unknown capability: %d (capabilities[%zu])", (int)cap->rpc->type, i);
        }
    }
}

/* ---------- NodeGetInfo ---------- */

static void node_get_info(void **state) {
    (void)state;
    before_each();
    bool accessibility = conf_plugin_service_supported(PLUGIN_SERVICE(VOLUME_ACCESSIBILITY_CONSTRAINTS));
    Csi__V1__NodeGetInfoResponse *ninfo;
    vk_status st;
    CONF_EXPECT_OK(conf_call("NodeGetInfo", NULL, &ninfo, &st), &st, "NodeGetInfo");
    assert_non_null(ninfo);
    if (!ninfo->node_id || !*ninfo->node_id) CONF_FAIL("NodeGetInfo: node_id is empty");
    if (ninfo->max_volumes_per_node < 0) {
        CONF_FAIL("NodeGetInfo: max_volumes_per_node is %lld", (long long)ninfo->max_volumes_per_node);
    }
    if (accessibility && !ninfo->accessible_topology) {
        CONF_FAIL("NodeGetInfo: VOLUME_ACCESSIBILITY_CONSTRAINTS is advertised but accessible_topology is unset");
    }
}

/* ---------- NodePublishVolume ---------- */

static void publish_no_volume_id(void **state) {
    (void)state;
    before_each();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodePublishVolume", NULL, NULL, &st), VK_INVALID_ARGUMENT, &st,
                     "NodePublishVolume without volume_id");
}

static void publish_no_target_path(void **state) {
    (void)state;
    before_each();
    vk_status st;
    CONF_EXPECT_CODE(
        conf_call("NodePublishVolume", json_pack("{s:s}", "volume_id", conf_fake_volume_id()), NULL, &st),
        VK_INVALID_ARGUMENT, &st, "NodePublishVolume without target_path");
}

static void publish_no_volume_capability(void **state) {
    (void)state;
    before_each();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodePublishVolume",
                               json_pack("{s:s, s:s}", "volume_id", conf_fake_volume_id(), "target_path",
                                         conf.target_path),
                               NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "NodePublishVolume without volume_capability");
}

static void publish_single_node_single_writer(void **state) {
    (void)state;
    before_each();
    if (!caps.single_node_multi_writer_supported) conf_skip("Service does not have single node multi writer capability");
    const char *mode = "SINGLE_NODE_SINGLE_WRITER";
    Csi__V1__CreateVolumeResponse *vol =
        create_volume_with_capability(conf_unique("sanity-node-publish-single-node-single-writer"), mode);
    Csi__V1__NodeGetInfoResponse *nid = must_node_get_info();
    Csi__V1__ControllerPublishVolumeResponse *conpubvol = controller_publish_with_capability(vol, nid, mode);
    node_stage_with_capability(vol, conpubvol, mode);
    node_publish_with_capability(vol, conpubvol, mode);

    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodePublishVolume",
                               make_node_publish_req(vol, conpubvol, mode, conf_fmt("%s/other_target", conf.mount_dir)),
                               NULL, &st),
                     VK_FAILED_PRECONDITION, &st,
                     "NodePublishVolume of a single-writer volume at a second target");
}

/* ---------- NodeUnpublishVolume ---------- */

static void unpublish_no_volume_id(void **state) {
    (void)state;
    before_each();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeUnpublishVolume", NULL, NULL, &st), VK_INVALID_ARGUMENT, &st,
                     "NodeUnpublishVolume without volume_id");
}

static void unpublish_no_target_path(void **state) {
    (void)state;
    before_each();
    vk_status st;
    CONF_EXPECT_CODE(
        conf_call("NodeUnpublishVolume", json_pack("{s:s}", "volume_id", conf_fake_volume_id()), NULL, &st),
        VK_INVALID_ARGUMENT, &st, "NodeUnpublishVolume without target_path");
}

/* sanity's CheckPath without a checkpathcmd: os.Stat, not-exist = PathIsNotFound */
static bool path_exists(const char *path) {
    struct stat sb;
    if (stat(path, &sb) == 0) return true;
    if (errno != ENOENT) CONF_FAIL("checking path \"%s\": %s", path, strerror(errno));
    return false;
}

static void unpublish_removes_target_path(void **state) {
    (void)state;
    before_each();
    Csi__V1__CreateVolumeResponse *vol = create_volume(conf_unique("sanity-node-unpublish-volume"));
    stage_and_publish(vol);
    if (!path_exists(conf.target_path)) {
        CONF_FAIL("path \"%s\" should have been created by CSI driver and the test config should be enabling "
                  "testing for that path",
                  conf.target_path);
    }
    vk_status st;
    CONF_EXPECT_OK(conf_call("NodeUnpublishVolume",
                             json_pack("{s:s, s:s}", "volume_id", vol->volume->volume_id, "target_path",
                                       conf.target_path),
                             NULL, &st),
                   &st, "NodeUnpublishVolume");
    if (path_exists(conf.target_path)) {
        CONF_FAIL("path \"%s\" should have been removed by the CSI driver during NodeUnpublishVolume",
                  conf.target_path);
    }
}

/* ---------- NodeStageVolume ---------- */

static void stage_gate(void) {
    before_each();
    if (!caps.node_stage_supported) conf_skip("NodeStageVolume not supported");
}

static json_t *device_publish_context(void) { return json_pack("{s:s}", "device", "/dev/mock"); }

static void stage_no_volume_id(void **state) {
    (void)state;
    stage_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeStageVolume",
                               json_pack("{s:s, s:o, s:o}", "staging_target_path", conf.staging_dir,
                                         "volume_capability", conf_volume_capability("SINGLE_NODE_WRITER"),
                                         "publish_context", device_publish_context()),
                               NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "NodeStageVolume without volume_id");
}

static void stage_no_staging_target_path(void **state) {
    (void)state;
    stage_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeStageVolume",
                               json_pack("{s:s, s:o, s:o}", "volume_id", conf_fake_volume_id(), "volume_capability",
                                         conf_volume_capability("SINGLE_NODE_WRITER"), "publish_context",
                                         device_publish_context()),
                               NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "NodeStageVolume without staging_target_path");
}

static void stage_no_volume_capability(void **state) {
    (void)state;
    stage_gate();
    Csi__V1__CreateVolumeResponse *vol =
        conf_must_create_volume(conf_make_create_volume_req(conf_unique("sanity-node-stage-nocaps")));
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeStageVolume",
                               json_pack("{s:s, s:s, s:o}", "volume_id", vol->volume->volume_id,
                                         "staging_target_path", conf.staging_dir, "publish_context",
                                         device_publish_context()),
                               NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "NodeStageVolume without volume_capability");
}

/* ---------- NodeUnstageVolume ---------- */

static void unstage_gate(void) {
    before_each();
    if (!caps.node_stage_supported) conf_skip("NodeUnstageVolume not supported");
}

static void unstage_no_volume_id(void **state) {
    (void)state;
    unstage_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeUnstageVolume", json_pack("{s:s}", "staging_target_path", conf.staging_dir),
                               NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "NodeUnstageVolume without volume_id");
}

static void unstage_no_staging_target_path(void **state) {
    (void)state;
    unstage_gate();
    vk_status st;
    CONF_EXPECT_CODE(
        conf_call("NodeUnstageVolume", json_pack("{s:s}", "volume_id", conf_fake_volume_id()), NULL, &st),
        VK_INVALID_ARGUMENT, &st, "NodeUnstageVolume without staging_target_path");
}

/* ---------- NodeGetVolumeStats ---------- */

static void stats_gate(void) {
    before_each();
    if (!caps.node_volume_stats_supported) conf_skip("NodeGetVolume not supported");
}

static void stats_no_volume_id(void **state) {
    (void)state;
    stats_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeGetVolumeStats", json_pack("{s:s}", "volume_path", "some/path"), NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "NodeGetVolumeStats without volume_id");
}

static void stats_no_volume_path(void **state) {
    (void)state;
    stats_gate();
    vk_status st;
    CONF_EXPECT_CODE(
        conf_call("NodeGetVolumeStats", json_pack("{s:s}", "volume_id", conf_fake_volume_id()), NULL, &st),
        VK_INVALID_ARGUMENT, &st, "NodeGetVolumeStats without volume_path");
}

static void stats_volume_not_found(void **state) {
    (void)state;
    stats_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeGetVolumeStats",
                               json_pack("{s:s, s:s}", "volume_id", conf_fake_volume_id(), "volume_path", "some/path"),
                               NULL, &st),
                     VK_NOT_FOUND, &st, "NodeGetVolumeStats of an unknown volume");
}

static void stats_volume_not_on_path(void **state) {
    (void)state;
    stats_gate();
    Csi__V1__CreateVolumeResponse *vol = create_volume(conf_unique("sanity-node-get-volume-stats"));
    stage_and_publish(vol);
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeGetVolumeStats",
                               json_pack("{s:s, s:s}", "volume_id", vol->volume->volume_id, "volume_path", "some/path"),
                               NULL, &st),
                     VK_NOT_FOUND, &st, "NodeGetVolumeStats on a path that does not hold the volume");
}

/* ---------- NodeExpandVolume ---------- */

static void expand_gate(void) {
    before_each();
    if (!caps.node_expansion_supported) conf_skip("NodeExpandVolume not supported");
}

static void expand_no_volume_id(void **state) {
    (void)state;
    expand_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeExpandVolume",
                               json_pack("{s:s, s:o}", "volume_path", conf.mount_dir, "volume_capability",
                                         conf_volume_capability("SINGLE_NODE_WRITER")),
                               NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "NodeExpandVolume without volume_id");
}

static void expand_no_volume_path(void **state) {
    (void)state;
    expand_gate();
    Csi__V1__CreateVolumeResponse *vol = create_volume(conf_unique("sanity-node-expand-volume-valid-id"));
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeExpandVolume",
                               json_pack("{s:s, s:o}", "volume_id", vol->volume->volume_id, "volume_capability",
                                         conf_volume_capability("SINGLE_NODE_WRITER")),
                               NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "NodeExpandVolume without volume_path");
}

static void expand_volume_not_found(void **state) {
    (void)state;
    expand_gate();
    vk_status st;
    CONF_EXPECT_CODE(conf_call("NodeExpandVolume",
                               json_pack("{s:s, s:s}", "volume_id", conf_fake_volume_id(), "volume_path", "some/path"),
                               NULL, &st),
                     VK_NOT_FOUND, &st, "NodeExpandVolume of an unknown volume");
}

static void expand_after_publish(void **state) {
    (void)state;
    expand_gate();
    Csi__V1__CreateVolumeResponse *vol = create_volume(conf_unique("sanity-node-expand-volume"));
    vk_status st;
    if (caps.controller_expansion_supported) {
        Csi__V1__ControllerExpandVolumeResponse *rsp;
        CONF_EXPECT_OK(conf_call("ControllerExpandVolume",
                                 json_pack("{s:s, s:{s:I}}", "volume_id", vol->volume->volume_id, "capacity_range",
                                           "required_bytes", (json_int_t)conf.config.test_volume_expand_size),
                                 &rsp, &st),
                       &st, "ControllerExpandVolume");
        assert_non_null(rsp);
        if (rsp->capacity_bytes != conf.config.test_volume_expand_size) {
            CONF_FAIL("ControllerExpandVolume: capacity_bytes %lld, expected %lld", (long long)rsp->capacity_bytes,
                      (long long)conf.config.test_volume_expand_size);
        }
    }
    stage_and_publish(vol);
    CONF_EXPECT_OK(conf_call("NodeExpandVolume",
                             json_pack("{s:s, s:s, s:{s:I}}", "volume_id", vol->volume->volume_id, "volume_path",
                                       conf.target_path, "capacity_range", "required_bytes",
                                       (json_int_t)conf.config.test_volume_expand_size),
                             NULL, &st),
                   &st, "while expanding volume on node");
}

/* ---------- should work / should be idempotent (runControllerTest) ---------- */

static void run_controller_test(int count) {
    const char *name = conf_unique(conf_fmt("sanity-node-full-%d", count));
    Csi__V1__NodeGetInfoResponse *ni = must_node_get_info();

    json_t *req = conf_make_create_volume_req(name);
    if (ni->accessible_topology) {
        /* topology requirements are honored if the driver provides them */
        json_t *topology = conf_json_field(&ni->base, "accessible_topology");
        json_object_set_new(req, "accessibility_requirements", json_pack("{s:[o]}", "requisite", topology));
    }
    Csi__V1__CreateVolumeResponse *vol = conf_must_create_volume(req);

    Csi__V1__ControllerPublishVolumeResponse *conpubvol = NULL;
    vk_status st;
    if (caps.controller_publish_supported) {
        json_t *pub = json_pack("{s:s, s:s, s:o, s:b}", "volume_id", vol->volume->volume_id, "node_id", ni->node_id,
                                "volume_capability", conf_volume_capability("SINGLE_NODE_WRITER"), "readonly", 0);
        copy_field(pub, "volume_context", &vol->volume->base, "volume_context");
        CONF_EXPECT_OK(conf_controller_publish(pub, &conpubvol, &st), &st, "ControllerPublishVolume");
        assert_non_null(conpubvol);
    }
    if (caps.node_stage_supported) {
        for (int i = 0; i < count; i++) node_stage_with_capability(vol, conpubvol, "SINGLE_NODE_WRITER");
    }
    for (int i = 0; i < count; i++) node_publish_with_capability(vol, conpubvol, "SINGLE_NODE_WRITER");

    if (caps.node_volume_stats_supported) {
        Csi__V1__NodeGetVolumeStatsResponse *stats;
        CONF_EXPECT_OK(conf_call("NodeGetVolumeStats",
                                 json_pack("{s:s, s:s}", "volume_id", vol->volume->volume_id, "volume_path",
                                           conf.target_path),
                                 &stats, &st),
                       &st, "NodeGetVolumeStats");
        /* Expect(statsResp.GetUsage()).ToNot(BeNil()): a nil slice is an empty one */
        if (!stats || stats->n_usage == 0) CONF_FAIL("NodeGetVolumeStats: usage is empty");
    }
}

static void should_work(void **state) {
    (void)state;
    before_each();
    if (!caps.provides_controller_service) conf_skip("Controller Service not provided: CreateVolume not supported");
    run_controller_test(1);
}

static void should_be_idempotent(void **state) {
    (void)state;
    before_each();
    if (!caps.provides_controller_service) conf_skip("Controller Service not provided: CreateVolume not supported");
    if (conf.config.idempotent_count <= 0) conf_skip("Config.IdempotentCount is zero or negative, skip tests");
    run_controller_test(conf.config.idempotent_count);
}

/* ---------- checks of our own ---------- */

static void nothing_mounted(void **state) {
    (void)state;
    int n = conf_mounts_under(conf.dir);
    if (n) CONF_FAIL("%d mount(s) are left under the run directory %s after every spec's cleanup", n, conf.dir);
}

int main(void) {
    const struct CMUnitTest specs[] = {
        CONF_SPEC("NodeGetCapabilities should return appropriate capabilities", node_get_capabilities),
        CONF_SPEC("NodeGetInfo should return appropriate values", node_get_info),
        CONF_SPEC("NodePublishVolume should fail when no volume id is provided", publish_no_volume_id),
        CONF_SPEC("NodePublishVolume should fail when no target path is provided", publish_no_target_path),
        CONF_SPEC("NodePublishVolume should fail when no volume capability is provided", publish_no_volume_capability),
        CONF_SPEC("NodePublishVolume with single node multi writer capability should fail when volume with single "
                  "node single writer access mode is already mounted at a different target path",
                  publish_single_node_single_writer),
        CONF_SPEC("NodeUnpublishVolume should fail when no volume id is provided", unpublish_no_volume_id),
        CONF_SPEC("NodeUnpublishVolume should fail when no target path is provided", unpublish_no_target_path),
        CONF_SPEC("NodeUnpublishVolume should remove target path", unpublish_removes_target_path),
        CONF_SPEC("NodeStageVolume should fail when no volume id is provided", stage_no_volume_id),
        CONF_SPEC("NodeStageVolume should fail when no staging target path is provided", stage_no_staging_target_path),
        CONF_SPEC("NodeStageVolume should fail when no volume capability is provided", stage_no_volume_capability),
        CONF_SPEC("NodeUnstageVolume should fail when no volume id is provided", unstage_no_volume_id),
        CONF_SPEC("NodeUnstageVolume should fail when no staging target path is provided",
                  unstage_no_staging_target_path),
        CONF_SPEC("NodeGetVolumeStats should fail when no volume id is provided", stats_no_volume_id),
        CONF_SPEC("NodeGetVolumeStats should fail when no volume path is provided", stats_no_volume_path),
        CONF_SPEC("NodeGetVolumeStats should fail when volume is not found", stats_volume_not_found),
        CONF_SPEC("NodeGetVolumeStats should fail when volume does not exist on the specified path",
                  stats_volume_not_on_path),
        CONF_SPEC("NodeExpandVolume should fail when no volume id is provided", expand_no_volume_id),
        CONF_SPEC("NodeExpandVolume should fail when no volume path is provided", expand_no_volume_path),
        CONF_SPEC("NodeExpandVolume should fail when volume is not found", expand_volume_not_found),
        CONF_SPEC("NodeExpandVolume should work if node-expand is called after node-publish", expand_after_publish),
        CONF_SPEC("Node Service should work", should_work),
        CONF_SPEC("Node Service should be idempotent", should_be_idempotent),
        CONF_CHECK_NOTHING_LEFT,
        CONF_SPEC("(conformance) no mount is left under the run directory", nothing_mounted),
    };
    if (geteuid() != 0) {
        /* ctest reports 77 as skipped (SKIP_RETURN_CODE) */
        printf("SKIP: the Node Service specs bind-mount volumes: run them as root\n");
        return 77;
    }
    conf.config.node_bind_mounts = true;
    return CONF_RUN("Node Service", specs);
}
