/* GetCapacity: what a new volume may use. The cluster's free usable capacity, or less
 * where the StorageClass's tenant (its view policy's) has a capacity limit: the limit
 * minus what the tenant's quotas use. */
#include "controller.h"

#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>

static bool tenant_room(csi_driver *driver, vms_client *c, const char *view_policy, int64_t deadline,
                        int64_t *room, vk_status *st) {
    vms_policy_ref policy;
    if (!vms_clusters_view_policy(driver->vast.clusters, c, view_policy, deadline, &policy, st)) return false;
    vms_tenant tenant = {0};
    vms_error err;
    vms_lookup found = vms_tenant_get(c, policy.tenant_id, &tenant, deadline, &err);
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading tenant %" PRId64, policy.tenant_id);
        return false;
    }
    int64_t limit = tenant.capacity_hard_limit;
    vms_object_free(&tenant.obj);
    if (found == VMS_MISSING || limit <= 0) return true; /* no tenant limit */
    char tenant_text[24];
    snprintf(tenant_text, sizeof tenant_text, "%" PRId64, policy.tenant_id);
    json_t *quotas = NULL;
    if (!vms_list(c, VMS_QUOTAS, VMS_FILTERS("tenant_id", tenant_text), deadline, &quotas, &err)) {
        vms_fail(st, &err, "listing the quotas of tenant %" PRId64, policy.tenant_id);
        return false;
    }
    int64_t used = 0;
    size_t i;
    json_t *q;
    json_array_foreach(quotas, i, q) used += json_integer_value(json_object_get(q, "used_capacity"));
    json_decref(quotas);
    int64_t left = limit > used ? limit - used : 0;
    if (left < *room) *room = left;
    return true;
}

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
    int64_t deadline = csi_call_deadline(driver, call);
    vk_strmap none = {0};
    vms_client *c = NULL;
    vms_cluster cluster = {0};
    vms_error err;
    bool ok = vms_clusters_client(driver->vast.clusters, none, p.cluster_name, &c, &st);
    if (ok && !vms_cluster_get(c, &cluster, deadline, &err)) {
        vms_fail(&st, &err, "reading the cluster's capacity");
        ok = false;
    }
    int64_t room = cluster.free_usable_capacity;
    if (ok && p.view_policy) ok = tenant_room(driver, c, p.view_policy, deadline, &room, &st);
    vms_object_free(&cluster.obj);
    if (c) vms_client_free(c);
    if (!ok) return vk_rpc_fail(call, st.code, "GetCapacity: %s", st.message);
    r->available_capacity = room;
    return VK_OK;
}
