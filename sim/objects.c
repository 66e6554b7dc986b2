/* Generic object operations; see objects.h. */
#include "objects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "list_plan.h"
#include "query.h"
#include "store.h"
#include "support.h"

/* Fields the server owns: a client cannot set them by POST or PATCH. */
static const char *const server_fields[] = {"id", "guid", "url", "created", "tenant_name", NULL};

static bool in_list(const char *const *list, const char *name) {
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], name) == 0) return true;
    }
    return false;
}

/* Input keys a client cannot set: server fields, derived fields, internal "_x" keys. */
static bool ignored_input(const sim_collection *coll, const char *key) {
    return key[0] == '_' || in_list(server_fields, key) || in_list(coll->derived, key) ||
           in_list(coll->expensive, key);
}

json_t *objects_find_visible(sim_request *req, const sim_collection *coll, json_int_t id) {
    json_t *obj = store_get(req->ctx->store, coll->name, id);
    return obj && access_visible(req, coll, obj) ? obj : NULL;
}

json_t *objects_render(sim_request *req, const sim_collection *coll, json_t *obj, bool expensive) {
    json_t *out = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        if (key[0] != '_') json_object_set(out, key, value); /* "_x" fields are internal */
    }
    json_int_t id = json_integer_value(json_object_get(obj, "id"));
    char *url = sim_printf("%s/api/%s%s%s/%" JSON_INTEGER_FORMAT "/", req->base_url, req->api_version,
                           *req->api_version ? "/" : "", coll->name, id);
    json_object_set_new(out, "url", json_string(url));
    free(url);
    if (coll->tenant_owned) {
        const char *tenant = coll_name_of(req->ctx, "tenants", json_integer_value(json_object_get(obj, "tenant_id")));
        json_object_set_new(out, "tenant_name", tenant ? json_string(tenant) : json_null());
    }
    if (coll->render) coll->render(req, out);
    if (expensive && coll->render_expensive) coll->render_expensive(req, out);
    return out;
}

/* A computed collection (versions, clusters): made on the fly, a handful of objects. */
static int list_virtual(sim_request *req, const sim_collection *coll, sim_response *resp) {
    json_t *items = coll->virtual_list(req);
    json_t *matched = json_array();
    size_t i;
    json_t *obj;
    json_array_foreach(items, i, obj) {
        if (!access_visible(req, coll, obj)) continue;
        json_t *rendered = objects_render(req, coll, obj, false);
        if (query_matches(req, rendered)) json_array_append(matched, rendered);
        json_decref(rendered);
    }
    json_decref(items);
    size_t count = json_array_size(matched);
    query_window win;
    if (query_window_for(req, count, req->ctx->cfg.unpaged_limit, &win, resp) != 0) {
        json_decref(matched);
        return -1;
    }
    json_t *results = json_array();
    for (size_t k = win.start; k < win.end; k++) {
        json_t *out = json_array_get(matched, k);
        query_project(req, out);
        json_array_append(results, out);
    }
    json_decref(matched);
    return sim_ok(resp, 200, win.paged ? query_paged_body(req, &win, count, results) : results);
}

/* A match: the stored object, and its rendering when matching needed one (owned). */
typedef struct {
    json_t *stored, *rendered;
} list_item;

typedef struct {
    list_item *v;
    size_t n, cap;
} list_items;

static void items_push(list_items *items, json_t *stored, json_t *rendered) {
    if (items->n == items->cap) {
        items->cap = items->cap ? items->cap * 2 : 64;
        items->v = realloc(items->v, items->cap * sizeof *items->v);
        if (!items->v) abort();
    }
    items->v[items->n++] = (list_item){stored, rendered};
}

static void items_free(list_items *items) {
    for (size_t i = 0; i < items->n; i++) json_decref(items->v[i].rendered);
    free(items->v);
}

/* Filters on fields that rendering leaves alone are matched on the stored object, so a
 * page renders only its own objects however many match (count needs every match, not
 * every rendering). A filter on a rendered field renders each candidate first, as the
 * response would show it. */
static void match_one(sim_request *req, const sim_collection *coll, json_t *obj, bool on_stored,
                      bool filter_expensive, list_items *items) {
    if (!obj || !access_visible(req, coll, obj)) return;
    if (on_stored) {
        if (query_matches(req, obj)) items_push(items, obj, NULL);
        return;
    }
    json_t *rendered = objects_render(req, coll, obj, filter_expensive);
    if (query_matches(req, rendered)) items_push(items, obj, rendered);
    else json_decref(rendered);
}

/* ordering=id (the default) and ordering=-id; other orderings are ignored, as before. */
static bool descending(const sim_request *req) {
    const char *ordering = sim_param_get(req, "ordering");
    return ordering && strcmp(ordering, "-id") == 0;
}

int objects_list(sim_request *req, const sim_collection *coll, sim_response *resp) {
    if (coll->virtual_list) return list_virtual(req, coll, resp);
    /* File-system walks only where a filter or the output needs them. */
    bool filter_expensive = query_filters_mention(req, coll->expensive);
    bool output_expensive = query_output_wants(req, coll->expensive);
    bool on_stored = !filter_expensive && query_filters_avoid(req, list_field_rendered, coll);
    sim_store *store = req->ctx->store;
    list_source src;
    list_plan(req, coll, &src);
    list_items items = {0};
    json_t *all = store_list(store, coll->name);
    /* No filter and nothing hidden: the page is a slice of the collection (a walk of
     * every page is then O(objects), not O(objects x pages)). */
    bool direct = !src.from_ids && !query_has_filters(req) && !req->scope_tenant && !req->confined_tenant;
    if (src.from_ids) {
        for (size_t i = 0; i < src.ids.n; i++)
            match_one(req, coll, store_get(store, coll->name, src.ids.v[i]), on_stored, filter_expensive, &items);
    } else if (!direct) {
        for (size_t i = src.start; i < json_array_size(all); i++)
            match_one(req, coll, json_array_get(all, i), on_stored, filter_expensive, &items);
    }
    list_source_free(&src);

    size_t count = direct ? json_array_size(all) - src.start : items.n;
    query_window win;
    if (query_window_for(req, count, req->ctx->cfg.unpaged_limit, &win, resp) != 0) {
        items_free(&items);
        return -1;
    }
    bool reverse = descending(req);
    json_t *results = json_array();
    for (size_t k = win.start; k < win.end; k++) {
        size_t at = reverse ? count - 1 - k : k;
        list_item item = direct ? (list_item){json_array_get(all, src.start + at), NULL} : items.v[at];
        json_t *out = item.rendered ? json_incref(item.rendered)
                                    : objects_render(req, coll, item.stored, output_expensive);
        if (item.rendered && output_expensive && !filter_expensive && coll->render_expensive)
            coll->render_expensive(req, out);
        query_project(req, out);
        json_array_append_new(results, out);
    }
    items_free(&items);
    return sim_ok(resp, 200, win.paged ? query_paged_body(req, &win, count, results) : results);
}

static json_t *find_any(sim_request *req, const sim_collection *coll, json_int_t id) {
    if (!coll->virtual_list) return json_incref(objects_find_visible(req, coll, id));
    json_t *items = coll->virtual_list(req), *found = NULL, *obj;
    size_t i;
    json_array_foreach(items, i, obj) {
        if (json_integer_value(json_object_get(obj, "id")) == id) found = json_incref(obj);
    }
    json_decref(items);
    return found;
}

int objects_get(sim_request *req, const sim_collection *coll, json_int_t id, sim_response *resp) {
    json_t *obj = find_any(req, coll, id);
    if (!obj) return sim_reply_not_found(resp);
    json_t *out = objects_render(req, coll, obj, query_output_wants(req, coll->expensive));
    json_decref(obj);
    query_project(req, out);
    return sim_ok(resp, 200, out);
}

static int require_object_body(sim_request *req, sim_response *resp) {
    if (json_is_object(req->body)) return 0;
    if (!req->body) {
        req->body = json_object(); /* an empty body is an empty object */
        return 0;
    }
    return sim_reply(resp, 400, json_pack("{s:[s]}", "non_field_errors",
                                          "Invalid data. Expected a dictionary, but got a different type."));
}

/* Resolves and checks tenant_id: the request's tenant scope, else the default tenant. */
static int assign_tenant(sim_request *req, json_t *obj, sim_response *resp) {
    json_t *given = json_object_get(obj, "tenant_id");
    if (!given || json_is_null(given)) {
        json_int_t tenant = req->scope_tenant ? req->scope_tenant : SIM_DEFAULT_TENANT_ID;
        json_object_set_new(obj, "tenant_id", json_integer(tenant));
        return 0;
    }
    if (coll_check_reference(req, obj, "tenant_id", "tenants", false, resp) != 0) return -1;
    if (req->scope_tenant && json_integer_value(given) != req->scope_tenant)
        return sim_reply_permission_denied(resp);
    return 0;
}

int objects_create(sim_request *req, const sim_collection *coll, sim_response *resp) {
    if (!coll->creatable) return sim_reply_detail(resp, 405, "Method \"POST\" not allowed.");
    if (require_object_body(req, resp) != 0) return -1;
    json_t *obj = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(req->body, key, value) {
        if (!ignored_input(coll, key)) json_object_set(obj, key, value);
    }
    json_t *missing = json_object();
    for (size_t i = 0; coll->required && coll->required[i]; i++) {
        json_t *v = json_object_get(obj, coll->required[i]);
        if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
            json_object_set_new(missing, coll->required[i], json_pack("[s]", "This field is required."));
    }
    int rc = 0;
    if (json_object_size(missing) > 0) rc = sim_reply(resp, 400, json_incref(missing));
    json_decref(missing);
    if (rc == 0 && coll->tenant_owned) rc = assign_tenant(req, obj, resp);
    if (rc == 0 && coll->validate) rc = coll->validate(req, obj, NULL, resp);
    if (rc == 0) rc = objects_check_unique(req, coll, obj, 0, resp);
    const char *path = json_string_value(json_object_get(obj, "path"));
    if (rc == 0 && coll->tenant_owned && path) rc = access_check_tree(req, path, resp);
    if (rc == 0 && coll->prepare_create) rc = coll->prepare_create(req, obj, resp);
    if (rc != 0) {
        json_decref(obj);
        return -1;
    }
    store_add(req->ctx->store, coll->name, obj);
    if (coll->created) {
        coll->created(req, obj);
        store_changed(req->ctx->store, coll->name, obj); /* e.g. views' default name */
    }
    if (coll->create_response) return sim_ok(resp, 201, coll->create_response(req, obj));
    return sim_ok(resp, 201, objects_render(req, coll, obj, true));
}

int objects_patch(sim_request *req, const sim_collection *coll, json_int_t id, sim_response *resp) {
    json_t *old = objects_find_visible(req, coll, id);
    if (!old) return sim_reply_not_found(resp);
    if (!coll->writable) return sim_reply_detail(resp, 405, "Method \"%s\" not allowed.", req->method);
    if (require_object_body(req, resp) != 0) return -1;
    json_t *obj = json_copy(old);
    const char *key;
    json_t *value;
    json_object_foreach(req->body, key, value) {
        if (ignored_input(coll, key) || in_list(coll->immutable, key)) continue;
        json_object_set(obj, key, value);
    }
    int rc = 0;
    if (coll->tenant_owned && !json_equal(json_object_get(obj, "tenant_id"), json_object_get(old, "tenant_id")))
        rc = assign_tenant(req, obj, resp);
    if (rc == 0 && coll->validate) rc = coll->validate(req, obj, old, resp);
    if (rc == 0) rc = objects_check_unique(req, coll, obj, id, resp);
    if (rc == 0) {
        json_object_update(old, obj);
        store_changed(req->ctx->store, coll->name, old); /* a new path or name is filed anew */
    }
    json_decref(obj);
    if (rc != 0) return -1;
    if (coll->patch_status == 204) return sim_ok(resp, 204, NULL);
    return sim_ok(resp, 200, objects_render(req, coll, old, true));
}

void objects_destroy(sim_ctx *ctx, const sim_collection *coll, json_t *obj) {
    json_incref(obj);
    if (coll->removed) coll->removed(ctx, obj);
    store_remove(ctx->store, coll->name, json_integer_value(json_object_get(obj, "id")));
    json_decref(obj);
}

int objects_delete(sim_request *req, const sim_collection *coll, json_int_t id, sim_response *resp) {
    json_t *obj = objects_find_visible(req, coll, id);
    if (!obj) return sim_reply_not_found(resp);
    if (!coll->writable) return sim_reply_detail(resp, 405, "Method \"DELETE\" not allowed.");
    int rc = coll->delete_request ? coll->delete_request(req, obj, resp) : 0;
    if (rc != 0) return rc < 0 ? -1 : 0;
    objects_destroy(req->ctx, coll, obj);
    return sim_ok(resp, 204, NULL);
}
