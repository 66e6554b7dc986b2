/* CSI Node service. Until mounting lands it advertises no node capability and serves
 * NodeGetInfo, which the kubelet's registrar needs to register the plugin. */
#include "driver.h"

#include "csi.pb-c.h"

static grpc_status_code get_capabilities(vk_rpc_call *call, const ProtobufCMessage *request,
                                         ProtobufCMessage **response) {
    (void)request;
    Csi__V1__NodeGetCapabilitiesResponse *r =
        vk_rpc_new_message(call, &csi__v1__node_get_capabilities_response__descriptor);
    *response = &r->base;
    return GRPC_STATUS_OK;
}

static grpc_status_code get_info(vk_rpc_call *call, const ProtobufCMessage *request,
                                 ProtobufCMessage **response) {
    (void)request;
    csi_driver *driver = vk_rpc_call_user(call);
    Csi__V1__NodeGetInfoResponse *r = vk_rpc_new_message(call, &csi__v1__node_get_info_response__descriptor);
    r->node_id = driver->options.node_id;
    *response = &r->base;
    return GRPC_STATUS_OK;
}

bool csi_node_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    static const vk_rpc_method_handler handlers[] = {
        {"NodeGetCapabilities", get_capabilities},
        {"NodeGetInfo", get_info},
        {NULL, NULL},
    };
    return vk_rpc_server_add_service(server, &csi__v1__node__descriptor, handlers, driver,
                                     VK_RPC_LANE_WORKERS, st);
}
