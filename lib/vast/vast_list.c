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

typedef struct {
    vms_view *items;
    size_t n;
} views;

static bool append_views(vms_client *c, const char *const *filters, void *acc, int64_t deadline, vms_error *err) {
    views *v = acc;
    return vms_view_list(c, filters, &v->items, &v->n, deadline, err);
}

/* Views by (path, tenant), so each volume finds its own in log time. */
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

static void fill_entry(const vms_quota *q, const char *volume_id, const views *v, vast_volume_entry *e) {
    memset(e, 0, sizeof *e);
    snprintf(e->volume_id, sizeof e->volume_id, "%s", volume_id);
    snprintf(e->path, sizeof e->path, "%s", q->path);
    e->tenant_id = q->obj.tenant_id;
    e->capacity_bytes = q->hard_limit;
    e->has_view = has_view(v, q->path, q->obj.tenant_id);
    e->condition = vast_volume_condition(q, e->has_view, &e->abnormal);
}

static void page_of_volumes(const vast_ctx *ctx, const vast_page *page, const vast_quotas *quotas,
                            const views *v, vast_volume_list *out) {
    out->entries = calloc(quotas->n ? quotas->n : 1, sizeof *out->entries);
    if (!out->entries) abort();
    vast_pager pager = {.page = page};
    for (size_t i = 0; i < quotas->n; i++) {
        const vms_quota *q = &quotas->items[i];
        char volume_id[VAST_ID_MAX + 1];
        if (!vast_quota_volume_id(ctx->roots, q, volume_id, sizeof volume_id)) continue;
        vast_page_step step = vast_pager_step(&pager, q->obj.id);
        if (step == VAST_PAGE_FULL) break;
        if (step == VAST_PAGE_TAKE) fill_entry(q, volume_id, v, &out->entries[out->n++]);
    }
    vast_pager_token(&pager, out->next_token, sizeof out->next_token);
}

vk_code vast_list_volumes(vast_ctx *ctx, const vast_page *page, int64_t deadline, vast_volume_list *out,
                          vk_status *st) {
    memset(out, 0, sizeof *out);
    vk_strmap none = {0};
    vms_client *c = NULL;
    vast_quotas quotas = {0};
    views v = {0};
    bool ok = vms_clusters_client(ctx->clusters, none, NULL, &c, st) &&
              vast_quotas_under_roots(ctx, c, deadline, &quotas, st) &&
              vast_list_under_roots(ctx, c, VMS_VIEWS, append_views, &v, deadline, st);
    if (ok) {
        if (v.n) qsort(v.items, v.n, sizeof *v.items, by_path_and_tenant);
        page_of_volumes(ctx, page, &quotas, &v, out);
    }
    vms_quota_list_free(quotas.items, quotas.n);
    vms_view_list_free(v.items, v.n);
    if (c) vms_client_free(c);
    return ok ? VK_OK : st->code;
}

void vast_volume_list_free(vast_volume_list *list) {
    free(list->entries);
    memset(list, 0, sizeof *list);
}
