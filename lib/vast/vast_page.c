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

vast_page vast_page_bounded(const vast_page *page) {
    vast_page bounded = *page;
    if (!bounded.max_entries || bounded.max_entries > VAST_LIST_PAGE_MAX) bounded.max_entries = VAST_LIST_PAGE_MAX;
    return bounded;
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

typedef struct {
    json_t *item; /* borrowed from the chunk's merged array */
    int64_t id;
} walk_item;

static int by_walk_id(const void *a, const void *b) {
    int64_t x = ((const walk_item *)a)->id, y = ((const walk_item *)b)->id;
    return (x > y) - (x < y);
}

static int64_t item_id(json_t *item) { return json_integer_value(json_object_get(item, "id")); }

/* The root export prefixes a walk lists under: one per root not covered by another. */
static size_t walk_prefixes(const vast_roots *roots, char (*out)[VAST_PATH_MAX + 2]) {
    size_t n = 0;
    for (size_t r = 0; r < roots->n; r++) {
        vast_root_list_prefix(roots->paths[r], out[n], sizeof out[n]);
        if (!listed_by_another(roots, r, out[n])) n++;
    }
    return n;
}

/* One chunk: each prefix's next matches after cursor, fetched together, merged into
 * *merged. *bound is the highest id below which every root's matches are all here:
 * the smallest last id of a root that has more (INT64_MAX when none has). */
static bool fetch_chunk(vms_client *c, const char *collection, char (*prefixes)[VAST_PATH_MAX + 2], size_t n,
                        int64_t cursor, size_t chunk, json_t *merged, int64_t *bound, int64_t deadline,
                        vk_status *st) {
    char after[24];
    snprintf(after, sizeof after, "%" PRId64, cursor);
    vms_call *calls = calloc(n, sizeof *calls);
    if (!calls) abort();
    for (size_t i = 0; i < n; i++) {
        calls[i].method = "GET";
        calls[i].path = vms_list_page_path(collection, VMS_FILTERS("path__startswith", prefixes[i], "id__gt", after),
                                           chunk);
    }
    vms_request_all(c, calls, n, deadline);
    *bound = INT64_MAX;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        json_t *items = NULL;
        bool more = false;
        vms_error err;
        if (ok && !vms_list_page_items(c, &calls[i], &items, &more, &err)) {
            vms_fail(st, &err, "listing %s under %s", collection, prefixes[i]);
            ok = false;
        }
        int64_t last = cursor;
        size_t k;
        json_t *item;
        json_array_foreach(items, k, item) {
            if (item_id(item) > last) last = item_id(item);
        }
        if (ok && more && last <= cursor) {
            /* VMS says there is more yet gave nothing after the cursor: the walk would spin */
            vk_status_set(st, VK_UNAVAILABLE, "VMS listed no %s after id %" PRId64 " under %s yet said there are more",
                          collection, cursor, prefixes[i]);
            ok = false;
        }
        if (ok && more && last < *bound) *bound = last;
        if (ok) json_array_extend(merged, items);
        json_decref(items);
        json_decref(calls[i].answer);
        free((char *)calls[i].path);
    }
    free(calls);
    return ok;
}

bool vast_walk_under_roots(const vast_ctx *ctx, vms_client *c, const char *collection, int64_t after, size_t chunk,
                           vast_walk_fn fn, void *acc, int64_t deadline, vk_status *st) {
    size_t cap = ctx->roots->n ? ctx->roots->n : 1;
    char (*prefixes)[VAST_PATH_MAX + 2] = calloc(cap, sizeof *prefixes);
    if (!prefixes) abort();
    size_t n = walk_prefixes(ctx->roots, prefixes);
    bool ok = true, done = n == 0;
    int64_t cursor = after;
    while (ok && !done) {
        json_t *merged = json_array();
        int64_t bound;
        ok = fetch_chunk(c, collection, prefixes, n, cursor, chunk, merged, &bound, deadline, st);
        size_t count = json_array_size(merged);
        walk_item *items = calloc(count ? count : 1, sizeof *items);
        if (!items) abort();
        for (size_t i = 0; i < count; i++) {
            items[i].item = json_array_get(merged, i);
            items[i].id = item_id(items[i].item);
        }
        if (count) qsort(items, count, sizeof *items, by_walk_id);
        int64_t last = cursor;
        for (size_t i = 0; ok && !done && i < count; i++) {
            /* past the bound another root may still hold smaller ids: the next chunk */
            if (items[i].id <= last || items[i].id > bound) continue;
            last = items[i].id;
            done = !fn(items[i].item, acc);
        }
        free(items);
        json_decref(merged);
        if (bound == INT64_MAX) done = true;
        cursor = bound;
    }
    free(prefixes);
    return ok;
}

/* A request line stays well inside the 8 KiB that proxies in front of VMS accept. */
#define PATHS_PER_QUERY_BYTES 3000

/* The next group of paths from *i on, as one look-up's value: consecutive paths joined
 * for path__in up to the byte budget, or a path holding a comma (which __in would
 * split) alone, for path=. Returns the malloc'd value; *key is its filter. */
static char *next_path_group(const char *const *paths, size_t n, size_t *i, const char **key) {
    if (strchr(paths[*i], ',')) {
        *key = "path";
        char *one = strdup(paths[(*i)++]);
        if (!one) abort();
        return one;
    }
    *key = "path__in";
    char *list = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&list, &len);
    if (!f) abort();
    for (size_t taken = 0; *i < n && !strchr(paths[*i], ','); (*i)++, taken++) {
        if (taken && len + strlen(paths[*i]) > PATHS_PER_QUERY_BYTES) break;
        fprintf(f, "%s%s", taken ? "," : "", paths[*i]);
        fflush(f);
    }
    if (fclose(f) != 0) abort();
    return list;
}

static bool append_json(json_t *item, void *acc) {
    json_array_append(acc, item);
    return true;
}

bool vast_list_at_paths(vms_client *c, const char *collection, const char *const *paths, size_t n,
                        const char *fields, json_t **out, int64_t deadline, vk_status *st) {
    *out = json_array();
    vms_call *calls = calloc(n ? n : 1, sizeof *calls);
    if (!calls) abort();
    size_t n_calls = 0;
    for (size_t i = 0; i < n;) {
        const char *key;
        char *value = next_path_group(paths, n, &i, &key);
        calls[n_calls].method = "GET";
        calls[n_calls++].path = fields ? vms_list_first_page_path(c, collection, VMS_FILTERS(key, value, "fields", fields))
                                       : vms_list_first_page_path(c, collection, VMS_FILTERS(key, value));
        free(value);
    }
    vms_request_all(c, calls, n_calls, deadline);
    bool ok = true;
    for (size_t i = 0; i < n_calls; i++) {
        vms_error err;
        if (ok && !vms_list_each_from(c, collection, &calls[i], append_json, *out, deadline, &err)) {
            vms_fail(st, &err, "looking up %s at %zu paths", collection, n);
            ok = false;
        }
        json_decref(calls[i].answer);
        free((char *)calls[i].path);
    }
    free(calls);
    if (!ok) {
        json_decref(*out);
        *out = NULL;
    }
    return ok;
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
