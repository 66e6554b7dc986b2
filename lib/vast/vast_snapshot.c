/* Snapshots of volumes: VAST snapshots of the volume's directory, named with the
 * driver's mark, and their removal. A retry of either converges: the name is the
 * idempotency key of a create, and a snapshot already gone is a finished delete. */
#include "vk/vast.h"

#include "vk/fault.h"
#include "vk/names.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The VAST name of a snapshot: the name format's result, made snapshot-safe and short
 * enough for the mark (vk/vast_owner.h), which proves the snapshot is this driver's. It
 * depends on the name alone, so a second create of this name for another volume meets
 * VAST's uniqueness and is told apart. */
static bool snapshot_vast_name(const vast_snapshot_spec *spec, char *out, size_t size, vk_status *st) {
    const vast_snapshot_params *p = spec->params;
    char base_name[256], err_text[256];
    if (!vk_name_format(p->snapshot_name_fmt, p->snapshot_name, p->snapshot_namespace, spec->name, base_name,
                        sizeof base_name, err_text, sizeof err_text)) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "snapshot_name_fmt: %s", err_text);
        return false;
    }
    vk_name_snapshot_safe(base_name);
    if (strlen(base_name) > VAST_NAME_MAX - VAST_MARK_LEN) {
        /* keep long names apart: the cut part lives on in a hash */
        vk_name_shorten(base_name, VAST_NAME_MAX - VAST_MARK_LEN);
    }
    vast_owner_name(VAST_OWNED_SNAPSHOT, 0, NULL, base_name, out, size);
    return true;
}

/* Creates the snapshot of t's directory, or finds the one an earlier attempt made. */
static vk_code make_snapshot(const vast_volume_target *t, const char *vast_name, int64_t deadline,
                             vms_snapshot *snap, vk_status *st) {
    char snap_path[VAST_PATH_MAX + 2];
    snprintf(snap_path, sizeof snap_path, "%s/", t->path);
    vms_snapshot_spec spec = {.name = vast_name, .path = snap_path, .tenant_id = t->tenant_id};
    vms_error err;
    if (vms_snapshot_create(t->client, &spec, snap, deadline, &err)) return VK_OK;
    if (!vms_error_is_unique_violation(&err)) return vms_fail(st, &err, "creating snapshot %s of %s", vast_name, t->path);
    if (vms_snapshot_find(t->client, VMS_FILTERS("name", vast_name), snap, deadline, &err) != VMS_FOUND) {
        return vms_fail(st, &err, "reading existing snapshot %s", vast_name);
    }
    if (strcmp(snap->path, snap_path) != 0) {
        return vk_status_set(st, VK_ALREADY_EXISTS, "snapshot %s already exists for another volume (%s)", vast_name,
                             snap->path);
    }
    return VK_OK;
}

vk_code vast_snapshot_create(vast_ctx *ctx, const vast_snapshot_spec *spec, int64_t deadline,
                             vast_snapshot_result *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    char vast_name[VAST_NAME_MAX + 1];
    if (!snapshot_vast_name(spec, vast_name, sizeof vast_name, st)) return st->code;
    char lock_key[300];
    snprintf(lock_key, sizeof lock_key, "snap:%s", vast_name);
    if (!vk_keylock_acquire(ctx->locks, lock_key, deadline)) {
        return vk_status_set(st, VK_ABORTED, "another operation on it is in progress");
    }
    vast_volume_target t;
    /* the source must be proven this driver's: a snapshot of a foreign directory would
     * let a restore copy data into a PVC that its owner never gave */
    vk_code code = vast_volume_target_open(ctx, spec->source_volume_id, spec->secrets, deadline, &t, st);
    if (code == VK_OK && vast_volume_is_snapshot_view(&t.ref)) {
        code = vk_status_set(st, VK_INVALID_ARGUMENT, "a read-only restore cannot be snapshotted again");
    }
    if (code == VK_OK) code = make_snapshot(&t, vast_name, deadline, &out->snap, st);
    if (code == VK_OK && vk_fault_point("controller.snapshot.after_create", st)) code = st->code;
    if (code == VK_OK) {
        snprintf(out->cluster, sizeof out->cluster, "%s", t.ref.cluster);
        /* the least a restored volume may ask for: the source's capacity (its data when
         * it has no limit) */
        out->size_bytes = t.quota.hard_limit > 0 ? t.quota.hard_limit : t.quota.used_capacity;
        out->vendor_source = t.ref.legacy;
    }
    vast_volume_target_close(&t);
    vk_keylock_release(ctx->locks, lock_key);
    return code;
}

void vast_snapshot_result_free(vast_snapshot_result *r) { vms_object_free(&r->snap.obj); }

vk_code vast_snapshot_delete(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline, vk_status *st) {
    vast_snapshot_target t;
    vk_code code = vast_snapshot_target_open(ctx, id, secrets, deadline, &t, st);
    if (code == VK_NOT_FOUND) {
        /* not this driver's, or gone: no snapshot of ours has this id. Unless the id's
         * cluster is out of reach, when nobody can tell. */
        code = t.unreachable ? (st->code = VK_FAILED_PRECONDITION) : VK_OK;
    } else if (code == VK_OK) {
        vms_error err;
        vms_lookup done = vms_snapshot_delete(t.client, t.snap.obj.id, deadline, &err);
        if (done == VMS_FAILED) {
            code = vms_fail(st, &err, "deleting snapshot %" PRId64, t.snap.obj.id);
            if (err.http_status == 409) code = st->code = VK_FAILED_PRECONDITION;
        }
    }
    vast_snapshot_target_close(&t);
    return code;
}
