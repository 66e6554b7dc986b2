/* Rules of the S3 identity collections: local providers (where local users live) and S3
 * identity policies (IAM-style documents attached through users' s3_policies_ids). */
#include <string.h>

#include "collections.h"
#include "objects.h"
#include "s3_policy.h"
#include "store.h"

/* ---- local providers ---- */

void localproviders_ensure_default(sim_ctx *ctx) {
    if (json_array_size(store_list(ctx->store, "localproviders")) > 0) return;
    store_add(ctx->store, "localproviders",
              json_pack("{s:s, s:s, s:s}", "name", SIM_DEFAULT_PROVIDER_NAME, "description",
                        "The cluster's built-in local provider", "managed_by", "SUPER_ADMIN"));
}

json_int_t tenants_local_provider(sim_ctx *ctx, json_int_t tenant_id) {
    json_t *given = json_object_get(store_get(ctx->store, "tenants", tenant_id), "local_provider_id");
    return json_is_integer(given) ? json_integer_value(given) : SIM_DEFAULT_PROVIDER_ID;
}

static int provider_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    (void)req;
    if (!old) {
        coll_default(obj, "description", json_string(""));
        coll_default(obj, "managed_by", json_string("SUPER_ADMIN"));
    }
    const char *managed_by = json_string_value(json_object_get(obj, "managed_by"));
    if (!managed_by || (strcmp(managed_by, "SUPER_ADMIN") != 0 && strcmp(managed_by, "TENANT_ADMIN") != 0))
        return sim_reply_field_error(resp, "managed_by", "\"%s\" is not a valid choice.", managed_by ? managed_by : "");
    return 0;
}

/* Tenants that take their users from this provider (no local_provider_id: the default). */
static void provider_render(sim_request *req, json_t *out) {
    json_int_t id = json_integer_value(json_object_get(out, "id"));
    json_t *names = json_array();
    size_t i;
    json_t *tenant;
    json_array_foreach(store_list(req->ctx->store, "tenants"), i, tenant) {
        if (tenants_local_provider(req->ctx, json_integer_value(json_object_get(tenant, "id"))) == id)
            json_array_append(names, json_object_get(tenant, "name"));
    }
    json_object_set_new(out, "assigned_tenants_preview", names);
}

/* Users and tenants would dangle; the built-in provider stays like tenant default. */
static int provider_delete_request(sim_request *req, json_t *obj, sim_response *resp) {
    json_int_t id = json_integer_value(json_object_get(obj, "id"));
    if (id == SIM_DEFAULT_PROVIDER_ID) return sim_reply_detail(resp, 409, "The built-in local provider cannot be deleted.");
    size_t users = coll_count_refs(req->ctx, "users", "local_provider_id", id);
    size_t tenants = coll_count_refs(req->ctx, "tenants", "local_provider_id", id);
    if (users + tenants == 0) return 0;
    return sim_reply_detail(resp, 409, "Local provider %s is in use by %zu users and %zu tenants.",
                            json_string_value(json_object_get(obj, "name")), users, tenants);
}

static const char *const name_only[] = {"name", NULL};
static const char *const provider_derived[] = {"assigned_tenants_preview", NULL};

const sim_collection coll_localproviders = {
    .name = "localproviders",
    .creatable = true,
    .writable = true,
    .required = name_only,
    .unique = name_only,
    .derived = provider_derived,
    .patch_status = 200,
    .validate = provider_validate,
    .delete_request = provider_delete_request,
    .render = provider_render,
};

/* ---- S3 identity policies ---- */

static int s3policy_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    (void)req;
    json_t *text = json_object_get(obj, "policy");
    if (!json_is_string(text)) return sim_reply_field_error(resp, "policy", "Not a valid string.");
    char why[256];
    json_t *doc = s3_policy_parse(json_string_value(text), why, sizeof why);
    if (!doc) return sim_reply_field_error(resp, "policy", "%s", why);
    json_decref(doc);
    if (!old) {
        coll_default(obj, "enabled", json_true());
        coll_default(obj, "is_replicated", json_false());
    }
    if (!json_is_boolean(json_object_get(obj, "enabled")))
        return sim_reply_field_error(resp, "enabled", "Must be a valid boolean.");
    return 0;
}

/* users: the names of the users it is attached to; groups: none (no groups here). */
static void s3policy_render(sim_request *req, json_t *out) {
    json_t *id = json_object_get(out, "id");
    json_t *users = json_array();
    size_t i, j;
    json_t *user, *pid;
    json_array_foreach(store_list(req->ctx->store, "users"), i, user) {
        json_array_foreach(json_object_get(user, "s3_policies_ids"), j, pid) {
            if (json_equal(pid, id)) json_array_append(users, json_object_get(user, "name"));
        }
    }
    json_object_set_new(out, "users", users);
    json_object_set_new(out, "groups", json_array());
    json_object_set(out, "title", json_object_get(out, "name"));
}

/* A policy that goes is detached from every user that had it. */
static void s3policy_removed(sim_ctx *ctx, json_t *policy) {
    json_t *id = json_object_get(policy, "id");
    size_t i;
    json_t *user;
    json_array_foreach(store_list(ctx->store, "users"), i, user) {
        json_t *ids = json_object_get(user, "s3_policies_ids");
        bool changed = false;
        for (size_t k = json_array_size(ids); k-- > 0;) {
            if (json_equal(json_array_get(ids, k), id)) {
                json_array_remove(ids, k);
                changed = true;
            }
        }
        if (changed) store_changed(ctx->store, "users", user);
    }
}

static const char *const s3policy_required[] = {"name", "policy", NULL};
static const char *const s3policy_immutable[] = {"tenant_id", NULL};
static const char *const s3policy_derived[] = {"users", "groups", "title", NULL};

const sim_collection coll_s3policies = {
    .name = "s3policies",
    .tenant_owned = true,
    .creatable = true,
    .writable = true,
    .required = s3policy_required,
    .unique_in_tenant = name_only,
    .immutable = s3policy_immutable,
    .derived = s3policy_derived,
    .patch_status = 200,
    .validate = s3policy_validate,
    .render = s3policy_render,
    .removed = s3policy_removed,
};
