/* CSI Identity service: who this plugin is, what it offers, whether it is ready. */
#include "driver.h"
#include "version.h"

#include "csi.pb-c.h"

static vk_code get_plugin_info(vk_rpc_call *call, const ProtobufCMessage *request,
                                        ProtobufCMessage **response) {
    (void)request;
    csi_driver *driver = vk_rpc_call_user(call);
    Csi__V1__GetPluginInfoResponse *r = vk_rpc_new_message(call, &csi__v1__get_plugin_info_response__descriptor);
    r->name = driver->options.driver_name;
    r->vendor_version = VK_VERSION;

    /* The manifest tells a platform engineer which build and mode answered. */
    static const char *const keys[] = {"commit", "mode"};
    const char *values[] = {VK_GIT_COMMIT, csi_mode_name(driver->options.mode)};
    size_t n = sizeof keys / sizeof keys[0];
    r->manifest = vk_rpc_alloc(call, n * sizeof *r->manifest);
    for (size_t i = 0; i < n; i++) {
        Csi__V1__GetPluginInfoResponse__ManifestEntry *e =
            vk_rpc_new_message(call, &csi__v1__get_plugin_info_response__manifest_entry__descriptor);
        e->key = (char *)keys[i];
        e->value = (char *)values[i];
        r->manifest[r->n_manifest++] = e;
    }
    *response = &r->base;
    return VK_OK;
}

/* Offers only what this build serves: the Controller service and online volume
 * expansion when running as a controller (a quota grows under a mounted volume, with no
 * node step; the external-resizer reads this). A node-only plugin advertises nothing. */
static vk_code get_plugin_capabilities(vk_rpc_call *call, const ProtobufCMessage *request,
                                                ProtobufCMessage **response) {
    (void)request;
    csi_driver *driver = vk_rpc_call_user(call);
    Csi__V1__GetPluginCapabilitiesResponse *r =
        vk_rpc_new_message(call, &csi__v1__get_plugin_capabilities_response__descriptor);
    if (driver->options.mode & CSI_MODE_CONTROLLER) {
        r->capabilities = vk_rpc_alloc(call, 2 * sizeof *r->capabilities);
        Csi__V1__PluginCapability *cap = vk_rpc_new_message(call, &csi__v1__plugin_capability__descriptor);
        Csi__V1__PluginCapability__Service *svc =
            vk_rpc_new_message(call, &csi__v1__plugin_capability__service__descriptor);
        svc->type = CSI__V1__PLUGIN_CAPABILITY__SERVICE__TYPE__CONTROLLER_SERVICE;
        cap->type_case = CSI__V1__PLUGIN_CAPABILITY__TYPE_SERVICE;
        cap->service = svc;
        r->capabilities[r->n_capabilities++] = cap;
        Csi__V1__PluginCapability *grow = vk_rpc_new_message(call, &csi__v1__plugin_capability__descriptor);
        Csi__V1__PluginCapability__VolumeExpansion *online =
            vk_rpc_new_message(call, &csi__v1__plugin_capability__volume_expansion__descriptor);
        online->type = CSI__V1__PLUGIN_CAPABILITY__VOLUME_EXPANSION__TYPE__ONLINE;
        grow->type_case = CSI__V1__PLUGIN_CAPABILITY__TYPE_VOLUME_EXPANSION;
        grow->volume_expansion = online;
        r->capabilities[r->n_capabilities++] = grow;
    }
    *response = &r->base;
    return VK_OK;
}

/* The process answers only once its server is started, so serving means ready. */
static vk_code probe(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    (void)request;
    Csi__V1__ProbeResponse *r = vk_rpc_new_message(call, &csi__v1__probe_response__descriptor);
    Google__Protobuf__BoolValue *ready = vk_rpc_new_message(call, &google__protobuf__bool_value__descriptor);
    ready->value = 1;
    r->ready = ready;
    *response = &r->base;
    return VK_OK;
}

bool csi_identity_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    static const vk_rpc_method_handler handlers[] = {
        {"GetPluginInfo", get_plugin_info},
        {"GetPluginCapabilities", get_plugin_capabilities},
        {"Probe", probe},
        {NULL, NULL},
    };
    return vk_rpc_server_add_service(server, &csi__v1__identity__descriptor, handlers, driver,
                                     VK_RPC_LANE_FAST, st);
}
