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
#include <stdlib.h>
#include <string.h>

/* Removes the clone stream that filled (or is still filling) this volume. An unfinished
 * one (the PVC was deleted mid-restore) is stopped and removed with the partial copy it
 * wrote, and the temporary snapshot a volume-to-volume clone copied from goes too. */
/* Removes the clone stream that filled (or is still filling) this volume, found by the
 * listing `streams` (sent with the other look-ups). An unfinished one (the PVC was
 * deleted mid-restore) is stopped and removed with the partial copy it wrote, and the
 * temporary snapshot a volume-to-volume clone copied from goes too. */
static bool remove_clone_stream(vms_client *c, const char *path, vms_call *streams, int64_t deadline,
                                vk_status *st) {
    char name[64];
    vk_clone_stream_name(path, name, sizeof name);
    vms_snapstream *found = NULL;
    size_t n = 0;
    vms_error err;
    bool ok = vms_snapstream_list_from(c, streams, &found, &n, deadline, &err);
    for (size_t i = 0; ok && i < n; i++) {
        const vms_snapstream *stream = &found[i];
        bool unfinished = strcmp(stream->state, "FINISHED") != 0;
        if (unfinished && strcmp(stream->state, "STOPPED") != 0) ok = vms_snapstream_stop(c, stream->obj.id, deadline, &err);
        ok = ok && vms_snapstream_delete(c, stream->obj.id, unfinished, deadline, &err) != VMS_FAILED;
        char temp[64];
        vk_clone_snapshot_name(path, temp, sizeof temp);
        vms_snapshot snap = {0};
        vms_lookup has_temp = ok ? vms_snapshot_find(c, VMS_FILTERS("name", temp), &snap, deadline, &err) : VMS_MISSING;
        ok = ok && has_temp != VMS_FAILED;
        if (has_temp == VMS_FOUND) ok = vms_snapshot_delete(c, snap.obj.id, deadline, &err) != VMS_FAILED;
        vms_object_free(&snap.obj);
    }
    if (!ok) vms_fail(st, &err, "removing clone stream %s", name);
    vms_snapstream_list_free(found, n);
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
static bool refuse_if_snapshots(vms_client *c, const char *path, vms_call *listing, int64_t deadline,
                                vk_status *st) {
    vms_snapshot *snaps = NULL;
    size_t n = 0;
    vms_error err;
    bool ok = vms_snapshot_list_from(c, listing, &snaps, &n, deadline, &err);
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

/* The view at the path, from its listing: *view_id (0 when there is none) and its name
 * (into name). */
static bool find_view(vms_client *c, const char *path, vms_call *listing, int64_t deadline, int64_t *view_id,
                      char *name, size_t name_size, vk_status *st) {
    vms_view *views = NULL;
    size_t n = 0;
    vms_error err;
    bool ok = vms_view_list_from(c, listing, &views, &n, deadline, &err);
    *view_id = 0;
    name[0] = '\0';
    for (size_t i = 0; ok && i < n; i++) {
        if (strcmp(views[i].path, path) != 0) continue;
        *view_id = views[i].obj.id;
        snprintf(name, name_size, "%s", views[i].obj.name ? views[i].obj.name : "");
    }
    if (!ok) vms_fail(st, &err, "reading the view of %s", path);
    vms_view_list_free(views, n);
    return ok;
}

/* The trash API (folders/delete_folder/) came with VAST 4.7. */
static bool can_delete_data(vast_ctx *ctx, vms_client *c, const char *path, int64_t deadline, vk_status *st) {
    vms_version version;
    if (!vms_clusters_version(ctx->clusters, c, deadline, &version, st)) return false;
    if (!vms_version_at_least(&version, 4, 7, 0)) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "VAST %s has no trash API (4.7 or newer needed) to delete %s; upgrade VAST or delete the "
                      "directory by hand",
                      version.sys_version, path);
        return false;
    }
    return true;
}

/* The view (when there is one) and the data go together: the CO deletes a volume only
 * once no node publishes it, so nothing reads through the view while its data goes, and
 * each of the two is safe alone (the quota, which finds the volume, stays until both are
 * gone). */
static bool delete_view_and_data(vms_client *c, const char *path, int64_t tenant_id, int64_t view_id,
                                 int64_t deadline, vk_status *st) {
    char view_path[48];
    snprintf(view_path, sizeof view_path, "views/%" PRId64 "/", view_id);
    json_t *folder = vms_folder_delete_body(path, tenant_id);
    vms_call calls[2] = {
        {.method = "DELETE", .path = "folders/delete_folder/", .body = folder, .flags = VMS_IDEMPOTENT},
        {.method = "DELETE", .path = view_path, .flags = VMS_IDEMPOTENT},
    };
    vms_request_all(c, calls, view_id ? 2 : 1, deadline);
    vms_error err;
    char label[64];
    snprintf(label, sizeof label, "view %" PRId64, view_id);
    bool ok = true;
    if (view_id && vms_deleted(c, &calls[1], label, deadline, &err) == VMS_FAILED) {
        ok = false;
        vms_fail(st, &err, "deleting the view of %s", path);
    }
    if (ok && vms_folder_deleted(c, &calls[0], path, deadline, &err) == VMS_FAILED) {
        ok = false;
        vms_fail(st, &err, "deleting the data of %s", path);
    }
    for (size_t i = 0; i < 2; i++) json_decref(calls[i].answer);
    json_decref(folder);
    return ok;
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
static vms_lookup find_own_quota(vms_client *c, const char *path, vms_call *listing, int64_t deadline,
                                 vms_quota *quota, char *nested, size_t nested_size, vk_status *st) {
    vms_quota *quotas = NULL;
    size_t n = 0;
    vms_error err;
    vms_lookup found = VMS_FAILED;
    if (vms_quota_list_from(c, listing, &quotas, &n, deadline, &err)) {
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
    return vast_marked_path_delete_locked(ctx, c, path, tenant_id, VAST_OWNED_VOLUME, deadline, NULL, st);
}

/* Every look-up a deletion needs, sent at once (they read, so any order is safe). */
typedef struct {
    char *paths[4];
    vms_call calls[4]; /* quotas at and under the path, snapshots, views, clone streams */
    size_t n;
} lookups;

static void lookups_send(vms_client *c, const char *path, int64_t tenant_id, vast_owned_kind kind,
                         int64_t deadline, lookups *l) {
    char tenant[24], snap_path[VAST_PATH_MAX + 2], stream[64];
    snprintf(tenant, sizeof tenant, "%" PRId64, tenant_id);
    snprintf(snap_path, sizeof snap_path, "%s/", path);
    vk_clone_stream_name(path, stream, sizeof stream);
    memset(l, 0, sizeof *l);
    l->paths[0] = vms_list_first_page_path(c, "quotas/", VMS_FILTERS("path__startswith", path, "tenant_id", tenant));
    l->paths[1] = vms_list_first_page_path(c, "snapshots/", VMS_FILTERS("path", snap_path, "tenant_id", tenant));
    l->paths[2] = vms_list_first_page_path(c, "views/", VMS_FILTERS("path", path, "tenant_id", tenant));
    /* only volumes are ever cloned into */
    l->paths[3] = kind == VAST_OWNED_VOLUME ? vms_list_first_page_path(c, "globalsnapstreams/", VMS_FILTERS("name", stream)) : NULL;
    l->n = l->paths[3] ? 4 : 3;
    for (size_t i = 0; i < l->n; i++) l->calls[i] = (vms_call){.method = "GET", .path = l->paths[i]};
    vms_request_all(c, l->calls, l->n, deadline);
}

static void lookups_free(lookups *l) {
    for (size_t i = 0; i < l->n; i++) {
        json_decref(l->calls[i].answer);
        free(l->paths[i]);
    }
}

/* No quota at the path: a restore still copying has no quota yet (its stream and
 * partial copy go), and a view made with a quota that never came (a create that died
 * between its concurrent requests) goes when it carries the driver's view mark. The
 * directory stays: without its quota nothing proves the data is the driver's. */
static bool remove_unfinished(vms_client *c, const char *path, int64_t tenant_id, lookups *l, int64_t deadline,
                              vk_status *st) {
    if (l->n > 3 && !remove_clone_stream(c, path, &l->calls[3], deadline, st)) return false;
    int64_t view_id;
    char name[VAST_NAME_MAX + 1];
    if (!find_view(c, path, &l->calls[2], deadline, &view_id, name, sizeof name, st)) return false;
    if (!view_id || !vast_owner_identity_is_ours(VAST_OWNED_VIEW, tenant_id, path, name)) return true;
    vms_error err;
    if (vms_view_delete(c, view_id, deadline, &err) == VMS_FAILED) {
        vms_fail(st, &err, "deleting the view of unfinished volume %s", path);
        return false;
    }
    VK_LOG(VK_LOG_INFO, "removed the view of a volume whose quota was never made", "path", path);
    return true;
}

vk_code vast_marked_path_delete_locked(vast_ctx *ctx, vms_client *c, const char *path, int64_t tenant_id,
                                       vast_owned_kind kind, int64_t deadline, vast_delete_outcome *outcome,
                                       vk_status *st) {
    vast_delete_outcome unused;
    if (!outcome) outcome = &unused;
    *outcome = VAST_DELETE_FOREIGN;
    /* The driver's quota is what makes a path a volume of this driver. Without one
     * nothing is deleted: an id naming another directory (an administrator's, a parent
     * of volumes, a path outside the root exports) never takes data with it. The quota
     * also goes last, so its absence after a crash means the deletion had finished.
     * Three round trips of wall time: the look-ups, then the view with the data, then
     * the quota (docs/controller.md). */
    if (vast_path_classify(ctx->roots, path) != VAST_PATH_VOLUME) {
        VK_LOG(VK_LOG_WARN, "not a volume path of this driver: nothing deleted", "path", path);
        return VK_OK;
    }
    lookups l;
    lookups_send(c, path, tenant_id, kind, deadline, &l);
    vms_quota quota = {0};
    char nested[VAST_PATH_MAX];
    vk_code code = VK_OK;
    int64_t view_id = 0;
    char view_name[VAST_NAME_MAX + 1];
    vms_lookup found = find_own_quota(c, path, &l.calls[0], deadline, &quota, nested, sizeof nested, st);
    if (found == VMS_FAILED) {
        code = st->code;
    } else if (found == VMS_FOUND && !quota_is_ours(ctx, &quota, tenant_id, kind)) {
        VK_LOG(VK_LOG_WARN, "the quota at the path is not this driver's: nothing deleted", "path", path, "quota",
               quota.obj.name);
    } else if (found == VMS_MISSING) {
        *outcome = VAST_DELETE_ABSENT;
        if (!remove_unfinished(c, path, tenant_id, &l, deadline, st)) code = st->code;
        else VK_LOG(VK_LOG_INFO, "no quota at the volume's path: nothing to delete", "path", path);
    } else if (l.n > 3 && !remove_clone_stream(c, path, &l.calls[3], deadline, st)) {
        code = st->code;
    } else if (nested[0]) {
        code = vk_status_set(st, VK_FAILED_PRECONDITION,
                             "%s holds another quota (at %s); refusing to delete its data", path, nested);
    } else if (!refuse_if_snapshots(c, path, &l.calls[1], deadline, st) ||
               !find_view(c, path, &l.calls[2], deadline, &view_id, view_name, sizeof view_name, st) ||
               vk_fault_point("controller.delete.after_lookups", st) || !can_delete_data(ctx, c, path, deadline, st) ||
               !delete_view_and_data(c, path, tenant_id, view_id, deadline, st) ||
               vk_fault_point("controller.delete.after_data", st)) {
        code = st->code;
    } else {
        vms_error err;
        if (vms_quota_delete(c, quota.obj.id, deadline, &err) == VMS_FAILED)
            code = vms_fail(st, &err, "deleting the quota of %s", path);
        else *outcome = VAST_DELETED;
    }
    vms_object_free(&quota.obj);
    lookups_free(&l);
    return code;
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
    /* the deletion reads the quota with its other look-ups: the open reads nothing more */
    vk_code code = vast_volume_target_locate(ctx, id, secrets, deadline, &t, st);
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
        vast_delete_outcome outcome;
        code = vast_marked_path_delete_locked(ctx, t.client, t.path, t.tenant_id, VAST_OWNED_VOLUME, deadline,
                                              &outcome, st);
        if (code == VK_OK && outcome == VAST_DELETED) {
            VK_LOG(VK_LOG_INFO, "volume deleted", "volume", id, "cluster", vms_client_endpoint(t.client));
        }
    }
    vast_volume_target_close(&t);
    vk_keylock_release(ctx->locks, lock_key);
    return code;
}
