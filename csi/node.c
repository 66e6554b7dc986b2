/* CSI Node service: stage once, publish many. NodeStageVolume mounts the volume's
 * export once per node at the staging path; NodePublishVolume bind-mounts that into
 * each pod's target, so the pods of one job share one NFS mount. Every RPC called again
 * with the same arguments succeeds without doing the work twice, and after a restart
 * every RPC works on the mounts its predecessor made: state comes from the kernel's
 * mount table (csi/mounter.h), never from memory. No mount, unmount or probe can block
 * an RPC past its bound. */
#include "driver.h"
#include "capability_list.h"
#include "mounter.h"
#include "node_metrics.h"
#include "node_source.h"
#include "node_ephemeral.h"
#include "node_own.h"
#include "vk/vast_id.h"

#include "vk/log.h"

#include "csi.pb-c.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_TARGETS = 64 };

static csi_mount_limits limits_of(const csi_driver *d) {
    return (csi_mount_limits){d->options.mount_timeout_ms, d->options.unmount_timeout_ms, d->options.probe_timeout_ms};
}

static const int advertised[] = {
    CSI__V1__NODE_SERVICE_CAPABILITY__RPC__TYPE__STAGE_UNSTAGE_VOLUME,
    CSI__V1__NODE_SERVICE_CAPABILITY__RPC__TYPE__GET_VOLUME_STATS,
    CSI__V1__NODE_SERVICE_CAPABILITY__RPC__TYPE__VOLUME_CONDITION,
    CSI__V1__NODE_SERVICE_CAPABILITY__RPC__TYPE__SINGLE_NODE_MULTI_WRITER,
    CSI__V1__NODE_SERVICE_CAPABILITY__RPC__TYPE__EXPAND_VOLUME,
};

static vk_code get_capabilities(vk_rpc_call *call, const ProtobufCMessage *request,
                                ProtobufCMessage **response) {
    (void)request;
    Csi__V1__NodeGetCapabilitiesResponse *r =
        vk_rpc_new_message(call, &csi__v1__node_get_capabilities_response__descriptor);
    r->capabilities = (Csi__V1__NodeServiceCapability **)csi_rpc_capabilities(
        call, &csi__v1__node_service_capability__descriptor, advertised, sizeof advertised / sizeof advertised[0],
        &r->n_capabilities);
    *response = &r->base;
    return VK_OK;
}

static vk_code get_info(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    (void)request;
    csi_driver *driver = vk_rpc_call_user(call);
    Csi__V1__NodeGetInfoResponse *r = vk_rpc_new_message(call, &csi__v1__node_get_info_response__descriptor);
    r->node_id = driver->options.node_id;
    r->max_volumes_per_node = driver->options.max_volumes_per_node;
    if (driver->options.topology[0]) {
        Csi__V1__Topology *t = vk_rpc_new_message(call, &csi__v1__topology__descriptor);
        char *copy = vk_rpc_strdup(call, driver->options.topology);
        t->segments = vk_rpc_alloc(call, (strlen(copy) / 2 + 1) * sizeof *t->segments);
        char *save = NULL;
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq) continue;
            *eq = '\0';
            Csi__V1__Topology__SegmentsEntry *e = vk_rpc_new_message(call, &csi__v1__topology__segments_entry__descriptor);
            e->key = kv;
            e->value = eq + 1;
            t->segments[t->n_segments++] = e;
        }
        r->accessible_topology = t;
    }
    *response = &r->base;
    return VK_OK;
}

/* ---------- shared checks ---------- */

static bool check_mount_capability(const Csi__V1__VolumeCapability *cap, vk_status *st) {
    if (!cap) return vk_status_set(st, VK_INVALID_ARGUMENT, "volume_capability is required"), false;
    if (cap->access_type_case != CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_MOUNT) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "only mount access is supported: VAST volumes are NFS file systems (no raw block)");
        return false;
    }
    return true;
}

static bool read_only_mode(const Csi__V1__VolumeCapability *cap) {
    int mode = cap->access_mode ? cap->access_mode->mode : 0;
    return mode == CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_READER_ONLY ||
           mode == CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_READER_ONLY;
}


/* Mounts the volume at the resolved path p unless it is already there and healthy; a
 * stale or dead mount of it is replaced, another volume's mount is refused. known: what
 * is mounted at p, when the caller has just read it. */
static bool ensure_staged(csi_driver *d, const char *volume_id, csi_path *p, csi_node_source *src,
                          const csi_mount_info *known, vk_status *st) {
    csi_mount_limits limits = limits_of(d);
    csi_mount_info *info = malloc(sizeof *info);
    if (!info) abort();
    if (known) {
        *info = *known;
    } else {
        csi_mount_at(p->fd, info);
    }
    bool ok = true, repairing = false;
    if (info->mounted) {
        if (!csi_mount_serves(info, src->export_path)) {
            vk_status_set(st, VK_ALREADY_EXISTS, "%s already holds another mount (%s%s)", p->path,
                          info->source, info->root);
            ok = false;
        } else {
            csi_fs_usage usage;
            char why[512];
            if (csi_probe_usage(&limits, p->path, p->fd, &usage, why, sizeof why) == CSI_PROBE_OK) {
                free(info);
                return true;
            }
            VK_LOG(VK_LOG_WARN, "remounting a dead staging mount", "volume", volume_id, "path", p->path, "reason",
                   why);
            csi_node_metrics_stale(CSI_STALE_FOUND);
            repairing = true;
            int n;
            ok = csi_node_unmount_own(d, p, volume_id, src->export_path, &n, st);
        }
    }
    free(info);
    if (!ok) return false;
    if (p->fd < 0) {
        return vk_status_set(st, VK_INTERNAL, "%s disappeared while staging", p->path), false;
    }
    int source_fd;
    if (!csi_node_open_source(d, src, &source_fd, st)) return false;
    csi_node_source_choose_server(src); /* a publish left the VIP open: only now is it needed */
    VK_LOG(VK_LOG_INFO, "mounting", "volume", volume_id, "source", src->source, "target", p->path, "server",
           src->server[0] ? src->server : NULL, "chosen_by", src->server_choice, "options",
           src->options[0] ? src->options : NULL);
    ok = csi_mount(&limits, src->fstype, src->source, source_fd, p->path, p->fd, src->options, false, st);
    if (source_fd >= 0) close(source_fd);
    if (ok && repairing) csi_node_metrics_stale(CSI_STALE_REPAIRED);
    return ok && csi_path_reopen(p, st); /* the descriptor now names the new mount */
}

/* A static PV names only its VIP pool (CreateVolume never ran to put the pool's
 * addresses in its context): look the pool up, with the request's secrets or the
 * node's default cluster. NULL ranges when nothing needs looking up. */
static bool static_pv_ranges(csi_driver *d, vk_strmap context, vk_strmap secrets, int64_t deadline,
                             char *ranges, size_t size, bool *found, vk_status *st) {
    *found = false;
    const char *pool = vk_strmap_get(context, "vip_pool_name");
    if (!pool || vk_strmap_get(context, "vip_pool_ranges") || strcmp(d->options.mount_mode, "bind") == 0 ||
        d->options.local_nfs_address[0]) {
        return true;
    }
    vms_client *c = NULL;
    vms_vippool vip = {0};
    const char *cluster = vk_strmap_get(context, "cluster_name");
    bool ok = vms_clusters_client(d->vast.clusters, secrets, cluster && *cluster ? cluster : NULL, &c, st) &&
              vms_clusters_vippool(d->vast.clusters, c, pool, deadline, &vip, st);
    if (ok) {
        vms_vippool_ranges_text(&vip, ranges, size);
        *found = true;
        vms_object_free(&vip.obj);
    }
    if (c) vms_client_free(c);
    return ok;
}

/* defer_vip: leave a VIP of the pool unchosen until a mount is made (NodePublishVolume
 * binds from the staging mount and mounts from the server only to replace a dead one;
 * choosing counts every NFS mount on the node). */
static bool resolve_source(csi_driver *d, vk_rpc_call *call, const char *volume_id, vk_strmap context,
                           vk_strmap secrets, const Csi__V1__VolumeCapability__MountVolume *mount, bool defer_vip,
                           csi_node_source *src, vk_status *st) {
    char ranges[1024];
    bool looked_up;
    if (!static_pv_ranges(d, context, secrets, csi_call_deadline(d, call), ranges, sizeof ranges, &looked_up, st)) {
        return false;
    }
    return (defer_vip ? csi_node_source_resolve_deferred : csi_node_source_resolve)(
        &d->options, volume_id, context, mount->mount_flags, mount->n_mount_flags, looked_up ? ranges : NULL, src, st);
}

/* ---------- stage / unstage ---------- */

static vk_code stage(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__NodeStageVolumeRequest *req = (const Csi__V1__NodeStageVolumeRequest *)request;
    csi_driver *d = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeStageVolume: volume_id is required");
    if (!*req->staging_target_path) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeStageVolume %s: staging_target_path is required",
                           req->volume_id);
    }
    if (!check_mount_capability(req->volume_capability, &st)) {
        return vk_rpc_fail(call, st.code, "NodeStageVolume %s: %s", req->volume_id, st.message);
    }
    csi_node_source src;
    if (!resolve_source(d, call, req->volume_id, CSI_MAP(req, volume_context), CSI_MAP(req, secrets),
                        req->volume_capability->mount, false, &src, &st)) {
        return vk_rpc_fail(call, st.code, "NodeStageVolume %s: %s", req->volume_id, st.message);
    }
    char key[PATH_MAX + 8];
    snprintf(key, sizeof key, "node:%s", req->staging_target_path);
    csi_path path;
    if (!csi_node_resolve(d, "staging_target_path", req->staging_target_path, true, &path, &st)) {
        return vk_rpc_fail(call, st.code, "NodeStageVolume %s: %s", req->volume_id, st.message);
    }
    if (!vk_keylock_acquire(d->vast.locks, key, csi_call_deadline(d, call))) {
        csi_path_close(&path);
        return vk_rpc_fail(call, VK_ABORTED, "NodeStageVolume %s: another operation on %s is in progress",
                           req->volume_id, req->staging_target_path);
    }
    bool ok = ensure_staged(d, req->volume_id, &path, &src, NULL, &st);
    vk_keylock_release(d->vast.locks, key);
    csi_path_close(&path);
    if (!ok) return vk_rpc_fail(call, st.code, "NodeStageVolume %s: %s", req->volume_id, st.message);
    *response = vk_rpc_new_message(call, &csi__v1__node_stage_volume_response__descriptor);
    return VK_OK;
}

/* Unmounts only the volume's own staging mounts; the staging directory is the kubelet's
 * and stays. */
static vk_code unstage(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__NodeUnstageVolumeRequest *req = (const Csi__V1__NodeUnstageVolumeRequest *)request;
    csi_driver *d = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeUnstageVolume: volume_id is required");
    if (!*req->staging_target_path) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeUnstageVolume %s: staging_target_path is required",
                           req->volume_id);
    }
    csi_path path;
    if (!csi_node_resolve(d, "staging_target_path", req->staging_target_path, false, &path, &st)) {
        return vk_rpc_fail(call, st.code, "NodeUnstageVolume %s: %s", req->volume_id, st.message);
    }
    char volume_path[VAST_PATH_MAX];
    bool known = csi_node_volume_path(req->volume_id, volume_path, sizeof volume_path);
    char key[PATH_MAX + 8];
    snprintf(key, sizeof key, "node:%s", req->staging_target_path);
    if (!vk_keylock_acquire(d->vast.locks, key, csi_call_deadline(d, call))) {
        csi_path_close(&path);
        return vk_rpc_fail(call, VK_ABORTED, "NodeUnstageVolume %s: another operation on %s is in progress",
                           req->volume_id, req->staging_target_path);
    }
    int unmounted = 0;
    bool ok = path.fd < 0 || csi_node_unmount_own(d, &path, req->volume_id, known ? volume_path : NULL, &unmounted, &st);
    vk_keylock_release(d->vast.locks, key);
    csi_path_close(&path);
    if (!ok) return vk_rpc_fail(call, st.code, "NodeUnstageVolume %s: %s", req->volume_id, st.message);
    *response = vk_rpc_new_message(call, &csi__v1__node_unstage_volume_response__descriptor);
    return VK_OK;
}

/* ---------- publish / unpublish ---------- */

/* A SINGLE_NODE_SINGLE_WRITER volume may be published at one target only: no mount of
 * it but the staging mount (staged_id) may exist yet. */
static bool single_writer_free(const char *volume_path, uint64_t staged_id, vk_status *st) {
    char (*targets)[PATH_MAX] = calloc(MAX_TARGETS, sizeof *targets);
    uint64_t *ids = calloc(MAX_TARGETS, sizeof *ids);
    if (!targets || !ids) abort();
    size_t n = csi_mounts_of(volume_path, targets, ids, MAX_TARGETS);
    bool free_to_publish = true;
    for (size_t i = 0; i < n && i < MAX_TARGETS; i++) {
        if (ids[i] == staged_id) continue;
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "the volume is single-writer (ReadWriteOncePod) and already published at %s", targets[i]);
        free_to_publish = false;
        break;
    }
    free(targets);
    free(ids);
    return free_to_publish;
}

static vk_code publish_locked(csi_driver *d, const Csi__V1__NodePublishVolumeRequest *req,
                                       csi_node_source *src, csi_path *target, vk_status *st) {
    csi_mount_limits limits = limits_of(d);
    const Csi__V1__VolumeCapability *cap = req->volume_capability;
    bool read_only = req->readonly || read_only_mode(cap);
    csi_mount_info *info = malloc(sizeof *info);
    if (!info) abort();
    vk_code code = VK_OK;
    csi_path staging = CSI_PATH_INIT;
    csi_mount_at(target->fd, info);
    if (info->mounted) {
        if (!csi_mount_serves(info, src->export_path)) {
            code = vk_status_set(st, VK_ALREADY_EXISTS, "%s already holds another volume's mount",
                                 req->target_path);
        } else if (info->read_only != read_only) {
            code = vk_status_set(st, VK_ALREADY_EXISTS, "%s is already published %s", req->target_path,
                                 info->read_only ? "read-only" : "read-write");
        }
        goto done; /* OK: done by an earlier call */
    }
    if (!csi_node_resolve(d, "staging_target_path", req->staging_target_path, false, &staging, st)) {
        code = st->code;
        goto done;
    }
    csi_mount_at(staging.fd, info);
    if (!info->mounted || !csi_mount_serves(info, src->export_path)) {
        code = vk_status_set(st, VK_FAILED_PRECONDITION,
                             "the volume is not staged at %s: NodeStageVolume must come first",
                             req->staging_target_path);
        goto done;
    }
    if (cap->access_mode &&
        cap->access_mode->mode == CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_SINGLE_WRITER &&
        !single_writer_free(src->export_path, info->id, st)) {
        code = st->code;
        goto done;
    }
    /* a dead staging mount is replaced before another pod gets a bind of it */
    if (!ensure_staged(d, req->volume_id, &staging, src, info, st) ||
        !csi_mount(&limits, "bind", req->staging_target_path, staging.fd, req->target_path, target->fd, "", read_only,
                   st)) {
        code = st->code;
        goto done;
    }
    VK_LOG(VK_LOG_INFO, "published", "volume", req->volume_id, "target", req->target_path, "read_only",
           read_only ? "true" : "false");
done:
    csi_path_close(&staging);
    free(info);
    return code;
}

static vk_code publish(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__NodePublishVolumeRequest *req = (const Csi__V1__NodePublishVolumeRequest *)request;
    csi_driver *d = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodePublishVolume: volume_id is required");
    if (!*req->target_path) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodePublishVolume %s: target_path is required",
                           req->volume_id);
    }
    if (!check_mount_capability(req->volume_capability, &st)) {
        return vk_rpc_fail(call, st.code, "NodePublishVolume %s: %s", req->volume_id, st.message);
    }
    bool ephemeral = csi_node_is_ephemeral(CSI_MAP(req, volume_context));
    if (!ephemeral && !*req->staging_target_path) {
        return vk_rpc_fail(call, VK_FAILED_PRECONDITION,
                           "NodePublishVolume %s: staging_target_path is required (the node stages volumes)",
                           req->volume_id);
    }
    if (!csi_path_check("target_path", req->target_path, &st) ||
        (!ephemeral && !csi_path_check("staging_target_path", req->staging_target_path, &st))) {
        return vk_rpc_fail(call, st.code, "NodePublishVolume %s: %s", req->volume_id, st.message);
    }
    csi_node_source src;
    if (ephemeral) {
        /* checked before anything is made: a pod's attributes, the node's configuration */
        if (!csi_node_ephemeral_check(d, req->volume_id, CSI_MAP(req, volume_context), &st)) {
            return vk_rpc_fail(call, st.code, "NodePublishVolume %s (inline ephemeral): %s", req->volume_id,
                               st.message);
        }
    } else if (!resolve_source(d, call, req->volume_id, CSI_MAP(req, volume_context), CSI_MAP(req, secrets),
                               req->volume_capability->mount, true, &src, &st)) {
        return vk_rpc_fail(call, st.code, "NodePublishVolume %s: %s", req->volume_id, st.message);
    }
    char key[PATH_MAX + 8];
    snprintf(key, sizeof key, "node:%s", ephemeral ? req->target_path : req->staging_target_path);
    if (!vk_keylock_acquire(d->vast.locks, key, csi_call_deadline(d, call))) {
        return vk_rpc_fail(call, VK_ABORTED, "NodePublishVolume %s: another operation on it is in progress",
                           req->volume_id);
    }
    csi_path target;
    vk_code code = VK_OK;
    if (!csi_node_resolve(d, "target_path", req->target_path, true, &target, &st)) {
        code = st.code;
    } else {
        if (target.created) csi_node_mark_target(&target, req->volume_id);
        code = ephemeral ? csi_node_publish_ephemeral(d, call, req, &target, &st) : publish_locked(d, req, &src, &target, &st);
        /* a target this call made and could not use goes again */
        if (code != VK_OK && target.created) csi_node_remove_target(&target, req->volume_id, false);
    }
    csi_path_close(&target);
    vk_keylock_release(d->vast.locks, key);
    if (code != VK_OK) {
        return vk_rpc_fail(call, code, "NodePublishVolume %s%s: %s", req->volume_id, ephemeral ? " (inline ephemeral)" : "",
                           st.message);
    }
    *response = vk_rpc_new_message(call, &csi__v1__node_publish_volume_response__descriptor);
    return VK_OK;
}

/* Unmounts only the volume's own mounts at the target, removes the target only when it
 * is the volume's empty directory, and answers OK for a target that holds nothing of
 * the volume's (never published, or already unpublished). */
static vk_code unpublish(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__NodeUnpublishVolumeRequest *req = (const Csi__V1__NodeUnpublishVolumeRequest *)request;
    csi_driver *d = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeUnpublishVolume: volume_id is required");
    if (!*req->target_path) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeUnpublishVolume %s: target_path is required",
                           req->volume_id);
    }
    csi_path target;
    if (!csi_node_resolve(d, "target_path", req->target_path, false, &target, &st)) {
        return vk_rpc_fail(call, st.code, "NodeUnpublishVolume %s: %s", req->volume_id, st.message);
    }
    char volume_path[VAST_PATH_MAX];
    bool known = csi_node_own_volume_path(d, req->volume_id, volume_path, sizeof volume_path);
    char key[PATH_MAX + 8];
    snprintf(key, sizeof key, "node:%s", req->target_path);
    if (!vk_keylock_acquire(d->vast.locks, key, csi_call_deadline(d, call))) {
        csi_path_close(&target);
        return vk_rpc_fail(call, VK_ABORTED, "NodeUnpublishVolume %s: another operation on %s is in progress",
                           req->volume_id, req->target_path);
    }
    int unmounted = 0;
    bool ok = target.fd < 0 ||
              csi_node_unmount_own(d, &target, req->volume_id, known ? volume_path : NULL, &unmounted, &st);
    if (ok) csi_node_remove_target(&target, req->volume_id, unmounted > 0);
    vk_keylock_release(d->vast.locks, key);
    csi_path_close(&target);
    if (!ok) return vk_rpc_fail(call, st.code, "NodeUnpublishVolume %s: %s", req->volume_id, st.message);
    vk_code code =
        csi_node_forget_ephemeral(d, req->volume_id, req->target_path, csi_call_deadline(d, call), &st);
    if (code != VK_OK) {
        return vk_rpc_fail(call, code, "NodeUnpublishVolume %s: deleting the inline ephemeral volume: %s",
                           req->volume_id, st.message);
    }
    *response = vk_rpc_new_message(call, &csi__v1__node_unpublish_volume_response__descriptor);
    return VK_OK;
}

/* ---------- stats / expand ---------- */

/* NOT_FOUND unless path holds a mount of the volume. */
/* NOT_FOUND unless path (resolved as staging and target paths are: no links, under
 * --kubelet-dir) holds a mount of the volume; *at keeps the resolved path open. */
static vk_code find_volume_at(const csi_driver *d, const char *volume_id, const char *path, csi_path *at,
                                       vk_status *st) {
    char volume_path[VAST_PATH_MAX];
    *at = (csi_path)CSI_PATH_INIT;
    if (!csi_node_own_volume_path(d, volume_id, volume_path, sizeof volume_path)) {
        return vk_status_set(st, VK_NOT_FOUND, "volume %s is not a volume of this driver", volume_id);
    }
    if (!csi_node_resolve(d, "volume_path", path, false, at, st)) return st->code = VK_NOT_FOUND;
    if (at->fd < 0) return vk_status_set(st, VK_NOT_FOUND, "%s does not exist", path);
    csi_mount_info *info = malloc(sizeof *info);
    if (!info) abort();
    csi_mount_at(at->fd, info);
    bool serves = info->mounted && csi_mount_serves(info, volume_path);
    free(info);
    if (!serves) return vk_status_set(st, VK_NOT_FOUND, "volume %s is not mounted at %s", volume_id, path);
    return VK_OK;
}

static vk_code stats(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__NodeGetVolumeStatsRequest *req = (const Csi__V1__NodeGetVolumeStatsRequest *)request;
    csi_driver *d = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeGetVolumeStats: volume_id is required");
    if (!*req->volume_path) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeGetVolumeStats %s: volume_path is required",
                           req->volume_id);
    }
    csi_path at;
    vk_code code = find_volume_at(d, req->volume_id, req->volume_path, &at, &st);
    if (code != VK_OK) {
        csi_path_close(&at);
        return vk_rpc_fail(call, code, "NodeGetVolumeStats %s: %s", req->volume_id, st.message);
    }

    Csi__V1__NodeGetVolumeStatsResponse *r = vk_rpc_new_message(call, &csi__v1__node_get_volume_stats_response__descriptor);
    Csi__V1__VolumeCondition *cond = vk_rpc_new_message(call, &csi__v1__volume_condition__descriptor);
    csi_mount_limits limits = limits_of(d);
    csi_fs_usage usage = {0};
    char message[512];
    csi_probe_result probe = csi_probe_usage(&limits, req->volume_path, at.fd, &usage, message, sizeof message);
    csi_path_close(&at);
    if (probe == CSI_PROBE_OK) {
        cond->message = "healthy";
        Csi__V1__VolumeUsage *bytes = vk_rpc_new_message(call, &csi__v1__volume_usage__descriptor);
        Csi__V1__VolumeUsage *inodes = vk_rpc_new_message(call, &csi__v1__volume_usage__descriptor);
        *bytes = (Csi__V1__VolumeUsage)CSI__V1__VOLUME_USAGE__INIT;
        bytes->unit = CSI__V1__VOLUME_USAGE__UNIT__BYTES;
        bytes->total = usage.total_bytes;
        bytes->available = usage.available_bytes;
        bytes->used = usage.used_bytes;
        *inodes = (Csi__V1__VolumeUsage)CSI__V1__VOLUME_USAGE__INIT;
        inodes->unit = CSI__V1__VOLUME_USAGE__UNIT__INODES;
        inodes->total = usage.total_inodes;
        inodes->available = usage.free_inodes;
        inodes->used = usage.used_inodes;
        r->usage = vk_rpc_alloc(call, 2 * sizeof *r->usage);
        r->usage[0] = bytes;
        r->usage[1] = inodes;
        r->n_usage = 2;
    } else {
        cond->abnormal = 1;
        cond->message = vk_rpc_strdup(call, message);
        if (probe == CSI_PROBE_STALE || probe == CSI_PROBE_UNREACHABLE) csi_node_metrics_stale(CSI_STALE_FOUND);
        VK_LOG(VK_LOG_WARN, "volume abnormal", "volume", req->volume_id, "path", req->volume_path, "reason", message);
    }
    r->volume_condition = cond;
    *response = &r->base;
    return VK_OK;
}

static vk_code expand(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__NodeExpandVolumeRequest *req = (const Csi__V1__NodeExpandVolumeRequest *)request;
    const csi_driver *d = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeExpandVolume: volume_id is required");
    if (!*req->volume_path) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "NodeExpandVolume %s: volume_path is required",
                           req->volume_id);
    }
    csi_path at;
    vk_code code = find_volume_at(d, req->volume_id, req->volume_path, &at, &st);
    csi_path_close(&at);
    if (code != VK_OK) return vk_rpc_fail(call, code, "NodeExpandVolume %s: %s", req->volume_id, st.message);
    /* the quota is the size: ControllerExpandVolume did the work, nothing to grow here */
    Csi__V1__NodeExpandVolumeResponse *r = vk_rpc_new_message(call, &csi__v1__node_expand_volume_response__descriptor);
    if (req->capacity_range) r->capacity_bytes = req->capacity_range->required_bytes;
    *response = &r->base;
    return VK_OK;
}

bool csi_node_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    static const vk_rpc_method_handler handlers[] = {
        {"NodeGetCapabilities", get_capabilities},
        {"NodeGetInfo", get_info},
        {"NodeStageVolume", stage},
        {"NodeUnstageVolume", unstage},
        {"NodePublishVolume", publish},
        {"NodeUnpublishVolume", unpublish},
        {"NodeGetVolumeStats", stats},
        {"NodeExpandVolume", expand},
        {NULL, NULL},
    };
    csi_node_metrics_register();
    return vk_rpc_server_add_service(server, &csi__v1__node__descriptor, handlers, driver, VK_RPC_LANE_WORKERS, st);
}
