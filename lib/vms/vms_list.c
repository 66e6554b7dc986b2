/* vms_list: filters into query strings, and lists that always paginate. */
#include "vk/vms_list.h"
#include "vms_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Query strings ---- */

static void put_escaped(FILE *f, const char *text) {
    char *escaped = vk_http_escape(text);
    fputs(escaped, f);
    free(escaped);
}

char *vms_path_with_query(const char *path, const char *const *filters) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) abort();
    fputs(path, f);
    char sep = strchr(path, '?') ? '&' : '?';
    for (size_t i = 0; filters && filters[i] && filters[i + 1]; i += 2) {
        fputc(sep, f);
        put_escaped(f, filters[i]);
        fputc('=', f);
        put_escaped(f, filters[i + 1]);
        sep = '&';
    }
    if (fclose(f) != 0 || !out) abort();
    return out;
}

/* ---- Following `next` ---- */

static bool is_version_segment(const char *s, size_t len) {
    if (len == 6 && strncmp(s, "latest", 6) == 0) return true;
    if (len < 2 || s[0] != 'v') return false;
    for (size_t i = 1; i < len; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return true;
}

/* The path (relative to this client's /api/<version>/) that a `next` URL points at.
 * `next` embeds its own /api/<ver>/; keeping only what follows means the version is not
 * doubled and the request goes to our endpoint with our token, whatever host VMS put
 * in the link. A query-only link ("?page=2") is taken relative to the collection. */
static char *path_of_next(const char *collection, const char *next) {
    char *path = NULL;
    if (next[0] == '?') {
        size_t base = strcspn(collection, "?");
        if (asprintf(&path, "%.*s%s", (int)base, collection, next) < 0) abort();
        return path;
    }
    const char *api = strstr(next, "/api/");
    if (!api) return NULL;
    const char *rest = api + 5;
    size_t seg = strcspn(rest, "/?");
    if (rest[seg] == '/' && is_version_segment(rest, seg)) rest += seg + 1;
    if (!*rest) return NULL;
    path = strdup(rest);
    if (!path) abort();
    return path;
}

/* ---- De-duplication by id ---- */

/* An open-addressing set of ids; offset pagination can repeat an object at a page
 * boundary when objects are created meanwhile, and callers expect each once. */
typedef struct {
    int64_t *slots; /* 0 = empty (VMS ids start at 1) */
    size_t cap, count;
} id_set;

static size_t id_hash(int64_t id, size_t cap) { return (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ull) & (cap - 1); }

static bool id_set_insert(id_set *set, int64_t id); /* true when id was new */

static void id_set_grow(id_set *set) {
    id_set bigger = {.cap = set->cap ? set->cap * 2 : 1024};
    bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
    if (!bigger.slots) abort();
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i]) id_set_insert(&bigger, set->slots[i]);
    free(set->slots);
    *set = bigger;
}

static bool id_set_insert(id_set *set, int64_t id) {
    if ((set->count + 1) * 2 > set->cap) id_set_grow(set);
    for (size_t i = id_hash(id, set->cap);; i = (i + 1) & (set->cap - 1)) {
        if (set->slots[i] == id) return false;
        if (set->slots[i] == 0) {
            set->slots[i] = id;
            set->count++;
            return true;
        }
    }
}

/* ---- Listing ---- */

/* Reads one page in either shape; *items is borrowed from page, *next may be NULL. */
static bool read_page(json_t *page, json_t **items, const char **next) {
    *next = NULL;
    if (json_is_array(page)) {
        *items = page;
        return true;
    }
    if (!json_is_object(page)) return false;
    json_t *results = json_object_get(page, "results");
    if (json_is_array(results)) {
        *items = results;
        *next = json_string_value(json_object_get(page, "next"));
        return true;
    }
    *items = NULL; /* a single object: the caller treats it as a list of one */
    return true;
}

/* Hands item to fn unless its id was seen; false when fn asked to stop. */
static bool deliver(json_t *item, id_set *seen, vms_list_fn fn, void *ctx) {
    json_t *id = json_object_get(item, "id");
    if (json_is_integer(id) && json_integer_value(id) > 0 && !id_set_insert(seen, json_integer_value(id)))
        return true;
    return fn(item, ctx);
}

char *vms_list_first_page_path(vms_client *c, const char *collection, const char *const *filters) {
    char page_size[16];
    snprintf(page_size, sizeof page_size, "%d", c->s.list_page_size);
    char *filtered = vms_path_with_query(collection, filters);
    char *path = vms_path_with_query(filtered, VMS_FILTERS("page_size", page_size));
    free(filtered);
    return path;
}

/* Streams the pages from path (owned) on; the first page's answer may have been
 * fetched already (first: its call, sent with others). */
static bool walk_pages(vms_client *c, const char *collection, char *path, vms_call *first, vms_list_fn fn,
                       void *ctx, int64_t deadline, vms_error *err) {
    id_set seen = {0};
    bool ok = true, more = true;
    while (ok && more && path) {
        json_t *page = NULL, *items = NULL;
        const char *next = NULL;
        bool fetched;
        if (first) {
            fetched = first->ok;
            page = first->answer;
            first->answer = NULL; /* the walk owns it now */
            if (!fetched) *err = first->err;
            first = NULL;
        } else {
            fetched = vms_get(c, path, deadline, &page, err);
        }
        if (!fetched) {
            ok = false;
        } else if (!read_page(page, &items, &next)) {
            vms_error_set(err, VMS_ERR_RESPONSE, "the list answer is neither an array nor a page of results");
            vms_error_set_request(err, c, "GET", path);
            ok = false;
        } else if (!items) {
            if (page) more = deliver(page, &seen, fn, ctx);
        } else {
            size_t i;
            json_t *item;
            json_array_foreach(items, i, item) {
                if (!(more = deliver(item, &seen, fn, ctx))) break;
            }
        }
        char *next_path = ok && more && next ? path_of_next(collection, next) : NULL;
        if (ok && more && next && (!next_path || strcmp(next_path, path) == 0)) {
            /* A link we cannot follow, or one back to this page, would loop or lose objects. */
            vms_error_set(err, VMS_ERR_RESPONSE, "cannot follow the next-page link %s", next);
            vms_error_set_request(err, c, "GET", path);
            ok = false;
        }
        json_decref(page);
        free(path);
        path = next_path;
    }
    free(path);
    free(seen.slots);
    if (!ok && !err->object[0]) vms_error_set_object(err, "list of %s", collection);
    return ok;
}

bool vms_list_each(vms_client *c, const char *collection, const char *const *filters, vms_list_fn fn, void *ctx,
                   int64_t deadline, vms_error *err) {
    return walk_pages(c, collection, vms_list_first_page_path(c, collection, filters), NULL, fn, ctx, deadline, err);
}

bool vms_list_each_from(vms_client *c, const char *collection, vms_call *first, vms_list_fn fn, void *ctx,
                        int64_t deadline, vms_error *err) {
    vms_error_clear(err);
    char *path = strdup(first->path);
    if (!path) abort();
    return walk_pages(c, collection, path, first, fn, ctx, deadline, err);
}

char *vms_list_page_path(const char *collection, const char *const *filters, size_t page_size) {
    char size[24];
    snprintf(size, sizeof size, "%zu", page_size);
    char *filtered = vms_path_with_query(collection, filters);
    char *path = vms_path_with_query(filtered, VMS_FILTERS("ordering", "id", "page_size", size));
    free(filtered);
    return path;
}

bool vms_list_page_items(vms_client *c, vms_call *call, json_t **items, bool *more, vms_error *err) {
    *items = NULL;
    *more = false;
    if (!call->ok) {
        *err = call->err;
        return false;
    }
    json_t *page = call->answer, *results = NULL;
    const char *next = NULL;
    if (!read_page(page, &results, &next) || !results) {
        /* a single object where a page of results was asked for: nothing to walk */
        vms_error_clear(err);
        vms_error_set(err, VMS_ERR_RESPONSE, "the list answer is not a page of results");
        vms_error_set_request(err, c, "GET", call->path);
        return false;
    }
    *items = json_incref(results);
    *more = next != NULL;
    return true;
}

static bool append_item(json_t *item, void *ctx) {
    json_array_append(ctx, item);
    return true;
}

bool vms_list(vms_client *c, const char *collection, const char *const *filters, int64_t deadline, json_t **out,
              vms_error *err) {
    json_t *items = json_array();
    if (!vms_list_each(c, collection, filters, append_item, items, deadline, err)) {
        json_decref(items);
        *out = NULL;
        return false;
    }
    *out = items;
    return true;
}
