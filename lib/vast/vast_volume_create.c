/* Making a volume: its directory (with the quota, or by a clone), quota and view.
 * docs/controller.md gives the order of VMS calls and why each step is safe to retry. */
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

const char *vast_nfs_protocol(const char *mount_options) {
    if (!mount_options) return "NFS";
    /* look for vers=4 / nfsvers=4 (4, 4.0, 4.1, 4.2) as a whole option */
    for (const char *p = mount_options; (p = strstr(p, "vers=4")) != NULL; p++) {
        bool starts = p == mount_options || p[-1] == ',' || p[-1] == ' ' ||
                      (p - mount_options >= 3 && strncmp(p - 3, "nfs", 3) == 0 &&
                       (p - 3 == mount_options || p[-4] == ',' || p[-4] == ' '));
        if (starts) return "NFS4";
    }
    return "NFS";
}

vk_code vast_bad_reference(vk_status *st, const char *origin, const char *key) {
    if (st->code != VK_NOT_FOUND) return st->code;
    char inner[VK_STATUS_MESSAGE_MAX];
    snprintf(inner, sizeof inner, "%s", st->message);
    return vk_status_set(st, VK_INVALID_ARGUMENT, "%s parameter %s: %s", origin ? origin : "the StorageClass",
                         key, inner);
}

bool vast_volume_path(const char *root_export, const char *name, char *out, size_t size) {
    char dir[96], root[VAST_PATH_MAX];
    vk_volume_dir_name(name, dir, sizeof dir);
    /* one spelling per directory: "/k8s/" and "/k8s" are the same root */
    if (!vast_path_normalize(root_export, root, sizeof root)) snprintf(root, sizeof root, "%.*s", (int)sizeof root - 1, root_export);
    int n = snprintf(out, size, "%s/%s", strcmp(root, "/") == 0 ? "" : root, dir);
    return n >= 0 && (size_t)n < size;
}

/* Takes back the view this call made when its volume cannot be completed: nothing
 * else would find it (volumes are found by their quota). Best effort: DeleteVolume
 * also removes a marked view without a quota. */
static void take_back_view(vms_client *c, int64_t view_id, const char *path, int64_t deadline) {
    vms_error err;
    if (view_id && vms_view_delete(c, view_id, deadline, &err) == VMS_FAILED) {
        VK_LOG(VK_LOG_WARN, "cannot take back the view of an unfinished volume", "path", path, "error", err.message);
    }
}

/* The quota, the view and (for an empty volume) the check that the directory held no
 * one else's data go out at once: one round trip of wall time. Any subset of them may
 * have happened when this call dies, and each is safe alone (docs/controller.md): the
 * answer is OK only when the quota and the view both exist, so no pod ever mounts a
 * volume without its quota, and a retry settles each request's "must be unique"
 * answer by looking the object up, as the one-at-a-time steps do. */
static vk_code make_quota_and_view(vms_client *c, const vms_quota_spec *quota, const vms_view_spec *view,
                                   bool check_contents, const char *what, int64_t deadline, vk_status *st) {
    json_t *quota_body = vms_quota_create_body(quota), *view_body = vms_view_create_body(view);
    char *contents = check_contents ? vast_contents_page_path(c, quota->path) : NULL;
    vms_call calls[3] = {
        {.method = "POST", .path = "quotas/", .body = quota_body},
        {.method = "POST", .path = "views/", .body = view_body},
        {.method = "GET", .path = contents},
    };
    int64_t made_quota = 0, made_view = 0;
    bool ok = !vk_fault_point("controller.create.before_requests", st);
    if (ok) {
        vms_request_all(c, calls, check_contents ? 3 : 2, deadline);
        ok = !vk_fault_point("controller.create.after_requests", st);
    }
    /* each answer is read even when an earlier one failed: made_view must be known to
     * take the view back */
    bool view_ok = ok && vast_settle_view(c, view, &calls[1], what, deadline, &made_view, st);
    vk_status view_st = *st;
    ok = ok && vast_settle_quota(c, quota, &calls[0], what, deadline, &made_quota, st) &&
         (!check_contents ||
          vast_settle_contents(c, quota->path, &calls[2], what, quota->name, made_quota, deadline, st));
    if (ok && !view_ok) *st = view_st;
    ok = ok && view_ok;
    if (!ok && made_view) take_back_view(c, made_view, view->path, deadline);
    if (ok) ok = !vk_fault_point("controller.create.after_view", st);
    for (size_t i = 0; i < 3; i++) json_decref(calls[i].answer);
    json_decref(quota_body);
    json_decref(view_body);
    free(contents);
    return ok ? VK_OK : st->code;
}

vk_code vast_volume_create_locked(vast_ctx *ctx, vms_client *c, const vast_volume_spec *spec,
                                        int64_t deadline, vast_volume_result *out, vk_status *st) {
    const vast_volume_params *p = spec->params;
    memset(out, 0, sizeof *out);
    char root[VAST_PATH_MAX];
    if (!vast_root_export_resolve(ctx, p->root_export, root, sizeof root, st)) return st->code;
    vms_policy_ref policy;
    int64_t qos_id = p->qos_policy_id;
    if (!vms_clusters_view_policy(ctx->clusters, c, p->view_policy, deadline, &policy, st)) {
        return vast_bad_reference(st, spec->params_origin, "view_policy");
    }
    if (p->qos_policy && !vms_clusters_qos_policy(ctx->clusters, c, p->qos_policy, deadline, &qos_id, st)) {
        return vast_bad_reference(st, spec->qos_origin ? spec->qos_origin : spec->params_origin, "qos_policy");
    }
    if (p->vip_pool_name) {
        vms_vippool pool;
        if (!vms_clusters_vippool(ctx->clusters, c, p->vip_pool_name, deadline, &pool, st)) {
            return vast_bad_reference(st, spec->params_origin, "vip_pool_name");
        }
        vms_vippool_ranges_text(&pool, out->vip_ranges, sizeof out->vip_ranges);
        vms_object_free(&pool.obj);
    }
    const vast_content_source *source = spec->source.kind != VAST_SOURCE_NONE ? &spec->source : NULL;
    out->snapshot_view = source && source->kind == VAST_SOURCE_SNAPSHOT && spec->read_only;
    out->tenant_id = policy.tenant_id;
    if (!vast_volume_path(root, spec->name, out->path, sizeof out->path)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "root_export %s is too long for a volume path", root);
    }
    vk_code code;
    const char *cluster = p->cluster_name ? p->cluster_name : "";
    if (out->snapshot_view) {
        /* read-only restore: serve the snapshot directory itself, nothing to create */
        char view_path[VAST_PATH_MAX];
        int64_t view_tenant = out->tenant_id;
        code = vast_snapshot_view_path(ctx, spec->secrets, cluster, source->id, deadline, view_path,
                                      sizeof view_path,
                                      &view_tenant, st);
        if (code != VK_OK) return code;
        if (vast_volume_id_format(cluster, view_tenant, view_path, out->volume_id, sizeof out->volume_id)) {
            snprintf(out->path, sizeof out->path, "%s", view_path);
            out->tenant_id = view_tenant;
            return VK_OK;
        }
        /* a snapshot path too long for an id: fall back to a copy of it, like a
         * read-write restore */
        out->snapshot_view = false;
    }
    if (!vast_volume_id_format(cluster, out->tenant_id, out->path, out->volume_id, sizeof out->volume_id)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT,
                             "the volume id for %s would exceed %d bytes; use a shorter root_export", out->path,
                             VAST_ID_MAX);
    }
    if (source && (code = vast_clone_into(ctx, c, source, spec->secrets, cluster, out->path, out->tenant_id, deadline, st)) !=
                      VK_OK) {
        return code;
    }
    char base_name[256], quota_name[VAST_NAME_MAX + 1], err_text[256], what[VAST_ID_MAX + 16];
    snprintf(what, sizeof what, "volume %s", spec->name);
    if (!vk_name_format(spec->name_format, spec->meta_name, spec->meta_namespace, spec->name, base_name,
                         sizeof base_name, err_text, sizeof err_text)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "volume name format: %s", err_text);
    }
    /* the mark is what later proves the volume is this driver's (vk/vast_owner.h) */
    vast_owner_name(VAST_OWNED_VOLUME, out->tenant_id, out->path, base_name, quota_name, sizeof quota_name);
    vms_quota_spec quota = {.name = quota_name, .path = out->path, .tenant_id = out->tenant_id,
                            .hard_limit = spec->size, .create_dir = source == NULL};
    /* the view's own mark lets DeleteVolume remove a view whose quota never came (a
     * crash between their concurrent requests, and no retry) */
    char view_name[VAST_NAME_MAX + 1];
    vast_owner_identity_name(VAST_OWNED_VIEW, out->tenant_id, out->path, "csi-view", view_name, sizeof view_name);
    const char *protocols[] = {vast_nfs_protocol(p->mount_options), NULL};
    vms_view_spec view = {.path = out->path, .name = view_name, .policy_id = policy.id, .protocols = protocols,
                          .tenant_id = out->tenant_id, .qos_policy_id = qos_id, .create_dir = source == NULL};
    return make_quota_and_view(c, &quota, &view, source == NULL, what, deadline, st);
}

vk_code vast_volume_create(vast_ctx *ctx, const vast_volume_spec *spec, int64_t deadline, vast_volume_result *out,
                           vk_status *st) {
    memset(out, 0, sizeof *out);
    char root[VAST_PATH_MAX], path[VAST_PATH_MAX], lock_key[VAST_PATH_MAX + 8];
    if (!vast_root_export_resolve(ctx, spec->params->root_export, root, sizeof root, st)) return st->code;
    if (!vast_volume_path(root, spec->name, path, sizeof path)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "root_export %s is too long", root);
    }
    snprintf(lock_key, sizeof lock_key, "vol:%s", path);
    if (!vk_keylock_acquire(ctx->locks, lock_key, deadline)) {
        return vk_status_set(st, VK_ABORTED, "another operation on it is in progress");
    }
    vms_client *c = NULL;
    vk_code code = vms_clusters_client(ctx->clusters, spec->secrets, spec->params->cluster_name, &c, st)
                       ? vast_volume_create_locked(ctx, c, spec, deadline, out, st)
                       : st->code;
    if (c) {
        snprintf(out->cluster_endpoint, sizeof out->cluster_endpoint, "%s", vms_client_endpoint(c));
        vms_client_free(c);
    }
    vk_keylock_release(ctx->locks, lock_key);
    return code;
}
