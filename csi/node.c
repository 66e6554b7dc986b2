/* CSI Node service. NodeGetInfo registers the plugin with the kubelet; NodeUnpublishVolume
 * takes a target down (unmount if mounted, then remove the directory the driver made),
 * and answers OK for a target that is already gone, as the spec's idempotency asks. */
#include "driver.h"

#include "vk/log.h"

#include "csi.pb-c.h"

#include <errno.h>
#include <libmount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Whether path is a mount point, from the kernel's mount table (never from memory, so
 * a restarted plugin sees what its predecessor mounted). */
static bool is_mount_point(const char *path) {
    struct libmnt_table *table = mnt_new_table_from_file("/proc/self/mountinfo");
    if (!table) return false;
    bool mounted = mnt_table_find_target(table, path, MNT_ITER_BACKWARD) != NULL;
    mnt_unref_table(table);
    return mounted;
}

static grpc_status_code unpublish(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__NodeUnpublishVolumeRequest *req = (const Csi__V1__NodeUnpublishVolumeRequest *)request;
    if (!*req->volume_id) return vk_rpc_fail(call, GRPC_STATUS_INVALID_ARGUMENT, "NodeUnpublishVolume: volume_id is required");
    if (!*req->target_path) {
        return vk_rpc_fail(call, GRPC_STATUS_INVALID_ARGUMENT, "NodeUnpublishVolume %s: target_path is required",
                           req->volume_id);
    }
    struct stat sb;
    if (lstat(req->target_path, &sb) == 0) {
        if (is_mount_point(req->target_path) && umount2(req->target_path, UMOUNT_NOFOLLOW) != 0 && errno != EINVAL) {
            return vk_rpc_fail(call, GRPC_STATUS_INTERNAL, "NodeUnpublishVolume %s: cannot unmount %s: %s",
                               req->volume_id, req->target_path, strerror(errno));
        }
        if ((S_ISDIR(sb.st_mode) ? rmdir(req->target_path) : unlink(req->target_path)) != 0 && errno != ENOENT) {
            return vk_rpc_fail(call, GRPC_STATUS_INTERNAL, "NodeUnpublishVolume %s: cannot remove %s: %s",
                               req->volume_id, req->target_path, strerror(errno));
        }
    }
    *response = vk_rpc_new_message(call, &csi__v1__node_unpublish_volume_response__descriptor);
    return GRPC_STATUS_OK;
}

bool csi_node_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    static const vk_rpc_method_handler handlers[] = {
        {"NodeGetCapabilities", get_capabilities},
        {"NodeGetInfo", get_info},
        {"NodeUnpublishVolume", unpublish},
        {NULL, NULL},
    };
    return vk_rpc_server_add_service(server, &csi__v1__node__descriptor, handlers, driver,
                                     VK_RPC_LANE_WORKERS, st);
}
