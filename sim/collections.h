/* The collections VMS serves and the rules that make each behave like VMS: required and
 * unique fields, references, side effects on the file system, derived fields. The
 * generic create/read/update/delete steps live in objects.c and call these hooks. */
#ifndef SIM_COLLECTIONS_H
#define SIM_COLLECTIONS_H

#include <jansson.h>
#include <stdbool.h>

#include "sim.h"

/* The tenant that always exists and that objects belong to when no tenant is named. */
#define SIM_DEFAULT_TENANT_ID 1
#define SIM_DEFAULT_TENANT_NAME "default"
/* The local provider that always exists: users and tenants that name none use it. */
#define SIM_DEFAULT_PROVIDER_ID 1
#define SIM_DEFAULT_PROVIDER_NAME "local"

typedef struct sim_collection sim_collection;

/* Hooks return 0 to go on or -1 with the error response set. */
struct sim_collection {
    const char *name;        /* URL segment and state.json key, e.g. "views" */
    bool tenant_owned;       /* has tenant_id; X-Tenant-Name scoping applies */
    bool creatable;          /* POST on the collection */
    bool writable;           /* PATCH and DELETE by id */
    const char *const *required;         /* NULL-terminated lists, may be NULL */
    const char *const *unique;           /* unique across the cluster */
    const char *const *unique_in_tenant; /* unique together with tenant_id */
    const char *const *unique_together;  /* these fields make a unique set (users: provider, name) */
    const char *const *immutable;        /* silently ignored by PATCH (read-only in VMS) */
    const char *const *derived;          /* computed on output, ignored on input */
    const char *const *expensive;        /* derived too, and they walk the file system */
    /* Other fields render sets or overrides (an input alias such as views' qos_policy):
     * with url, tenant_name, derived and expensive ones, a filter on them is matched on
     * the rendered object; any other filter on the stored one, which is what lets a list
     * render only its page (objects.c). A field render sets must be named somewhere. */
    const char *const *rendered;
    int patch_status;                    /* 200 (with the object) or 204 (no body) */

    /* obj is the object as it would be stored; old is NULL on create. */
    int (*validate)(sim_request *req, json_t *obj, json_t *old, sim_response *resp);
    /* Side effects that may still fail (directories, snapshot copies); runs after
     * validation, before the object is stored (it has no id yet). */
    int (*prepare_create)(sim_request *req, json_t *obj, sim_response *resp);
    /* After the object got its id. */
    void (*created)(sim_request *req, json_t *obj);
    /* The 201 body, when it is not the object itself (apitokens answer {id, token}). */
    json_t *(*create_response)(sim_request *req, json_t *obj);
    /* DELETE: 0 = remove now and answer 204; 1 = the hook answered (e.g. an async task);
     * -1 = refused (response set). */
    int (*delete_request)(sim_request *req, json_t *obj, sim_response *resp);
    /* Clean-up when the object goes, whatever removes it (DELETE, expiry, cascade). */
    void (*removed)(sim_ctx *ctx, json_t *obj);
    /* Derived fields on a rendered copy: cheap ones, and the file-system walks. */
    void (*render)(sim_request *req, json_t *out);
    void (*render_expensive)(sim_request *req, json_t *out);
    /* For computed collections (versions, clusters): the objects, made on the fly. */
    json_t *(*virtual_list)(sim_request *req);
};

extern const sim_collection coll_tenants, coll_viewpolicies, coll_qospolicies, coll_vippools;
extern const sim_collection coll_views, coll_quotas, coll_snapshots, coll_globalsnapstreams;
extern const sim_collection coll_users, coll_apitokens, coll_vtasks, coll_versions, coll_clusters;
extern const sim_collection coll_localproviders, coll_s3policies, coll_locals3keys, coll_managers;

const sim_collection *collection_find(const char *name);
/* NULL-terminated list of every collection. */
extern const sim_collection *const sim_collections[];

/* --- helpers the rules share --- */

/* 400 {"<field>": ["Invalid pk \"<v>\" - object does not exist."]} unless obj[field] is
 * absent, null (when null_ok) or the id of an object of `target`. */
int coll_check_reference(sim_request *req, json_t *obj, const char *field, const char *target, bool null_ok,
                         sim_response *resp);
/* Accepts a name in name_field instead of an id in id_field (VMS takes both, e.g.
 * qos_policy / qos_policy_id): resolves it into id_field and drops name_field. */
int coll_resolve_name(sim_request *req, json_t *obj, const char *name_field, const char *id_field,
                      const char *target, sim_response *resp);
/* The `name` of object id in collection, or NULL. */
const char *coll_name_of(sim_ctx *ctx, const char *collection, json_int_t id);
/* First object whose field equals value (string comparison), or NULL (borrowed). */
json_t *coll_find_by_name(sim_ctx *ctx, const char *collection, const char *name);
/* Sets obj[key] = value (stolen) unless the client gave the key. */
void coll_default(json_t *obj, const char *key, json_t *value);
/* How many objects of collection have integer field == id. */
size_t coll_count_refs(sim_ctx *ctx, const char *collection, const char *field, json_int_t id);
/* obj[field] when it is a valid VMS path (safepath_valid); else NULL and a 400. */
const char *coll_vms_path(json_t *obj, const char *field, sim_response *resp);
/* Answers err (a safepath.h result other than 0) for the VMS path in field and returns
 * -1: a link or an escape is 400 naming the path, as is a missing or non-directory one
 * (with the message `missing`); anything else is 500. */
int coll_fs_error(sim_response *resp, const char *field, const char *path, int err, const char *missing);
/* The create_dir rule shared by views and quotas: make the directory when asked to,
 * else insist it exists (400 {"path": ["Directory does not exist"]}). */
int coll_prepare_directory(sim_request *req, json_t *obj, sim_response *resp);

/* Actions that async tasks run when they complete (tasks.c calls them). true on success;
 * otherwise message says why the task failed. */
bool tenants_finish_delete(sim_ctx *ctx, json_t *action, char *message, size_t size);
bool vippools_finish_delete(sim_ctx *ctx, json_t *action, char *message, size_t size);

/* Sets up the store's indexes: every stored collection's unique fields and the fields
 * look-ups and filters use (path, name, references...), snapshots' expiry and tasks' due
 * time. Call once, right after store_open. */
struct sim_store;
void collections_register_indexes(struct sim_store *store);

/* Ensures what always exists: tenant "default" (id 1) and the cluster's identity.
 * Call under the store lock (start-up, reset). */
void collections_ensure_builtin(sim_ctx *ctx);
void tenants_ensure_default(sim_ctx *ctx);
void localproviders_ensure_default(sim_ctx *ctx);
/* The local provider a tenant's users come from (its local_provider_id, else the default). */
json_int_t tenants_local_provider(sim_ctx *ctx, json_int_t tenant_id);
/* The user named name in a local provider, or NULL (borrowed). */
json_t *users_find(sim_ctx *ctx, json_int_t provider, const char *name);
void clusters_ensure_identity(sim_ctx *ctx);

/* Revokes every live API token of owner (coll_users.c). */
void apitokens_revoke_owner(sim_ctx *ctx, const char *owner);

/* managers/ (coll_managers.c): the accounts of the management API besides --user. */
#define MANAGER_SUPER_ADMIN "SUPER_ADMIN"
#define MANAGER_TENANT_ADMIN "TENANT_ADMIN"
/* The manager whose username is username, or NULL (borrowed). */
json_t *managers_find(sim_ctx *ctx, const char *username);
bool managers_check_password(json_t *manager, const char *password);
/* A TENANT_ADMIN's tenant id; 0 for a SUPER_ADMIN. */
json_int_t managers_tenant(json_t *manager);
/* The usernames of the tenant's TENANT_ADMINs (new ref), and their removal. */
json_t *managers_of_tenant(sim_ctx *ctx, json_int_t tenant);
void managers_remove_tenant(sim_ctx *ctx, json_int_t tenant);

#endif
