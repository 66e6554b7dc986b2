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

/* Fills a CSI Snapshot from a VAST one; cluster as in the ids. */
Csi__V1__Snapshot *csi_snapshot_message(vk_rpc_call *call, const char *cluster, const vms_snapshot *snap,
                                        int64_t size_bytes) {
    char volume_path[VAST_PATH_MAX], id[VAST_ID_MAX + 1], volume_id[VAST_ID_MAX + 1];
    snprintf(volume_path, sizeof volume_path, "%s", snap->path);
    size_t n = strlen(volume_path);
    while (n > 1 && volume_path[n - 1] == '/') volume_path[--n] = '\0';
    Csi__V1__Snapshot *s = vk_rpc_new_message(call, &csi__v1__snapshot__descriptor);
    if (!vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 0, NULL, snap->obj.name)) {
        /* the vendor driver's snapshot of its volume: its own id forms */
        const char *dir = strrchr(volume_path, '/');
        snprintf(id, sizeof id, "%" PRId64 "%s%s", snap->obj.id, *cluster ? "@" : "", cluster);
        /* its names are "<prefix>-<uuid>", well under the cap (vast_owner.h) */
        snprintf(volume_id, sizeof volume_id, "%.64s%s%.63s", dir ? dir + 1 : volume_path, *cluster ? "@" : "", cluster);
    } else {
        vast_snapshot_id_format(cluster, snap->obj.tenant_id, snap->obj.id, volume_path, id, sizeof id);
        vast_volume_id_format(cluster, snap->obj.tenant_id, volume_path, volume_id, sizeof volume_id);
    }
    s->snapshot_id = vk_rpc_strdup(call, id);
    s->source_volume_id = vk_rpc_strdup(call, volume_id);
    s->size_bytes = size_bytes;
    s->creation_time = csi_timestamp(call, snap->created);
    s->ready_to_use = 1;
    return s;
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
    char base_name[256], vast_name[VAST_NAME_MAX + 1], err_text[256];
    if (!vk_name_format(p.snapshot_name_fmt, p.snapshot_name, p.snapshot_namespace, req->name, base_name,
                         sizeof base_name, err_text, sizeof err_text)) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "CreateSnapshot %s: snapshot_name_fmt: %s", req->name,
                           err_text);
    }
    vk_name_snapshot_safe(base_name);
    if (strlen(base_name) > VAST_NAME_MAX - VAST_MARK_LEN) {
        /* keep long names apart: the cut part lives on in a hash */
        vk_name_shorten(base_name, VAST_NAME_MAX - VAST_MARK_LEN);
    }
    /* The mark (vk/vast_owner.h) proves the snapshot is this driver's. It depends on the
     * name alone, so a second CreateSnapshot of this name for another volume meets
     * VAST's uniqueness and is told apart below. */
    vast_owner_name(VAST_OWNED_SNAPSHOT, 0, NULL, base_name, vast_name, sizeof vast_name);

    int64_t deadline = csi_call_deadline(driver, call);
    char lock_key[300];
    snprintf(lock_key, sizeof lock_key, "snap:%s", vast_name);
    if (!vk_keylock_acquire(driver->vast.locks, lock_key, deadline)) {
        return vk_rpc_fail(call, VK_ABORTED, "CreateSnapshot %s: another operation on it is in progress",
                           req->name);
    }
    vast_volume_target t;
    vms_snapshot snap = {0};
    vms_error err;
    /* the source must be proven this driver's: a snapshot of a foreign directory would
     * let a restore copy data into a PVC that its owner never gave */
    vk_code code = vast_volume_target_open(&driver->vast, req->source_volume_id, CSI_MAP(req, secrets), deadline,
                                                   &t, &st);
    if (code == VK_OK && vast_volume_is_snapshot_view(&t.ref)) {
        code = vk_status_set(&st, VK_INVALID_ARGUMENT, "a read-only restore cannot be snapshotted again");
    }
    char snap_path[VAST_PATH_MAX + 2];
    if (code == VK_OK) {
        snprintf(snap_path, sizeof snap_path, "%s/", t.path);
        vms_snapshot_spec spec = {.name = vast_name, .path = snap_path, .tenant_id = t.tenant_id};
        if (!vms_snapshot_create(t.client, &spec, &snap, deadline, &err)) {
            if (!vms_error_is_unique_violation(&err)) {
                code = vms_fail(&st, &err, "creating snapshot %s of %s", vast_name, t.path);
            } else if (vms_snapshot_find(t.client, VMS_FILTERS("name", vast_name), &snap, deadline, &err) !=
                       VMS_FOUND) {
                code = vms_fail(&st, &err, "reading existing snapshot %s", vast_name);
            } else if (strcmp(snap.path, snap_path) != 0) {
                code = vk_status_set(&st, VK_ALREADY_EXISTS,
                                     "snapshot %s already exists for another volume (%s)", vast_name, snap.path);
            }
        }
    }
    if (code == VK_OK && vk_fault_point("controller.snapshot.after_create", &st)) code = st.code;
    if (code == VK_OK) {
        Csi__V1__CreateSnapshotResponse *r = vk_rpc_new_message(call, &csi__v1__create_snapshot_response__descriptor);
        /* size_bytes becomes the VolumeSnapshot's restoreSize, the least a restored PVC
         * may ask for: the source's capacity (its data when it has no limit) */
        int64_t size = t.quota.hard_limit > 0 ? t.quota.hard_limit : t.quota.used_capacity;
        r->snapshot = csi_snapshot_message(call, t.ref.cluster, &snap, size);
        if (t.ref.legacy) r->snapshot->source_volume_id = vk_rpc_strdup(call, req->source_volume_id);
        *response = &r->base;
        VK_LOG(VK_LOG_INFO, "snapshot ready", "snapshot", r->snapshot->snapshot_id, "volume", req->source_volume_id);
    }
    vms_object_free(&snap.obj);
    vast_volume_target_close(&t);
    vk_keylock_release(driver->vast.locks, lock_key);
    if (code != VK_OK) return vk_rpc_fail(call, code, "CreateSnapshot %s: %s", req->name, st.message);
    return VK_OK;
}

vk_code csi_delete_snapshot(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__DeleteSnapshotRequest *req = (const Csi__V1__DeleteSnapshotRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->snapshot_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "DeleteSnapshot: snapshot_id is required");
    *response = vk_rpc_new_message(call, &csi__v1__delete_snapshot_response__descriptor);
    int64_t deadline = csi_call_deadline(driver, call);
    vast_snapshot_target t;
    vk_code code = vast_snapshot_target_open(&driver->vast, req->snapshot_id, CSI_MAP(req, secrets), deadline, &t, &st);
    if (code == VK_NOT_FOUND) {
        /* not this driver's, or gone: no snapshot of ours has this id. Unless the id's
         * cluster is out of reach, when nobody can tell. */
        code = t.unreachable ? (st.code = VK_FAILED_PRECONDITION) : VK_OK;
    } else if (code == VK_OK) {
        vms_error err;
        vms_lookup done = vms_snapshot_delete(t.client, t.snap.obj.id, deadline, &err);
        if (done == VMS_FAILED) {
            code = vms_fail(&st, &err, "deleting snapshot %" PRId64, t.snap.obj.id);
            if (err.http_status == 409) code = st.code = VK_FAILED_PRECONDITION;
        }
    }
    vast_snapshot_target_close(&t);
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
        r->snapshot = csi_snapshot_message(call, t.ref.cluster, &t.snap, 0);
        *response = &r->base;
    }
    vast_snapshot_target_close(&t);
    if (code != VK_OK) return vk_rpc_fail(call, code, "GetSnapshot %s: %s", req->snapshot_id, st.message);
    return VK_OK;
}
