/* Snapshots: a VAST snapshot of the volume's directory, named from the
 * VolumeSnapshotClass's snapshot_name_fmt. VAST snapshots are instant, so a snapshot
 * is ready to use as soon as it exists. */
#include "controller.h"
#include "vk/names.h"

#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

Csi__V1__Snapshot *csi_snapshot_message(vk_rpc_call *call, const vast_snapshot_entry *e) {
    Csi__V1__Snapshot *s = vk_rpc_new_message(call, &csi__v1__snapshot__descriptor);
    s->snapshot_id = vk_rpc_strdup(call, e->snapshot_id);
    s->source_volume_id = vk_rpc_strdup(call, e->source_volume_id);
    s->size_bytes = e->size_bytes;
    s->creation_time = csi_timestamp(call, e->created);
    s->ready_to_use = e->ready;
    return s;
}

/* A snapshot at hand (made or opened) as CSI's; cluster as in the ids. */
static Csi__V1__Snapshot *snapshot_message(vk_rpc_call *call, const char *cluster, const vms_snapshot *snap,
                                           int64_t size_bytes) {
    vast_snapshot_entry e;
    vast_snapshot_entry_of(cluster, snap, size_bytes, &e);
    return csi_snapshot_message(call, &e);
}

vk_code csi_create_snapshot(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__CreateSnapshotRequest *req = (const Csi__V1__CreateSnapshotRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->name) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "CreateSnapshot: name is required");
    if (!*req->source_volume_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "CreateSnapshot %s: source_volume_id is required",
                           req->name);
    }
    vast_snapshot_params p;
    if (!vast_snapshot_params_parse(CSI_MAP(req, parameters), &p, &st)) {
        return vk_rpc_fail(call, st.code, "CreateSnapshot %s: %s", req->name, st.message);
    }
    vast_snapshot_spec spec = {.name = req->name, .params = &p, .source_volume_id = req->source_volume_id,
                               .secrets = CSI_MAP(req, secrets)};
    vast_snapshot_result made;
    vk_code code = vast_snapshot_create(&driver->vast, &spec, csi_call_deadline(driver, call), &made, &st);
    if (code == VK_OK) {
        Csi__V1__CreateSnapshotResponse *r = vk_rpc_new_message(call, &csi__v1__create_snapshot_response__descriptor);
        r->snapshot = snapshot_message(call, made.cluster, &made.snap, made.size_bytes);
        if (made.vendor_source) r->snapshot->source_volume_id = vk_rpc_strdup(call, req->source_volume_id);
        *response = &r->base;
        VK_LOG(VK_LOG_INFO, "snapshot ready", "snapshot", r->snapshot->snapshot_id, "volume", req->source_volume_id);
    }
    vast_snapshot_result_free(&made);
    if (code != VK_OK) return vk_rpc_fail(call, code, "CreateSnapshot %s: %s", req->name, st.message);
    return VK_OK;
}

vk_code csi_delete_snapshot(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__DeleteSnapshotRequest *req = (const Csi__V1__DeleteSnapshotRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->snapshot_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "DeleteSnapshot: snapshot_id is required");
    *response = vk_rpc_new_message(call, &csi__v1__delete_snapshot_response__descriptor);
    vk_code code = vast_snapshot_delete(&driver->vast, req->snapshot_id, CSI_MAP(req, secrets),
                                        csi_call_deadline(driver, call), &st);
    if (code != VK_OK) return vk_rpc_fail(call, code, "DeleteSnapshot %s: %s", req->snapshot_id, st.message);
    return VK_OK;
}

vk_code csi_get_snapshot(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__GetSnapshotRequest *req = (const Csi__V1__GetSnapshotRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->snapshot_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "GetSnapshot: snapshot_id is required");
    vast_snapshot_target t;
    vk_code code = vast_snapshot_target_open(&driver->vast, req->snapshot_id, CSI_MAP(req, secrets),
                                                     csi_call_deadline(driver, call), &t, &st);
    if (code == VK_OK) {
        Csi__V1__GetSnapshotResponse *r = vk_rpc_new_message(call, &csi__v1__get_snapshot_response__descriptor);
        r->snapshot = snapshot_message(call, t.ref.cluster, &t.snap, 0);
        *response = &r->base;
    }
    vast_snapshot_target_close(&t);
    if (code != VK_OK) return vk_rpc_fail(call, code, "GetSnapshot %s: %s", req->snapshot_id, st.message);
    return VK_OK;
}
