/* Rules of managers/: the VMS accounts that log in to the management API. A SUPER_ADMIN
 * is a cluster admin like the --user accounts; a TENANT_ADMIN belongs to one tenant and
 * every request it makes is confined to that tenant (access.c). Passwords are stored as
 * salted hashes only (password.h) and never answered. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "collections.h"
#include "objects.h"
#include "password.h"
#include "store.h"

#define PASSWORD_FIELD "_password" /* "_": internal, never rendered */

static const char *const user_types[] = {MANAGER_SUPER_ADMIN, MANAGER_TENANT_ADMIN, NULL};

json_t *managers_find(sim_ctx *ctx, const char *username) {
    return store_find_first(ctx->store, "managers", "username", username);
}

bool managers_check_password(json_t *manager, const char *password) {
    return password_verify(json_string_value(json_object_get(manager, PASSWORD_FIELD)), password);
}

json_int_t managers_tenant(json_t *manager) {
    const char *type = json_string_value(json_object_get(manager, "user_type"));
    if (!type || strcmp(type, MANAGER_TENANT_ADMIN) != 0) return 0;
    return json_integer_value(json_object_get(manager, "tenant_id"));
}

json_t *managers_of_tenant(sim_ctx *ctx, json_int_t tenant) {
    json_t *names = json_array();
    size_t i;
    json_t *manager;
    json_array_foreach(store_list(ctx->store, "managers"), i, manager) {
        if (managers_tenant(manager) == tenant) json_array_append(names, json_object_get(manager, "username"));
    }
    return names;
}

void managers_remove_tenant(sim_ctx *ctx, json_int_t tenant) {
    json_t *items = store_list(ctx->store, "managers");
    for (size_t i = json_array_size(items); i-- > 0;) {
        json_t *manager = json_array_get(items, i);
        if (managers_tenant(manager) == tenant) objects_destroy(ctx, &coll_managers, manager);
    }
}

static bool is_choice(const char *value, const char *const *choices) {
    for (size_t i = 0; value && choices[i]; i++) {
        if (strcmp(value, choices[i]) == 0) return true;
    }
    return false;
}

/* The fields a manager keeps for life: a PATCH may repeat them, not change them. */
static int refuse_changes(json_t *obj, json_t *old, sim_response *resp) {
    static const char *const fixed[] = {"username", "user_type", "tenant_id", NULL};
    for (size_t i = 0; fixed[i]; i++) {
        json_t *was = json_object_get(old, fixed[i]), *now = json_object_get(obj, fixed[i]);
        if (!json_equal(was ? was : json_null(), now ? now : json_null()))
            return sim_reply_field_error(resp, fixed[i], "This field cannot be changed after the manager is created.");
    }
    return 0;
}

/* The password given on POST or PATCH becomes the stored hash; the text itself goes. */
static int take_password(json_t *obj, json_t *old, sim_response *resp) {
    json_t *given = json_object_get(obj, "password");
    if (!given && old) return 0;
    if (!json_is_string(given)) return sim_reply_field_error(resp, "password", "Not a valid string.");
    if (json_string_length(given) == 0) return sim_reply_field_error(resp, "password", "This field may not be blank.");
    char *hash = password_hash(json_string_value(given));
    json_object_set_new(obj, PASSWORD_FIELD, json_string(hash));
    free(hash);
    json_object_del(obj, "password");
    return 0;
}

static int check_strings(json_t *obj, sim_response *resp) {
    static const char *const strings[] = {"username", "first_name", "last_name", NULL};
    for (size_t i = 0; strings[i]; i++) {
        json_t *v = json_object_get(obj, strings[i]);
        if (v && !json_is_string(v)) return sim_reply_field_error(resp, strings[i], "Not a valid string.");
    }
    json_t *flag = json_object_get(obj, "password_expiration_disabled");
    if (flag && !json_is_boolean(flag))
        return sim_reply_field_error(resp, "password_expiration_disabled", "Must be a valid boolean.");
    return 0;
}

/* A SUPER_ADMIN has no tenant; a TENANT_ADMIN names an existing one. */
static int check_type_and_tenant(sim_request *req, json_t *obj, sim_response *resp) {
    coll_default(obj, "user_type", json_string(MANAGER_SUPER_ADMIN));
    const char *type = json_string_value(json_object_get(obj, "user_type"));
    if (!is_choice(type, user_types))
        return sim_reply_field_error(resp, "user_type", "Not a valid choice: expected SUPER_ADMIN or TENANT_ADMIN.");
    json_t *tenant = json_object_get(obj, "tenant_id");
    bool has_tenant = tenant && !json_is_null(tenant);
    if (strcmp(type, MANAGER_TENANT_ADMIN) == 0) {
        if (!has_tenant) return sim_reply_field_error(resp, "tenant_id", "This field is required for a TENANT_ADMIN.");
        return coll_check_reference(req, obj, "tenant_id", "tenants", false, resp);
    }
    if (has_tenant)
        return sim_reply_field_error(resp, "tenant_id", "A SUPER_ADMIN belongs to no tenant; leave tenant_id out.");
    json_object_set_new(obj, "tenant_id", json_null());
    return 0;
}

static int manager_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    if (old && refuse_changes(obj, old, resp) != 0) return -1;
    if (check_strings(obj, resp) != 0) return -1;
    if (!old) {
        /* one name space with the --user accounts, which log in the same way */
        if (auth_find_user(req->ctx, json_string_value(json_object_get(obj, "username"))))
            return sim_reply_field_error(resp, "username", "This field must be unique.");
        if (check_type_and_tenant(req, obj, resp) != 0) return -1;
        coll_default(obj, "password_expiration_disabled", json_false());
        coll_default(obj, "first_name", json_string(""));
        coll_default(obj, "last_name", json_string(""));
    }
    return take_password(obj, old, resp);
}

static void manager_render(sim_request *req, json_t *out) {
    const char *tenant = coll_name_of(req->ctx, "tenants", json_integer_value(json_object_get(out, "tenant_id")));
    json_object_set_new(out, "tenant_name", tenant ? json_string(tenant) : json_null());
}

/* Its sessions die with it (auth.c finds no account for them); its API tokens are
 * revoked, so a later manager of the same name does not inherit them. */
static void manager_removed(sim_ctx *ctx, json_t *manager) {
    apitokens_revoke_owner(ctx, json_string_value(json_object_get(manager, "username")));
}

static const char *const manager_required[] = {"username", "password", NULL};
static const char *const manager_unique[] = {"username", NULL};
static const char *const manager_rendered[] = {"tenant_name", NULL};

const sim_collection coll_managers = {
    .name = "managers",
    .creatable = true,
    .writable = true,
    .required = manager_required,
    .unique = manager_unique,
    .patch_status = 200,
    .validate = manager_validate,
    .render = manager_render,
    .rendered = manager_rendered,
    .removed = manager_removed,
};
