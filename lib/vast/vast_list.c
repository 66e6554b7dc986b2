/* ListVolumes as plain C: the volume quotas under the root exports, each with whether
 * its view still exports it, paged by id (vk/vast_list.h). */
#include "vast_list_internal.h"

#include "vk/vms_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vast_volume_condition(const vms_quota *quota, bool has_view, bool *abnormal) {
    *abnormal = true;
    if (!quota) return "the volume's quota is missing on VAST";
    if (!has_view) return "the volume has no NFS export (view) on VAST: pods cannot mount it";
    if (quota->state && strstr(quota->state, "HARD_EXCEEDED")) {
        return "the volume is full (quota hard limit reached); expand it";
    }
    *abnormal = false;
    return "healthy";
}

/* The page being filled: its quotas in id order, then whether each has its view. */
typedef struct {
    const vast_ctx *ctx;
    vast_pager pager;
    vms_quota *quotas;
    char (*ids)[VAST_ID_MAX + 1];
    size_t n, cap;
} volume_page;

static bool take_quota(json_t *item, void *acc) {
    volume_page *p = acc;
    vms_quota q;
    vms_quota_from_json(item, &q);
    char volume_id[VAST_ID_MAX + 1];
    bool keep = vast_quota_volume_id(p->ctx->roots, &q, volume_id, sizeof volume_id);
    vast_page_step step = keep ? vast_pager_step(&p->pager, q.obj.id) : VAST_PAGE_BEFORE;
    if (step != VAST_PAGE_TAKE) {
        vms_object_free(&q.obj);
        return step != VAST_PAGE_FULL;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->quotas = realloc(p->quotas, p->cap * sizeof *p->quotas);
        p->ids = realloc(p->ids, p->cap * sizeof *p->ids);
        if (!p->quotas || !p->ids) abort();
    }
    p->quotas[p->n] = q;
    memcpy(p->ids[p->n++], volume_id, sizeof volume_id);
    return true;
}

/* The views at the page's paths, sorted by (path, tenant) so each volume finds its
 * own in log time. */
typedef struct {
    vms_view *items;
    size_t n;
} views;

static int by_path_and_tenant(const void *a, const void *b) {
    const vms_view *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c) return c;
    return (x->obj.tenant_id > y->obj.tenant_id) - (x->obj.tenant_id < y->obj.tenant_id);
}

static bool has_view(const views *v, const char *path, int64_t tenant_id) {
    vms_view key = {.obj.tenant_id = tenant_id, .path = path};
    return v->n && bsearch(&key, v->items, v->n, sizeof *v->items, by_path_and_tenant);
}

/* The views at the page's paths, in one round trip however many volumes it holds. */
static bool views_of_page(vms_client *c, const volume_page *p, int64_t deadline, views *out, vk_status *st) {
    const char **paths = calloc(p->n ? p->n : 1, sizeof *paths);
    if (!paths) abort();
    for (size_t i = 0; i < p->n; i++) paths[i] = p->quotas[i].path;
    json_t *found = NULL;
    /* whether a volume has its view is all a page needs of it */
    bool ok = vast_list_at_paths(c, VMS_VIEWS, paths, p->n, "id,path,tenant_id", &found, deadline, st);
    free(paths);
    if (!ok) return false;
    out->items = calloc(json_array_size(found) ? json_array_size(found) : 1, sizeof *out->items);
    if (!out->items) abort();
    size_t i;
    json_t *item;
    json_array_foreach(found, i, item) vms_view_from_json(item, &out->items[out->n++]);
    json_decref(found);
    if (out->n) qsort(out->items, out->n, sizeof *out->items, by_path_and_tenant);
    return true;
}

static void fill_entry(const vms_quota *q, const char *volume_id, const views *v, vast_volume_entry *e) {
    memset(e, 0, sizeof *e);
    snprintf(e->volume_id, sizeof e->volume_id, "%s", volume_id);
    snprintf(e->path, sizeof e->path, "%s", q->path);
    e->tenant_id = q->obj.tenant_id;
    e->capacity_bytes = q->hard_limit;
    e->has_view = has_view(v, q->path, q->obj.tenant_id);
    e->condition = vast_volume_condition(q, e->has_view, &e->abnormal);
}

vk_code vast_list_volumes(vast_ctx *ctx, const vast_page *page, int64_t deadline, vast_volume_list *out,
                          vk_status *st) {
    memset(out, 0, sizeof *out);
    vast_page bounded = vast_page_bounded(page);
    vk_strmap none = {0};
    vms_client *c = NULL;
    volume_page p = {.ctx = ctx, .pager = {.page = &bounded}};
    views v = {0};
    /* one more than the page: the first one past it says there is a next page */
    size_t chunk = bounded.max_entries + 1;
    bool ok = vms_clusters_client(ctx->clusters, none, NULL, &c, st) &&
              vast_walk_under_roots(ctx, c, VMS_QUOTAS, page->after, chunk, take_quota, &p, deadline, st) &&
              (p.n == 0 || views_of_page(c, &p, deadline, &v, st));
    if (ok) {
        out->entries = calloc(p.n ? p.n : 1, sizeof *out->entries);
        if (!out->entries) abort();
        for (size_t i = 0; i < p.n; i++) fill_entry(&p.quotas[i], p.ids[i], &v, &out->entries[out->n++]);
        vast_pager_token(&p.pager, out->next_token, sizeof out->next_token);
    }
    vms_quota_list_free(p.quotas, p.n);
    free(p.ids);
    vms_view_list_free(v.items, v.n);
    if (c) vms_client_free(c);
    return ok ? VK_OK : st->code;
}

void vast_volume_list_free(vast_volume_list *list) {
    free(list->entries);
    memset(list, 0, sizeof *list);
}
