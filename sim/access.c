/* Access rules; see access.h. */
#include "access.h"

#include <string.h>

#include "store.h"

static bool is_read(const sim_request *req) {
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

int access_scope(sim_request *req, sim_response *resp) {
    const char *name = req->tenant_header;
    json_t *tenant = name && *name ? coll_find_by_name(req->ctx, "tenants", name) : NULL;
    if (req->confined_tenant) {
        /* no header = its own tenant; a header may only repeat it */
        if (name && *name && (!tenant || json_integer_value(json_object_get(tenant, "id")) != req->confined_tenant))
            return sim_reply_permission_denied(resp);
        req->scope_tenant = req->confined_tenant;
        return 0;
    }
    if (!name || !*name) return 0;
    if (!tenant) return sim_reply_permission_denied(resp);
    req->scope_tenant = json_integer_value(json_object_get(tenant, "id"));
    return 0;
}

int access_check_route(sim_request *req, sim_response *resp) {
    if (!req->confined_tenant || req->n_segments == 0) return 0;
    const char *collection = req->segments[0];
    /* Managers are the cluster admins' business (reference §1.2); tenants and VIP pools
     * are the cluster's: a tenant admin reads its own, changes none. */
    if (strcmp(collection, "managers") == 0) return sim_reply_permission_denied(resp);
    if ((strcmp(collection, "tenants") == 0 || strcmp(collection, "vippools") == 0) && !is_read(req))
        return sim_reply_permission_denied(resp);
    return 0;
}

static bool same_text(json_t *value, const char *text) {
    const char *have = json_string_value(value);
    return have && text && strcmp(have, text) == 0;
}

bool access_visible(const sim_request *req, const sim_collection *coll, json_t *obj) {
    if (req->confined_tenant) {
        /* the objects that are no tenant's but a user's: a tenant admin sees its own */
        if (coll == &coll_vtasks) return same_text(json_object_get(obj, "_owner"), req->user);
        if (coll == &coll_apitokens) return same_text(json_object_get(obj, "owner"), req->user);
    }
    if (req->scope_tenant == 0) return true;
    if (coll == &coll_tenants) return json_integer_value(json_object_get(obj, "id")) == req->scope_tenant;
    if (!coll->tenant_owned) return true;
    return json_integer_value(json_object_get(obj, "tenant_id")) == req->scope_tenant;
}

int access_check_tenant_field(const sim_request *req, json_t *body, const char *field, sim_response *resp) {
    json_t *tenant = json_object_get(body, field);
    if (!req->confined_tenant || !tenant || json_is_null(tenant)) return 0;
    if (json_is_integer(tenant) && json_integer_value(tenant) == req->confined_tenant) return 0;
    return sim_reply_permission_denied(resp);
}

/* The length of path without its one allowed trailing '/' ("/" stays "/"). */
static size_t trimmed_length(const char *path) {
    size_t n = strlen(path);
    return n > 1 && path[n - 1] == '/' ? n - 1 : n;
}

/* Whether one of the two paths is the other or lies beneath it. */
static bool paths_meet(const char *a, const char *b) {
    size_t na = trimmed_length(a), nb = trimmed_length(b);
    size_t shorter = na < nb ? na : nb;
    if (strncmp(a, b, shorter) != 0) return false;
    if (na == nb) return true;
    const char *longer = na > nb ? a : b;
    return shorter == 1 || longer[shorter] == '/'; /* "/" holds everything */
}

static const char *const tree_fields[] = {"path", "loanee_root_path", NULL};

/* Whether a field of obj that names a directory tree meets path. */
static bool reaches(json_t *obj, const char *path) {
    for (size_t f = 0; tree_fields[f]; f++) {
        const char *theirs = json_string_value(json_object_get(obj, tree_fields[f]));
        if (theirs && paths_meet(path, theirs)) return true;
    }
    return false;
}

/* The ids of objects whose field may meet path, from the field's path index: the trees
 * above path (each ancestor, with and without its trailing '/') and those beneath it (the
 * keys that start with "path/"). reaches() decides; this only has to miss none. false
 * when there is no index, or path is "/", which meets everything anyway. */
static bool tree_candidates(sim_store *store, const char *collection, const char *field, const char *path,
                            sim_ids *out) {
    size_t n = trimmed_length(path);
    if (n <= 1 || n >= 4096) return false;
    char buf[4098];
    memcpy(buf, path, n);
    buf[n] = '/';
    buf[n + 1] = '\0';
    if (!store_find(store, collection, field, STORE_PREFIX, buf, false, out)) return false;
    for (size_t end = 1; end <= n; end++) {
        if (end > 1 && end < n && buf[end] != '/') continue;
        char saved = buf[end], after = buf[end + 1];
        buf[end] = '\0'; /* the ancestor buf[0, end), "/" for end = 1 */
        store_find(store, collection, field, STORE_EQUAL, end == 1 ? "/" : buf, false, out);
        buf[end] = '/';
        buf[end + 1] = '\0';
        if (end > 1) store_find(store, collection, field, STORE_EQUAL, buf, false, out);
        buf[end] = saved;
        buf[end + 1] = after;
    }
    ids_sort_unique(out);
    return true;
}

static bool foreign(const sim_request *req, json_t *obj) {
    return json_integer_value(json_object_get(obj, "tenant_id")) != req->confined_tenant;
}

int access_check_tree(const sim_request *req, const char *path, sim_response *resp) {
    if (!req->confined_tenant) return 0;
    sim_store *store = req->ctx->store;
    for (size_t c = 0; sim_collections[c]; c++) {
        const char *name = sim_collections[c]->name;
        if (!sim_collections[c]->tenant_owned) continue;
        for (size_t f = 0; tree_fields[f]; f++) {
            sim_ids ids = {0};
            bool indexed = tree_candidates(store, name, tree_fields[f], path, &ids);
            bool denied = false;
            for (size_t i = 0; i < ids.n && !denied; i++) {
                json_t *obj = store_get(store, name, ids.v[i]);
                denied = obj && foreign(req, obj) && reaches(obj, path);
            }
            ids_free(&ids);
            if (denied) return sim_reply_permission_denied(resp);
            if (indexed) continue;
            size_t i;
            json_t *obj;
            json_array_foreach(store_list(store, name), i, obj) {
                if (foreign(req, obj) && reaches(obj, path)) return sim_reply_permission_denied(resp);
            }
            break; /* the scan looked at both fields */
        }
    }
    return 0;
}
