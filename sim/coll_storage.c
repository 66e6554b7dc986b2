/* Rules of the storage collections: views and quotas over directories of DIR/fs, and
 * folders/delete_folder/ (VAST's trash API) that removes a tree. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api_actions.h"
#include "collections.h"
#include "safepath.h"
#include "store.h"
#include "support.h"

/* Usage of the directory a view or quota covers; zero when it is gone. */
static fsops_usage usage_of(sim_request *req, json_t *obj) {
    fsops_usage usage = {0};
    json_t *path = json_object_get(obj, "path");
    if (json_is_string(path) && safepath_valid(json_string_value(path), json_string_length(path)))
        safepath_measure(req->ctx->fs_fd, json_string_value(path), true, &usage);
    return usage;
}

static bool is_limit(json_t *v) { return !v || json_is_null(v) || (json_is_integer(v) && json_integer_value(v) >= 0); }

static bool has_protocol(json_t *obj, const char *protocol) {
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(obj, "protocols"), i, p) {
        if (json_is_string(p) && strcmp(json_string_value(p), protocol) == 0) return true;
    }
    return false;
}

/* ---- views ---- */

/* "name" (id N) of a tenant, for messages; a tenant that is gone shows as its id. */
static char *tenant_label(sim_ctx *ctx, json_int_t id) {
    const char *name = coll_name_of(ctx, "tenants", id);
    if (name) return sim_printf("\"%s\" (id %" JSON_INTEGER_FORMAT ")", name, id);
    return sim_printf("id %" JSON_INTEGER_FORMAT, id);
}

/* VMS refuses a view whose policy belongs to another tenant: the policy decides who may
 * mount the view, and one tenant must not govern another's data. Checked on create and
 * when a PATCH changes the policy (a view's tenant_id cannot change), so a view stored
 * before this rule stays editable. Objects without a tenant_id are not compared. */
static int view_policy_in_tenant(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    json_t *policy_id = json_object_get(obj, "policy_id");
    if (old && json_equal(policy_id, json_object_get(old, "policy_id"))) return 0;
    json_t *policy = store_get(req->ctx->store, "viewpolicies", json_integer_value(policy_id));
    json_t *view_tenant = json_object_get(obj, "tenant_id");
    json_t *policy_tenant = json_object_get(policy, "tenant_id");
    if (!json_is_integer(view_tenant) || !json_is_integer(policy_tenant) || json_equal(view_tenant, policy_tenant))
        return 0;
    char *mine = tenant_label(req->ctx, json_integer_value(view_tenant));
    char *theirs = tenant_label(req->ctx, json_integer_value(policy_tenant));
    const char *policy_name = json_string_value(json_object_get(policy, "name"));
    sim_reply_field_error(resp, "policy_id",
                          "View policy \"%s\" (id %" JSON_INTEGER_FORMAT ") belongs to tenant %s, not to the "
                          "view's tenant %s.",
                          policy_name ? policy_name : "", json_integer_value(policy_id), theirs, mine);
    free(mine);
    free(theirs);
    return -1;
}

/* S3's rules for a bucket name that can be a DNS label: 3-63 lowercase letters, digits,
 * '.' and '-', a letter or digit at both ends, no "..", not shaped like an IP address. */
static bool valid_bucket_name(const char *name) {
    size_t n = strlen(name);
    if (n < 3 || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n) return false;
    if (!isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1]) || strstr(name, "..")) return false;
    unsigned a, b, c, d;
    char tail;
    return sscanf(name, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4;
}

/* A view with S3 in protocols is a bucket: it needs the bucket's name (unique across the
 * cluster, checked with the other unique fields) and its owner, a user of the local
 * provider of the view's tenant. Every missing field is named in one answer. */
static int view_validate_bucket(sim_request *req, json_t *obj, sim_response *resp) {
    const char *bucket = json_string_value(json_object_get(obj, "bucket"));
    const char *owner = json_string_value(json_object_get(obj, "bucket_owner"));
    json_t *missing = json_object();
    if (!bucket || !*bucket) json_object_set_new(missing, "bucket", json_pack("[s]", "This field is required."));
    if (!owner || !*owner) json_object_set_new(missing, "bucket_owner", json_pack("[s]", "This field is required."));
    if (json_object_size(missing) > 0) return sim_reply(resp, 400, missing);
    json_decref(missing);
    if (!valid_bucket_name(bucket))
        return sim_reply_field_error(resp, "bucket",
                                     "Bucket name \"%s\" is not valid: 3-63 lowercase letters, digits, '.' and '-', "
                                     "starting and ending with a letter or digit.",
                                     bucket);
    json_int_t provider = tenants_local_provider(req->ctx, json_integer_value(json_object_get(obj, "tenant_id")));
    if (!users_find(req->ctx, provider, owner))
        return sim_reply_field_error(resp, "bucket_owner", "User \"%s\" does not exist in the tenant's local provider.",
                                     owner);
    return 0;
}

static int view_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    if (!json_is_string(json_object_get(obj, "path")))
        return sim_reply_field_error(resp, "path", "Not a valid string.");
    if (coll_check_reference(req, obj, "policy_id", "viewpolicies", false, resp) != 0) return -1;
    if (view_policy_in_tenant(req, obj, old, resp) != 0) return -1;
    if (coll_resolve_name(req, obj, "qos_policy", "qos_policy_id", "qospolicies", resp) != 0) return -1;
    if (coll_check_reference(req, obj, "qos_policy_id", "qospolicies", true, resp) != 0) return -1;
    if (!old) coll_default(obj, "protocols", json_pack("[s]", "NFS"));
    if (!json_is_array(json_object_get(obj, "protocols")))
        return sim_reply_field_error(resp, "protocols", "Expected a list of items.");
    return has_protocol(obj, "S3") ? view_validate_bucket(req, obj, resp) : 0;
}

/* VMS names a view "view-<id>" when the client does not. */
static void view_created(sim_request *req, json_t *obj) {
    (void)req;
    if (json_is_string(json_object_get(obj, "name"))) return;
    char name[48];
    snprintf(name, sizeof name, "view-%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(obj, "id")));
    json_object_set_new(obj, "name", json_string(name));
}

static void view_render(sim_request *req, json_t *out) {
    const char *policy = coll_name_of(req->ctx, "viewpolicies", json_integer_value(json_object_get(out, "policy_id")));
    json_t *qos_id = json_object_get(out, "qos_policy_id");
    const char *qos = json_is_integer(qos_id) ? coll_name_of(req->ctx, "qospolicies", json_integer_value(qos_id)) : NULL;
    json_object_set_new(out, "policy", policy ? json_string(policy) : json_null());
    json_object_set_new(out, "qos_policy", qos ? json_string(qos) : json_null());
    coll_default(out, "qos_policy_id", json_null());
}

static void view_render_expensive(sim_request *req, json_t *out) {
    fsops_usage usage = usage_of(req, out);
    json_object_set_new(out, "logical_capacity", json_integer((json_int_t)usage.bytes));
    json_object_set_new(out, "physical_capacity", json_integer((json_int_t)usage.bytes));
}

static const char *const view_required[] = {"path", "policy_id", NULL};
static const char *const view_unique[] = {"bucket", NULL};
static const char *const by_path[] = {"path", NULL};
static const char *const view_immutable[] = {"path", "tenant_id", "create_dir", NULL};
static const char *const view_derived[] = {"policy", NULL};
static const char *const view_rendered[] = {"qos_policy", "qos_policy_id", NULL};
static const char *const view_expensive[] = {"logical_capacity", "physical_capacity", NULL};

const sim_collection coll_views = {
    .name = "views",
    .tenant_owned = true,
    .creatable = true,
    .writable = true,
    .required = view_required,
    .unique = view_unique,
    .unique_in_tenant = by_path,
    .immutable = view_immutable,
    .derived = view_derived,
    .expensive = view_expensive,
    .rendered = view_rendered,
    .patch_status = 200,
    .validate = view_validate,
    .prepare_create = coll_prepare_directory,
    .created = view_created,
    .render = view_render,
    .render_expensive = view_render_expensive,
};

/* ---- quotas ---- */

static int quota_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    (void)req, (void)old;
    if (!json_is_string(json_object_get(obj, "path")))
        return sim_reply_field_error(resp, "path", "Not a valid string.");
    static const char *const limits[] = {"hard_limit", "soft_limit", "hard_limit_inodes", "soft_limit_inodes"};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (!is_limit(json_object_get(obj, limits[i])))
            return sim_reply_field_error(resp, limits[i], "A valid integer is required.");
    }
    return 0;
}

static const char *quota_state(uint64_t used, json_int_t soft, json_int_t hard) {
    if (hard > 0 && used >= (uint64_t)hard) return "HARD_EXCEEDED";
    if (soft > 0 && used >= (uint64_t)soft) return "SOFT_EXCEEDED";
    return "OK";
}

/* Usage is measured when read; limits are reported, not enforced (a plain directory). */
static void quota_render_expensive(sim_request *req, json_t *out) {
    fsops_usage usage = usage_of(req, out);
    json_int_t hard = json_integer_value(json_object_get(out, "hard_limit"));
    json_int_t soft = json_integer_value(json_object_get(out, "soft_limit"));
    json_object_set_new(out, "used_capacity", json_integer((json_int_t)usage.bytes));
    json_object_set_new(out, "used_effective_capacity", json_integer((json_int_t)usage.bytes));
    json_object_set_new(out, "used_inodes", json_integer((json_int_t)usage.inodes));
    json_object_set_new(out, "percent_capacity", json_integer(hard > 0 ? (json_int_t)(usage.bytes * 100 / (uint64_t)hard) : 0));
    json_object_set_new(out, "state", json_string(quota_state(usage.bytes, soft, hard)));
}

static const char *const quota_required[] = {"name", "path", NULL};
static const char *const quota_unique[] = {"name", NULL};
static const char *const quota_expensive[] = {"used_capacity", "used_effective_capacity", "used_inodes",
                                              "percent_capacity", "state", NULL};

const sim_collection coll_quotas = {
    .name = "quotas",
    .tenant_owned = true,
    .creatable = true,
    .writable = true,
    .required = quota_required,
    .unique = quota_unique,
    .unique_in_tenant = by_path,
    .immutable = view_immutable,
    .expensive = quota_expensive,
    .patch_status = 200,
    .validate = quota_validate,
    .prepare_create = coll_prepare_directory,
    .render_expensive = quota_render_expensive,
};

/* ---- folders/delete_folder/ ---- */

int folders_delete(sim_request *req, sim_response *resp) {
    json_t *body = req->body;
    if (!json_is_object(body) || !json_is_string(json_object_get(body, "path")))
        return sim_reply_field_error(resp, "path", "This field is required.");
    if (access_check_tenant_field(req, body, "tenant_id", resp) != 0) return -1;
    if (coll_check_reference(req, body, "tenant_id", "tenants", true, resp) != 0) return -1;
    const char *path = coll_vms_path(body, "path", resp);
    if (!path) return -1;
    if (strcmp(path, "/") == 0) return sim_reply_field_error(resp, "path", "Cannot delete the root directory.");
    if (access_check_tree(req, path, resp) != 0) return -1;
    int err = safepath_remove_tree(req->ctx->fs_fd, path);
    int rc = 0;
    if (err == ENOENT || err == ENOTDIR) rc = sim_reply_detail(resp, 400, "no such directory");
    else if (err != 0) rc = coll_fs_error(resp, "path", path, err, "no such directory");
    return rc != 0 ? -1 : sim_ok(resp, 204, NULL);
}
