/* Authentication; see auth.h.
 *
 * Sessions live in the persisted section "sessions":
 *   {"access": {"<token>": {"user": "admin", "exp": <epoch ms>}}, "refresh": {...}} */
#include "auth.h"

#include <string.h>

#include "collections.h"
#include "stats.h"
#include "store.h"
#include "support.h"

/* Refresh tokens last a day (Simple JWT's default), or longer than access tokens. */
#define REFRESH_LIFETIME_MIN_S 86400

static const char *const token_invalid = "Token is invalid or expired";

const sim_user *auth_find_user(const sim_ctx *ctx, const char *name) {
    for (size_t i = 0; name && i < ctx->cfg.n_users; i++) {
        if (strcmp(ctx->cfg.users[i].name, name) == 0) return &ctx->cfg.users[i];
    }
    return NULL;
}

/* Who may log in: a --user account, else a manager of managers/ (the two share one
 * name space: managers/ refuses a username that a --user account has). */
typedef struct {
    const char *name;
    bool readonly;
    json_int_t tenant; /* a TENANT_ADMIN's tenant; 0 = a cluster admin */
} principal;

static bool find_principal(sim_ctx *ctx, const char *name, principal *out) {
    const sim_user *user = auth_find_user(ctx, name);
    if (user) {
        *out = (principal){.name = user->name, .readonly = user->readonly};
        return true;
    }
    json_t *manager = name ? managers_find(ctx, name) : NULL;
    if (!manager) return false;
    *out = (principal){.name = json_string_value(json_object_get(manager, "username")),
                       .tenant = managers_tenant(manager)};
    return true;
}

static bool check_password(sim_ctx *ctx, const char *name, const char *password, principal *out) {
    if (!password || !find_principal(ctx, name, out)) return false;
    const sim_user *user = auth_find_user(ctx, name);
    if (user) return strcmp(user->password, password) == 0;
    return managers_check_password(managers_find(ctx, name), password);
}

static void act_as(sim_request *req, const principal *who) {
    req->user = who->name;
    req->readonly = who->readonly;
    req->confined_tenant = who->tenant;
}

static json_t *sessions(sim_ctx *ctx, const char *kind) {
    json_t *section = store_section(ctx->store, "sessions");
    json_t *table = json_object_get(section, kind);
    if (!table) {
        table = json_object();
        json_object_set_new(section, kind, table);
    }
    return table;
}

/* Forgets expired tokens, so the state does not grow with every login. */
static void prune(sim_ctx *ctx, const char *kind, json_t *table, int64_t now) {
    const char *token;
    json_t *entry;
    void *tmp;
    json_object_foreach_safe(table, tmp, token, entry) {
        if (json_integer_value(json_object_get(entry, "exp")) > now) continue;
        store_section_changed(ctx->store, "sessions", kind, token); /* before token's storage goes */
        json_object_del(table, token);
    }
}

static void issue(sim_ctx *ctx, const char *kind, const char *user, int64_t lifetime_s, char out[65]) {
    int64_t now = sim_now_ms();
    json_t *table = sessions(ctx, kind);
    prune(ctx, kind, table, now);
    sim_random_hex(out, 32);
    json_object_set_new(table, out, json_pack("{s:s, s:I}", "user", user, "exp", (json_int_t)(now + lifetime_s * 1000)));
    /* one session in the journal, not the table: a login costs the same however many live */
    store_section_changed(ctx->store, "sessions", kind, out);
}

/* The user of a live token of the given kind, or NULL. */
static const char *session_user(sim_ctx *ctx, const char *kind, const char *token) {
    json_t *entry = token ? json_object_get(sessions(ctx, kind), token) : NULL;
    if (!entry || json_integer_value(json_object_get(entry, "exp")) <= sim_now_ms()) return NULL;
    return json_string_value(json_object_get(entry, "user"));
}

static int answer_tokens(sim_request *req, const char *user, sim_response *resp) {
    sim_ctx *ctx = req->ctx;
    char access[65], refresh[65];
    long refresh_s = ctx->cfg.token_lifetime_s > REFRESH_LIFETIME_MIN_S ? ctx->cfg.token_lifetime_s : REFRESH_LIFETIME_MIN_S;
    issue(ctx, "access", user, ctx->cfg.token_lifetime_s, access);
    issue(ctx, "refresh", user, refresh_s, refresh);
    stats_count_token(ctx->stats);
    return sim_ok(resp, 200, json_pack("{s:s, s:s}", "access", access, "refresh", refresh));
}

int auth_token_endpoint(sim_request *req, bool refresh, sim_response *resp) {
    if (strcmp(req->method, "POST") != 0) return sim_reply_detail(resp, 405, "Method \"%s\" not allowed.", req->method);
    json_t *body = json_is_object(req->body) ? req->body : NULL;
    if (refresh) {
        const char *token = json_string_value(json_object_get(body, "refresh"));
        if (!token) return sim_reply_field_error(resp, "refresh", "This field is required.");
        principal who;
        if (!find_principal(req->ctx, session_user(req->ctx, "refresh", token), &who))
            return sim_reply_detail(resp, 401, "%s", token_invalid);
        return answer_tokens(req, who.name, resp);
    }
    const char *name = json_string_value(json_object_get(body, "username"));
    const char *password = json_string_value(json_object_get(body, "password"));
    json_t *missing = json_object();
    if (!name) json_object_set_new(missing, "username", json_pack("[s]", "This field is required."));
    if (!password) json_object_set_new(missing, "password", json_pack("[s]", "This field is required."));
    if (json_object_size(missing) > 0) return sim_reply(resp, 400, missing);
    json_decref(missing);
    principal who;
    if (!check_password(req->ctx, name, password, &who))
        return sim_reply_detail(resp, 401, "No active account found with the given credentials");
    return answer_tokens(req, who.name, resp);
}

/* An API token given by flag, or a live one made with POST apitokens/. */
static const char *api_token_user(sim_ctx *ctx, const char *token) {
    for (size_t i = 0; i < ctx->cfg.n_api_tokens; i++) {
        if (strcmp(ctx->cfg.api_tokens[i], token) == 0) return "api-token";
    }
    sim_ids ids = {0};
    store_find(ctx->store, "apitokens", "_token", STORE_EQUAL, token, false, &ids);
    const char *user = NULL;
    for (size_t i = 0; i < ids.n; i++) {
        json_t *obj = store_get(ctx->store, "apitokens", ids.v[i]);
        const char *have = json_string_value(json_object_get(obj, "_token"));
        if (!have || strcmp(have, token) != 0 || json_is_true(json_object_get(obj, "revoked"))) continue;
        int64_t expiry;
        if (!sim_parse_iso8601(json_string_value(json_object_get(obj, "expiry_date")), &expiry) || expiry > sim_now_ms()) {
            const char *owner = json_string_value(json_object_get(obj, "owner"));
            user = owner && *owner ? owner : "api-token";
        }
        break; /* the first live match decides, expired or not */
    }
    ids_free(&ids);
    return user;
}

static bool has_scheme(const char *header, const char *scheme, const char **rest) {
    size_t n = strlen(scheme);
    if (strncasecmp(header, scheme, n) != 0 || header[n] != ' ') return false;
    *rest = header + n + 1;
    while (**rest == ' ') (*rest)++;
    return true;
}

int auth_authenticate(sim_request *req, sim_response *resp) {
    sim_ctx *ctx = req->ctx;
    const char *header = req->authorization, *credential;
    principal who;
    if (req->basic_user) {
        if (!check_password(ctx, req->basic_user, req->basic_password, &who))
            return sim_reply_detail(resp, 403, "Invalid username/password.");
        act_as(req, &who);
        return 0;
    }
    if (header && has_scheme(header, "Bearer", &credential)) {
        if (!find_principal(ctx, session_user(ctx, "access", credential), &who))
            return sim_reply_detail(resp, 403, "%s", token_invalid);
        act_as(req, &who);
        return 0;
    }
    if (header && has_scheme(header, "Api-Token", &credential)) {
        const char *owner = api_token_user(ctx, credential);
        if (!owner) return sim_reply_detail(resp, 403, "Invalid token.");
        /* A token acts with its owner's rights, so a tenant admin's stays in its tenant
         * (a deleted manager's tokens are revoked with it). Flag tokens and owners that
         * are no account act as cluster admins, as they always did. */
        if (find_principal(ctx, owner, &who)) act_as(req, &who);
        else req->user = owner;
        req->readonly = false;
        return 0;
    }
    if (header && *header) return sim_reply_detail(resp, 403, "Invalid authorization header.");
    return sim_reply_detail(resp, 403, "Authentication credentials were not provided.");
}

void auth_expire_access_tokens(sim_ctx *ctx) {
    const char *token;
    json_t *entry;
    json_object_foreach(sessions(ctx, "access"), token, entry) {
        json_object_set_new(entry, "exp", json_integer(0));
    }
    store_section_changed(ctx->store, "sessions", "access", NULL);
}
