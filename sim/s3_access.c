/* Bucket access rules; see s3_access.h. */
#include "s3_access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collections.h"
#include "s3_policy.h"
#include "store.h"

static const char *const object_actions[] = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", NULL};

static bool is_bucket_view(json_t *view) {
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(view, "protocols"), i, p) {
        if (json_is_string(p) && strcmp(json_string_value(p), "S3") == 0)
            return json_is_string(json_object_get(view, "bucket"));
    }
    return false;
}

static json_t *find_bucket(sim_ctx *ctx, const char *name) {
    sim_ids ids = {0};
    json_t *found = NULL;
    store_find(ctx->store, "views", "bucket", STORE_EQUAL, name, false, &ids);
    for (size_t i = 0; i < ids.n && !found; i++) {
        json_t *view = store_get(ctx->store, "views", ids.v[i]);
        if (is_bucket_view(view) && strcmp(json_string_value(json_object_get(view, "bucket")), name) == 0) found = view;
    }
    ids_free(&ids);
    return found;
}

/* The parsed documents of the user's enabled policies of one tenant (new array). */
static json_t *policies_in(sim_ctx *ctx, json_t *user, json_int_t tenant) {
    json_t *docs = json_array();
    size_t i;
    json_t *pid;
    json_array_foreach(json_object_get(user, "s3_policies_ids"), i, pid) {
        json_t *policy = store_get(ctx->store, "s3policies", json_integer_value(pid));
        if (!policy || !json_is_true(json_object_get(policy, "enabled")) ||
            json_integer_value(json_object_get(policy, "tenant_id")) != tenant)
            continue;
        char why[256];
        json_t *doc = s3_policy_parse(json_string_value(json_object_get(policy, "policy")), why, sizeof why);
        if (doc) json_array_append_new(docs, doc);
    }
    return docs;
}

static s3_policy_effect decide_all(json_t *docs, const char *action, const char *resource) {
    s3_policy_effect effect = S3_POLICY_NONE;
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc) {
        s3_policy_effect e = s3_policy_decide(doc, action, resource);
        if (e == S3_POLICY_DENY) return e;
        if (e == S3_POLICY_ALLOW) effect = e;
    }
    return effect;
}

/* The owner, or a superuser: a user of the local provider of the bucket's tenant. */
static bool owns(sim_ctx *ctx, json_t *user, json_t *view) {
    json_int_t tenant = json_integer_value(json_object_get(view, "tenant_id"));
    json_t *provider = json_object_get(user, "local_provider_id");
    json_int_t user_provider = provider ? json_integer_value(provider) : SIM_DEFAULT_PROVIDER_ID;
    if (user_provider != tenants_local_provider(ctx, tenant)) return false;
    if (json_is_true(json_object_get(user, "s3_superuser"))) return true;
    const char *owner = json_string_value(json_object_get(view, "bucket_owner"));
    return owner && strcmp(owner, json_string_value(json_object_get(user, "name"))) == 0;
}

static bool allowed(sim_ctx *ctx, json_t *user, json_t *view, json_t *docs, const char *action, const char *resource) {
    s3_policy_effect effect = decide_all(docs, action, resource);
    if (effect == S3_POLICY_DENY) return false;
    return effect == S3_POLICY_ALLOW || owns(ctx, user, view);
}

static void fill(s3_bucket *out, json_t *view) {
    out->name = sim_strdup(json_string_value(json_object_get(view, "bucket")));
    out->path = sim_strdup(json_string_value(json_object_get(view, "path")));
    const char *created = json_string_value(json_object_get(view, "created"));
    snprintf(out->created, sizeof out->created, "%s", created ? created : "");
}

int s3_access_check(s3_request *req, const char *bucket, const char *action, const char *key, s3_bucket *out,
                    s3_response *resp) {
    memset(out, 0, sizeof *out);
    json_t *view = find_bucket(req->ctx, bucket);
    if (!view) return s3_error(req, resp, 404, "NoSuchBucket", "The specified bucket does not exist");
    json_t *user = store_get(req->ctx->store, "users", req->user_id);
    bool ok = user && json_integer_value(json_object_get(view, "tenant_id")) == req->tenant_id;
    if (ok) {
        json_t *docs = policies_in(req->ctx, user, req->tenant_id);
        char *resource = key ? sim_printf("arn:aws:s3:::%s/%s", bucket, key) : sim_printf("arn:aws:s3:::%s", bucket);
        ok = allowed(req->ctx, user, view, docs, action, resource);
        free(resource);
        json_decref(docs);
    }
    if (!ok) return s3_error(req, resp, 403, "AccessDenied", "Access Denied");
    fill(out, view);
    return 0;
}

/* Whether the user may do anything with the bucket: list it, or an object action a
 * policy allows on some of its keys and does not deny on all of them. */
static bool usable(sim_ctx *ctx, json_t *user, json_t *view, json_t *docs) {
    const char *name = json_string_value(json_object_get(view, "bucket"));
    char *arn = sim_printf("arn:aws:s3:::%s", name), *objects = sim_printf("arn:aws:s3:::%s/", name),
         *every = sim_printf("arn:aws:s3:::%s/*", name);
    bool ok = owns(ctx, user, view) || allowed(ctx, user, view, docs, "s3:ListBucket", arn);
    for (size_t a = 0; !ok && object_actions[a]; a++) {
        for (size_t i = 0; !ok && i < json_array_size(docs); i++) {
            ok = s3_policy_allows_under(json_array_get(docs, i), object_actions[a], objects) &&
                 decide_all(docs, object_actions[a], every) != S3_POLICY_DENY;
        }
    }
    free(arn);
    free(objects);
    free(every);
    return ok;
}

s3_bucket *s3_access_buckets(s3_request *req, size_t *n) {
    *n = 0;
    /* the views with a bucket name: every key of the bucket index */
    sim_ids ids = {0};
    store_find(req->ctx->store, "views", "bucket", STORE_PREFIX, "", false, &ids);
    s3_bucket *out = calloc(ids.n + 1, sizeof *out);
    json_t *user = store_get(req->ctx->store, "users", req->user_id);
    if (!out) abort();
    if (!user) {
        ids_free(&ids);
        return out;
    }
    json_t *docs = policies_in(req->ctx, user, req->tenant_id);
    for (size_t i = 0; i < ids.n; i++) {
        json_t *view = store_get(req->ctx->store, "views", ids.v[i]);
        if (!is_bucket_view(view) || json_integer_value(json_object_get(view, "tenant_id")) != req->tenant_id) continue;
        if (usable(req->ctx, user, view, docs)) fill(&out[(*n)++], view);
    }
    ids_free(&ids);
    json_decref(docs);
    return out;
}

void s3_buckets_free(s3_bucket *buckets, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(buckets[i].name);
        free(buckets[i].path);
    }
    free(buckets);
}
