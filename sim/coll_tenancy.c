/* Rules of the tenancy collections: tenants, view policies, QoS policies, VIP pools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collections.h"
#include "ip_ranges.h"
#include "objects.h"
#include "store.h"
#include "tasks.h"

/* ---- tenants ---- */

/* Objects of every tenant-owned collection that belong to the tenant. */
static size_t tenant_owned_count(sim_ctx *ctx, json_int_t tenant) {
    size_t count = 0;
    for (size_t i = 0; sim_collections[i]; i++) {
        if (sim_collections[i]->tenant_owned)
            count += coll_count_refs(ctx, sim_collections[i]->name, "tenant_id", tenant);
    }
    return count;
}

/* "a, b, c" of a list of strings (malloc'd). */
static char *join_names(json_t *names) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name) fprintf(out, "%s%s", i ? ", " : "", json_string_value(name));
    fclose(out);
    return text;
}

static int tenant_delete_request(sim_request *req, json_t *tenant, sim_response *resp) {
    json_int_t id = json_integer_value(json_object_get(tenant, "id"));
    if (id == SIM_DEFAULT_TENANT_ID) return sim_reply_detail(resp, 409, "The default tenant cannot be deleted.");
    const char *force_text = sim_param_get(req, "force_remove");
    bool force = force_text && (strcmp(force_text, "true") == 0 || strcmp(force_text, "True") == 0);
    size_t owned = tenant_owned_count(req->ctx, id);
    if (owned > 0 && !force) {
        return sim_reply_detail(resp, 409,
                                "Tenant %s still owns %zu objects (views, quotas, policies, ...); delete them "
                                "first or use force_remove=true.",
                                json_string_value(json_object_get(tenant, "name")), owned);
    }
    /* its tenant admins would be left logged in to nothing */
    json_t *admins = managers_of_tenant(req->ctx, id);
    if (json_array_size(admins) > 0 && !force) {
        char *names = join_names(admins);
        sim_reply_detail(resp, 409,
                         "Tenant %s has tenant admins (%s); delete them from managers/ first or use "
                         "force_remove=true, which deletes them too.",
                         json_string_value(json_object_get(tenant, "name")), names);
        free(names);
        json_decref(admins);
        return -1;
    }
    json_decref(admins);
    json_t *task = tasks_start(req, "DeleteTenant",
                               json_pack("{s:s, s:I, s:b}", "type", "delete_tenant", "id", id, "force", force));
    return tasks_reply(resp, task) == 0 ? 1 : -1;
}

/* Removes every object of the tenant, in each tenant-owned collection. */
static void remove_tenant_objects(sim_ctx *ctx, json_int_t tenant) {
    for (size_t c = 0; sim_collections[c]; c++) {
        const sim_collection *coll = sim_collections[c];
        if (!coll->tenant_owned) continue;
        char key[32];
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, tenant);
        sim_ids ids = {0};
        if (!store_find(ctx->store, coll->name, "tenant_id", STORE_EQUAL, key, true, &ids)) {
            json_t *items = store_list(ctx->store, coll->name);
            for (size_t i = 0; i < json_array_size(items); i++)
                ids_push(&ids, json_integer_value(json_object_get(json_array_get(items, i), "id")));
        }
        for (size_t i = ids.n; i-- > 0;) { /* newest first, as before */
            json_t *obj = store_get(ctx->store, coll->name, ids.v[i]);
            if (obj && json_integer_value(json_object_get(obj, "tenant_id")) == tenant) objects_destroy(ctx, coll, obj);
        }
        ids_free(&ids);
    }
}

bool tenants_finish_delete(sim_ctx *ctx, json_t *action, char *message, size_t size) {
    json_int_t id = json_integer_value(json_object_get(action, "id"));
    json_t *tenant = store_get(ctx->store, "tenants", id);
    if (!tenant) return true;
    size_t owned = tenant_owned_count(ctx, id);
    if (owned > 0 && !json_is_true(json_object_get(action, "force"))) {
        snprintf(message, size, "Tenant still owns %zu objects", owned);
        return false;
    }
    json_t *admins = managers_of_tenant(ctx, id);
    size_t n_admins = json_array_size(admins);
    json_decref(admins);
    if (n_admins > 0 && !json_is_true(json_object_get(action, "force"))) {
        snprintf(message, size, "Tenant still has %zu tenant admins", n_admins);
        return false;
    }
    remove_tenant_objects(ctx, id);
    managers_remove_tenant(ctx, id);
    objects_destroy(ctx, &coll_tenants, tenant);
    return true;
}

void tenants_ensure_default(sim_ctx *ctx) {
    if (json_array_size(store_list(ctx->store, "tenants")) > 0) return;
    store_add(ctx->store, "tenants", json_pack("{s:s, s:[]}", "name", SIM_DEFAULT_TENANT_NAME, "client_ip_ranges"));
}

/* VMS picks a client's tenant by its source address where a VIP pool is shared, so no
 * address may belong to two tenants: each range is compared with every other tenant's.
 * A tenant of the same name is skipped: a second create of it must fail on its name
 * (the uniqueness check that follows), as VMS answers, not on its ranges. */
static int check_client_ranges(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    json_t *ranges = json_object_get(obj, "client_ip_ranges");
    if (!ranges || json_is_null(ranges)) return 0;
    if (!json_is_array(ranges))
        return sim_reply_field_error(resp, "client_ip_ranges", "Expected a list of [start, end] address pairs.");
    json_int_t self = old ? json_integer_value(json_object_get(old, "id")) : 0;
    json_t *name = json_object_get(obj, "name");
    char why[256];
    size_t i, t, k;
    json_t *pair, *tenant, *theirs;
    json_array_foreach(ranges, i, pair) {
        ip_range mine;
        if (!ip_range_parse(pair, &mine, why, sizeof why))
            return sim_reply_field_error(resp, "client_ip_ranges", "%s", why);
        json_array_foreach(store_list(req->ctx->store, "tenants"), t, tenant) {
            if (json_integer_value(json_object_get(tenant, "id")) == self) continue;
            if (!old && name && json_equal(name, json_object_get(tenant, "name"))) continue;
            json_array_foreach(json_object_get(tenant, "client_ip_ranges"), k, theirs) {
                ip_range other;
                if (!ip_range_parse(theirs, &other, why, sizeof why) || !ip_ranges_overlap(&mine, &other)) continue;
                return sim_reply_field_error(resp, "client_ip_ranges", "%s-%s overlaps tenant %s (its range %s-%s).",
                                             json_string_value(json_array_get(pair, 0)),
                                             json_string_value(json_array_get(pair, 1)),
                                             json_string_value(json_object_get(tenant, "name")),
                                             json_string_value(json_array_get(theirs, 0)),
                                             json_string_value(json_array_get(theirs, 1)));
            }
        }
    }
    return 0;
}

/* The tenant-wide quota and QoS are kept as given (the operator reads them back to see
 * drift); only their shape is checked. */
static int check_limits(json_t *obj, sim_response *resp) {
    static const char *const objects[] = {"capacity_rules", "qos", NULL};
    for (size_t i = 0; objects[i]; i++) {
        json_t *v = json_object_get(obj, objects[i]);
        if (v && !json_is_null(v) && !json_is_object(v))
            return sim_reply_field_error(resp, objects[i], "Expected a dictionary of items.");
    }
    json_t *limits = json_object_get(json_object_get(obj, "qos"), "static_limits");
    if (limits && !json_is_null(limits) && !json_is_object(limits))
        return sim_reply_field_error(resp, "qos", "static_limits: expected a dictionary of items.");
    return 0;
}

/* A tenant takes its local users from one local provider (S3 keys and bucket owners). */
static int tenant_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    if (!old) coll_default(obj, "client_ip_ranges", json_array());
    if (check_client_ranges(req, obj, old, resp) != 0 || check_limits(obj, resp) != 0) return -1;
    return coll_check_reference(req, obj, "local_provider_id", "localproviders", true, resp);
}

static const char *const name_only[] = {"name", NULL};

const sim_collection coll_tenants = {
    .name = "tenants",
    .creatable = true,
    .writable = true,
    .required = name_only,
    .unique = name_only,
    .immutable = name_only,
    .patch_status = 200,
    .validate = tenant_validate,
    .delete_request = tenant_delete_request,
};

/* ---- view policies ---- */

static void viewpolicy_render(sim_request *req, json_t *out) {
    json_int_t id = json_integer_value(json_object_get(out, "id"));
    json_object_set_new(out, "count_views", json_integer((json_int_t)coll_count_refs(req->ctx, "views", "policy_id", id)));
}

/* A policy or QoS policy that views point at cannot go (VMS refuses, views would dangle). */
static int refuse_while_used(sim_request *req, json_t *obj, const char *field, const char *what,
                             sim_response *resp) {
    size_t users = coll_count_refs(req->ctx, "views", field, json_integer_value(json_object_get(obj, "id")));
    if (users == 0) return 0;
    return sim_reply_detail(resp, 409, "%s %s is in use by %zu views.", what,
                            json_string_value(json_object_get(obj, "name")), users);
}

static int viewpolicy_delete_request(sim_request *req, json_t *obj, sim_response *resp) {
    return refuse_while_used(req, obj, "policy_id", "View policy", resp);
}

static int viewpolicy_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    (void)req, (void)resp;
    if (!old) coll_default(obj, "flavor", json_string("NFS"));
    return 0;
}

static const char *const viewpolicy_derived[] = {"count_views", NULL};

const sim_collection coll_viewpolicies = {
    .name = "viewpolicies",
    .tenant_owned = true,
    .creatable = true,
    .writable = true,
    .required = name_only,
    .unique = name_only,
    .patch_status = 200,
    .derived = viewpolicy_derived,
    .validate = viewpolicy_validate,
    .delete_request = viewpolicy_delete_request,
    .render = viewpolicy_render,
};

/* ---- QoS policies ---- */

static int qospolicy_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    (void)req, (void)resp;
    if (!old) {
        coll_default(obj, "policy_type", json_string("VIEW"));
        coll_default(obj, "mode", json_string("STATIC"));
    }
    return 0;
}

static int qospolicy_delete_request(sim_request *req, json_t *obj, sim_response *resp) {
    return refuse_while_used(req, obj, "qos_policy_id", "QoS policy", resp);
}

static const char *const qos_immutable[] = {"name", "policy_type", "tenant_id", NULL};

const sim_collection coll_qospolicies = {
    .name = "qospolicies",
    .tenant_owned = true,
    .creatable = true,
    .writable = true,
    .required = name_only,
    .unique = name_only,
    .immutable = qos_immutable,
    .patch_status = 200,
    .validate = qospolicy_validate,
    .delete_request = qospolicy_delete_request,
};

/* ---- VIP pools ---- */

static bool valid_ip_ranges(json_t *ranges) {
    if (!json_is_array(ranges)) return false;
    size_t i;
    json_t *range;
    json_array_foreach(ranges, i, range) {
        if (json_array_size(range) != 2 || !json_is_string(json_array_get(range, 0)) ||
            !json_is_string(json_array_get(range, 1)))
            return false;
    }
    return true;
}

static int vippool_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    (void)req;
    json_t *cidr = json_object_get(obj, "subnet_cidr");
    if (!json_is_integer(cidr) || json_integer_value(cidr) < 1 || json_integer_value(cidr) > 128)
        return sim_reply_field_error(resp, "subnet_cidr", "A valid integer is required.");
    json_t *ranges = json_object_get(obj, "ip_ranges");
    if (ranges && !valid_ip_ranges(ranges))
        return sim_reply_field_error(resp, "ip_ranges", "Expected a list of [start, end] address pairs.");
    if (!old) {
        coll_default(obj, "ip_ranges", json_array());
        coll_default(obj, "role", json_string("PROTOCOLS"));
        coll_default(obj, "enabled", json_true());
    }
    return 0;
}

static int vippool_delete_request(sim_request *req, json_t *obj, sim_response *resp) {
    json_t *task = tasks_start(req, "DeleteVipPool",
                               json_pack("{s:s, s:O}", "type", "delete_vippool", "id", json_object_get(obj, "id")));
    return tasks_reply(resp, task) == 0 ? 1 : -1;
}

bool vippools_finish_delete(sim_ctx *ctx, json_t *action, char *message, size_t size) {
    (void)message, (void)size;
    json_t *pool = store_get(ctx->store, "vippools", json_integer_value(json_object_get(action, "id")));
    if (pool) objects_destroy(ctx, &coll_vippools, pool);
    return true;
}

static const char *const vippool_required[] = {"subnet_cidr", NULL};

const sim_collection coll_vippools = {
    .name = "vippools",
    .tenant_owned = true,
    .creatable = true,
    .writable = true,
    .required = vippool_required,
    .unique = name_only,
    .patch_status = 204,
    .validate = vippool_validate,
    .delete_request = vippool_delete_request,
};
