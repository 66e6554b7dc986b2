/* From an id to an object of this driver on VAST, or to nothing: the one place where a
 * volume or snapshot id is trusted, and only as far as VAST confirms it
 * (include/vk/vast_owner.h has the rules, docs/controller.md states them). Every
 * operation on an existing volume or snapshot opens it here, so none of them can be
 * pointed at an administrator's directory, another tenant's path, a parent of volumes
 * or a cluster the call's secret does not hold. */
#include "vk/vast.h"

#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* "a, b" of the configured roots, for messages. */
static const char *roots_text(const vast_ctx *ctx, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ctx->roots->n && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", ctx->roots->paths[i]);
    }
    return buf;
}

bool vast_root_export_resolve(const vast_ctx *ctx, const char *root_export, char *out, size_t size,
                             vk_status *st) {
    char roots[512];
    if (!root_export || !vast_path_normalize(root_export, out, size)) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "parameter root_export \"%s\" must be an absolute VAST path without \".\" or \"..\"",
                      root_export ? root_export : "");
        return false;
    }
    if (!vast_roots_find(ctx->roots, out)) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "parameter root_export \"%s\" is not one of the driver's root exports (%s); add it to "
                      "--root-exports (env X_CSI_ROOT_EXPORTS) of the controller",
                      out, roots_text(ctx, roots, sizeof roots));
        return false;
    }
    return true;
}

/* Opens the cluster an id names; a cluster the secret does not hold is "unreachable". */
static vk_code open_cluster(vast_ctx *ctx, const char *id, const char *cluster, vk_strmap secrets,
                                     vms_client **client, bool *unreachable, vk_status *st) {
    *client = NULL;
    if (vms_clusters_client(ctx->clusters, secrets, *cluster ? cluster : NULL, client, st)) return VK_OK;
    if (!vms_clusters_holds(secrets, cluster)) {
        *unreachable = true;
        return *cluster ? vk_status_set(st, VK_NOT_FOUND,
                                        "%s names VAST cluster \"%s\", which this call's secret does not hold: nothing "
                                        "was touched",
                                        id, cluster)
                        : vk_status_set(st, VK_NOT_FOUND,
                                        "%s names no cluster (it was made with a single-cluster secret), and this "
                                        "call's secret holds several: nothing was touched",
                                        id);
    }
    return st->code;
}

/* A vendor id names the directory's last component: its quota, if one of the vendor
 * driver's, is the only one at <root>/<id> under a configured root. */
static vk_code open_vendor_volume(vast_ctx *ctx, const char *id, int64_t deadline,
                                           vast_volume_target *t, vk_status *st) {
    char suffix[VAST_ID_MAX + 2];
    snprintf(suffix, sizeof suffix, "/%s", t->ref.legacy_name);
    vms_quota *quotas = NULL;
    size_t n = 0, matches = 0;
    vms_error err;
    bool listed = vms_quota_list(t->client, VMS_FILTERS("path__endswith", suffix), &quotas, &n, deadline, &err);
    for (size_t i = 0; listed && i < n; i++) {
        if (!vast_vendor_volume_is_ours(ctx->roots, t->ref.legacy_name, quotas[i].path, quotas[i].obj.name)) continue;
        if (matches++ == 0) vms_quota_from_json(quotas[i].obj.raw, &t->quota);
    }
    vms_quota_list_free(quotas, n);
    if (!listed) return vms_fail(st, &err, "finding the quota of volume %s", id);
    if (matches == 0) {
        t->absent = true;
        return vk_status_set(st, VK_NOT_FOUND,
                             "volume %s does not exist on VAST cluster %s (no quota of the vendor driver's at "
                             "<root export>/%s)",
                             id, vms_client_endpoint(t->client), t->ref.legacy_name);
    }
    if (matches > 1) {
        /* two directories claim the name: neither is proven to be the one the id means */
        return vk_status_set(st, VK_NOT_FOUND,
                             "volume %s does not exist as one object: %zu quotas on %s carry its name, so nothing "
                             "was touched",
                             id, matches, vms_client_endpoint(t->client));
    }
    snprintf(t->resolved_path, sizeof t->resolved_path, "%s", t->quota.path);
    t->tenant_id = t->quota.obj.tenant_id;
    t->path = t->resolved_path;
    t->kind = VAST_PATH_VOLUME;
    return VK_OK;
}

/* A read-only restore owns nothing on VAST, but it serves a snapshot: the id is ours
 * only when that snapshot is the driver's (or the vendor driver's) snapshot of a volume. */
static vk_code open_snapshot_view(vast_ctx *ctx, const char *id, int64_t deadline,
                                           vast_volume_target *t, vk_status *st) {
    static const char marker[] = "/.snapshot/";
    const char *at = strstr(t->path, marker);
    char source[VAST_PATH_MAX + 2];
    snprintf(source, sizeof source, "%.*s/", (int)(at - t->path), t->path);
    vms_snapshot snap = {0};
    vms_error err;
    vms_lookup found = vms_snapshot_find(t->client, VMS_FILTERS("name", at + strlen(marker), "path", source), &snap,
                                         deadline, &err);
    if (found == VMS_FAILED) return vms_fail(st, &err, "reading the snapshot behind %s", t->path);
    bool ours = false;
    if (found == VMS_FOUND) {
        vast_snapshot_ref ref = {.tenant_id = t->tenant_id, .snapshot_id = snap.obj.id};
        snprintf(ref.volume_path, sizeof ref.volume_path, "%.*s", (int)(at - t->path), t->path);
        vast_snapshot_ref vendor = {.snapshot_id = snap.obj.id};
        ours = vast_snapshot_is_ours(ctx, &ref, &snap) ||
               (vast_snapshot_is_ours(ctx, &vendor, &snap) &&
                vast_vendor_snapshot_volume_is_ours(ctx, t->client, &snap, deadline, st) == VMS_FOUND);
    }
    vms_object_free(&snap.obj);
    if (found == VMS_MISSING) t->absent = true;
    if (!ours) {
        return vk_status_set(st, VK_NOT_FOUND,
                             "volume %s does not exist: %s is not a snapshot this driver made of one of its volumes "
                             "on %s (or it was deleted)",
                             id, t->path, vms_client_endpoint(t->client));
    }
    return VK_OK;
}

static vk_code prove_volume(const char *id, int64_t deadline, vast_volume_target *t, vk_status *st);

/* Parses id, opens its cluster; then (unless locate_only, for an ordinary volume path)
 * proves the volume is the driver's. */
static vk_code open_target(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline, bool locate_only,
                           vast_volume_target *t, vk_status *st) {
    memset(t, 0, sizeof *t);
    if (!vast_volume_id_parse(id, &t->ref)) {
        t->absent = true;
        return vk_status_set(st, VK_NOT_FOUND, "volume %s does not exist: not an id of this driver", id);
    }
    if (!t->ref.legacy) {
        t->kind = vast_path_classify(ctx->roots, t->ref.path);
        if (t->kind == VAST_PATH_FOREIGN) {
            char roots[512];
            t->absent = true;
            return vk_status_set(st, VK_NOT_FOUND,
                                 "volume %s does not exist: %s is not a volume path of this driver (volumes are "
                                 "directories directly under the root exports %s)",
                                 id, t->ref.path, roots_text(ctx, roots, sizeof roots));
        }
    }
    vk_code code = open_cluster(ctx, id, t->ref.cluster, secrets, &t->client, &t->unreachable, st);
    if (code != VK_OK) return code;
    if (t->ref.legacy) return open_vendor_volume(ctx, id, deadline, t, st);
    t->tenant_id = t->ref.tenant_id;
    t->path = t->ref.path;
    if (t->kind == VAST_PATH_SNAPSHOT_VIEW) return open_snapshot_view(ctx, id, deadline, t, st);
    return locate_only ? VK_OK : prove_volume(id, deadline, t, st);
}

vk_code vast_volume_target_open(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline,
                                vast_volume_target *t, vk_status *st) {
    return open_target(ctx, id, secrets, deadline, false, t, st);
}

vk_code vast_volume_target_locate(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline,
                                  vast_volume_target *t, vk_status *st) {
    return open_target(ctx, id, secrets, deadline, true, t, st);
}

/* The quota at the volume's path, with the driver's mark: what makes it ours. */
static vk_code prove_volume(const char *id, int64_t deadline, vast_volume_target *t, vk_status *st) {
    vms_error err;
    vms_lookup found = vms_quota_find_by_path(t->client, t->path, t->tenant_id, &t->quota, deadline, &err);
    if (found == VMS_FAILED) return vms_fail(st, &err, "reading the quota of %s", t->path);
    if (found == VMS_MISSING) {
        t->absent = true;
        return vk_status_set(st, VK_NOT_FOUND, "volume %s does not exist on VAST cluster %s (no quota at %s)",
                             id, vms_client_endpoint(t->client), t->path);
    }
    if (t->quota.obj.tenant_id != t->tenant_id ||
        !vast_owner_name_is_ours(VAST_OWNED_VOLUME, t->tenant_id, t->path, t->quota.obj.name)) {
        VK_LOG(VK_LOG_WARN, "an id names a quota this driver did not make; not touching it", "volume", id, "quota",
               t->quota.obj.name, "path", t->path);
        return vk_status_set(st, VK_NOT_FOUND,
                             "volume %s does not exist: the quota at %s on %s (\"%s\") was not made by this driver, "
                             "so nothing was changed",
                             id, t->path, vms_client_endpoint(t->client), t->quota.obj.name ? t->quota.obj.name : "");
    }
    return VK_OK;
}

void vast_volume_target_close(vast_volume_target *t) {
    vms_object_free(&t->quota.obj);
    if (t->client) vms_client_free(t->client);
    t->client = NULL;
}

/* ---------- snapshots ---------- */

vms_lookup vast_vendor_snapshot_volume_is_ours(vast_ctx *ctx, vms_client *c, const vms_snapshot *snap,
                                              int64_t deadline, vk_status *st) {
    char dir[VAST_PATH_MAX];
    size_t n = strlen(snap->path);
    if (n < 2 || n > sizeof dir) return VMS_MISSING;
    memcpy(dir, snap->path, n - 1);
    dir[n - 1] = '\0';
    vms_quota quota = {0};
    vms_error err;
    vms_lookup found = vms_quota_find_by_path(c, dir, 0, &quota, deadline, &err);
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading the quota of %s", dir);
        return VMS_FAILED;
    }
    bool ours = found == VMS_FOUND &&
                vast_vendor_volume_is_ours(ctx->roots, strrchr(dir, '/') + 1, quota.path,
                                           quota.obj.name);
    vms_object_free(&quota.obj);
    return ours ? VMS_FOUND : VMS_MISSING;
}

bool vast_snapshot_is_ours(const vast_ctx *ctx, const vast_snapshot_ref *ref, const vms_snapshot *snap) {
    const vast_roots *roots = ctx->roots;
    if (!snap->path || !snap->obj.name) return false;
    if (!ref->volume_path[0]) return vast_vendor_snapshot_is_ours(roots, snap->path, snap->obj.name);
    size_t len = strlen(ref->volume_path);
    return snap->obj.tenant_id == ref->tenant_id && strncmp(snap->path, ref->volume_path, len) == 0 &&
           strcmp(snap->path + len, "/") == 0 && vast_path_classify(roots, ref->volume_path) == VAST_PATH_VOLUME &&
           vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 0, NULL, snap->obj.name);
}

vk_code vast_snapshot_target_open(vast_ctx *ctx, const char *id, vk_strmap secrets,
                                          int64_t deadline, vast_snapshot_target *t, vk_status *st) {
    memset(t, 0, sizeof *t);
    if (!vast_snapshot_id_parse(id, &t->ref)) {
        t->absent = true;
        return vk_status_set(st, VK_NOT_FOUND, "snapshot %s does not exist: not an id of this driver", id);
    }
    if (t->ref.volume_path[0] &&
        vast_path_classify(ctx->roots, t->ref.volume_path) != VAST_PATH_VOLUME) {
        t->absent = true;
        return vk_status_set(st, VK_NOT_FOUND,
                             "snapshot %s does not exist: %s is not a volume path of this driver", id,
                             t->ref.volume_path);
    }
    vk_code code = open_cluster(ctx, id, t->ref.cluster, secrets, &t->client, &t->unreachable, st);
    if (code != VK_OK) return code;
    vms_error err;
    vms_lookup found = vms_snapshot_get(t->client, t->ref.snapshot_id, &t->snap, deadline, &err);
    if (found == VMS_FAILED) return vms_fail(st, &err, "reading snapshot %" PRId64, t->ref.snapshot_id);
    if (found == VMS_MISSING) {
        t->absent = true;
        return vk_status_set(st, VK_NOT_FOUND, "snapshot %s does not exist on VAST cluster %s", id,
                             vms_client_endpoint(t->client));
    }
    bool ours = vast_snapshot_is_ours(ctx, &t->ref, &t->snap);
    if (ours && !t->ref.volume_path[0]) {
        /* the vendor's snapshot: its directory must be the vendor's volume too */
        vms_lookup vendor = vast_vendor_snapshot_volume_is_ours(ctx, t->client, &t->snap, deadline, st);
        if (vendor == VMS_FAILED) return st->code;
        ours = vendor == VMS_FOUND;
    }
    if (!ours) {
        VK_LOG(VK_LOG_WARN, "an id names a snapshot this driver did not make; not touching it", "snapshot", id,
               "name", t->snap.obj.name, "path", t->snap.path);
        return vk_status_set(st, VK_NOT_FOUND,
                             "snapshot %s does not exist: VAST snapshot %" PRId64 " (\"%s\" of %s) on %s was not made "
                             "by this driver for that volume, so nothing was changed",
                             id, t->ref.snapshot_id, t->snap.obj.name ? t->snap.obj.name : "",
                             t->snap.path ? t->snap.path : "", vms_client_endpoint(t->client));
    }
    return VK_OK;
}

void vast_snapshot_target_close(vast_snapshot_target *t) {
    vms_object_free(&t->snap.obj);
    if (t->client) vms_client_free(t->client);
    t->client = NULL;
}
