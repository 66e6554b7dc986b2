/* Rules of local users (in local providers, with S3 policies attached; their S3 keys
 * are in s3keys.c) and of API tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_actions.h"
#include "collections.h"
#include "s3keys.h"
#include "store.h"
#include "support.h"

/* ---- users ---- */

/* s3_policies_ids: a list of ids of existing S3 policies (attaching is a read-modify-write
 * of this list, as VMS clients do it). */
static int check_policy_ids(sim_request *req, json_t *obj, sim_response *resp) {
    json_t *ids = json_object_get(obj, "s3_policies_ids");
    if (!ids || json_is_null(ids)) {
        json_object_set_new(obj, "s3_policies_ids", json_array());
        return 0;
    }
    if (!json_is_array(ids)) return sim_reply_field_error(resp, "s3_policies_ids", "Expected a list of items.");
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
        if (json_is_integer(id) && store_get(req->ctx->store, "s3policies", json_integer_value(id))) continue;
        char *text = json_dumps(id, JSON_ENCODE_ANY);
        sim_reply_field_error(resp, "s3_policies_ids", "Invalid pk \"%s\" - object does not exist.", text ? text : "?");
        free(text);
        return -1;
    }
    return 0;
}

static int user_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    if (!json_is_string(json_object_get(obj, "name"))) return sim_reply_field_error(resp, "name", "Not a valid string.");
    /* Optional in VMS 5.3 (vast-csi leaves it out): the cluster's built-in provider. A
     * user stored before providers existed gets it on its next change. */
    coll_default(obj, "local_provider_id", json_integer(SIM_DEFAULT_PROVIDER_ID));
    if (coll_check_reference(req, obj, "local_provider_id", "localproviders", false, resp) != 0) return -1;
    if (check_policy_ids(req, obj, resp) != 0) return -1;
    static const char *const flags[] = {"allow_create_bucket", "allow_delete_bucket", "s3_superuser"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        json_t *v = json_object_get(obj, flags[i]);
        if (v && !json_is_boolean(v)) return sim_reply_field_error(resp, flags[i], "Must be a valid boolean.");
        if (!old) coll_default(obj, flags[i], json_false());
    }
    json_object_del(obj, "access_keys"); /* derived now; kept by states from before locals3keys/ */
    return 0;
}

/* access_keys (never a secret), s3_policies [{id, name}] and local_provider {id, name}. */
static void user_render(sim_request *req, json_t *out) {
    json_int_t id = json_integer_value(json_object_get(out, "id"));
    json_object_set_new(out, "access_keys", s3keys_of_user(req->ctx, id));
    json_t *policies = json_array();
    size_t i;
    json_t *pid;
    json_array_foreach(json_object_get(out, "s3_policies_ids"), i, pid) {
        const char *name = coll_name_of(req->ctx, "s3policies", json_integer_value(pid));
        if (name) json_array_append_new(policies, json_pack("{s:O, s:s}", "id", pid, "name", name));
    }
    json_object_set_new(out, "s3_policies", policies);
    json_t *provider = json_object_get(out, "local_provider_id");
    const char *provider_name = coll_name_of(req->ctx, "localproviders", json_integer_value(provider));
    json_object_set_new(out, "local_provider",
                        provider_name ? json_pack("{s:O, s:s}", "id", provider, "name", provider_name) : json_null());
}

static void user_removed(sim_ctx *ctx, json_t *user) {
    s3keys_remove_user(ctx, json_integer_value(json_object_get(user, "id")));
}

json_t *users_find(sim_ctx *ctx, json_int_t provider, const char *name) {
    sim_ids ids = {0};
    json_t *found = NULL;
    if (!store_find(ctx->store, "users", "name", STORE_EQUAL, name, false, &ids)) return NULL;
    for (size_t i = 0; i < ids.n && !found; i++) {
        json_t *user = store_get(ctx->store, "users", ids.v[i]);
        json_t *have_provider = json_object_get(user, "local_provider_id");
        json_int_t p = have_provider ? json_integer_value(have_provider) : SIM_DEFAULT_PROVIDER_ID;
        const char *have = json_string_value(json_object_get(user, "name"));
        if (p == provider && have && strcmp(have, name) == 0) found = user;
    }
    ids_free(&ids);
    return found;
}

static const char *const name_only[] = {"name", NULL};
static const char *const user_unique_set[] = {"local_provider_id", "name", NULL};
static const char *const user_immutable[] = {"name", "local_provider_id", NULL};
static const char *const user_derived[] = {"access_keys", "s3_policies", "local_provider", NULL};

const sim_collection coll_users = {
    .name = "users",
    .creatable = true,
    .writable = true,
    .required = name_only,
    .unique_together = user_unique_set,
    .immutable = user_immutable,
    .derived = user_derived,
    .patch_status = 200,
    .validate = user_validate,
    .render = user_render,
    .removed = user_removed,
};

/* ---- API tokens ---- */

static int apitoken_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    json_t *expiry = json_object_get(obj, "expiry_date");
    int64_t ms;
    if (expiry && !json_is_null(expiry) && !sim_parse_iso8601(json_string_value(expiry), &ms))
        return sim_reply_field_error(resp, "expiry_date", "Datetime has wrong format.");
    if (!old) {
        char token[41];
        sim_random_hex(token, 20);
        json_object_set_new(obj, "_token", json_string(token)); /* "_": never rendered */
        json_object_set_new(obj, "owner", json_string(req->user ? req->user : ""));
        json_object_set_new(obj, "revoked", json_false());
        json_object_set_new(obj, "revocation_time", json_null());
        json_object_set_new(obj, "last_used", json_null());
        coll_default(obj, "expiry_date", json_null());
        coll_default(obj, "name", json_string(""));
    }
    return 0;
}

static json_t *apitoken_create_response(sim_request *req, json_t *obj) {
    (void)req;
    return json_pack("{s:O, s:O}", "id", json_object_get(obj, "id"), "token", json_object_get(obj, "_token"));
}

static void revoke(sim_ctx *ctx, json_t *token) {
    char now[SIM_ISO_MAX];
    sim_iso8601(now, sim_now_ms());
    json_object_set_new(token, "revoked", json_true());
    json_object_set_new(token, "revocation_time", json_string(now));
    store_changed(ctx->store, "apitokens", token);
}

int apitokens_revoke(sim_request *req, json_t *token, sim_response *resp) {
    revoke(req->ctx, token);
    return sim_ok(resp, 200, json_pack("{s:s}", "detail", "Token revoked"));
}

void apitokens_revoke_owner(sim_ctx *ctx, const char *owner) {
    sim_ids ids = {0};
    if (!owner || !store_find(ctx->store, "apitokens", "owner", STORE_EQUAL, owner, false, &ids)) return;
    for (size_t i = 0; i < ids.n; i++) {
        json_t *token = store_get(ctx->store, "apitokens", ids.v[i]);
        const char *have = json_string_value(json_object_get(token, "owner"));
        if (have && strcmp(have, owner) == 0 && !json_is_true(json_object_get(token, "revoked"))) revoke(ctx, token);
    }
    ids_free(&ids);
}

static const char *const apitoken_immutable[] = {"owner", "revoked", "revocation_time", "last_used", NULL};

const sim_collection coll_apitokens = {
    .name = "apitokens",
    .creatable = true,
    .writable = true,
    .immutable = apitoken_immutable,
    .patch_status = 200,
    .validate = apitoken_validate,
    .create_response = apitoken_create_response,
};
