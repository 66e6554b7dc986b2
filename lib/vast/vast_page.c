/* The paging and the walk over the root exports both listings share
 * (vast_list_internal.h). */
#include "vast_list_internal.h"

#include "vk/vms_list.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vast_page_token_parse(const char *token, int64_t *after) {
    *after = 0;
    if (!token || !*token) return true;
    char *end;
    errno = 0;
    long long v = strtoll(token, &end, 10);
    /* digits only: strtoll would take " 5" or "+5", which no page handed out */
    if (token[0] < '0' || token[0] > '9' || *end || errno || v <= 0) return false;
    *after = v;
    return true;
}

vast_page_step vast_pager_step(vast_pager *p, int64_t id) {
    if (id <= p->page->after || (p->taken && id <= p->last)) return VAST_PAGE_BEFORE;
    if (p->page->max_entries && p->taken == p->page->max_entries) {
        p->more = true;
        return VAST_PAGE_FULL;
    }
    p->taken++;
    p->last = id;
    return VAST_PAGE_TAKE;
}

void vast_pager_token(const vast_pager *p, char *token, size_t size) {
    if (p->more) {
        snprintf(token, size, "%" PRId64, p->last);
    } else {
        token[0] = '\0';
    }
}

int vast_by_object_id(const void *a, const void *b) {
    int64_t x = ((const vms_object *)a)->id, y = ((const vms_object *)b)->id;
    return (x > y) - (x < y);
}

/* True when an earlier (or shorter) entry's listing already holds everything under
 * prefix: "/k8s" and "/k8s/a/b" ("/k8s/" covers "/k8s/a/b/"), so nothing is listed twice. */
static bool listed_by_another(const vast_roots *roots, size_t self, const char *prefix) {
    for (size_t r = 0; r < roots->n; r++) {
        if (r == self) continue;
        char other[VAST_PATH_MAX + 2];
        vast_root_list_prefix(roots->paths[r], other, sizeof other);
        size_t len = strlen(other);
        if (strncmp(prefix, other, len) == 0 && (prefix[len] || r < self)) return true;
    }
    return false;
}

bool vast_list_under_roots(const vast_ctx *ctx, vms_client *c, const char *collection, vast_root_list_fn fn,
                           void *acc, int64_t deadline, vk_status *st) {
    for (size_t r = 0; r < ctx->roots->n; r++) {
        /* a wildcard lists under its parent; vast_path_classify keeps what sits exactly
         * at <parent>/<root>/<volume>, so the tenant roots' own quotas and anything
         * deeper than a volume are left out */
        char prefix[VAST_PATH_MAX + 2];
        vast_root_list_prefix(ctx->roots->paths[r], prefix, sizeof prefix);
        if (listed_by_another(ctx->roots, r, prefix)) continue;
        vms_error err;
        if (!fn(c, VMS_FILTERS("path__startswith", prefix), acc, deadline, &err)) {
            vms_fail(st, &err, "listing %s under %s", collection, prefix);
            return false;
        }
    }
    return true;
}

static bool append_quotas(vms_client *c, const char *const *filters, void *acc, int64_t deadline, vms_error *err) {
    vast_quotas *q = acc;
    return vms_quota_list(c, filters, &q->items, &q->n, deadline, err);
}

bool vast_quotas_under_roots(const vast_ctx *ctx, vms_client *c, int64_t deadline, vast_quotas *out,
                             vk_status *st) {
    *out = (vast_quotas){0};
    if (!vast_list_under_roots(ctx, c, VMS_QUOTAS, append_quotas, out, deadline, st)) {
        vms_quota_list_free(out->items, out->n);
        *out = (vast_quotas){0};
        return false;
    }
    if (out->n) qsort(out->items, out->n, sizeof *out->items, vast_by_object_id);
    return true;
}

bool vast_quota_volume_id(const vast_roots *roots, const vms_quota *quota, char *id, size_t size) {
    const char *path = quota->path, *name = quota->obj.name;
    int64_t tenant = quota->obj.tenant_id;
    if (!*path || vast_path_classify(roots, path) != VAST_PATH_VOLUME) return false;
    if (vast_owner_name_is_ours(VAST_OWNED_VOLUME, tenant, path, name)) {
        return vast_volume_id_format("", tenant, path, id, size);
    }
    const char *dir = strrchr(path, '/') + 1;
    if (!vast_vendor_volume_is_ours(roots, dir, path, name)) return false;
    snprintf(id, size, "%s", dir);
    return true;
}
