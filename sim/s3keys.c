/* S3 access keys: the locals3keys/ collection and users/{id}/access_keys/; see s3keys.h. */
#include "s3keys.h"

#include <stdio.h>
#include <string.h>

#include "api_actions.h"
#include "collections.h"
#include "objects.h"
#include "store.h"
#include "support.h"

#define SECRET_FIELD "_secret_key" /* "_": internal, never rendered */
#define KEY_MAX 128

json_t *s3keys_find(sim_ctx *ctx, const char *access_key) {
    return store_find_first(ctx->store, "locals3keys", "access_key", access_key);
}

const char *s3keys_secret(json_t *key) { return json_string_value(json_object_get(key, SECRET_FIELD)); }

json_t *s3keys_of_user(sim_ctx *ctx, json_int_t user_id) {
    json_t *out = json_array();
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%" JSON_INTEGER_FORMAT, user_id);
    sim_ids ids = {0};
    store_find(ctx->store, "locals3keys", "user_id", STORE_EQUAL, id_text, true, &ids);
    for (size_t i = 0; i < ids.n; i++) {
        json_t *key = store_get(ctx->store, "locals3keys", ids.v[i]);
        if (json_integer_value(json_object_get(key, "user_id")) != user_id) continue;
        json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O}", "access_key", json_object_get(key, "access_key"),
                                             "enabled", json_object_get(key, "enabled"), "creation_time",
                                             json_object_get(key, "creation_time"), "tenant_id",
                                             json_object_get(key, "tenant_id")));
    }
    ids_free(&ids);
    return out;
}

void s3keys_remove_user(sim_ctx *ctx, json_int_t user_id) {
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%" JSON_INTEGER_FORMAT, user_id);
    sim_ids ids = {0};
    store_find(ctx->store, "locals3keys", "user_id", STORE_EQUAL, id_text, true, &ids);
    for (size_t i = ids.n; i-- > 0;) {
        json_t *key = store_get(ctx->store, "locals3keys", ids.v[i]);
        if (key && json_integer_value(json_object_get(key, "user_id")) == user_id)
            store_remove(ctx->store, "locals3keys", ids.v[i]);
    }
    ids_free(&ids);
}

/* {id, name} of the object id in collection, or null when it is gone. */
static json_t *ref_of(sim_ctx *ctx, const char *collection, json_t *id) {
    const char *name = coll_name_of(ctx, collection, json_integer_value(id));
    return name ? json_pack("{s:O, s:s}", "id", id, "name", name) : json_null();
}

static void key_render(sim_request *req, json_t *out) {
    json_object_set_new(out, "tenant", ref_of(req->ctx, "tenants", json_object_get(out, "tenant_id")));
    json_object_set_new(out, "user", ref_of(req->ctx, "users", json_object_get(out, "user_id")));
}

static const char *const key_rendered[] = {"tenant", "user", NULL};

const sim_collection coll_locals3keys = {
    .name = "locals3keys",
    .tenant_owned = true,
    .rendered = key_rendered,
    .render = key_render,
};

/* The tenant a new key works in: the body's tenant_id, else the request's scope, else
 * the default tenant; a scoped request may not name another tenant. 0 on a refusal. */
static json_int_t key_tenant(sim_request *req, json_t *body, sim_response *resp) {
    json_t *tenant = json_object_get(body, "tenant_id");
    if (!tenant || json_is_null(tenant)) return req->scope_tenant ? req->scope_tenant : SIM_DEFAULT_TENANT_ID;
    if (coll_check_reference(req, body, "tenant_id", "tenants", false, resp) != 0) return 0;
    if (req->scope_tenant && json_integer_value(tenant) != req->scope_tenant) {
        sim_reply_permission_denied(resp);
        return 0;
    }
    return json_integer_value(tenant);
}

/* Caller-chosen text for a key or secret (VMS >= 5.4): printable, no spaces. */
static bool valid_key_text(const char *text) {
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > KEY_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        if (text[i] <= ' ' || text[i] > '~') return false;
    }
    return true;
}

/* The pair to store: the caller's (both given) or fresh random ones. */
static int choose_pair(sim_request *req, json_t *body, char *access_key, char *secret_key, sim_response *resp) {
    json_t *chosen_key = json_object_get(body, "access_key"), *chosen_secret = json_object_get(body, "secret_key");
    if (!chosen_key && !chosen_secret) {
        do sim_random_alnum(access_key, 20);
        while (s3keys_find(req->ctx, access_key));
        sim_random_secret(secret_key, 40);
        return 0;
    }
    if (!valid_key_text(json_string_value(chosen_key)))
        return sim_reply_field_error(resp, "access_key", "Expected 1 to %d printable characters without spaces.", KEY_MAX);
    if (!valid_key_text(json_string_value(chosen_secret)))
        return sim_reply_field_error(resp, "secret_key", "Expected 1 to %d printable characters without spaces.", KEY_MAX);
    if (s3keys_find(req->ctx, json_string_value(chosen_key)))
        return sim_reply_field_error(resp, "access_key", "access_key_in_use");
    snprintf(access_key, KEY_MAX + 1, "%s", json_string_value(chosen_key));
    snprintf(secret_key, KEY_MAX + 1, "%s", json_string_value(chosen_secret));
    return 0;
}

/* The secret is answered here and only here: every other view of the key leaves it out. */
int users_add_access_key(sim_request *req, json_t *user, sim_response *resp) {
    json_t *body = json_is_object(req->body) ? req->body : NULL; /* jansson reads NULL as {} */
    json_int_t tenant = key_tenant(req, body, resp);
    char access_key[KEY_MAX + 1], secret_key[KEY_MAX + 1];
    if (tenant == 0 || choose_pair(req, body, access_key, secret_key, resp) != 0) return -1;
    char now[SIM_ISO_MAX];
    sim_iso8601(now, sim_now_ms());
    store_add(req->ctx->store, "locals3keys",
              json_pack("{s:s, s:b, s:s, s:I, s:O, s:s}", "access_key", access_key, "enabled", 1, "creation_time", now,
                        "tenant_id", tenant, "user_id", json_object_get(user, "id"), SECRET_FIELD, secret_key));
    json_t *answer = json_pack("{s:s, s:s}", "access_key", access_key, "secret_key", secret_key);
    explicit_bzero(secret_key, sizeof secret_key); /* no copy left on the stack */
    return sim_ok(resp, 200, answer);
}

/* The key named by the body's access_key, if it is this user's and visible to the
 * request's tenant scope; else the answer (400 or 404) is set. */
static json_t *body_key(sim_request *req, json_t *user, sim_response *resp) {
    const char *access_key = json_string_value(json_object_get(req->body, "access_key"));
    if (!access_key) {
        sim_reply_field_error(resp, "access_key", "This field is required.");
        return NULL;
    }
    json_t *key = s3keys_find(req->ctx, access_key);
    bool mine = key && json_equal(json_object_get(key, "user_id"), json_object_get(user, "id"));
    if (mine && req->scope_tenant && json_integer_value(json_object_get(key, "tenant_id")) != req->scope_tenant)
        mine = false;
    if (!mine) sim_reply_not_found(resp);
    return mine ? key : NULL;
}

int users_update_access_key(sim_request *req, json_t *user, sim_response *resp) {
    json_t *enabled = json_object_get(req->body, "enabled");
    if (!enabled) return sim_reply_field_error(resp, "enabled", "This field is required.");
    if (!json_is_boolean(enabled)) return sim_reply_field_error(resp, "enabled", "Must be a valid boolean.");
    json_t *key = body_key(req, user, resp);
    if (!key) return -1;
    json_object_set(key, "enabled", enabled);
    store_changed(req->ctx->store, "locals3keys", key);
    return sim_ok(resp, 204, NULL);
}

int users_remove_access_key(sim_request *req, json_t *user, sim_response *resp) {
    json_t *key = body_key(req, user, resp);
    if (!key) return -1;
    store_remove(req->ctx->store, "locals3keys", json_integer_value(json_object_get(key, "id")));
    return sim_ok(resp, 204, NULL);
}
