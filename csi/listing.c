/* ListVolumes and ListSnapshots: the driver's objects (vk/vast_owner.h) on the default
 * cluster under the --root-exports, in id order, paged by an opaque token that is the last id
 * returned (stable when objects are added or deleted between pages). */
#include "controller.h"
#include "vk/names.h"

#include "vk/vms_list.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Csi__V1__Snapshot *csi_snapshot_message(vk_rpc_call *call, const char *cluster, const vms_snapshot *snap,
                                        int64_t size_bytes);

/* Checks a list request's paging: max_entries must not be negative, and the token is
 * "" (from the start) or a decimal id this driver handed out; anything else is ABORTED,
 * as the spec asks. *after is the last id already returned. */
static vk_code check_paging(vk_rpc_call *call, const char *rpc, int32_t max_entries, const char *token,
                                     int64_t *after) {
    *after = 0;
    if (max_entries < 0) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "%s: max_entries must not be negative", rpc);
    if (!token || !*token) return VK_OK;
    char *end;
    errno = 0;
    long long v = strtoll(token, &end, 10);
    if (token[0] < '0' || token[0] > '9' || *end || errno || v <= 0) {
        return vk_rpc_fail(call, VK_ABORTED, "%s: starting_token \"%s\" was not issued by this driver", rpc,
                           token);
    }
    *after = v;
    return VK_OK;
}

static int by_id(const void *a, const void *b) {
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));
    return (x > y) - (x < y);
}

/* Objects of collection under every list root (filtered by keep), sorted by id. */
typedef bool (*keep_fn)(const csi_driver *driver, json_t *item);

static bool collect_under_roots(csi_driver *driver, vms_client *c, const char *collection, keep_fn keep,
                                int64_t deadline, json_t **out, vk_status *st) {
    json_t *all = json_array();
    for (size_t r = 0; r < driver->options.root_exports.n; r++) {
        const char *root = driver->options.root_exports.paths[r];
        char prefix[VAST_PATH_MAX + 2];
        snprintf(prefix, sizeof prefix, "%s/", strcmp(root, "/") == 0 ? "" : root);
        json_t *items = NULL;
        vms_error err;
        if (!vms_list(c, collection, VMS_FILTERS("path__startswith", prefix), deadline, &items, &err)) {
            vms_fail(st, &err, "listing %s under %s", collection, prefix);
            json_decref(all);
            return false;
        }
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item) {
            if (keep(driver, item)) json_array_append(all, item);
        }
        json_decref(items);
    }
    /* sort a plain C array of the items, then rebuild */
    size_t n = json_array_size(all);
    json_t **sorted = calloc(n ? n : 1, sizeof *sorted);
    for (size_t i = 0; i < n; i++) sorted[i] = json_array_get(all, i);
    qsort(sorted, n, sizeof *sorted, by_id);
    *out = json_array();
    for (size_t i = 0; i < n; i++) json_array_append(*out, sorted[i]);
    free(sorted);
    json_decref(all);
    return true;
}

/* The volume id of a quota this driver made (vk1) or the vendor driver made (its
 * name); false for any other quota. */
static bool quota_volume_id(const csi_driver *driver, json_t *quota, char *id, size_t size) {
    const char *path = json_string_value(json_object_get(quota, "path"));
    const char *name = json_string_value(json_object_get(quota, "name"));
    int64_t tenant = json_integer_value(json_object_get(quota, "tenant_id"));
    if (!path || !name || vast_path_classify(&driver->options.root_exports, path) != VAST_PATH_VOLUME) return false;
    if (vast_owner_name_is_ours(VAST_OWNED_VOLUME, tenant, path, name)) {
        return vast_volume_id_format("", tenant, path, id, size);
    }
    const char *dir = strrchr(path, '/') + 1;
    if (!vast_vendor_volume_is_ours(&driver->options.root_exports, dir, path, name)) return false;
    snprintf(id, size, "%s", dir);
    return true;
}

static bool is_volume_quota(const csi_driver *driver, json_t *quota) {
    char id[VAST_ID_MAX + 1];
    return quota_volume_id(driver, quota, id, sizeof id);
}

/* A snapshot this driver (or the vendor driver) took of one of its volumes; the
 * temporary ones clones make are not the CO's. */
static bool snapshot_is_listed(const csi_driver *driver, const vms_snapshot *snap) {
    if (!snap->path || !snap->obj.name) return false;
    vast_snapshot_ref ref = {.tenant_id = snap->obj.tenant_id, .snapshot_id = snap->obj.id};
    size_t n = strlen(snap->path);
    if (n < 2 || n >= sizeof ref.volume_path) return false;
    memcpy(ref.volume_path, snap->path, n - 1);
    ref.volume_path[n - 1] = '\0';
    vast_snapshot_ref vendor = {.snapshot_id = snap->obj.id};
    return vast_snapshot_is_ours(&driver->vast, &ref, snap) || vast_snapshot_is_ours(&driver->vast, &vendor, snap);
}

/* The vendor driver's snapshots are listed only when their directory is its volume,
 * which takes the quotas: paths of the vendor volumes under the roots, or NULL. */
static json_t *vendor_volume_paths(csi_driver *driver, vms_client *c, int64_t deadline, vk_status *st) {
    json_t *quotas = NULL;
    if (!collect_under_roots(driver, c, VMS_QUOTAS, is_volume_quota, deadline, &quotas, st)) return NULL;
    json_t *paths = json_object();
    size_t i;
    json_t *q;
    json_array_foreach(quotas, i, q) {
        const char *path = json_string_value(json_object_get(q, "path"));
        const char *name = json_string_value(json_object_get(q, "name"));
        int64_t tenant = json_integer_value(json_object_get(q, "tenant_id"));
        if (path && !vast_owner_name_is_ours(VAST_OWNED_VOLUME, tenant, path, name)) {
            char key[VAST_PATH_MAX + 2];
            snprintf(key, sizeof key, "%s/", path);
            json_object_set_new(paths, key, json_true());
        }
    }
    json_decref(quotas);
    return paths;
}

static bool is_user_snapshot(const csi_driver *driver, json_t *item) {
    vms_snapshot snap;
    vms_snapshot_from_json(item, &snap);
    bool keep = snapshot_is_listed(driver, &snap);
    vms_object_free(&snap.obj);
    return keep;
}

static bool path_has_view(json_t *views, const char *path, int64_t tenant) {
    size_t i;
    json_t *v;
    json_array_foreach(views, i, v) {
        const char *p = json_string_value(json_object_get(v, "path"));
        if (p && strcmp(p, path) == 0 && json_integer_value(json_object_get(v, "tenant_id")) == tenant) return true;
    }
    return false;
}

static bool keep_all(const csi_driver *driver, json_t *item) {
    (void)driver, (void)item;
    return true;
}

vk_code csi_list_volumes(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ListVolumesRequest *req = (const Csi__V1__ListVolumesRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    int64_t after;
    vk_code paging = check_paging(call, "ListVolumes", req->max_entries, req->starting_token, &after);
    if (paging != VK_OK) return paging;
    int64_t deadline = csi_call_deadline(driver, call);
    vk_strmap none = {0};
    vms_client *c = NULL;
    json_t *quotas = NULL, *views = NULL;
    if (!vms_clusters_client(driver->vast.clusters, none, NULL, &c, &st) ||
        !collect_under_roots(driver, c, VMS_QUOTAS, is_volume_quota, deadline, &quotas, &st) ||
        !collect_under_roots(driver, c, VMS_VIEWS, keep_all, deadline, &views, &st)) {
        json_decref(quotas);
        if (c) vms_client_free(c);
        return vk_rpc_fail(call, st.code, "ListVolumes: %s", st.message);
    }
    Csi__V1__ListVolumesResponse *r = vk_rpc_new_message(call, &csi__v1__list_volumes_response__descriptor);
    size_t total = json_array_size(quotas);
    r->entries = vk_rpc_alloc(call, (total ? total : 1) * sizeof *r->entries);
    size_t i;
    json_t *q;
    int64_t last = 0;
    bool more = false;
    json_array_foreach(quotas, i, q) {
        int64_t id = json_integer_value(json_object_get(q, "id"));
        if (id <= after) continue;
        if (req->max_entries > 0 && r->n_entries == (size_t)req->max_entries) {
            more = true;
            break;
        }
        const char *path = json_string_value(json_object_get(q, "path"));
        int64_t tenant = json_integer_value(json_object_get(q, "tenant_id"));
        char volume_id[VAST_ID_MAX + 1];
        if (!quota_volume_id(driver, q, volume_id, sizeof volume_id)) continue;
        Csi__V1__ListVolumesResponse__Entry *e = vk_rpc_new_message(call, &csi__v1__list_volumes_response__entry__descriptor);
        e->volume = vk_rpc_new_message(call, &csi__v1__volume__descriptor);
        e->volume->volume_id = vk_rpc_strdup(call, volume_id);
        e->volume->capacity_bytes = json_integer_value(json_object_get(q, "hard_limit"));
        e->status = vk_rpc_new_message(call, &csi__v1__list_volumes_response__volume_status__descriptor);
        e->status->volume_condition = vk_rpc_new_message(call, &csi__v1__volume_condition__descriptor);
        bool exported = path_has_view(views, path, tenant);
        e->status->volume_condition->abnormal = !exported;
        e->status->volume_condition->message =
            exported ? "healthy" : "the volume has no NFS export (view) on VAST: pods cannot mount it";
        r->entries[r->n_entries++] = e;
        last = id;
    }
    if (more) r->next_token = vk_rpc_strdup(call, vk_fmt((char[24]){0}, 24, "%" PRId64, last));
    *response = &r->base;
    json_decref(quotas);
    json_decref(views);
    vms_client_free(c);
    return VK_OK;
}

vk_code csi_list_snapshots(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ListSnapshotsRequest *req = (const Csi__V1__ListSnapshotsRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    int64_t after;
    vk_code paging = check_paging(call, "ListSnapshots", req->max_entries, req->starting_token, &after);
    if (paging != VK_OK) return paging;
    Csi__V1__ListSnapshotsResponse *r = vk_rpc_new_message(call, &csi__v1__list_snapshots_response__descriptor);
    *response = &r->base;
    /* filters that cannot match anything give an empty list, not an error */
    vast_snapshot_ref snap_ref;
    vast_volume_ref vol_ref;
    if (*req->snapshot_id && !vast_snapshot_id_parse(req->snapshot_id, &snap_ref)) return VK_OK;
    if (*req->source_volume_id && !vast_volume_id_parse(req->source_volume_id, &vol_ref)) return VK_OK;

    int64_t deadline = csi_call_deadline(driver, call);
    const char *cluster = *req->snapshot_id ? snap_ref.cluster : *req->source_volume_id ? vol_ref.cluster : "";
    vms_client *c = NULL;
    json_t *snaps = NULL;
    vms_error err;
    bool ok = vms_clusters_client(driver->vast.clusters, CSI_MAP(req, secrets), *cluster ? cluster : NULL, &c, &st);
    if (ok && *req->snapshot_id) {
        vast_snapshot_target one;
        vk_code code = vast_snapshot_target_open(&driver->vast, req->snapshot_id, CSI_MAP(req, secrets), deadline,
                                                         &one, &st);
        ok = code == VK_OK || code == VK_NOT_FOUND;
        snaps = json_array();
        if (code == VK_OK) json_array_append(snaps, one.snap.obj.raw);
        vast_snapshot_target_close(&one);
    } else if (ok && *req->source_volume_id) {
        vast_volume_target t;
        vk_code code = vast_volume_target_open(&driver->vast, req->source_volume_id, CSI_MAP(req, secrets), deadline,
                                                       &t, &st);
        if (code == VK_OK) {
            char snap_path[VAST_PATH_MAX + 2], tenant[24];
            snprintf(snap_path, sizeof snap_path, "%s/", t.path);
            snprintf(tenant, sizeof tenant, "%" PRId64, t.tenant_id);
            ok = vms_list(c, VMS_SNAPSHOTS, VMS_FILTERS("path", snap_path, "tenant_id", tenant), deadline, &snaps, &err);
            if (!ok) vms_fail(&st, &err, "listing the snapshots of %s", t.path);
        } else if (code == VK_NOT_FOUND) {
            snaps = json_array();
        } else {
            ok = false;
        }
        vast_volume_target_close(&t);
    } else if (ok) {
        ok = collect_under_roots(driver, c, VMS_SNAPSHOTS, is_user_snapshot, deadline, &snaps, &st);
    }
    if (!ok) {
        json_decref(snaps);
        if (c) vms_client_free(c);
        return vk_rpc_fail(call, st.code, "ListSnapshots: %s", st.message);
    }
    /* the vendor's snapshots found by listing (not by an id or volume already proven):
     * only those of the vendor's volumes */
    json_t *vendor_dirs = NULL;
    if (!*req->snapshot_id && !*req->source_volume_id) {
        size_t k;
        json_t *item;
        json_array_foreach(snaps, k, item) {
            const char *name = json_string_value(json_object_get(item, "name"));
            if (vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 0, NULL, name)) continue;
            vendor_dirs = vendor_volume_paths(driver, c, deadline, &st);
            if (!vendor_dirs) {
                json_decref(snaps);
                vms_client_free(c);
                return vk_rpc_fail(call, st.code, "ListSnapshots: %s", st.message);
            }
            break;
        }
    }
    size_t total = json_array_size(snaps);
    r->entries = vk_rpc_alloc(call, (total ? total : 1) * sizeof *r->entries);
    size_t i;
    json_t *item;
    int64_t last = 0;
    json_array_foreach(snaps, i, item) {
        vms_snapshot snap;
        vms_snapshot_from_json(item, &snap);
        bool skip = snap.obj.id <= after || !snapshot_is_listed(driver, &snap) ||
                    (vendor_dirs && !vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 0, NULL, snap.obj.name) &&
                     !json_object_get(vendor_dirs, snap.path));
        if (!skip && req->max_entries > 0 && r->n_entries == (size_t)req->max_entries) {
            r->next_token = vk_rpc_strdup(call, vk_fmt((char[24]){0}, 24, "%" PRId64, last));
            vms_object_free(&snap.obj);
            break;
        }
        if (!skip) {
            Csi__V1__ListSnapshotsResponse__Entry *e =
                vk_rpc_new_message(call, &csi__v1__list_snapshots_response__entry__descriptor);
            e->snapshot = csi_snapshot_message(call, cluster, &snap, 0);
            r->entries[r->n_entries++] = e;
            last = snap.obj.id;
        }
        vms_object_free(&snap.obj);
    }
    json_decref(snaps);
    json_decref(vendor_dirs);
    vms_client_free(c);
    return VK_OK;
}
