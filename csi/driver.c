#include "driver.h"
#include "mounter.h"

#include <string.h>

#include "vk/deadline.h"

void csi_driver_open(csi_driver *driver) {
    const csi_options *o = &driver->options;
    vms_clusters_options co = {
        .secret_dir = o->vms_secret_dir[0] ? o->vms_secret_dir : NULL,
        .insecure_skip_verify = o->vms_insecure_skip_verify,
        .api_version = o->vms_api_version,
        .request_timeout_ms = o->vms_timeout_ms,
        .cache_ttl_ms = o->cache_ttl_ms,
        /* a create sends three requests at once (docs/controller.md) */
        .max_connections = 3 * o->workers,
    };
    driver->vast.clusters = vms_clusters_new(&co);
    driver->vast.locks = vk_keylock_new();
    driver->vast.roots = &driver->options.root_exports;
    csi_mount_set_bind_root(strcmp(o->mount_mode, "bind") == 0 ? o->bind_root : "");
}

void csi_driver_close(csi_driver *driver) {
    vms_clusters_free(driver->vast.clusters);
    vk_keylock_free(driver->vast.locks);
    driver->vast = (vast_ctx){0};
}

bool csi_driver_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    if (driver->options.mode == CSI_MODE_COSI) return csi_cosi_register(driver, server, st);
    if (!csi_identity_register(driver, server, st)) return false;
    if ((driver->options.mode & CSI_MODE_CONTROLLER) && !csi_controller_register(driver, server, st)) return false;
    if ((driver->options.mode & CSI_MODE_NODE) && !csi_node_register(driver, server, st)) return false;
    return true;
}

int64_t csi_call_deadline(const csi_driver *driver, const vk_rpc_call *call) {
    int64_t own = vk_deadline_in(driver->options.operation_timeout_ms);
    return vk_deadline_min(vk_rpc_call_deadline(call), own);
}
