/* GetCapacity as plain C (vk/vast_capacity.h): the cluster's free usable capacity, or
 * less where the StorageClass's tenant (its view policy's) has a capacity limit. */
#include "vk/vast_capacity.h"

#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>

/* What the tenant of view_policy may still use: its hard limit minus what its quotas
 * use; INT64_MAX when it has no limit (or is gone). */
static bool tenant_room(vast_ctx *ctx, vms_client *c, const char *view_policy, int64_t deadline, int64_t *room,
                        vk_status *st) {
    *room = INT64_MAX;
    vms_policy_ref policy;
    if (!vms_clusters_view_policy(ctx->clusters, c, view_policy, deadline, &policy, st)) return false;
    vms_tenant tenant = {0};
    vms_error err;
    vms_lookup found = vms_tenant_get(c, policy.tenant_id, &tenant, deadline, &err);
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading tenant %" PRId64, policy.tenant_id);
        return false;
    }
    int64_t limit = tenant.capacity_hard_limit;
    vms_object_free(&tenant.obj);
    if (found == VMS_MISSING || limit <= 0) return true;
    char tenant_text[24];
    snprintf(tenant_text, sizeof tenant_text, "%" PRId64, policy.tenant_id);
    vms_quota *quotas = NULL;
    size_t n = 0;
    bool ok = vms_quota_list(c, VMS_FILTERS("tenant_id", tenant_text), &quotas, &n, deadline, &err);
    if (!ok) {
        vms_fail(st, &err, "listing the quotas of tenant %" PRId64, policy.tenant_id);
    } else {
        int64_t used = 0;
        for (size_t i = 0; i < n; i++) used += quotas[i].used_capacity;
        *room = limit > used ? limit - used : 0;
    }
    vms_quota_list_free(quotas, n);
    return ok;
}

vk_code vast_capacity_available(vast_ctx *ctx, const vast_volume_params *params, int64_t deadline,
                                int64_t *available, vk_status *st) {
    *available = 0;
    vk_strmap none = {0};
    vms_client *c = NULL;
    if (!vms_clusters_client(ctx->clusters, none, params->cluster_name, &c, st)) return st->code;
    vms_cluster cluster = {0};
    vms_error err;
    bool ok = vms_cluster_get(c, &cluster, deadline, &err);
    if (!ok) vms_fail(st, &err, "reading the cluster's capacity");
    int64_t room = cluster.free_usable_capacity, tenant = INT64_MAX;
    vms_object_free(&cluster.obj);
    if (ok && params->view_policy) ok = tenant_room(ctx, c, params->view_policy, deadline, &tenant, st);
    vms_client_free(c);
    if (!ok) return st->code;
    *available = tenant < room ? tenant : room;
    return VK_OK;
}
