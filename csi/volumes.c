/* Volumes: a directory <root_export>/<name>, a quota on it (hard_limit = capacity) and
 * a view exporting it over NFS, in the tenant of the StorageClass's view policy.
 * docs/controller.md gives the order of VMS calls and why each step is safe to retry. */
#include "controller.h"
#include "vk/names.h"

#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int64_t requested_bytes(const Csi__V1__CapacityRange *range) {
    if (!range) return 0;
    return range->required_bytes > 0 ? range->required_bytes : range->limit_bytes;
}

static bool check_range(const char *what, const Csi__V1__CapacityRange *range, vk_status *st) {
    if (!range) return true;
    if (range->required_bytes < 0 || range->limit_bytes < 0) {
        vk_status_set(st, VK_OUT_OF_RANGE, "%s: capacity_range must not be negative", what);
        return false;
    }
    if (range->limit_bytes > 0 && range->required_bytes > range->limit_bytes) {
        vk_status_set(st, VK_OUT_OF_RANGE, "%s: required_bytes %" PRId64 " exceeds limit_bytes %" PRId64,
                      what, range->required_bytes, range->limit_bytes);
        return false;
    }
    return true;
}

/* Makes the quota, or finds the one an earlier attempt made (same mark, same size). A
 * quota at the path that the driver did not make (any tenant's: one directory has one
 * quota), or one of another size, is ALREADY_EXISTS. *created_id is the id of a quota
 * this call made, else 0. */
static bool ensure_quota(vms_client *c, const vms_quota_spec *spec, const char *volume, int64_t deadline,
                         int64_t *created_id, vk_status *st) {
    vms_error err;
    vms_quota made = {0};
    *created_id = 0;
    if (vms_quota_create(c, spec, &made, deadline, &err)) {
        *created_id = made.obj.id;
        vms_object_free(&made.obj);
        return true;
    }
    if (!vms_error_is_unique_violation(&err)) {
        vms_fail(st, &err, "creating the quota of volume %s", volume);
        return false;
    }
    vms_quota existing = {0};
    vms_lookup found = vms_quota_find_by_path(c, spec->path, 0, &existing, deadline, &err);
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading the existing quota of volume %s", volume);
        return false;
    }
    bool ours = found == VMS_FOUND && existing.obj.name && strcmp(existing.obj.name, spec->name) == 0 &&
                existing.obj.tenant_id == spec->tenant_id;
    bool ok = ours && existing.hard_limit == spec->hard_limit;
    if (found == VMS_FOUND && !ours) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "volume %s: %s on %s already has a quota (\"%s\") that this driver did not make; pick another "
                      "name or root_export",
                      volume, spec->path, vms_client_endpoint(c), existing.obj.name ? existing.obj.name : "");
    } else if (found == VMS_MISSING) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "volume %s: the quota name \"%s\" is taken by another path on %s; make volume_name_fmt "
                      "include {id}",
                      volume, spec->name, vms_client_endpoint(c));
    } else if (!ok) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "volume %s exists with capacity %" PRId64 " bytes; %" PRId64 " bytes were requested", volume,
                      existing.hard_limit, spec->hard_limit);
    }
    vms_object_free(&existing.obj);
    return ok;
}

/* Makes the view, or accepts the one an earlier attempt made. */
static bool ensure_view(vms_client *c, const vms_view_spec *spec, const char *volume, int64_t deadline,
                        vk_status *st) {
    vms_error err;
    if (vms_view_create(c, spec, NULL, deadline, &err)) return true;
    if (!vms_error_is_unique_violation(&err)) {
        vms_fail(st, &err, "creating the view of volume %s", volume);
        return false;
    }
    vms_view existing = {0};
    vms_lookup found = vms_view_find_by_path(c, spec->path, spec->tenant_id, &existing, deadline, &err);
    vms_object_free(&existing.obj);
    if (found == VMS_FOUND) return true;
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading the existing view of volume %s", volume);
    } else {
        vk_status_set(st, VK_ALREADY_EXISTS, "volume %s: VMS refused its view as a duplicate: %s", volume,
                      err.message);
    }
    return false;
}

static bool fault(const char *point, vk_status *st) { return vk_fault_point(point, st); }

/* A new, empty volume's directory must not hold someone else's data: VMS makes the
 * directory with the quota and has no create-if-absent, so a name that lands on an
 * existing directory would hand its data to a PVC (and a later DeleteVolume would
 * destroy it). Another quota on the path (another tenant's) or beneath it is the mark
 * of such a directory; the quota this call just made on it is taken back (never one an
 * earlier call made: that may be a live volume another owner has since nested into). */
static bool refuse_foreign_contents(vms_client *c, const char *path, const char *volume, const char *own_name,
                                    int64_t created_quota, int64_t deadline, vk_status *st) {
    json_t *quotas = NULL;
    vms_error err;
    if (!vms_list(c, VMS_QUOTAS, VMS_FILTERS("path__startswith", path), deadline, &quotas, &err)) {
        vms_fail(st, &err, "checking that %s holds no one else's data", path);
        return false;
    }
    size_t len = strlen(path), i;
    json_t *q;
    const char *nested = NULL;
    json_array_foreach(quotas, i, q) {
        const char *p = json_string_value(json_object_get(q, "path"));
        const char *name = json_string_value(json_object_get(q, "name"));
        if (!p || strncmp(p, path, len) != 0) continue;
        bool own = p[len] == '\0' && name && strcmp(name, own_name) == 0;
        if ((p[len] == '\0' && !own) || p[len] == '/') {
            nested = p;
            break;
        }
    }
    bool clean = nested == NULL;
    if (!clean) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "volume %s: %s on %s already holds another owner's data (a quota at %s that this driver did "
                      "not make); use another name, or move that directory out of the root export",
                      volume, path, vms_client_endpoint(c), nested ? nested : "?");
        if (created_quota && vms_quota_delete(c, created_quota, deadline, &err) == VMS_FAILED) {
            VK_LOG(VK_LOG_WARN, "cannot take back the quota just made on a foreign directory", "path", path,
                   "error", err.message);
        }
    }
    json_decref(quotas);
    return clean;
}


void csi_volume_path(const char *root_export, const char *name, char *out, size_t size) {
    char dir[96], root[CSI_PATH_MAX];
    vk_volume_dir_name(name, dir, sizeof dir);
    /* one spelling per directory: "/k8s/" and "/k8s" are the same root */
    if (!vast_path_normalize(root_export, root, sizeof root)) snprintf(root, sizeof root, "%s", root_export);
    snprintf(out, size, "%s/%s", strcmp(root, "/") == 0 ? "" : root, dir);
}

vk_code csi_volume_create_core(csi_driver *driver, vms_client *c, const csi_volume_spec *spec,
                                        int64_t deadline, csi_volume_result *out, vk_status *st) {
    const vast_volume_params *p = spec->params;
    memset(out, 0, sizeof *out);
    char root[CSI_PATH_MAX];
    if (!csi_root_export_resolve(driver, p->root_export, root, sizeof root, st)) return st->code;
    vms_policy_ref policy;
    int64_t qos_id = p->qos_policy_id;
    if (!vms_clusters_view_policy(driver->clusters, c, p->view_policy, deadline, &policy, st)) {
        return csi_bad_reference(st, spec->params_origin, "view_policy");
    }
    if (p->qos_policy && !vms_clusters_qos_policy(driver->clusters, c, p->qos_policy, deadline, &qos_id, st)) {
        return csi_bad_reference(st, spec->qos_origin ? spec->qos_origin : spec->params_origin, "qos_policy");
    }
    if (p->vip_pool_name) {
        json_t *pool = NULL;
        if (!vms_clusters_vip_pool(driver->clusters, c, p->vip_pool_name, deadline, &pool, st)) {
            return csi_bad_reference(st, spec->params_origin, "vip_pool_name");
        }
        vms_vip_pool_ranges(pool, out->vip_ranges, sizeof out->vip_ranges);
        json_decref(pool);
    }
    const Csi__V1__VolumeContentSource *source = spec->source;
    out->snapshot_view = source && source->type_case == CSI__V1__VOLUME_CONTENT_SOURCE__TYPE_SNAPSHOT && spec->read_only;
    out->tenant_id = policy.tenant_id;
    csi_volume_path(root, spec->name, out->path, sizeof out->path);
    vk_code code;
    const char *cluster = p->cluster_name ? p->cluster_name : "";
    if (out->snapshot_view) {
        /* read-only restore: serve the snapshot directory itself, nothing to create */
        char view_path[CSI_PATH_MAX];
        int64_t view_tenant = out->tenant_id;
        code = csi_snapshot_view_path(driver, spec->secrets, cluster, source->snapshot->snapshot_id, deadline, view_path,
                                      sizeof view_path,
                                      &view_tenant, st);
        if (code != VK_OK) return code;
        if (csi_volume_id_format(cluster, view_tenant, view_path, out->volume_id, sizeof out->volume_id)) {
            snprintf(out->path, sizeof out->path, "%s", view_path);
            out->tenant_id = view_tenant;
            return VK_OK;
        }
        /* a snapshot path too long for an id: fall back to a copy of it, like a
         * read-write restore */
        out->snapshot_view = false;
    }
    if (!csi_volume_id_format(cluster, out->tenant_id, out->path, out->volume_id, sizeof out->volume_id)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT,
                             "the volume id for %s would exceed %d bytes; use a shorter root_export", out->path,
                             CSI_ID_MAX);
    }
    if (source && (code = csi_clone_into(driver, c, source, spec->secrets, cluster, out->path, out->tenant_id, deadline, st)) !=
                      VK_OK) {
        return code;
    }
    char base_name[256], quota_name[VAST_NAME_MAX + 1], err_text[256];
    if (!vk_name_format(spec->name_format, spec->meta_name, spec->meta_namespace, spec->name, base_name,
                         sizeof base_name, err_text, sizeof err_text)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "volume name format: %s", err_text);
    }
    /* the mark is what later proves the volume is this driver's (vk/vast_owner.h) */
    vast_owner_name(VAST_OWNED_VOLUME, out->tenant_id, out->path, base_name, quota_name, sizeof quota_name);
    vms_quota_spec quota = {.name = quota_name, .path = out->path, .tenant_id = out->tenant_id,
                            .hard_limit = spec->size, .create_dir = source == NULL};
    int64_t created_quota;
    if (!ensure_quota(c, &quota, spec->name, deadline, &created_quota, st) ||
        (!source && !refuse_foreign_contents(c, out->path, spec->name, quota_name, created_quota, deadline, st)) ||
        fault("controller.create.after_quota", st)) {
        return st->code;
    }
    const char *protocols[] = {csi_nfs_protocol(p->mount_options), NULL};
    vms_view_spec view = {.path = out->path, .policy_id = policy.id, .protocols = protocols,
                          .tenant_id = out->tenant_id, .qos_policy_id = qos_id};
    if (!ensure_view(c, &view, spec->name, deadline, st) || fault("controller.create.after_view", st)) {
        return st->code;
    }
    return VK_OK;
}

void **csi_volume_context(vk_rpc_call *call, const vast_volume_params *p, const csi_volume_result *v, size_t *n) {
    char tenant_text[24];
    snprintf(tenant_text, sizeof tenant_text, "%" PRId64, v->tenant_id);
    const char *context[] = {
        "export_path", v->path,
        "root_export", p->root_export,
        "view_policy", p->view_policy,
        "vip_pool_name", p->vip_pool_name,
        "vip_pool_ranges", v->vip_ranges[0] ? v->vip_ranges : NULL,
        "vip_pool_fqdn", p->vip_pool_fqdn,
        "vip_pool_fqdn_random_prefix", p->vip_pool_fqdn ? (p->vip_pool_fqdn_random_prefix ? "true" : "false") : NULL,
        "mount_options", p->mount_options && *p->mount_options ? p->mount_options : NULL,
        "protocol", csi_nfs_protocol(p->mount_options),
        "tenant_id", tenant_text,
        "cluster_name", p->cluster_name,
        /* the PVC it was made for (--extra-create-metadata): what an operator looks for
         * in `kubectl get pv -o yaml` */
        "pvc_name", p->pvc_name,
        "pvc_namespace", p->pvc_namespace,
        "read_only", v->snapshot_view ? "true" : NULL,
        NULL,
    };
    return csi_build_map(call, &csi__v1__volume__volume_context_entry__descriptor, n, context);
}

vk_code csi_create_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__CreateVolumeRequest *req = (const Csi__V1__CreateVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->name) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "CreateVolume: name is required");
    if (req->n_volume_capabilities == 0) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "CreateVolume %s: volume_capabilities are required",
                           req->name);
    }
    if (!csi_check_capabilities(req->volume_capabilities, req->n_volume_capabilities, &st) ||
        !check_range("CreateVolume", req->capacity_range, &st)) {
        return vk_rpc_fail(call, st.code, "CreateVolume %s: %s", req->name, st.message);
    }
    vast_volume_params p;
    vast_mutable_params mutable_params;
    if (!vast_volume_params_parse(CSI_MAP(req, parameters), &p, &st) ||
        !vast_mutable_params_parse(CSI_MAP(req, mutable_parameters), &mutable_params, &st)) {
        return vk_rpc_fail(call, st.code, "CreateVolume %s: %s", req->name, st.message);
    }
    const char *qos_origin = NULL;
    if (mutable_params.qos_policy) {
        p.qos_policy = *mutable_params.qos_policy ? mutable_params.qos_policy : NULL;
        qos_origin = "the VolumeAttributesClass";
    }
    char root[CSI_PATH_MAX];
    if (!csi_root_export_resolve(driver, p.root_export, root, sizeof root, &st)) {
        return vk_rpc_fail(call, st.code, "CreateVolume %s: %s", req->name, st.message);
    }
    csi_volume_spec spec = {
        .name = req->name,
        .params = &p,
        .name_format = p.volume_name_fmt,
        .meta_name = p.pvc_name,
        .meta_namespace = p.pvc_namespace,
        .size = requested_bytes(req->capacity_range),
        .source = req->volume_content_source,
        .read_only = csi_capabilities_read_only(req->volume_capabilities, req->n_volume_capabilities),
        .secrets = CSI_MAP(req, secrets),
        .qos_origin = qos_origin,
    };
    int64_t deadline = csi_call_deadline(driver, call);
    char path[CSI_PATH_MAX], lock_key[CSI_PATH_MAX + 8];
    csi_volume_path(root, req->name, path, sizeof path);
    snprintf(lock_key, sizeof lock_key, "vol:%s", path);
    if (!vk_keylock_acquire(driver->locks, lock_key, deadline)) {
        return vk_rpc_fail(call, VK_ABORTED, "CreateVolume %s: another operation on it is in progress",
                           req->name);
    }
    vms_client *c = NULL;
    csi_volume_result v;
    vk_code code = vms_clusters_client(driver->clusters, spec.secrets, p.cluster_name, &c, &st)
                                ? csi_volume_create_core(driver, c, &spec, deadline, &v, &st)
                                : st.code;
    if (code == VK_OK) {
        Csi__V1__CreateVolumeResponse *r = vk_rpc_new_message(call, &csi__v1__create_volume_response__descriptor);
        Csi__V1__Volume *vol = vk_rpc_new_message(call, &csi__v1__volume__descriptor);
        vol->volume_id = vk_rpc_strdup(call, v.volume_id);
        vol->capacity_bytes = v.snapshot_view ? 0 : spec.size;
        vol->volume_context = (Csi__V1__Volume__VolumeContextEntry **)csi_volume_context(call, &p, &v,
                                                                                         &vol->n_volume_context);
        vol->content_source = (Csi__V1__VolumeContentSource *)spec.source;
        r->volume = vol;
        *response = &r->base;
        char bytes[24];
        const Csi__V1__VolumeContentSource *source = spec.source;
        VK_LOG(VK_LOG_INFO, "volume ready", "volume", v.volume_id, "name", req->name, "cluster",
               vms_client_endpoint(c), "bytes", vk_fmt(bytes, sizeof bytes, "%" PRId64, spec.size), "source",
               source ? (source->type_case == CSI__V1__VOLUME_CONTENT_SOURCE__TYPE_SNAPSHOT ? "snapshot" : "volume")
                      : NULL);
    }
    if (c) vms_client_free(c);
    vk_keylock_release(driver->locks, lock_key);
    if (code != VK_OK) return vk_rpc_fail(call, code, "CreateVolume %s: %s", req->name, st.message);
    return VK_OK;
}

/* ---------- DeleteVolume ---------- */

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

/* VAST's trash API refuses a directory with snapshots, and deleting them with the
 * volume would destroy VolumeSnapshots the user still has: refuse, naming them. */
static bool refuse_if_snapshots(vms_client *c, const char *path, int64_t tenant_id, int64_t deadline,
                                vk_status *st) {
    char snap_path[CSI_PATH_MAX + 2], tenant[24];
    snprintf(snap_path, sizeof snap_path, "%s/", path);
    snprintf(tenant, sizeof tenant, "%" PRId64, tenant_id);
    json_t *snaps = NULL;
    vms_error err;
    if (!vms_list(c, VMS_SNAPSHOTS, VMS_FILTERS("path", snap_path, "tenant_id", tenant), deadline, &snaps, &err)) {
        vms_fail(st, &err, "listing the snapshots of %s", path);
        return false;
    }
    size_t n = json_array_size(snaps);
    if (n > 0) {
        char names[512] = "";
        size_t used = 0;
        for (size_t i = 0; i < n && i < 5; i++) {
            const char *name = json_string_value(json_object_get(json_array_get(snaps, i), "name"));
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", name ? name : "?");
            if (used >= sizeof names) break;
        }
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "%s still has %zu snapshot(s) on VAST (%s%s); delete its VolumeSnapshots first", path, n, names,
                      n > 5 ? ", ..." : "");
    }
    json_decref(snaps);
    return n == 0;
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

static bool delete_data(csi_driver *driver, vms_client *c, const char *path, int64_t tenant_id, int64_t deadline,
                        vk_status *st) {
    vms_version version;
    if (!vms_clusters_version(driver->clusters, c, deadline, &version, st)) return false;
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

/* The volume's quota, and whether other volumes' quotas live beneath its path: one
 * listing by path prefix answers both. */
static vms_lookup find_own_quota(vms_client *c, const char *path, int64_t tenant_id, int64_t deadline,
                                 vms_quota *quota, char *nested, size_t nested_size, vk_status *st) {
    char tenant[24];
    snprintf(tenant, sizeof tenant, "%" PRId64, tenant_id);
    json_t *quotas = NULL;
    vms_error err;
    if (!vms_list(c, VMS_QUOTAS, VMS_FILTERS("path__startswith", path, "tenant_id", tenant), deadline, &quotas,
                  &err)) {
        vms_fail(st, &err, "listing the quotas under %s", path);
        return VMS_FAILED;
    }
    vms_lookup found = VMS_MISSING;
    size_t len = strlen(path), i;
    json_t *item;
    nested[0] = '\0';
    json_array_foreach(quotas, i, item) {
        const char *p = json_string_value(json_object_get(item, "path"));
        if (!p || strncmp(p, path, len) != 0) continue;
        if (p[len] == '\0' && found == VMS_MISSING) {
            vms_quota_from_json(item, quota);
            found = VMS_FOUND;
        } else if (p[len] == '/' && !nested[0]) {
            snprintf(nested, nested_size, "%s", p);
        }
    }
    json_decref(quotas);
    return found;
}

/* A quota this driver made (its mark), or the vendor driver's own volume quota. */
static bool quota_is_ours(const csi_driver *driver, const vms_quota *quota, int64_t tenant_id) {
    const char *dir = strrchr(quota->path, '/');
    return (quota->obj.tenant_id == tenant_id &&
            vast_owner_name_is_ours(VAST_OWNED_VOLUME, tenant_id, quota->path, quota->obj.name)) ||
           (dir && vast_vendor_volume_is_ours(&driver->options.root_exports, dir + 1, quota->path, quota->obj.name));
}

vk_code csi_volume_delete_core(csi_driver *driver, vms_client *c, const char *path, int64_t tenant_id,
                                        int64_t deadline, vk_status *st) {
    /* The driver's quota is what makes a path a volume of this driver. Without one
     * nothing is deleted: an id naming another directory (an administrator's, a parent
     * of volumes, a path outside the root exports) never takes data with it. The quota
     * also goes last, so its absence after a crash means the deletion had finished. */
    if (vast_path_classify(&driver->options.root_exports, path) != VAST_PATH_VOLUME) {
        VK_LOG(VK_LOG_WARN, "not a volume path of this driver: nothing deleted", "path", path);
        return VK_OK;
    }
    vms_quota quota = {0};
    char nested[CSI_PATH_MAX];
    vms_lookup found = find_own_quota(c, path, tenant_id, deadline, &quota, nested, sizeof nested, st);
    if (found == VMS_FAILED) return st->code;
    if (found == VMS_FOUND && !quota_is_ours(driver, &quota, tenant_id)) {
        VK_LOG(VK_LOG_WARN, "the quota at the path is not this driver's: nothing deleted", "path", path, "quota",
               quota.obj.name);
        vms_object_free(&quota.obj);
        return VK_OK;
    }
    /* a restore still copying has no quota yet: its stream (named from the path, made
     * only by this driver) and partial copy go first */
    if (!remove_clone_stream(c, path, deadline, st)) {
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
              delete_view(c, path, tenant_id, deadline, st) && !fault("controller.delete.after_view", st) &&
              delete_data(driver, c, path, tenant_id, deadline, st) && !fault("controller.delete.after_data", st);
    if (ok && vms_quota_delete(c, quota_id, deadline, &err) == VMS_FAILED) {
        vms_fail(st, &err, "deleting the quota of %s", path);
        ok = false;
    }
    return ok ? VK_OK : st->code;
}

vk_code csi_delete_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__DeleteVolumeRequest *req = (const Csi__V1__DeleteVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "DeleteVolume: volume_id is required");
    *response = vk_rpc_new_message(call, &csi__v1__delete_volume_response__descriptor);
    csi_volume_ref ref;
    if (!csi_volume_id_parse(req->volume_id, &ref) || csi_volume_is_snapshot_view(&ref)) {
        /* not an id of ours, or a read-only restore that owns nothing on VAST: no volume
         * of this driver can have it, so it is gone */
        return VK_OK;
    }
    int64_t deadline = csi_call_deadline(driver, call);
    char lock_key[CSI_PATH_MAX + 8];
    snprintf(lock_key, sizeof lock_key, "vol:%s", ref.legacy ? ref.legacy_name : ref.path);
    if (!vk_keylock_acquire(driver->locks, lock_key, deadline)) {
        return vk_rpc_fail(call, VK_ABORTED, "DeleteVolume %s: another operation on it is in progress",
                           req->volume_id);
    }
    vk_status st;
    csi_volume_target t;
    vk_code code = csi_volume_target_open(driver, req->volume_id, CSI_MAP(req, secrets), deadline, &t, &st);
    if (code == VK_NOT_FOUND && t.unreachable) {
        /* the id's cluster is not in the secret: whether the volume is gone cannot be told */
        code = st.code = VK_FAILED_PRECONDITION;
    } else if (code == VK_NOT_FOUND) {
        /* not this driver's, or nothing there; a restore still copying into the path has
         * no quota yet, and its stream is ours alone */
        code = t.absent && t.client && !t.ref.legacy ? csi_volume_delete_core(driver, t.client, t.path, t.tenant_id,
                                                                              deadline, &st)
                                                     : VK_OK;
    } else if (code == VK_OK) {
        code = csi_volume_delete_core(driver, t.client, t.path, t.tenant_id, deadline, &st);
        if (code == VK_OK) {
            VK_LOG(VK_LOG_INFO, "volume deleted", "volume", req->volume_id, "cluster", vms_client_endpoint(t.client));
        }
    }
    csi_volume_target_close(&t);
    vk_keylock_release(driver->locks, lock_key);
    if (code != VK_OK) return vk_rpc_fail(call, code, "DeleteVolume %s: %s", req->volume_id, st.message);
    return VK_OK;
}

/* ---------- operations on an existing volume ---------- */

/* Opens the volume named by id under its lock; on failure fills st (NOT_FOUND for an
 * unknown id). The caller closes the target and releases lock_key. */
static vk_code open_locked(csi_driver *driver, const char *id, vk_strmap secrets, int64_t deadline,
                                    csi_volume_target *t, char *lock_key, size_t lock_size, vk_status *st) {
    csi_volume_ref ref;
    if (!csi_volume_id_parse(id, &ref)) {
        memset(t, 0, sizeof *t);
        lock_key[0] = '\0';
        return vk_status_set(st, VK_NOT_FOUND, "volume %s does not exist: not an id of this driver", id);
    }
    snprintf(lock_key, lock_size, "vol:%s", ref.legacy ? ref.legacy_name : ref.path);
    if (!vk_keylock_acquire(driver->locks, lock_key, deadline)) {
        memset(t, 0, sizeof *t);
        lock_key[0] = '\0';
        return vk_status_set(st, VK_ABORTED, "another operation on volume %s is in progress", id);
    }
    return csi_volume_target_open(driver, id, secrets, deadline, t, st);
}

static void close_locked(csi_driver *driver, csi_volume_target *t, const char *lock_key) {
    csi_volume_target_close(t);
    if (lock_key[0]) vk_keylock_release(driver->locks, lock_key);
}

/* The volume's quota, as the open read (and proved) it: a reference of the caller's. */
static vk_code find_quota(const csi_volume_target *t, int64_t deadline, vms_quota *quota, vk_status *st) {
    (void)deadline;
    if (!t->quota.obj.raw) {
        return vk_status_set(st, VK_NOT_FOUND, "volume %s does not exist on VAST cluster %s (no quota)",
                             t->path, vms_client_endpoint(t->client));
    }
    vms_quota_from_json(t->quota.obj.raw, quota);
    return VK_OK;
}

vk_code csi_expand_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ControllerExpandVolumeRequest *req = (const Csi__V1__ControllerExpandVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ControllerExpandVolume: volume_id is required");
    if (!req->capacity_range) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ControllerExpandVolume %s: capacity_range is required",
                           req->volume_id);
    }
    if (!check_range("ControllerExpandVolume", req->capacity_range, &st)) return vk_rpc_fail_status(call, &st);
    int64_t size = requested_bytes(req->capacity_range);
    int64_t deadline = csi_call_deadline(driver, call);
    char lock_key[CSI_PATH_MAX + 8];
    csi_volume_target t;
    vms_quota quota = {0};
    vk_code code = open_locked(driver, req->volume_id, CSI_MAP(req, secrets), deadline, &t, lock_key,
                                        sizeof lock_key, &st);
    if (code == VK_OK && csi_volume_is_snapshot_view(&t.ref)) {
        code = vk_status_set(&st, VK_FAILED_PRECONDITION, "a read-only restore from a snapshot cannot grow");
    }
    if (code == VK_OK) code = find_quota(&t, deadline, &quota, &st);
    int64_t capacity = quota.hard_limit;
    if (code == VK_OK && quota.hard_limit < size) {
        /* never shrink: a quota already as large (an earlier attempt) is the answer */
        vms_error err;
        if (vms_quota_set_hard_limit(t.client, quota.obj.id, size, NULL, deadline, &err)) {
            capacity = size;
        } else {
            code = vms_fail(&st, &err, "raising the quota of %s", t.path);
        }
    }
    vms_object_free(&quota.obj);
    close_locked(driver, &t, lock_key);
    if (code != VK_OK) return vk_rpc_fail(call, code, "ControllerExpandVolume %s: %s", req->volume_id, st.message);
    Csi__V1__ControllerExpandVolumeResponse *r =
        vk_rpc_new_message(call, &csi__v1__controller_expand_volume_response__descriptor);
    r->capacity_bytes = capacity;
    r->node_expansion_required = 0; /* the quota is the size; nothing to do on the node */
    *response = &r->base;
    return VK_OK;
}

vk_code csi_validate_volume_capabilities(vk_rpc_call *call, const ProtobufCMessage *request,
                                                  ProtobufCMessage **response) {
    const Csi__V1__ValidateVolumeCapabilitiesRequest *req = (const Csi__V1__ValidateVolumeCapabilitiesRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ValidateVolumeCapabilities: volume_id is required");
    }
    if (req->n_volume_capabilities == 0) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT,
                           "ValidateVolumeCapabilities %s: volume_capabilities are required", req->volume_id);
    }
    int64_t deadline = csi_call_deadline(driver, call);
    csi_volume_target t;
    vms_quota quota = {0};
    vk_code code = csi_volume_target_open(driver, req->volume_id, CSI_MAP(req, secrets), deadline, &t, &st);
    if (code == VK_OK && !csi_volume_is_snapshot_view(&t.ref)) code = find_quota(&t, deadline, &quota, &st);
    vms_object_free(&quota.obj);
    csi_volume_target_close(&t);
    if (code != VK_OK) {
        return vk_rpc_fail(call, code, "ValidateVolumeCapabilities %s: %s", req->volume_id, st.message);
    }
    Csi__V1__ValidateVolumeCapabilitiesResponse *r =
        vk_rpc_new_message(call, &csi__v1__validate_volume_capabilities_response__descriptor);
    if (csi_check_capabilities(req->volume_capabilities, req->n_volume_capabilities, &st)) {
        /* every mount access mode is served: confirm what was asked */
        Csi__V1__ValidateVolumeCapabilitiesResponse__Confirmed *confirmed =
            vk_rpc_new_message(call, &csi__v1__validate_volume_capabilities_response__confirmed__descriptor);
        confirmed->volume_capabilities = req->volume_capabilities;
        confirmed->n_volume_capabilities = req->n_volume_capabilities;
        confirmed->volume_context = (Csi__V1__ValidateVolumeCapabilitiesResponse__Confirmed__VolumeContextEntry **)
                                        req->volume_context;
        confirmed->n_volume_context = req->n_volume_context;
        confirmed->parameters =
            (Csi__V1__ValidateVolumeCapabilitiesResponse__Confirmed__ParametersEntry **)req->parameters;
        confirmed->n_parameters = req->n_parameters;
        r->confirmed = confirmed;
    } else {
        r->message = vk_rpc_strdup(call, st.message);
    }
    *response = &r->base;
    return VK_OK;
}

/* The volume's health as the CO sees it: abnormal when its export or quota is gone or
 * the quota is full. */
static Csi__V1__VolumeCondition *volume_condition(vk_rpc_call *call, const vms_quota *quota, bool has_view) {
    Csi__V1__VolumeCondition *cond = vk_rpc_new_message(call, &csi__v1__volume_condition__descriptor);
    const char *state = quota ? json_string_value(json_object_get(quota->obj.raw, "state")) : NULL;
    if (!quota) {
        cond->abnormal = 1;
        cond->message = "the volume's quota is missing on VAST";
    } else if (!has_view) {
        cond->abnormal = 1;
        cond->message = "the volume has no NFS export (view) on VAST: pods cannot mount it";
    } else if (state && strstr(state, "HARD_EXCEEDED")) {
        cond->abnormal = 1;
        cond->message = vk_rpc_strdup(call, "the volume is full (quota hard limit reached); expand it");
    } else {
        cond->message = "healthy";
    }
    return cond;
}

/* A read-only restore is healthy while the snapshot it serves exists. */
static vk_code get_snapshot_view(vk_rpc_call *call, const char *volume_id, const csi_volume_target *t,
                                          int64_t deadline, ProtobufCMessage **response, vk_status *st) {
    const char *marker = strstr(t->path, "/.snapshot/");
    char source[CSI_PATH_MAX + 2];
    snprintf(source, sizeof source, "%.*s/", (int)(marker - t->path), t->path);
    vms_snapshot snap = {0};
    vms_error err;
    vms_lookup found =
        vms_snapshot_find(t->client, VMS_FILTERS("name", marker + strlen("/.snapshot/"), "path", source), &snap,
                          deadline, &err);
    vms_object_free(&snap.obj);
    if (found == VMS_FAILED) return vms_fail(st, &err, "reading the snapshot behind %s", t->path);
    Csi__V1__ControllerGetVolumeResponse *r = vk_rpc_new_message(call, &csi__v1__controller_get_volume_response__descriptor);
    r->volume = vk_rpc_new_message(call, &csi__v1__volume__descriptor);
    r->volume->volume_id = vk_rpc_strdup(call, volume_id);
    r->status = vk_rpc_new_message(call, &csi__v1__controller_get_volume_response__volume_status__descriptor);
    Csi__V1__VolumeCondition *cond = vk_rpc_new_message(call, &csi__v1__volume_condition__descriptor);
    cond->abnormal = found == VMS_MISSING;
    cond->message = found == VMS_MISSING ? "the snapshot this read-only volume serves was deleted" : "healthy";
    r->status->volume_condition = cond;
    *response = &r->base;
    return VK_OK;
}

vk_code csi_get_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ControllerGetVolumeRequest *req = (const Csi__V1__ControllerGetVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ControllerGetVolume: volume_id is required");
    int64_t deadline = csi_call_deadline(driver, call);
    csi_volume_target t;
    vms_quota quota = {0};
    vms_view view = {0};
    vk_strmap no_secrets = {0};
    vk_code code = csi_volume_target_open(driver, req->volume_id, no_secrets, deadline, &t, &st);
    if (code == VK_OK && csi_volume_is_snapshot_view(&t.ref)) {
        code = get_snapshot_view(call, req->volume_id, &t, deadline, response, &st);
        csi_volume_target_close(&t);
        if (code != VK_OK) return vk_rpc_fail(call, code, "ControllerGetVolume %s: %s", req->volume_id, st.message);
        return VK_OK;
    }
    if (code == VK_OK) code = find_quota(&t, deadline, &quota, &st);
    vms_lookup has_view = VMS_MISSING;
    if (code == VK_OK) {
        vms_error err;
        has_view = vms_view_find_by_path(t.client, t.path, t.tenant_id, &view, deadline, &err);
        if (has_view == VMS_FAILED) code = vms_fail(&st, &err, "reading the view of %s", t.path);
    }
    if (code == VK_OK) {
        Csi__V1__ControllerGetVolumeResponse *r =
            vk_rpc_new_message(call, &csi__v1__controller_get_volume_response__descriptor);
        Csi__V1__Volume *v = vk_rpc_new_message(call, &csi__v1__volume__descriptor);
        v->volume_id = vk_rpc_strdup(call, req->volume_id);
        v->capacity_bytes = quota.hard_limit;
        r->volume = v;
        r->status = vk_rpc_new_message(call, &csi__v1__controller_get_volume_response__volume_status__descriptor);
        r->status->volume_condition = volume_condition(call, &quota, has_view == VMS_FOUND);
        *response = &r->base;
    }
    vms_object_free(&quota.obj);
    vms_object_free(&view.obj);
    csi_volume_target_close(&t);
    if (code != VK_OK) return vk_rpc_fail(call, code, "ControllerGetVolume %s: %s", req->volume_id, st.message);
    return VK_OK;
}

vk_code csi_modify_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ControllerModifyVolumeRequest *req = (const Csi__V1__ControllerModifyVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ControllerModifyVolume: volume_id is required");
    }
    vast_mutable_params m;
    if (!vast_mutable_params_parse(CSI_MAP(req, mutable_parameters), &m, &st)) {
        return vk_rpc_fail(call, st.code, "ControllerModifyVolume %s: %s", req->volume_id, st.message);
    }
    int64_t deadline = csi_call_deadline(driver, call);
    char lock_key[CSI_PATH_MAX + 8];
    csi_volume_target t;
    vms_view view = {0};
    vk_code code = open_locked(driver, req->volume_id, CSI_MAP(req, secrets), deadline, &t, lock_key,
                                        sizeof lock_key, &st);
    vms_error err;
    if (code == VK_OK && csi_volume_is_snapshot_view(&t.ref)) {
        code = vk_status_set(&st, VK_INVALID_ARGUMENT,
                             "a read-only restore is served from its snapshot and has no QoS of its own");
    }
    if (code == VK_OK) {
        vms_lookup found = vms_view_find_by_path(t.client, t.path, t.tenant_id, &view, deadline, &err);
        if (found == VMS_FAILED) code = vms_fail(&st, &err, "reading the view of %s", t.path);
        if (found == VMS_MISSING) {
            code = vk_status_set(&st, VK_NOT_FOUND, "volume %s has no view on VAST cluster %s", t.path,
                                 vms_client_endpoint(t.client));
        }
    }
    if (code == VK_OK && m.qos_policy) {
        int64_t qos_id = 0;
        if (*m.qos_policy && !vms_clusters_qos_policy(driver->clusters, t.client, m.qos_policy, deadline, &qos_id, &st)) {
            code = csi_bad_reference(&st, "the VolumeAttributesClass", "qos_policy");
        } else if (qos_id != view.qos_policy_id) {
            json_t *changes = json_pack("{s:o}", "qos_policy_id", qos_id ? json_integer(qos_id) : json_null());
            if (!vms_view_update(t.client, view.obj.id, changes, NULL, deadline, &err)) {
                code = vms_fail(&st, &err, "setting the QoS policy of %s", t.path);
            }
            json_decref(changes);
        }
    }
    vms_object_free(&view.obj);
    close_locked(driver, &t, lock_key);
    if (code != VK_OK) return vk_rpc_fail(call, code, "ControllerModifyVolume %s: %s", req->volume_id, st.message);
    *response = vk_rpc_new_message(call, &csi__v1__controller_modify_volume_response__descriptor);
    return VK_OK;
}
