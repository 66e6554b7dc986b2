/* Granting and revoking bucket access: an S3 identity policy scoped to the bucket, a
 * local user holding that policy alone, and one key of that user in the bucket's
 * tenant. Granted in that order (a key never exists without its policy), revoked in
 * the reverse (the user with its keys, then the policy). docs/cosi.md gives the order
 * and why a retry is safe. */
#include "vast_bucket_internal.h"

#include "vk/fault.h"
#include "vk/hash.h"
#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void vast_access_result_clear(vast_access_result *r) { explicit_bzero(r, sizeof *r); }

/* [A-Za-z0-9._-]{1,128}: what COSI account names are ("ba-<uid>"), and all a user
 * name needs. */
static bool account_name_valid(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 128) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                     c == '_' || c == '-';
        if (!plain) return false;
    }
    return true;
}

/* The policy document: the bucket and its objects, all actions or the reading ones.
 * Deterministic text, so a replay can tell its own policy from a changed one. */
static char *policy_document(const char *bucket, bool read_only) {
    json_t *actions = read_only ? json_pack("[s,s,s]", "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation")
                                : json_pack("[s]", "s3:*");
    char *bucket_arn = NULL, *objects_arn = NULL;
    if (asprintf(&bucket_arn, "arn:aws:s3:::%s", bucket) < 0 || asprintf(&objects_arn, "arn:aws:s3:::%s/*", bucket) < 0)
        abort();
    json_t *doc = json_pack("{s:s, s:[{s:s, s:s, s:o, s:[s,s]}]}", "Version", "2012-10-17", "Statement", "Sid",
                            read_only ? "VastK8sBucketReadOnly" : "VastK8sBucketReadWrite", "Effect", "Allow",
                            "Action", actions, "Resource", bucket_arn, objects_arn);
    free(bucket_arn);
    free(objects_arn);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    if (!text) abort();
    return text;
}

/* Two documents alike once parsed (VMS may store the text respaced). */
static bool policy_equal(const char *stored, const char *wanted) {
    json_t *a = json_loads(stored, 0, NULL), *b = json_loads(wanted, 0, NULL);
    bool same = a && b && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

/* The policy named `name` in the tenant, made or found; ALREADY_EXISTS when it exists
 * with another document (the same account asked for another access mode). */
static bool ensure_policy(vms_client *c, const char *name, int64_t tenant_id, const char *document, int64_t deadline,
                          int64_t *policy_id, vk_status *st) {
    vms_error err;
    vms_s3policy policy = {0};
    json_t *body = json_pack("{s:s, s:s, s:I}", "name", name, "policy", document, "tenant_id", (json_int_t)tenant_id);
    bool made = vms_s3policy_create(c, body, &policy, deadline, &err);
    json_decref(body);
    if (!made && !vms_error_is_unique_violation(&err)) {
        vms_fail(st, &err, "creating S3 policy %s", name);
        return false;
    }
    vms_lookup found = VMS_FOUND;
    if (!made) {
        char tenant[24];
        snprintf(tenant, sizeof tenant, "%" PRId64, tenant_id);
        found = vms_s3policy_find(c, VMS_FILTERS("name", name, "tenant_id", tenant), &policy, deadline, &err);
    }
    bool ok = false;
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading S3 policy %s", name);
    } else if (found == VMS_MISSING) {
        vk_status_set(st, VK_ABORTED, "S3 policy %s was refused as a duplicate but is not there; retry", name);
    } else if (!made && !policy_equal(policy.policy, document)) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "account %s already has access to this bucket with another access mode; delete that "
                      "BucketAccess first",
                      name);
    } else {
        *policy_id = policy.obj.id;
        ok = true;
    }
    vms_object_free(&policy.obj);
    return ok;
}

/* The access's user, holding the policy (put back when someone detached it). */
static bool ensure_user(vms_client *c, const char *name, int64_t provider_id, int64_t policy_id, int64_t deadline,
                        vms_user *user, vk_status *st) {
    json_t *extra = json_pack("{s:[I]}", "s3_policies_ids", (json_int_t)policy_id);
    bool ok = vast_user_ensure(c, name, provider_id, extra, deadline, user, st);
    json_decref(extra);
    if (!ok || vms_user_has_s3_policy(user, policy_id)) return ok;
    vms_error err;
    json_t *changes = json_pack("{s:[I]}", "s3_policies_ids", (json_int_t)policy_id);
    vms_user updated = {0};
    ok = vms_user_update(c, user->obj.id, changes, &updated, deadline, &err);
    json_decref(changes);
    if (!ok) {
        vms_fail(st, &err, "attaching S3 policy %s to user %s", name, name);
        return false;
    }
    VK_LOG(VK_LOG_WARN, "the access user had lost its S3 policy: attached again", "user", name);
    vms_object_free(&user->obj);
    *user = updated;
    return true;
}

/* Deletes every key the user has in the tenant: VAST shows a secret only once, so a
 * replayed grant cannot return an earlier key, and an earlier key must not stay active
 * next to the new one. */
static bool drop_keys(vms_client *c, const vms_user *user, int64_t tenant_id, int64_t deadline, vk_status *st) {
    enum { MAX_KEYS = 16 };
    const char *keys[MAX_KEYS];
    size_t n = vms_user_access_keys(user, tenant_id, keys, MAX_KEYS);
    for (size_t i = 0; i < n && i < MAX_KEYS; i++) {
        vms_error err;
        if (vms_access_key_delete(c, user->obj.id, keys[i], deadline, &err) == VMS_FAILED) {
            vms_fail(st, &err, "deleting an earlier S3 key of user %s", user->obj.name);
            return false;
        }
    }
    if (n > MAX_KEYS) {
        /* more than any replay makes: the next grant deletes the rest */
        vk_status_set(st, VK_ABORTED, "user %s has %zu S3 keys; deleted %d of them, retry", user->obj.name, n,
                      MAX_KEYS);
        return false;
    }
    return true;
}

/* Where pods reach the bucket: the fixed URL, or a VIP of the pool as it is now (the
 * account's hash picks one, so accesses spread over the pool and a replay picks the
 * same). */
static bool endpoint_for(vast_ctx *ctx, vms_client *c, const vast_bucket_ref *ref, const char *account,
                         int64_t deadline, char *out, size_t size, vk_status *st) {
    if (ref->url[0]) {
        snprintf(out, size, "%s", ref->url);
        return true;
    }
    vms_vippool pool;
    if (!vms_clusters_vippool(ctx->clusters, c, ref->pool, deadline, &pool, st)) {
        if (st->code == VK_NOT_FOUND) {
            vk_status_set(st, VK_FAILED_PRECONDITION,
                          "bucket %s: its VIP pool %s is not on %s (it was when the bucket was made); create it "
                          "again, or give the bucket's class another pool",
                          ref->bucket, ref->pool, vms_client_endpoint(c));
        }
        return false;
    }
    size_t count = vms_vippool_ip_count(&pool);
    char ip[64];
    bool ok = count > 0 &&
              vms_vippool_ip_at(&pool, vk_fnv1a64(VK_FNV1A64_INIT, account, strlen(account)) % count, ip, sizeof ip);
    vms_object_free(&pool.obj);
    if (!ok) {
        vk_status_set(st, VK_FAILED_PRECONDITION, "bucket %s: VIP pool %s on %s has no usable address", ref->bucket,
                      ref->pool, vms_client_endpoint(c));
        return false;
    }
    bool v6 = strchr(ip, ':') != NULL;
    char port[8] = "";
    if (ref->port) snprintf(port, sizeof port, ":%d", ref->port);
    snprintf(out, size, "%s://%s%s%s%s", ref->scheme, v6 ? "[" : "", ip, v6 ? "]" : "", port);
    return true;
}

static vk_code grant_locked(vast_ctx *ctx, const vast_bucket_target *t, const char *account, bool read_only,
                            int64_t deadline, vast_access_result *out, vk_status *st) {
    vms_client *c = t->client;
    const vast_bucket_ref *ref = &t->ref;
    int64_t provider, policy_id = 0;
    /* everything that can refuse the grant comes before anything is made: a refused
     * grant hands the sidecar no account to revoke, so it must leave nothing behind */
    if (!endpoint_for(ctx, c, ref, account, deadline, out->endpoint, sizeof out->endpoint, st) ||
        !vast_tenant_provider(ctx, c, ref->tenant_id, deadline, &provider, st)) {
        return st->code;
    }
    vast_owner_identity_name(VAST_OWNED_ACCESS, ref->tenant_id, ref->path, account, out->account_id,
                             sizeof out->account_id);
    char *document = policy_document(ref->bucket, read_only);
    bool ok = ensure_policy(c, out->account_id, ref->tenant_id, document, deadline, &policy_id, st);
    free(document);
    if (!ok || vk_fault_point("cosi.grant.after_policy", st)) return st->code;
    vms_user user = {0};
    ok = ensure_user(c, out->account_id, provider, policy_id, deadline, &user, st) &&
         !vk_fault_point("cosi.grant.after_user", st) && drop_keys(c, &user, ref->tenant_id, deadline, st) &&
         !vk_fault_point("cosi.grant.after_old_keys", st);
    vms_access_key key;
    vms_error err;
    if (ok && !vms_access_key_create(c, user.obj.id, ref->tenant_id, &key, deadline, &err)) {
        vms_fail(st, &err, "creating the S3 key of account %s", out->account_id);
        ok = false;
    }
    vms_object_free(&user.obj);
    if (!ok) return st->code;
    snprintf(out->access_key, sizeof out->access_key, "%s", key.access_key);
    snprintf(out->secret_key, sizeof out->secret_key, "%s", key.secret_key);
    vms_access_key_clear(&key);
    if (vk_fault_point("cosi.grant.after_key", st)) return st->code;
    snprintf(out->region, sizeof out->region, "%s", ref->region);
    return VK_OK;
}

vk_code vast_access_grant(vast_ctx *ctx, const char *bucket_id, const char *name, vk_strmap params,
                          vk_strmap secrets, int64_t deadline, vast_access_result *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    vast_access_params p;
    if (!vast_access_params_parse(params, &p, st)) return st->code;
    if (!account_name_valid(name)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "account name \"%s\" must be 1-128 of [A-Za-z0-9._-]",
                             name ? name : "");
    }
    vast_bucket_ref ref;
    if (!vast_bucket_id_parse(bucket_id, &ref)) {
        return vk_status_set(st, VK_NOT_FOUND, "\"%s\" is not a bucket id of this driver", bucket_id);
    }
    char lock_key[VAST_PATH_MAX + 8];
    if (!vast_bucket_lock(ctx, &ref, deadline, lock_key, sizeof lock_key, st)) return st->code;
    vast_bucket_target t;
    vk_code code = vast_bucket_target_open(ctx, bucket_id, secrets, deadline, &t, st);
    if (code == VK_OK) code = grant_locked(ctx, &t, name, p.read_only, deadline, out, st);
    if (code == VK_OK) {
        VK_LOG(VK_LOG_INFO, "bucket access granted", "bucket", t.ref.bucket, "account", out->account_id, "mode",
               p.read_only ? "ReadOnly" : "ReadWrite", "endpoint", out->endpoint);
    } else {
        vast_access_result_clear(out);
    }
    vast_bucket_target_close(&t);
    vk_keylock_release(ctx->locks, lock_key);
    return code;
}

/* ---- revoke ---- */

static vk_code revoke_on(vast_ctx *ctx, vms_client *c, const vast_bucket_ref *ref, const char *account_id, int64_t deadline,
                         vk_status *st) {
    int64_t provider;
    if (!vast_tenant_provider(ctx, c, ref->tenant_id, deadline, &provider, st)) {
        return st->code == VK_NOT_FOUND ? VK_OK : st->code; /* the tenant is gone, and all in it */
    }
    if (!vast_user_remove(c, account_id, provider, deadline, st) || vk_fault_point("cosi.revoke.after_user", st)) {
        return st->code;
    }
    char tenant[24];
    snprintf(tenant, sizeof tenant, "%" PRId64, ref->tenant_id);
    vms_s3policy policy = {0};
    vms_error err;
    vms_lookup found =
        vms_s3policy_find(c, VMS_FILTERS("name", account_id, "tenant_id", tenant), &policy, deadline, &err);
    if (found == VMS_FOUND) found = vms_s3policy_delete(c, policy.obj.id, deadline, &err);
    vms_object_free(&policy.obj);
    if (found == VMS_FAILED) return vms_fail(st, &err, "deleting S3 policy %s", account_id);
    return VK_OK;
}

vk_code vast_access_revoke(vast_ctx *ctx, const char *bucket_id, const char *account_id, vk_strmap secrets,
                           int64_t deadline, vk_status *st) {
    vast_bucket_ref ref;
    /* an account is ours only when its name carries the mark of this bucket's tenant
     * and path: anything else names nothing this driver made, so it is revoked */
    if (!vast_bucket_id_parse(bucket_id, &ref) ||
        !vast_owner_identity_is_ours(VAST_OWNED_ACCESS, ref.tenant_id, ref.path, account_id)) {
        VK_LOG(VK_LOG_WARN, "not an account of this driver's bucket: nothing revoked", "bucket_id", bucket_id,
               "account_id", account_id);
        return VK_OK;
    }
    /* no ownership of the bucket is needed: the account's mark is the proof, and a
     * bucket deleted first must still let its accesses go */
    vms_client *c = NULL;
    if (!vms_clusters_client(ctx->clusters, secrets, ref.cluster[0] ? ref.cluster : NULL, &c, st)) {
        char why[VK_STATUS_MESSAGE_MAX];
        snprintf(why, sizeof why, "%s", st->message);
        return vk_status_set(st, VK_FAILED_PRECONDITION, "account %s: cluster \"%s\" cannot be reached: %s",
                             account_id, ref.cluster, why);
    }
    char lock_key[VAST_PATH_MAX + 8];
    vk_code code;
    if (!vast_bucket_lock(ctx, &ref, deadline, lock_key, sizeof lock_key, st)) {
        code = st->code;
    } else {
        code = revoke_on(ctx, c, &ref, account_id, deadline, st);
        vk_keylock_release(ctx->locks, lock_key);
    }
    if (code == VK_OK) VK_LOG(VK_LOG_INFO, "bucket access revoked", "bucket", ref.bucket, "account", account_id);
    vms_client_free(c);
    return code;
}
