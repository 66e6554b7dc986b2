/* GetCapacity: an adapter over vast_capacity_available (vk/vast_capacity.h), which
 * holds what a new volume may use; here the request is checked and answered. */
#include "controller.h"
#include "vk/vast_capacity.h"

vk_code csi_get_capacity(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__GetCapacityRequest *req = (const Csi__V1__GetCapacityRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    vast_volume_params p;
    if (!vast_volume_params_parse_lenient(CSI_MAP(req, parameters), &p, &st)) {
        return vk_rpc_fail(call, st.code, "GetCapacity: %s", st.message);
    }
    Csi__V1__GetCapacityResponse *r = vk_rpc_new_message(call, &csi__v1__get_capacity_response__descriptor);
    *response = &r->base;
    if (!csi_check_capabilities(req->volume_capabilities, req->n_volume_capabilities, &st)) {
        return VK_OK; /* such volumes cannot be made here: no room for them */
    }
    int64_t available;
    vk_code code = vast_capacity_available(&driver->vast, &p, csi_call_deadline(driver, call), &available, &st);
    if (code != VK_OK) return vk_rpc_fail(call, code, "GetCapacity: %s", st.message);
    r->available_capacity = available;
    return VK_OK;
}
