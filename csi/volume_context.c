#include "volume_context.h"

#include <inttypes.h>
#include <stdio.h>

void **csi_volume_context(vk_rpc_call *call, const vast_volume_params *p, const vast_volume_result *v, size_t *n) {
    char tenant_text[24];
    snprintf(tenant_text, sizeof tenant_text, "%" PRId64, v->tenant_id);
    const char *context[] = {
        "export_path", v->path,
        "root_export", p->root_export,
        "view_policy", p->view_policy,
        "vip_pool_name", p->vip_pool_name,
        "vip_pool_ranges", v->vip_ranges[0] ? v->vip_ranges : NULL,
        "vip_pool_fqdn", p->vip_pool_fqdn,
        "vip_pool_fqdn_random_prefix", p->vip_pool_fqdn ? (p->vip_pool_fqdn_random_prefix ? "true" : "false") : NULL,
        "mount_options", p->mount_options && *p->mount_options ? p->mount_options : NULL,
        "protocol", vast_nfs_protocol(p->mount_options),
        "tenant_id", tenant_text,
        "cluster_name", p->cluster_name,
        /* the PVC it was made for (--extra-create-metadata): what an operator looks for
         * in `kubectl get pv -o yaml` */
        "pvc_name", p->pvc_name,
        "pvc_namespace", p->pvc_namespace,
        "read_only", v->snapshot_view ? "true" : NULL,
        NULL,
    };
    return csi_build_map(call, &csi__v1__volume__volume_context_entry__descriptor, n, context);
}
