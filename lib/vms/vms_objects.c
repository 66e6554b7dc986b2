/* vms_objects: typed get/find/list/create/update/delete for every VMS object type,
 * all through one engine (vms_object_*) parameterised by a vms_kind (vms_decode.c has
 * the kinds and their field tables). */
#include "vk/vms_objects.h"
#include "vms_internal.h"
#include "vk/vms_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The engine ---- */

static char *item_path(const vms_kind *k, int64_t id, const char *query) {
    char *path;
    if (asprintf(&path, "%s%lld/%s", k->collection, (long long)id, query ? query : "") < 0) abort();
    return path;
}

/* "path=/k8s/a tenant_id=3", for messages. */
static void describe_filters(const char *const *filters, char *buf, size_t size) {
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; filters && filters[i] && filters[i + 1] && used + 1 < size; i += 2) {
        int n = snprintf(buf + used, size - used, "%s%s=%s", i ? " " : "", filters[i], filters[i + 1]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

vms_lookup vms_object_get(vms_client *c, const vms_kind *k, int64_t id, vms_object *out, int64_t deadline,
                          vms_error *err) {
    memset(out, 0, sizeof *out);
    char *path = item_path(k, id, NULL);
    json_t *json = NULL;
    bool ok = vms_get(c, path, deadline, &json, err);
    free(path);
    if (!ok) {
        vms_error_set_object(err, "%s %lld", k->noun, (long long)id);
        if (!vms_error_is_not_found(err)) return VMS_FAILED;
        vms_error_clear(err);
        return VMS_MISSING;
    }
    vms_kind_decode(k, json, out);
    json_decref(json);
    return VMS_FOUND;
}

typedef struct {
    json_t *first;
    size_t count;
} match_count;

/* Stops at the second match: that is all "exactly one" needs to know. */
static bool count_match(json_t *item, void *ctx) {
    match_count *m = ctx;
    if (m->count++ == 0) m->first = json_incref(item);
    return m->count < 2;
}

vms_lookup vms_object_find(vms_client *c, const vms_kind *k, const char *const *filters, vms_object *out,
                           int64_t deadline, vms_error *err) {
    memset(out, 0, sizeof *out);
    char what[400];
    describe_filters(filters, what, sizeof what);
    match_count m = {0};
    if (!vms_list_each(c, k->collection, filters, count_match, &m, deadline, err)) {
        json_decref(m.first);
        vms_error_set_object(err, "%s %s", k->noun, what);
        return VMS_FAILED;
    }
    if (m.count == 0) return VMS_MISSING;
    if (m.count > 1) {
        json_decref(m.first);
        vms_error_clear(err);
        vms_error_set(err, VMS_ERR_AMBIGUOUS, "more than one %s has %s; expected at most one", k->noun, what);
        snprintf(err->endpoint, sizeof err->endpoint, "%s", vms_client_endpoint(c));
        vms_error_set_object(err, "%s %s", k->noun, what);
        return VMS_FAILED;
    }
    vms_kind_decode(k, m.first, out);
    json_decref(m.first);
    return VMS_FOUND;
}

typedef struct {
    const vms_kind *k;
    char *items;
    size_t n, cap;
} collected;

static bool collect_item(json_t *item, void *ctx) {
    collected *list = ctx;
    if (list->n == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 16;
        list->items = realloc(list->items, list->cap * list->k->size);
        if (!list->items) abort();
    }
    vms_kind_decode(list->k, item, (vms_object *)(list->items + list->n++ * list->k->size));
    return true;
}

/* Both listings: from the first page's answer at hand (first) or from the start. */
static bool list_objects(vms_client *c, const vms_kind *k, const char *const *filters, vms_call *first, void **items,
                         size_t *n, int64_t deadline, vms_error *err) {
    /* the capacity is not kept between calls: start from exactly what is there */
    collected list = {k, *items, *n, *n};
    bool ok = first ? vms_list_each_from(c, k->collection, first, collect_item, &list, deadline, err)
                    : vms_list_each(c, k->collection, filters, collect_item, &list, deadline, err);
    *items = list.items;
    *n = list.n;
    if (!ok) {
        char what[400];
        describe_filters(filters, what, sizeof what);
        vms_error_set_object(err, "%ss %s", k->noun, first ? first->path : what);
    }
    return ok;
}

bool vms_object_list(vms_client *c, const vms_kind *k, const char *const *filters, void **items, size_t *n,
                     int64_t deadline, vms_error *err) {
    return list_objects(c, k, filters, NULL, items, n, deadline, err);
}

bool vms_object_list_from(vms_client *c, const vms_kind *k, vms_call *first, void **items, size_t *n,
                          int64_t deadline, vms_error *err) {
    return list_objects(c, k, VMS_NO_FILTERS, first, items, n, deadline, err);
}

void vms_object_list_free(const vms_kind *k, void *items, size_t n) {
    for (size_t i = 0; i < n; i++) vms_object_free((vms_object *)((char *)items + i * k->size));
    free(items);
}

/* Decodes an answer that must be an object of kind k (or leaves out alone when the
 * caller did not ask for it). */
bool vms_object_decode_answer(vms_client *c, const vms_kind *k, json_t *answer, vms_object *out, const char *method,
                          const char *path, vms_error *err) {
    if (!out) return true;
    if (!json_is_object(answer) || !json_is_integer(json_object_get(answer, "id"))) {
        vms_error_set(err, VMS_ERR_RESPONSE, "the answer is not a %s object with an id", k->noun);
        vms_error_set_request(err, c, method, path);
        return false;
    }
    vms_kind_decode(k, answer, out);
    return true;
}

bool vms_object_create(vms_client *c, const vms_kind *k, const char *path, json_t *body, const char *label,
                       vms_object *out, int64_t deadline, vms_error *err) {
    if (out) memset(out, 0, sizeof *out);
    json_t *answer = NULL;
    /* Not idempotent: a resend after a lost answer could create a twin. Callers look
     * the object up by natural key after an ALREADY_EXISTS instead. */
    bool ok = vms_post(c, path, body, 0, deadline, &answer, err) &&
              vms_object_decode_answer(c, k, answer, out, "POST", path, err);
    json_decref(answer);
    if (!ok) vms_error_set_object(err, "%s %s", k->noun, label);
    return ok;
}

bool vms_object_update(vms_client *c, const vms_kind *k, int64_t id, json_t *changes, vms_object *out,
                       int64_t deadline, vms_error *err) {
    if (out) memset(out, 0, sizeof *out);
    char *path = item_path(k, id, NULL);
    json_t *answer = NULL;
    bool ok = vms_patch(c, path, changes, VMS_IDEMPOTENT, deadline, &answer, err) &&
              vms_task_wait_response(c, answer, deadline, err);
    if (ok && out) {
        /* VIP pools answer 204 and async updates a task: read the object back. */
        bool is_object = json_is_object(answer) && json_object_get(answer, "id");
        ok = is_object ? vms_object_decode_answer(c, k, answer, out, "PATCH", path, err)
                       : vms_object_get(c, k, id, out, deadline, err) == VMS_FOUND;
        if (!ok && err->kind == VMS_ERR_NONE) { /* MISSING: deleted by someone else meanwhile */
            vms_error_set(err, VMS_ERR_HTTP, "it disappeared right after the update");
            err->http_status = 404;
        }
    }
    json_decref(answer);
    free(path);
    if (!ok) vms_error_set_object(err, "%s %lld", k->noun, (long long)id);
    return ok;
}

vms_lookup vms_object_delete(vms_client *c, const vms_kind *k, int64_t id, const char *query, json_t *body,
                             int64_t deadline, vms_error *err) {
    char *path = item_path(k, id, query);
    json_t *answer = NULL;
    bool ok = vms_delete(c, path, body, VMS_IDEMPOTENT, deadline, &answer, err) &&
              vms_task_wait_response(c, answer, deadline, err);
    json_decref(answer);
    free(path);
    if (ok) return VMS_FOUND;
    vms_error_set_object(err, "%s %lld", k->noun, (long long)id);
    if (!vms_error_is_not_found(err)) return VMS_FAILED;
    vms_error_clear(err); /* already gone: what a delete wants */
    return VMS_MISSING;
}

/* ---- The typed API: thin, generated wrappers over the engine ---- */

#define DEFINE_READS(type)                                                                                        \
    void vms_##type##_from_json(json_t *json, vms_##type *out) { vms_kind_decode(&vms_kind_##type, json, &out->obj); } \
    vms_lookup vms_##type##_get(vms_client *c, int64_t id, vms_##type *out, int64_t deadline, vms_error *err) {   \
        return vms_object_get(c, &vms_kind_##type, id, &out->obj, deadline, err);                                 \
    }                                                                                                             \
    vms_lookup vms_##type##_find(vms_client *c, const char *const *filters, vms_##type *out, int64_t deadline,    \
                                 vms_error *err) {                                                                \
        return vms_object_find(c, &vms_kind_##type, filters, &out->obj, deadline, err);                           \
    }                                                                                                             \
    bool vms_##type##_list(vms_client *c, const char *const *filters, vms_##type **items, size_t *n,              \
                           int64_t deadline, vms_error *err) {                                                    \
        void *all = *items;                                                                                       \
        bool ok = vms_object_list(c, &vms_kind_##type, filters, &all, n, deadline, err);                          \
        *items = all;                                                                                             \
        return ok;                                                                                                \
    }                                                                                                             \
    bool vms_##type##_list_from(vms_client *c, vms_call *first, vms_##type **items, size_t *n, int64_t deadline,     \
                                vms_error *err) {                                                                 \
        void *all = *items;                                                                                       \
        bool ok = vms_object_list_from(c, &vms_kind_##type, first, &all, n, deadline, err);                       \
        *items = all;                                                                                             \
        return ok;                                                                                                \
    }                                                                                                             \
    void vms_##type##_list_free(vms_##type *items, size_t n) { vms_object_list_free(&vms_kind_##type, items, n); }

#define DEFINE_UPDATE(type)                                                                                       \
    bool vms_##type##_update(vms_client *c, int64_t id, json_t *changes, vms_##type *out, int64_t deadline,       \
                             vms_error *err) {                                                                    \
        return vms_object_update(c, &vms_kind_##type, id, changes, out ? &out->obj : NULL, deadline, err);        \
    }

#define DEFINE_DELETE(type)                                                                                       \
    vms_lookup vms_##type##_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err) {                 \
        return vms_object_delete(c, &vms_kind_##type, id, NULL, NULL, deadline, err);                             \
    }

/* The operator's objects are created from a JSON body; the label is its name. */
#define DEFINE_CREATE_FROM_JSON(type)                                                                             \
    bool vms_##type##_create(vms_client *c, json_t *body, vms_##type *out, int64_t deadline, vms_error *err) {    \
        return vms_object_create(c, &vms_kind_##type, vms_kind_##type.collection, body,                           \
                                 vms_json_text(body, "name"), out ? &out->obj : NULL, deadline, err);             \
    }

DEFINE_READS(tenant)
DEFINE_READS(viewpolicy)
DEFINE_READS(qospolicy)
DEFINE_READS(vippool)
DEFINE_READS(view)
DEFINE_READS(quota)
DEFINE_READS(snapshot)
DEFINE_READS(snapstream)
DEFINE_READS(user)
DEFINE_READS(s3policy)

DEFINE_CREATE_FROM_JSON(tenant)
DEFINE_CREATE_FROM_JSON(viewpolicy)
DEFINE_CREATE_FROM_JSON(qospolicy)
DEFINE_CREATE_FROM_JSON(vippool)
DEFINE_CREATE_FROM_JSON(s3policy)

DEFINE_UPDATE(tenant)
DEFINE_UPDATE(viewpolicy)
DEFINE_UPDATE(qospolicy)
DEFINE_UPDATE(vippool)
DEFINE_UPDATE(view)
DEFINE_UPDATE(quota)
DEFINE_UPDATE(user)
DEFINE_UPDATE(s3policy)

DEFINE_DELETE(viewpolicy)
DEFINE_DELETE(qospolicy)
DEFINE_DELETE(vippool)
DEFINE_DELETE(view)
DEFINE_DELETE(quota)
DEFINE_DELETE(snapshot)
DEFINE_DELETE(user)
DEFINE_DELETE(s3policy)

/* ---- Lookups by directory ---- */

static vms_lookup find_by_path(vms_client *c, const vms_kind *k, const char *path, int64_t tenant_id,
                               vms_object *out, int64_t deadline, vms_error *err) {
    char tenant[24];
    snprintf(tenant, sizeof tenant, "%lld", (long long)tenant_id);
    const char *const *filters =
        tenant_id > 0 ? VMS_FILTERS("path", path, "tenant_id", tenant) : VMS_FILTERS("path", path);
    return vms_object_find(c, k, filters, out, deadline, err);
}

vms_lookup vms_view_find_by_path(vms_client *c, const char *path, int64_t tenant_id, vms_view *out, int64_t deadline,
                                 vms_error *err) {
    return find_by_path(c, &vms_kind_view, path, tenant_id, &out->obj, deadline, err);
}

vms_lookup vms_quota_find_by_path(vms_client *c, const char *path, int64_t tenant_id, vms_quota *out,
                                  int64_t deadline, vms_error *err) {
    return find_by_path(c, &vms_kind_quota, path, tenant_id, &out->obj, deadline, err);
}

bool vms_quota_set_hard_limit(vms_client *c, int64_t id, int64_t hard_limit, vms_quota *out, int64_t deadline,
                              vms_error *err) {
    json_t *changes = json_pack("{s:I}", "hard_limit", (json_int_t)hard_limit);
    bool ok = vms_quota_update(c, id, changes, out, deadline, err);
    json_decref(changes);
    return ok;
}
