/* CSI Controller service. Until provisioning lands it advertises no controller
 * capability, so a CO calls nothing but ControllerGetCapabilities; every other method
 * answers UNIMPLEMENTED through the runtime. */
#include "driver.h"

#include "csi.pb-c.h"

static grpc_status_code get_capabilities(vk_rpc_call *call, const ProtobufCMessage *request,
                                         ProtobufCMessage **response) {
    (void)request;
    Csi__V1__ControllerGetCapabilitiesResponse *r =
        vk_rpc_new_message(call, &csi__v1__controller_get_capabilities_response__descriptor);
    *response = &r->base;
    return GRPC_STATUS_OK;
}

bool csi_controller_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    static const vk_rpc_method_handler handlers[] = {
        {"ControllerGetCapabilities", get_capabilities},
        {NULL, NULL},
    };
    return vk_rpc_server_add_service(server, &csi__v1__controller__descriptor, handlers, driver,
                                     VK_RPC_LANE_WORKERS, st);
}
