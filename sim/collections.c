/* The collection table and the helpers the per-collection rules share; see collections.h. */
#include "collections.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "access.h"
#include "safepath.h"
#include "snapshots.h"
#include "tasks.h"
#include "store.h"
#include "support.h"

const sim_collection *const sim_collections[] = {
    &coll_tenants,   &coll_viewpolicies,   &coll_qospolicies, &coll_vippools,  &coll_views,
    &coll_quotas,    &coll_snapshots,      &coll_globalsnapstreams, &coll_localproviders, &coll_users,
    &coll_s3policies, &coll_locals3keys,   &coll_apitokens,   &coll_vtasks,    &coll_versions,
    &coll_clusters,  &coll_managers,       NULL,
};

const sim_collection *collection_find(const char *name) {
    for (size_t i = 0; sim_collections[i]; i++) {
        if (strcmp(sim_collections[i]->name, name) == 0) return sim_collections[i];
    }
    return NULL;
}

/* A tenant admin cannot refer to what it cannot see: another tenant's policy does not
 * exist for it (not even by name in an error). Tenants stay referable, so that naming
 * another one is the 403 of the scope check, not a 400. */
static bool referable(sim_request *req, const char *target, json_t *obj) {
    const sim_collection *coll = collection_find(target);
    return obj && (!req->confined_tenant || !coll || !coll->tenant_owned || access_visible(req, coll, obj));
}

int coll_check_reference(sim_request *req, json_t *obj, const char *field, const char *target, bool null_ok,
                         sim_response *resp) {
    json_t *v = json_object_get(obj, field);
    if (!v || (null_ok && json_is_null(v))) return 0;
    if (json_is_integer(v) && referable(req, target, store_get(req->ctx->store, target, json_integer_value(v))))
        return 0;
    char *text = json_dumps(v, JSON_ENCODE_ANY);
    sim_reply_field_error(resp, field, "Invalid pk \"%s\" - object does not exist.", text ? text : "?");
    free(text);
    return -1;
}

int coll_resolve_name(sim_request *req, json_t *obj, const char *name_field, const char *id_field,
                      const char *target, sim_response *resp) {
    json_t *name = json_object_get(obj, name_field);
    /* The name is an input alias only when this request gave it without the id; it is
     * never stored, because the output derives it from the id. */
    bool use_name = json_is_string(name) && json_object_get(req->body, name_field) &&
                    !json_object_get(req->body, id_field);
    json_t *found = use_name ? coll_find_by_name(req->ctx, target, json_string_value(name)) : NULL;
    if (!referable(req, target, found)) found = NULL;
    if (use_name && !found)
        return sim_reply_field_error(resp, name_field, "Object with name=%s does not exist.", json_string_value(name));
    if (found) json_object_set(obj, id_field, json_object_get(found, "id"));
    json_object_del(obj, name_field);
    return 0;
}

const char *coll_name_of(sim_ctx *ctx, const char *collection, json_int_t id) {
    json_t *obj = store_get(ctx->store, collection, id);
    return obj ? json_string_value(json_object_get(obj, "name")) : NULL;
}

json_t *coll_find_by_name(sim_ctx *ctx, const char *collection, const char *name) {
    return store_find_first(ctx->store, collection, "name", name);
}

void coll_default(json_t *obj, const char *key, json_t *value) {
    if (json_object_get(obj, key)) json_decref(value);
    else json_object_set_new(obj, key, value);
}

static bool refers(json_t *obj, const char *field, json_int_t id) {
    json_t *v = json_object_get(obj, field);
    return json_is_integer(v) && json_integer_value(v) == id;
}

size_t coll_count_refs(sim_ctx *ctx, const char *collection, const char *field, json_int_t id) {
    size_t count = 0, i;
    char key[32];
    snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, id);
    sim_ids ids = {0};
    if (store_find(ctx->store, collection, field, STORE_EQUAL, key, false, &ids)) {
        for (i = 0; i < ids.n; i++) count += refers(store_get(ctx->store, collection, ids.v[i]), field, id);
        ids_free(&ids);
        return count;
    }
    json_t *obj;
    json_array_foreach(store_list(ctx->store, collection), i, obj) count += refers(obj, field, id);
    return count;
}

const char *coll_vms_path(json_t *obj, const char *field, sim_response *resp) {
    json_t *v = json_object_get(obj, field);
    if (!json_is_string(v)) {
        sim_reply_field_error(resp, field, "Not a valid string.");
        return NULL;
    }
    if (!safepath_valid(json_string_value(v), json_string_length(v))) {
        sim_reply_field_error(resp, field,
                              "Path must be absolute, without empty, \".\" or \"..\" components or NUL bytes.");
        return NULL;
    }
    return json_string_value(v);
}

int coll_fs_error(sim_response *resp, const char *field, const char *path, int err, const char *missing) {
    switch (err) {
    case ENOENT:
    case ENOTDIR: return sim_reply_field_error(resp, field, "%s", missing);
    case ELOOP:
        return sim_reply_field_error(resp, field, "Path \"%s\" goes through a symbolic link; links are not followed.",
                                     path);
    case EXDEV: return sim_reply_field_error(resp, field, "Path \"%s\" leads outside the file system.", path);
    case EINVAL:
    case ENAMETOOLONG: return sim_reply_field_error(resp, field, "Path \"%s\" is not valid here.", path);
    default: return sim_reply_detail(resp, 500, "File system error on %s: %s", path, strerror(err));
    }
}

int coll_prepare_directory(sim_request *req, json_t *obj, sim_response *resp) {
    const char *path = coll_vms_path(obj, "path", resp);
    if (!path) return -1;
    bool create = json_is_true(json_object_get(obj, "create_dir"));
    int err;
    if (create) {
        err = safepath_mkdirs(req->ctx->fs_fd, path, 0755, NULL);
    } else {
        struct stat st;
        err = safepath_stat(req->ctx->fs_fd, path, &st);
        if (err == 0 && S_ISLNK(st.st_mode)) err = ELOOP;
        else if (err == 0 && !S_ISDIR(st.st_mode)) err = ENOTDIR;
    }
    return err == 0 ? 0
                    : coll_fs_error(resp, "path", path, err, create ? "Cannot create the directory" : "Directory does not exist");
}

/* Fields worth an index wherever a collection has them: what filters (the CSI driver's
 * path= and name= look-ups), references (count_views, a tenant's objects), logins and
 * the access checks look objects up by. */
static const char *const indexed_fields[] = {"path", "name", "bucket", "tenant_id", "loanee_root_path",
                                             "policy_id", "qos_policy_id", "local_provider_id", "access_key",
                                             "user_id", "_token", "owner", "username", NULL};

static bool in_names(const char *const *names, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) return true;
    }
    return false;
}

void collections_register_indexes(struct sim_store *store) {
    for (size_t c = 0; sim_collections[c]; c++) {
        const sim_collection *coll = sim_collections[c];
        if (coll->virtual_list) continue;
        const char *const *lists[] = {indexed_fields, coll->unique, coll->unique_in_tenant, coll->unique_together};
        const char *done[64];
        size_t n_done = 0;
        for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
            for (size_t f = 0; lists[l] && lists[l][f]; f++) {
                if (in_names(done, n_done, lists[l][f]) || n_done == sizeof done / sizeof done[0]) continue;
                done[n_done++] = lists[l][f];
                store_add_index(store, coll->name, lists[l][f], index_field_key, lists[l][f]);
            }
        }
    }
    store_add_index(store, "snapshots", SNAPSHOTS_EXPIRY_INDEX, snapshots_expiry_key, NULL);
    store_add_index(store, "vtasks", TASKS_DUE_INDEX, tasks_due_key, NULL);
}

void collections_ensure_builtin(sim_ctx *ctx) {
    tenants_ensure_default(ctx);
    localproviders_ensure_default(ctx);
    clusters_ensure_identity(ctx);
}
