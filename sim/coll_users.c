/* Rules of users (with their S3 access keys) and API tokens. */
#include <stdio.h>
#include <string.h>

#include "api_actions.h"
#include "collections.h"
#include "store.h"
#include "support.h"

/* ---- users ---- */

static int user_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    (void)req;
    if (!json_is_string(json_object_get(obj, "name"))) return sim_reply_field_error(resp, "name", "Not a valid string.");
    /* Keys are made through access_keys/ only. */
    if (!old) json_object_set_new(obj, "access_keys", json_array());
    return 0;
}

static json_t *find_key(json_t *user, const char *access_key, size_t *index) {
    size_t i;
    json_t *key;
    json_array_foreach(json_object_get(user, "access_keys"), i, key) {
        const char *have = json_string_value(json_object_get(key, "access_key"));
        if (have && strcmp(have, access_key) == 0) {
            if (index) *index = i;
            return key;
        }
    }
    return NULL;
}

static bool key_in_use(sim_ctx *ctx, const char *access_key) {
    size_t i;
    json_t *user;
    json_array_foreach(store_list(ctx->store, "users"), i, user) {
        if (find_key(user, access_key, NULL)) return true;
    }
    return false;
}

/* The secret is answered once and never stored: VMS never shows it again either. */
int users_add_access_key(sim_request *req, json_t *user, sim_response *resp) {
    json_t *body = json_is_object(req->body) ? req->body : NULL;
    json_t *tenant = body ? json_object_get(body, "tenant_id") : NULL;
    json_int_t tenant_id = req->scope_tenant ? req->scope_tenant : SIM_DEFAULT_TENANT_ID;
    if (tenant && !json_is_null(tenant)) {
        if (coll_check_reference(req, body, "tenant_id", "tenants", false, resp) != 0) return -1;
        tenant_id = json_integer_value(tenant);
    }
    char access_key[21], secret_key[41];
    const char *chosen_key = body ? json_string_value(json_object_get(body, "access_key")) : NULL;
    const char *chosen_secret = body ? json_string_value(json_object_get(body, "secret_key")) : NULL;
    if (chosen_key && chosen_secret) { /* caller-chosen keys, as VMS >= 5.4 accepts */
        if (key_in_use(req->ctx, chosen_key)) return sim_reply_field_error(resp, "access_key", "access_key_in_use");
        snprintf(access_key, sizeof access_key, "%s", chosen_key);
        snprintf(secret_key, sizeof secret_key, "%s", chosen_secret);
    } else {
        do sim_random_alnum(access_key, 20);
        while (key_in_use(req->ctx, access_key));
        sim_random_alnum(secret_key, 40);
    }
    char now[SIM_ISO_MAX];
    sim_iso8601(now, sim_now_ms());
    json_array_append_new(json_object_get(user, "access_keys"),
                          json_pack("{s:s, s:b, s:I, s:s}", "access_key", access_key, "enabled", 1, "tenant_id",
                                    tenant_id, "creation_time", now));
    store_touch(req->ctx->store);
    return sim_ok(resp, 200, json_pack("{s:s, s:s}", "access_key", access_key, "secret_key", secret_key));
}

int users_remove_access_key(sim_request *req, json_t *user, sim_response *resp) {
    const char *access_key = json_string_value(json_object_get(req->body, "access_key"));
    if (!access_key) return sim_reply_field_error(resp, "access_key", "This field is required.");
    size_t index;
    if (!find_key(user, access_key, &index)) return sim_reply_not_found(resp);
    json_array_remove(json_object_get(user, "access_keys"), index);
    store_touch(req->ctx->store);
    return sim_ok(resp, 204, NULL);
}

static const char *const name_only[] = {"name", NULL};
static const char *const user_immutable[] = {"name", "access_keys", NULL};

const sim_collection coll_users = {
    .name = "users",
    .creatable = true,
    .writable = true,
    .required = name_only,
    .unique = name_only,
    .immutable = user_immutable,
    .patch_status = 200,
    .validate = user_validate,
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

int apitokens_revoke(sim_request *req, json_t *token, sim_response *resp) {
    char now[SIM_ISO_MAX];
    sim_iso8601(now, sim_now_ms());
    json_object_set_new(token, "revoked", json_true());
    json_object_set_new(token, "revocation_time", json_string(now));
    store_touch(req->ctx->store);
    return sim_ok(resp, 200, json_pack("{s:s}", "detail", "Token revoked"));
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
