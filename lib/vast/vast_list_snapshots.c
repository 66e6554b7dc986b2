/* ListSnapshots as plain C: one snapshot by id, the snapshots of one volume, or every
 * snapshot of the driver's and the vendor driver's volumes under the roots, paged by
 * id (vk/vast_list.h). */
#include "vast_list_internal.h"

#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vast_snapshot_entry_of(const char *cluster, const vms_snapshot *snap, int64_t size_bytes,
                            vast_snapshot_entry *out) {
    memset(out, 0, sizeof *out);
    char volume_path[VAST_PATH_MAX];
    snprintf(volume_path, sizeof volume_path, "%s", snap->path ? snap->path : "");
    size_t n = strlen(volume_path);
    while (n > 1 && volume_path[n - 1] == '/') volume_path[--n] = '\0';
    const char *at = *cluster ? "@" : "";
    if (!vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 0, NULL, snap->obj.name)) {
        /* the vendor driver's snapshot of its volume: its own id forms, whose names
         * are "<prefix>-<uuid>", well under the cap (vast_owner.h) */
        const char *dir = strrchr(volume_path, '/');
        snprintf(out->snapshot_id, sizeof out->snapshot_id, "%" PRId64 "%s%.63s", snap->obj.id, at, cluster);
        snprintf(out->source_volume_id, sizeof out->source_volume_id, "%.64s%s%.63s", dir ? dir + 1 : volume_path,
                 at, cluster);
    } else {
        vast_snapshot_id_format(cluster, snap->obj.tenant_id, snap->obj.id, volume_path, out->snapshot_id,
                                sizeof out->snapshot_id);
        vast_volume_id_format(cluster, snap->obj.tenant_id, volume_path, out->source_volume_id,
                              sizeof out->source_volume_id);
    }
    out->size_bytes = size_bytes;
    snprintf(out->created, sizeof out->created, "%s", snap->created ? snap->created : "");
    out->ready = true;
}

/* A snapshot this driver (or the vendor driver) took of one of its volumes; the
 * temporary ones clones make are not the CO's. */
static bool snapshot_is_ours(const vast_ctx *ctx, const vms_snapshot *snap) {
    vast_snapshot_ref ref = {.tenant_id = snap->obj.tenant_id, .snapshot_id = snap->obj.id};
    size_t n = strlen(snap->path);
    if (n < 2 || n >= sizeof ref.volume_path) return false;
    memcpy(ref.volume_path, snap->path, n - 1);
    ref.volume_path[n - 1] = '\0';
    vast_snapshot_ref vendor = {.snapshot_id = snap->obj.id};
    return vast_snapshot_is_ours(ctx, &ref, snap) || vast_snapshot_is_ours(ctx, &vendor, snap);
}

static bool marked(const vms_snapshot *snap) {
    return vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 0, NULL, snap->obj.name);
}

typedef struct {
    vms_snapshot *items;
    size_t n;
} snapshots;

/* "<path>/" of the vendor driver's volumes, sorted: a vendor snapshot found by
 * listing (not by an id or a volume already proven) is listed only when it was taken
 * of one of them. */
typedef struct {
    char **dirs;
    size_t n;
} vendor_dirs;

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void vendor_dirs_free(vendor_dirs *v) {
    for (size_t i = 0; i < v->n; i++) free(v->dirs[i]);
    free(v->dirs);
}

static bool vendor_volume_dirs(const vast_ctx *ctx, vms_client *c, int64_t deadline, vendor_dirs *out,
                               vk_status *st) {
    vast_quotas quotas;
    if (!vast_quotas_under_roots(ctx, c, deadline, &quotas, st)) return false;
    out->dirs = calloc(quotas.n ? quotas.n : 1, sizeof *out->dirs);
    if (!out->dirs) abort();
    for (size_t i = 0; i < quotas.n; i++) {
        const vms_quota *q = &quotas.items[i];
        char id[VAST_ID_MAX + 1];
        if (!vast_quota_volume_id(ctx->roots, q, id, sizeof id) ||
            vast_owner_name_is_ours(VAST_OWNED_VOLUME, q->obj.tenant_id, q->path, q->obj.name)) {
            continue;
        }
        if (asprintf(&out->dirs[out->n++], "%s/", q->path) < 0) abort();
    }
    vms_quota_list_free(quotas.items, quotas.n);
    if (out->n) qsort(out->dirs, out->n, sizeof *out->dirs, by_text);
    return true;
}

/* vendor NULL: every snapshot that is ours (found by id or by a proven volume). */
static bool listed(const vast_ctx *ctx, const vendor_dirs *vendor, const vms_snapshot *snap) {
    if (!snapshot_is_ours(ctx, snap)) return false;
    if (!vendor || marked(snap)) return true;
    const char *key = snap->path;
    return vendor->n && bsearch(&key, vendor->dirs, vendor->n, sizeof *vendor->dirs, by_text);
}

static vk_code by_snapshot_id(vast_ctx *ctx, const vast_snapshot_query *q, int64_t deadline, snapshots *out,
                              vk_status *st) {
    vast_snapshot_target one;
    vk_code code = vast_snapshot_target_open(ctx, q->snapshot_id, q->secrets, deadline, &one, st);
    if (code == VK_OK) {
        out->items = malloc(sizeof *out->items);
        if (!out->items) abort();
        out->items[out->n++] = one.snap; /* moved: the close must not free it */
        memset(&one.snap, 0, sizeof one.snap);
    }
    vast_snapshot_target_close(&one);
    return code == VK_NOT_FOUND ? VK_OK : code;
}

static vk_code by_source_volume(vast_ctx *ctx, vms_client *c, const vast_snapshot_query *q, int64_t deadline,
                                snapshots *out, vk_status *st) {
    vast_volume_target t;
    vk_code code = vast_volume_target_open(ctx, q->source_volume_id, q->secrets, deadline, &t, st);
    if (code == VK_OK) {
        char snap_path[VAST_PATH_MAX + 2], tenant[24];
        snprintf(snap_path, sizeof snap_path, "%s/", t.path);
        snprintf(tenant, sizeof tenant, "%" PRId64, t.tenant_id);
        vms_error err;
        if (!vms_snapshot_list(c, VMS_FILTERS("path", snap_path, "tenant_id", tenant), &out->items, &out->n,
                               deadline, &err)) {
            code = vms_fail(st, &err, "listing the snapshots of %s", t.path);
        }
    }
    vast_volume_target_close(&t);
    return code == VK_NOT_FOUND ? VK_OK : code;
}

static bool append_snapshots(vms_client *c, const char *const *filters, void *acc, int64_t deadline,
                             vms_error *err) {
    snapshots *s = acc;
    return vms_snapshot_list(c, filters, &s->items, &s->n, deadline, err);
}

/* Every snapshot under the roots; *vendor is filled (and *filter set) only when one
 * of ours lacks our mark: the vendor driver's, which takes its volumes' quotas. */
static vk_code every_snapshot(vast_ctx *ctx, vms_client *c, int64_t deadline, snapshots *out, vendor_dirs *vendor,
                              bool *filter, vk_status *st) {
    if (!vast_list_under_roots(ctx, c, VMS_SNAPSHOTS, append_snapshots, out, deadline, st)) return st->code;
    for (size_t i = 0; i < out->n; i++) {
        if (!snapshot_is_ours(ctx, &out->items[i]) || marked(&out->items[i])) continue;
        *filter = true;
        return vendor_volume_dirs(ctx, c, deadline, vendor, st) ? VK_OK : st->code;
    }
    return VK_OK;
}

static void page_of_snapshots(const vast_ctx *ctx, const char *cluster, const vast_page *page, snapshots *snaps,
                              const vendor_dirs *vendor, vast_snapshot_list *out) {
    if (snaps->n) qsort(snaps->items, snaps->n, sizeof *snaps->items, vast_by_object_id);
    out->entries = calloc(snaps->n ? snaps->n : 1, sizeof *out->entries);
    if (!out->entries) abort();
    vast_pager pager = {.page = page};
    for (size_t i = 0; i < snaps->n; i++) {
        const vms_snapshot *snap = &snaps->items[i];
        if (!listed(ctx, vendor, snap)) continue;
        vast_page_step step = vast_pager_step(&pager, snap->obj.id);
        if (step == VAST_PAGE_FULL) break;
        if (step == VAST_PAGE_TAKE) vast_snapshot_entry_of(cluster, snap, 0, &out->entries[out->n++]);
    }
    vast_pager_token(&pager, out->next_token, sizeof out->next_token);
}

vk_code vast_list_snapshots(vast_ctx *ctx, const vast_snapshot_query *query, int64_t deadline,
                            vast_snapshot_list *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    vast_snapshot_query q = *query;
    q.snapshot_id = q.snapshot_id ? q.snapshot_id : "";
    q.source_volume_id = q.source_volume_id ? q.source_volume_id : "";
    /* filters that cannot match anything give an empty list, not an error */
    vast_snapshot_ref snap_ref;
    vast_volume_ref vol_ref;
    if (*q.snapshot_id && !vast_snapshot_id_parse(q.snapshot_id, &snap_ref)) return VK_OK;
    if (*q.source_volume_id && !vast_volume_id_parse(q.source_volume_id, &vol_ref)) return VK_OK;
    const char *cluster = *q.snapshot_id ? snap_ref.cluster : *q.source_volume_id ? vol_ref.cluster : "";
    vms_client *c = NULL;
    if (!vms_clusters_client(ctx->clusters, q.secrets, *cluster ? cluster : NULL, &c, st)) return st->code;
    snapshots snaps = {0};
    vendor_dirs vendor = {0};
    bool filter = false;
    vk_code code = *q.snapshot_id        ? by_snapshot_id(ctx, &q, deadline, &snaps, st)
                   : *q.source_volume_id ? by_source_volume(ctx, c, &q, deadline, &snaps, st)
                                         : every_snapshot(ctx, c, deadline, &snaps, &vendor, &filter, st);
    if (code == VK_OK) page_of_snapshots(ctx, cluster, &q.page, &snaps, filter ? &vendor : NULL, out);
    vms_snapshot_list_free(snaps.items, snaps.n);
    vendor_dirs_free(&vendor);
    vms_client_free(c);
    return code;
}

void vast_snapshot_list_free(vast_snapshot_list *list) {
    free(list->entries);
    memset(list, 0, sizeof *list);
}
