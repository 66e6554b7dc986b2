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

/* One round of the walk over every snapshot under the roots: up to `want` of the
 * driver's (or the vendor driver's, still to be proven) in id order. */
typedef struct {
    const vast_ctx *ctx;
    size_t want;
    snapshots found;
    int64_t last_seen; /* the last snapshot the walk handed over and this round took in */
    bool stopped;      /* the round filled up: the walk holds more after last_seen */
} snapshot_round;

static bool gather_snapshot(json_t *item, void *acc) {
    snapshot_round *r = acc;
    if (r->found.n == r->want) {
        r->stopped = true;
        return false;
    }
    vms_snapshot snap;
    vms_snapshot_from_json(item, &snap);
    r->last_seen = snap.obj.id;
    if (!snapshot_is_ours(r->ctx, &snap)) {
        vms_object_free(&snap.obj);
        return true;
    }
    r->found.items = realloc(r->found.items, (r->found.n + 1) * sizeof *r->found.items);
    if (!r->found.items) abort();
    r->found.items[r->found.n++] = snap;
    return true;
}

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A snapshot without our mark is listed only when it was taken of one of the vendor
 * driver's volumes: the quota at its directory proves that. The round's unmarked ones
 * are checked with one look-up of their directories' quotas, each decoded once into the
 * sorted "<path>/" of the vendor volumes; keep[i] says which of found stay. */
static bool prove_vendor_snapshots(const vast_ctx *ctx, vms_client *c, const snapshots *found, bool *keep,
                                   int64_t deadline, vk_status *st) {
    char **dirs = calloc(found->n ? found->n : 1, sizeof *dirs);
    if (!dirs) abort();
    size_t n_dirs = 0;
    for (size_t i = 0; i < found->n; i++) {
        keep[i] = marked(&found->items[i]);
        if (keep[i]) continue;
        const char *path = found->items[i].path; /* "<volume>/", snapshot_is_ours made sure */
        if (asprintf(&dirs[n_dirs++], "%.*s", (int)(strlen(path) - 1), path) < 0) abort();
    }
    json_t *quotas = NULL;
    bool ok = n_dirs == 0 || vast_list_at_paths(c, VMS_QUOTAS, (const char *const *)dirs, n_dirs,
                                                "id,name,path,tenant_id", &quotas, deadline, st);
    size_t n_vendor = 0;
    char **vendor = calloc(json_array_size(quotas) ? json_array_size(quotas) : 1, sizeof *vendor);
    if (!vendor) abort();
    size_t k;
    json_t *item;
    json_array_foreach(quotas, k, item) {
        vms_quota q;
        vms_quota_from_json(item, &q);
        const char *dir = strrchr(q.path, '/');
        if (dir && vast_vendor_volume_is_ours(ctx->roots, dir + 1, q.path, q.obj.name) &&
            asprintf(&vendor[n_vendor++], "%s/", q.path) < 0) {
            abort();
        }
        vms_object_free(&q.obj);
    }
    if (n_vendor) qsort(vendor, n_vendor, sizeof *vendor, by_text);
    for (size_t i = 0; ok && n_vendor && i < found->n; i++) {
        const char *key = found->items[i].path;
        if (!keep[i]) keep[i] = bsearch(&key, vendor, n_vendor, sizeof *vendor, by_text) != NULL;
    }
    for (size_t i = 0; i < n_vendor; i++) free(vendor[i]);
    free(vendor);
    json_decref(quotas);
    for (size_t i = 0; i < n_dirs; i++) free(dirs[i]);
    free(dirs);
    return ok;
}

/* A page of every snapshot under the roots, streamed by id: rounds of the walk until
 * the page is full or the walk ends, each round's vendor snapshots proven at once. */
static vk_code every_snapshot(vast_ctx *ctx, vms_client *c, const char *cluster, const vast_page *page,
                              vast_snapshot_list *out, int64_t deadline, vk_status *st) {
    vast_page bounded = vast_page_bounded(page);
    out->entries = calloc(bounded.max_entries, sizeof *out->entries);
    if (!out->entries) abort();
    vast_pager pager = {.page = &bounded};
    int64_t after = page->after;
    bool ok = true, full = false;
    while (ok && !full) {
        /* one more than the page still holds: the first past it says there is a next */
        snapshot_round r = {.ctx = ctx, .want = bounded.max_entries - pager.taken + 1, .last_seen = after};
        ok = vast_walk_under_roots(ctx, c, VMS_SNAPSHOTS, after, r.want, gather_snapshot, &r, deadline, st);
        bool *keep = calloc(r.found.n ? r.found.n : 1, sizeof *keep);
        if (!keep) abort();
        ok = ok && prove_vendor_snapshots(ctx, c, &r.found, keep, deadline, st);
        for (size_t i = 0; ok && !full && i < r.found.n; i++) {
            if (!keep[i]) continue;
            vast_page_step step = vast_pager_step(&pager, r.found.items[i].obj.id);
            full = step == VAST_PAGE_FULL;
            if (step == VAST_PAGE_TAKE) vast_snapshot_entry_of(cluster, &r.found.items[i], 0, &out->entries[out->n++]);
        }
        free(keep);
        vms_snapshot_list_free(r.found.items, r.found.n);
        if (!r.stopped) break;
        after = r.last_seen;
    }
    if (!ok) return st->code;
    vast_pager_token(&pager, out->next_token, sizeof out->next_token);
    return VK_OK;
}

/* The snapshots of one id or one volume (a handful), paged: only the driver's, not an
 * administrator's or the temporary ones clones make. */
static void page_of_snapshots(const vast_ctx *ctx, const char *cluster, const vast_page *page, snapshots *snaps,
                              vast_snapshot_list *out) {
    if (snaps->n) qsort(snaps->items, snaps->n, sizeof *snaps->items, vast_by_object_id);
    out->entries = calloc(snaps->n ? snaps->n : 1, sizeof *out->entries);
    if (!out->entries) abort();
    vast_pager pager = {.page = page};
    for (size_t i = 0; i < snaps->n; i++) {
        if (!snapshot_is_ours(ctx, &snaps->items[i])) continue;
        vast_page_step step = vast_pager_step(&pager, snaps->items[i].obj.id);
        if (step == VAST_PAGE_FULL) break;
        if (step == VAST_PAGE_TAKE) vast_snapshot_entry_of(cluster, &snaps->items[i], 0, &out->entries[out->n++]);
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
    vk_code code;
    if (*q.snapshot_id || *q.source_volume_id) {
        code = *q.snapshot_id ? by_snapshot_id(ctx, &q, deadline, &snaps, st)
                              : by_source_volume(ctx, c, &q, deadline, &snaps, st);
        if (code == VK_OK) page_of_snapshots(ctx, cluster, &q.page, &snaps, out);
    } else {
        code = every_snapshot(ctx, c, cluster, &q.page, out, deadline, st);
    }
    if (code != VK_OK) vast_snapshot_list_free(out);
    vms_snapshot_list_free(snaps.items, snaps.n);
    vms_client_free(c);
    return code;
}

void vast_snapshot_list_free(vast_snapshot_list *list) {
    free(list->entries);
    memset(list, 0, sizeof *list);
}
