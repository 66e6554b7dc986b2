/* CSI Controller service: registration, capabilities and the helpers its operations
 * share. NFS needs no attach step, so PUBLISH_UNPUBLISH_VOLUME is not offered: the
 * node learns everything it needs (export path, VIP pool, mount options) from the
 * volume context, and a CSIDriver with attachRequired: false skips the attacher.
 * GET_SNAPSHOT is served but advertised only with --advertise-get-snapshot: csi-sanity
 * v5.4.0 rejects the capability. */
#include "controller.h"
#include "capability_list.h"

#include "vk/deadline.h"
#include "vk/vms_objects.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const int advertised[] = {
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__CREATE_DELETE_VOLUME,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__LIST_VOLUMES,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__GET_CAPACITY,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__CREATE_DELETE_SNAPSHOT,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__LIST_SNAPSHOTS,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__CLONE_VOLUME,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__EXPAND_VOLUME,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__VOLUME_CONDITION,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__GET_VOLUME,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__SINGLE_NODE_MULTI_WRITER,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__MODIFY_VOLUME,
    CSI__V1__CONTROLLER_SERVICE_CAPABILITY__RPC__TYPE__GET_SNAPSHOT, /* last: only with the flag */
};

static vk_code get_capabilities(vk_rpc_call *call, const ProtobufCMessage *request,
                                ProtobufCMessage **response) {
    (void)request;
    const csi_driver *driver = vk_rpc_call_user(call);
    Csi__V1__ControllerGetCapabilitiesResponse *r =
        vk_rpc_new_message(call, &csi__v1__controller_get_capabilities_response__descriptor);
    size_t n = sizeof advertised / sizeof advertised[0] - !driver->options.advertise_get_snapshot;
    r->capabilities = (Csi__V1__ControllerServiceCapability **)csi_rpc_capabilities(
        call, &csi__v1__controller_service_capability__descriptor, advertised, n, &r->n_capabilities);
    *response = &r->base;
    return VK_OK;
}

bool csi_controller_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    static const vk_rpc_method_handler handlers[] = {
        {"ControllerGetCapabilities", get_capabilities},
        {"CreateVolume", csi_create_volume},
        {"DeleteVolume", csi_delete_volume},
        {"ControllerExpandVolume", csi_expand_volume},
        {"ValidateVolumeCapabilities", csi_validate_volume_capabilities},
        {"ControllerGetVolume", csi_get_volume},
        {"ControllerModifyVolume", csi_modify_volume},
        {"ListVolumes", csi_list_volumes},
        {"GetCapacity", csi_get_capacity},
        {"CreateSnapshot", csi_create_snapshot},
        {"DeleteSnapshot", csi_delete_snapshot},
        {"ListSnapshots", csi_list_snapshots},
        {"GetSnapshot", csi_get_snapshot},
        {NULL, NULL},
    };
    return vk_rpc_server_add_service(server, &csi__v1__controller__descriptor, handlers, driver,
                                     VK_RPC_LANE_WORKERS, st);
}

/* ---------- capabilities ---------- */

bool csi_check_capabilities(Csi__V1__VolumeCapability *const *caps, size_t n, vk_status *st) {
    for (size_t i = 0; i < n; i++) {
        const Csi__V1__VolumeCapability *c = caps[i];
        if (c->access_type_case == CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_BLOCK) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "volume_capabilities[%zu]: raw block access is not supported: VAST volumes are NFS file "
                          "systems; use volumeMode: Filesystem",
                          i);
            return false;
        }
        if (c->access_type_case != CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_MOUNT) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "volume_capabilities[%zu]: access_type (mount) is required",
                          i);
            return false;
        }
        const char *fs = c->mount->fs_type ? c->mount->fs_type : "";
        if (*fs && strcmp(fs, "nfs") != 0 && strcmp(fs, "nfs4") != 0 && strcmp(fs, "ext4") != 0 &&
            strcmp(fs, "xfs") != 0) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "volume_capabilities[%zu]: fs_type \"%s\" is not supported; VAST volumes are NFS (leave "
                          "fsType empty)",
                          i, fs);
            return false;
        }
        if (!c->access_mode || c->access_mode->mode == CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__UNKNOWN ||
            c->access_mode->mode > CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_MULTI_WRITER) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "volume_capabilities[%zu]: a known access_mode is required",
                          i);
            return false;
        }
    }
    return true;
}

bool csi_capabilities_read_only(Csi__V1__VolumeCapability *const *caps, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int mode = caps[i]->access_mode ? caps[i]->access_mode->mode : 0;
        if (mode != CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_READER_ONLY &&
            mode != CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_READER_ONLY) {
            return false;
        }
    }
    return n > 0;
}

bool csi_content_source(const Csi__V1__VolumeContentSource *in, vast_content_source *out, vk_status *st) {
    *out = (vast_content_source){VAST_SOURCE_NONE, NULL};
    if (!in) return true;
    if (in->type_case == CSI__V1__VOLUME_CONTENT_SOURCE__TYPE_VOLUME) {
        if (!in->volume || !*in->volume->volume_id) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "volume_content_source.volume.volume_id is required");
            return false;
        }
        *out = (vast_content_source){VAST_SOURCE_VOLUME, in->volume->volume_id};
    } else if (in->type_case == CSI__V1__VOLUME_CONTENT_SOURCE__TYPE_SNAPSHOT) {
        if (!in->snapshot || !*in->snapshot->snapshot_id) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "volume_content_source.snapshot.snapshot_id is required");
            return false;
        }
        *out = (vast_content_source){VAST_SOURCE_SNAPSHOT, in->snapshot->snapshot_id};
    } else {
        vk_status_set(st, VK_INVALID_ARGUMENT, "volume_content_source names neither a snapshot nor a volume");
        return false;
    }
    return true;
}

/* ---------- response helpers ---------- */


Google__Protobuf__Timestamp *csi_timestamp(vk_rpc_call *call, const char *iso) {
    if (!iso || !*iso) return NULL;
    struct tm tm = {0};
    const char *rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return NULL;
    Google__Protobuf__Timestamp *ts = vk_rpc_new_message(call, &google__protobuf__timestamp__descriptor);
    ts->seconds = timegm(&tm);
    if (*rest == '.') {
        long nanos = 0;
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++) {
            if (digits < 9) {
                nanos = nanos * 10 + (*rest - '0');
                digits++;
            }
        }
        while (digits++ < 9) nanos *= 10;
        ts->nanos = (int32_t)nanos;
    }
    return ts;
}
