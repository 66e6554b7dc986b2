/* csi-sanity "GroupController Service" (pkg/sanity/groupcontroller.go): 6 specs, gated
 * on the plugin capability GROUP_CONTROLLER_SERVICE (and the VolumeGroupSnapshots ones
 * on CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT). The driver offers neither today, so
 * these skip with sanity's own message; they are here so the suite stays right the day
 * the capability is offered. */
#include "conformance.h"

#include <stdio.h>
#include <string.h>

static void require_group_controller(void) {
    if (!conf_plugin_service_supported(CSI__V1__PLUGIN_CAPABILITY__SERVICE__TYPE__GROUP_CONTROLLER_SERVICE)) {
        conf_skip("GroupControllerService not supported");
    }
}

/* Whether GroupControllerGetCapabilities lists the volume group snapshot capability. */
static bool group_snapshots_supported(void) {
    Csi__V1__GroupControllerGetCapabilitiesResponse *res;
    vk_status st;
    CONF_EXPECT_OK(conf_call("GroupControllerGetCapabilities", NULL, &res, &st), &st, "GroupControllerGetCapabilities");
    for (size_t i = 0; i < res->n_capabilities; i++) {
        const Csi__V1__GroupControllerServiceCapability *cap = res->capabilities[i];
        if (cap->rpc && cap->rpc->type ==
                            CSI__V1__GROUP_CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT) {
            return true;
        }
    }
    return false;
}

static void require_group_snapshots(void) {
    require_group_controller();
    if (!group_snapshots_supported()) conf_skip("VolumeGroupSnapshot not supported");
}

static void get_capabilities(void **state) {
    (void)state;
    require_group_controller();
    Csi__V1__GroupControllerGetCapabilitiesResponse *res;
    vk_status st;
    CONF_EXPECT_OK(conf_call("GroupControllerGetCapabilities", NULL, &res, &st), &st, "GroupControllerGetCapabilities");
    assert_non_null(res);
    if (!res->capabilities) CONF_FAIL("GroupControllerGetCapabilities: the capability list is nil");
    for (size_t i = 0; i < res->n_capabilities; i++) {
        const Csi__V1__GroupControllerServiceCapability *cap = res->capabilities[i];
        int type = cap->rpc ? (int)cap->rpc->type : 0;
        if (type != CSI__V1__GROUP_CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT) {
            CONF_FAIL("Unknown capability: %d (capabilities[%zu])", type, i);
        }
    }
}

/* A request with the given fields only; the code sanity expects. */
static void expect_code(const char *method, json_t *request, vk_code want) {
    ProtobufCMessage *res = NULL;
    vk_status st;
    CONF_EXPECT_CODE(conf_call_msg(method, request, &res, &st), want, &st, method);
}

static void create_without_name(void **state) {
    (void)state;
    require_group_snapshots();
    expect_code("CreateVolumeGroupSnapshot", NULL, VK_INVALID_ARGUMENT);
}

static void get_without_id(void **state) {
    (void)state;
    require_group_snapshots();
    expect_code("GetVolumeGroupSnapshot", NULL, VK_INVALID_ARGUMENT);
}

static void get_invalid_id(void **state) {
    (void)state;
    require_group_snapshots();
    expect_code("GetVolumeGroupSnapshot", conf_keep_json(json_pack("{s:s}", "group_snapshot_id", "fake-group-id")),
                VK_NOT_FOUND);
}

static void delete_without_id(void **state) {
    (void)state;
    require_group_snapshots();
    expect_code("DeleteVolumeGroupSnapshot", NULL, VK_INVALID_ARGUMENT);
}

static void delete_invalid_id(void **state) {
    (void)state;
    require_group_snapshots();
    expect_code("DeleteVolumeGroupSnapshot", conf_keep_json(json_pack("{s:s}", "group_snapshot_id", "fake-group-id")),
                VK_OK);
}

int main(void) {
    const struct CMUnitTest specs[] = {
        CONF_SPEC("GroupControllerGetCapabilities should return appropriate capabilities", get_capabilities),
        CONF_SPEC("CreateVolumeGroupSnapshot should fail when no name is provided", create_without_name),
        CONF_SPEC("GetVolumeGroupSnapshot should fail when no volume id is provided", get_without_id),
        CONF_SPEC("GetVolumeGroupSnapshot should fail when an invalid volume id is used", get_invalid_id),
        CONF_SPEC("DeleteVolumeGroupSnapshot should fail when no volume id is provided", delete_without_id),
        CONF_SPEC("DeleteVolumeGroupSnapshot should succeed when an invalid volume id is used", delete_invalid_id),
    };
    return CONF_RUN("GroupController Service", specs);
}
