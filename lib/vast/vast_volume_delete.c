/* Removing a volume: its clone stream, view, data and quota, each step done when it is
 * already gone, so a retry after a crash anywhere finishes the job. */
#include "vk/vast.h"
#include "vast_make.h"

#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/log.h"
#include "vk/names.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Removes the clone stream that filled (or is still filling) this volume. An unfinished
 * one (the PVC was deleted mid-restore) is stopped and removed with the partial copy it
 * wrote, and the temporary snapshot a volume-to-volume clone copied from goes too. */
static bool remove_clone_stream(vms_client *c, const char *path, int64_t deadline, vk_status *st) {
    char name[64];
    vk_clone_stream_name(path, name, sizeof name);
    vms_snapstream stream = {0};
    vms_error err;
    vms_lookup found = vms_snapstream_find(c, VMS_FILTERS("name", name), &stream, deadline, &err);
    bool ok = found != VMS_FAILED;
    if (found == VMS_FOUND) {
        bool unfinished = strcmp(stream.state, "FINISHED") != 0;
        if (unfinished && strcmp(stream.state, "STOPPED") != 0) ok = vms_snapstream_stop(c, stream.obj.id, deadline, &err);
        ok = ok && vms_snapstream_delete(c, stream.obj.id, unfinished, deadline, &err) != VMS_FAILED;
        char temp[64];
        vk_clone_snapshot_name(path, temp, sizeof temp);
        vms_snapshot snap = {0};
        vms_lookup has_temp = ok ? vms_snapshot_find(c, VMS_FILTERS("name", temp), &snap, deadline, &err) : VMS_MISSING;
        ok = ok && has_temp != VMS_FAILED;
        if (has_temp == VMS_FOUND) ok = vms_snapshot_delete(c, snap.obj.id, deadline, &err) != VMS_FAILED;
        vms_object_free(&snap.obj);
    }
    if (!ok) vms_fail(st, &err, "removing clone stream %s", name);
    vms_object_free(&stream.obj);
    return ok;
}

/* "a, b, c" of the first five snapshots' names, for the refusal. */
static void snapshot_names(const vms_snapshot *snaps, size_t n, char *names, size_t size) {
    size_t used = 0;
    names[0] = '\0';
    for (size_t i = 0; i < n && i < 5 && used < size; i++) {
        const char *name = *snaps[i].obj.name ? snaps[i].obj.name : "?";
        used += (size_t)snprintf(names + used, size - used, "%s%s", i ? ", " : "", name);
    }
}

/* VAST's trash API refuses a directory with snapshots, and deleting them with the
 * volume would destroy VolumeSnapshots the user still has: refuse, naming them. */
static bool refuse_if_snapshots(vms_client *c, const char *path, int64_t tenant_id, int64_t deadline,
                                vk_status *st) {
    char snap_path[VAST_PATH_MAX + 2], tenant[24];
    snprintf(snap_path, sizeof snap_path, "%s/", path);
    snprintf(tenant, sizeof tenant, "%" PRId64, tenant_id);
    vms_snapshot *snaps = NULL;
    size_t n = 0;
    vms_error err;
    bool ok = vms_snapshot_list(c, VMS_FILTERS("path", snap_path, "tenant_id", tenant), &snaps, &n, deadline, &err);
    if (!ok) {
        vms_fail(st, &err, "listing the snapshots of %s", path);
    } else if (n > 0) {
        char names[512];
        snapshot_names(snaps, n, names, sizeof names);
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "%s still has %zu snapshot(s) on VAST (%s%s); delete its VolumeSnapshots first", path, n, names,
                      n > 5 ? ", ..." : "");
    }
    vms_snapshot_list_free(snaps, n);
    return ok && n == 0;
}

static bool delete_view(vms_client *c, const char *path, int64_t tenant_id, int64_t deadline, vk_status *st) {
    vms_view view = {0};
    vms_error err;
    vms_lookup found = vms_view_find_by_path(c, path, tenant_id, &view, deadline, &err);
    if (found == VMS_FOUND) found = vms_view_delete(c, view.obj.id, deadline, &err);
    vms_object_free(&view.obj);
    if (found == VMS_FAILED) vms_fail(st, &err, "deleting the view of %s", path);
    return found != VMS_FAILED;
}

static bool delete_data(vast_ctx *ctx, vms_client *c, const char *path, int64_t tenant_id, int64_t deadline,
                        vk_status *st) {
    vms_version version;
    if (!vms_clusters_version(ctx->clusters, c, deadline, &version, st)) return false;
    if (!vms_version_at_least(&version, 4, 7, 0)) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "VAST %s has no trash API (4.7 or newer needed) to delete %s; upgrade VAST or delete the "
                      "directory by hand",
                      version.sys_version, path);
        return false;
    }
    vms_error err;
    if (vms_folder_delete(c, path, tenant_id, deadline, &err) == VMS_FAILED) {
        vms_fail(st, &err, "deleting the data of %s", path);
        return false;
    }
    return true;
}

/* Of the quotas at and under path: the one at path (a new reference into quota) and
 * the first beneath it (into nested, "" when none). */
static vms_lookup own_and_nested(const vms_quota *quotas, size_t n, const char *path, vms_quota *quota,
                                 char *nested, size_t nested_size) {
    vms_lookup found = VMS_MISSING;
    size_t len = strlen(path);
    nested[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *p = quotas[i].path;
        if (strncmp(p, path, len) != 0) continue;
        if (p[len] == '\0' && found == VMS_MISSING) {
            vms_quota_from_json(quotas[i].obj.raw, quota);
            found = VMS_FOUND;
        } else if (p[len] == '/' && !nested[0]) {
            snprintf(nested, nested_size, "%s", p);
        }
    }
    return found;
}

/* The volume's quota, and whether other volumes' quotas live beneath its path: one
 * listing by path prefix answers both. */
static vms_lookup find_own_quota(vms_client *c, const char *path, int64_t tenant_id, int64_t deadline,
                                 vms_quota *quota, char *nested, size_t nested_size, vk_status *st) {
    char tenant[24];
    snprintf(tenant, sizeof tenant, "%" PRId64, tenant_id);
    vms_quota *quotas = NULL;
    size_t n = 0;
    vms_error err;
    vms_lookup found = VMS_FAILED;
    if (vms_quota_list(c, VMS_FILTERS("path__startswith", path, "tenant_id", tenant), &quotas, &n, deadline, &err)) {
        found = own_and_nested(quotas, n, path, quota, nested, nested_size);
    } else {
        vms_fail(st, &err, "listing the quotas under %s", path);
    }
    vms_quota_list_free(quotas, n);
    return found;
}

/* A quota this driver made for an object of kind (its mark), or for a volume, the
 * vendor driver's own volume quota. The kind is part of the proof: a volume id naming
 * a bucket's path (or the reverse) finds a quota that is not a volume's. */
static bool quota_is_ours(const vast_ctx *ctx, const vms_quota *quota, int64_t tenant_id, vast_owned_kind kind) {
    const char *dir = strrchr(quota->path, '/');
    return (quota->obj.tenant_id == tenant_id &&
            vast_owner_name_is_ours(kind, tenant_id, quota->path, quota->obj.name)) ||
           (kind == VAST_OWNED_VOLUME && dir && vast_vendor_volume_is_ours(ctx->roots, dir + 1, quota->path,
                                                                            quota->obj.name));
}

vk_code vast_volume_delete_locked(vast_ctx *ctx, vms_client *c, const char *path, int64_t tenant_id,
                                        int64_t deadline, vk_status *st) {
    return vast_marked_path_delete_locked(ctx, c, path, tenant_id, VAST_OWNED_VOLUME, deadline, st);
}

vk_code vast_marked_path_delete_locked(vast_ctx *ctx, vms_client *c, const char *path, int64_t tenant_id,
                                       vast_owned_kind kind, int64_t deadline, vk_status *st) {
    /* The driver's quota is what makes a path a volume of this driver. Without one
     * nothing is deleted: an id naming another directory (an administrator's, a parent
     * of volumes, a path outside the root exports) never takes data with it. The quota
     * also goes last, so its absence after a crash means the deletion had finished. */
    if (vast_path_classify(ctx->roots, path) != VAST_PATH_VOLUME) {
        VK_LOG(VK_LOG_WARN, "not a volume path of this driver: nothing deleted", "path", path);
        return VK_OK;
    }
    vms_quota quota = {0};
    char nested[VAST_PATH_MAX];
    vms_lookup found = find_own_quota(c, path, tenant_id, deadline, &quota, nested, sizeof nested, st);
    if (found == VMS_FAILED) return st->code;
    if (found == VMS_FOUND && !quota_is_ours(ctx, &quota, tenant_id, kind)) {
        VK_LOG(VK_LOG_WARN, "the quota at the path is not this driver's: nothing deleted", "path", path, "quota",
               quota.obj.name);
        vms_object_free(&quota.obj);
        return VK_OK;
    }
    /* a restore still copying has no quota yet: its stream (named from the path, made
     * only by this driver) and partial copy go first; only volumes are ever cloned into */
    if (kind == VAST_OWNED_VOLUME && !remove_clone_stream(c, path, deadline, st)) {
        vms_object_free(&quota.obj);
        return st->code;
    }
    if (found == VMS_MISSING) {
        VK_LOG(VK_LOG_INFO, "no quota at the volume's path: nothing to delete", "path", path);
        return VK_OK;
    }
    int64_t quota_id = quota.obj.id;
    vms_object_free(&quota.obj);
    if (nested[0]) {
        return vk_status_set(st, VK_FAILED_PRECONDITION,
                             "%s holds another quota (at %s); refusing to delete its data", path, nested);
    }
    /* Then: refuse while snapshots exist; the view (stop serving), the data, and last the
     * quota. A crash between steps leaves a state the same sequence finishes. */
    vms_error err;
    bool ok = refuse_if_snapshots(c, path, tenant_id, deadline, st) &&
              delete_view(c, path, tenant_id, deadline, st) && !vk_fault_point("controller.delete.after_view", st) &&
              delete_data(ctx, c, path, tenant_id, deadline, st) && !vk_fault_point("controller.delete.after_data", st);
    if (ok && vms_quota_delete(c, quota_id, deadline, &err) == VMS_FAILED) {
        vms_fail(st, &err, "deleting the quota of %s", path);
        ok = false;
    }
    return ok ? VK_OK : st->code;
}

vk_code vast_volume_delete(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline, vk_status *st) {
    vast_volume_ref ref;
    if (!vast_volume_id_parse(id, &ref) || vast_volume_is_snapshot_view(&ref)) {
        /* not an id of ours, or a read-only restore that owns nothing on VAST: no volume
         * of this driver can have it, so it is gone */
        return VK_OK;
    }
    char lock_key[VAST_PATH_MAX + 8];
    snprintf(lock_key, sizeof lock_key, "vol:%s", ref.legacy ? ref.legacy_name : ref.path);
    if (!vk_keylock_acquire(ctx->locks, lock_key, deadline)) {
        return vk_status_set(st, VK_ABORTED, "another operation on it is in progress");
    }
    vast_volume_target t;
    vk_code code = vast_volume_target_open(ctx, id, secrets, deadline, &t, st);
    if (code == VK_NOT_FOUND && t.unreachable) {
        /* the id's cluster is not in the secret: whether the volume is gone cannot be told */
        code = st->code = VK_FAILED_PRECONDITION;
    } else if (code == VK_NOT_FOUND) {
        /* not this driver's, or nothing there; a restore still copying into the path has
         * no quota yet, and its stream is ours alone */
        code = t.absent && t.client && !t.ref.legacy ? vast_volume_delete_locked(ctx, t.client, t.path, t.tenant_id,
                                                                              deadline, st)
                                                     : VK_OK;
    } else if (code == VK_OK) {
        code = vast_volume_delete_locked(ctx, t.client, t.path, t.tenant_id, deadline, st);
        if (code == VK_OK) {
            VK_LOG(VK_LOG_INFO, "volume deleted", "volume", id, "cluster", vms_client_endpoint(t.client));
        }
    }
    vast_volume_target_close(&t);
    vk_keylock_release(ctx->locks, lock_key);
    return code;
}
