/* Making and removing a bucket: marked quota (which makes the directory), owner user,
 * S3 view; removed view, data, quota, and the owner last,
 * so that a retry after a crash anywhere finishes the job. docs/cosi.md gives the
 * order and why each step is safe to repeat. */
#include "vast_bucket_internal.h"
#include "vast_make.h"

#include "vk/fault.h"
#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool vast_bucket_lock(vast_ctx *ctx, const vast_bucket_ref *ref, int64_t deadline, char *key, size_t size,
                      vk_status *st) {
    snprintf(key, size, "vol:%s", ref->path);
    if (vk_keylock_acquire(ctx->locks, key, deadline)) return true;
    vk_status_set(st, VK_ABORTED, "another operation on bucket %s is in progress", ref->bucket);
    return false;
}

bool vast_tenant_provider(vast_ctx *ctx, vms_client *c, int64_t tenant_id, int64_t deadline, int64_t *provider_id,
                          vk_status *st) {
    vms_tenant tenant;
    if (!vms_clusters_tenant(ctx->clusters, c, tenant_id, deadline, &tenant, st)) return false;
    *provider_id = tenant.local_provider_id > 0 ? tenant.local_provider_id : 1; /* 1: VMS's built-in provider */
    vms_object_free(&tenant.obj);
    return true;
}

static vms_lookup find_user(vms_client *c, const char *name, int64_t provider_id, int64_t deadline, vms_user *out,
                            vms_error *err) {
    char provider[24];
    snprintf(provider, sizeof provider, "%" PRId64, provider_id);
    return vms_user_find(c, VMS_FILTERS("name", name, "local_provider_id", provider), out, deadline, err);
}

bool vast_user_ensure(vms_client *c, const char *name, int64_t provider_id, json_t *extra, int64_t deadline,
                      vms_user *out, vk_status *st) {
    vms_error err;
    vms_user_spec spec = {.name = name, .local_provider_id = provider_id, .extra = extra};
    if (vms_user_create(c, &spec, out, deadline, &err)) return true;
    if (!vms_error_is_unique_violation(&err)) {
        vms_fail(st, &err, "creating user %s", name);
        return false;
    }
    /* an earlier attempt made it: the name carries the mark, so it is that user */
    vms_lookup found = find_user(c, name, provider_id, deadline, out, &err);
    if (found == VMS_FOUND) return true;
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading user %s", name);
    } else {
        vk_status_set(st, VK_ABORTED, "user %s was refused as a duplicate but is not there; retry", name);
    }
    return false;
}

bool vast_user_remove(vms_client *c, const char *name, int64_t provider_id, int64_t deadline, vk_status *st) {
    vms_user user = {0};
    vms_error err;
    vms_lookup found = find_user(c, name, provider_id, deadline, &user, &err);
    if (found == VMS_FOUND) found = vms_user_delete(c, user.obj.id, deadline, &err);
    vms_object_free(&user.obj);
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "deleting user %s", name);
        return false;
    }
    return true;
}

/* The owner a bucket's view names: one per bucket, made and removed with it. */
static void owner_name(const vast_bucket_ref *ref, char *out, size_t size) {
    vast_owner_identity_name(VAST_OWNED_BUCKET_OWNER, ref->tenant_id, ref->path, ref->bucket, out, size);
}

vk_code vast_bucket_target_open(vast_ctx *ctx, const char *bucket_id, vk_strmap secrets, int64_t deadline,
                                vast_bucket_target *t, vk_status *st) {
    memset(t, 0, sizeof *t);
    if (!vast_bucket_id_parse(bucket_id, &t->ref) || vast_path_classify(ctx->roots, t->ref.path) != VAST_PATH_VOLUME) {
        return vk_status_set(st, VK_NOT_FOUND,
                             "\"%s\" is not a bucket id of this driver (vb1:<cluster>:<tenant>:<path>?<endpoint>, "
                             "under one of --root-exports)",
                             bucket_id);
    }
    if (!vms_clusters_client(ctx->clusters, secrets, t->ref.cluster[0] ? t->ref.cluster : NULL, &t->client, st)) {
        t->unreachable = true;
        t->client = NULL;
        char why[VK_STATUS_MESSAGE_MAX];
        snprintf(why, sizeof why, "%s", st->message);
        return vk_status_set(st, VK_NOT_FOUND, "bucket %s: cluster \"%s\" cannot be reached: %s", t->ref.bucket,
                             t->ref.cluster, why);
    }
    vms_quota quota = {0};
    vms_error err;
    vms_lookup found = vms_quota_find_by_path(t->client, t->ref.path, t->ref.tenant_id, &quota, deadline, &err);
    bool ours = found == VMS_FOUND && quota.obj.tenant_id == t->ref.tenant_id &&
                vast_owner_name_is_ours(VAST_OWNED_BUCKET, t->ref.tenant_id, t->ref.path, quota.obj.name);
    if (ours) t->quota_id = quota.obj.id;
    vms_object_free(&quota.obj);
    if (found == VMS_FAILED) return vms_fail(st, &err, "looking up bucket %s", t->ref.bucket);
    if (!ours) {
        return vk_status_set(st, VK_NOT_FOUND, "bucket %s: %s on %s holds no bucket of this driver", t->ref.bucket,
                             t->ref.path, vms_client_endpoint(t->client));
    }
    return VK_OK;
}

void vast_bucket_target_close(vast_bucket_target *t) {
    if (t->client) vms_client_free(t->client);
    t->client = NULL;
}

/* ---- create ---- */

/* The bucket's id and where it lives, from the class parameters. */
static bool bucket_ref_from_params(vast_ctx *ctx, const char *bucket, const vast_bucket_params *p, int64_t tenant_id,
                                   vast_bucket_ref *ref, vk_status *st) {
    memset(ref, 0, sizeof *ref);
    char root[VAST_PATH_MAX];
    if (!vast_root_export_resolve(ctx, p->root_export, root, sizeof root, st)) return false;
    int n = snprintf(ref->path, sizeof ref->path, "%s/%s", strcmp(root, "/") == 0 ? "" : root, bucket);
    if (n < 0 || (size_t)n >= sizeof ref->path) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "BucketClass parameter root_export %s is too long", root);
        return false;
    }
    snprintf(ref->cluster, sizeof ref->cluster, "%s", p->cluster_name ? p->cluster_name : "");
    snprintf(ref->bucket, sizeof ref->bucket, "%s", bucket);
    ref->tenant_id = tenant_id;
    snprintf(ref->pool, sizeof ref->pool, "%s", p->vip_pool_name ? p->vip_pool_name : "");
    snprintf(ref->url, sizeof ref->url, "%s", p->s3_endpoint ? p->s3_endpoint : "");
    snprintf(ref->scheme, sizeof ref->scheme, "%s", p->s3_endpoint ? "" : p->scheme);
    ref->port = p->s3_endpoint ? 0 : p->s3_port;
    snprintf(ref->region, sizeof ref->region, "%s", p->region);
    return true;
}

/* The S3 bucket name is unique across the cluster: one taken by a view elsewhere (an
 * administrator's bucket, another tenant's) is refused before anything is made. */
static bool refuse_taken_name(vms_client *c, const char *what, const vast_bucket_ref *ref, int64_t deadline,
                              vk_status *st) {
    vms_view view = {0};
    vms_error err;
    vms_lookup found = vms_view_find(c, VMS_FILTERS("bucket", ref->bucket), &view, deadline, &err);
    bool elsewhere = found == VMS_FOUND && (strcmp(view.path, ref->path) != 0 || view.obj.tenant_id != ref->tenant_id);
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "looking up the S3 bucket name of %s", what);
    } else if (elsewhere) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "%s: the S3 bucket name is taken on %s by view %s (path %s, tenant %s); bucket names are "
                      "unique across the cluster, so use another BucketClaim name",
                      what, vms_client_endpoint(c), view.obj.name, view.path, view.obj.tenant_name);
    }
    vms_object_free(&view.obj);
    return found != VMS_FAILED && !elsewhere;
}

/* Quota (which makes the directory), owner, view: each made or found, under the
 * path's lock. The quota goes first so that a directory someone else holds is refused
 * before anything of the bucket exists. */
static vk_code create_locked(vast_ctx *ctx, vms_client *c, const char *what, const vast_bucket_params *p,
                             const vms_policy_ref *policy, const vast_bucket_ref *ref, int64_t deadline,
                             vk_status *st) {
    if (!refuse_taken_name(c, what, ref, deadline, st)) return st->code;
    char quota_name[VAST_NAME_MAX + 1];
    vast_owner_name(VAST_OWNED_BUCKET, ref->tenant_id, ref->path, ref->bucket, quota_name, sizeof quota_name);
    vms_quota_spec quota = {.name = quota_name, .path = ref->path, .tenant_id = ref->tenant_id,
                            .hard_limit = p->quota, .create_dir = true};
    int64_t created_quota;
    if (!vast_ensure_quota(c, &quota, what, deadline, &created_quota, st) ||
        !vast_refuse_foreign_contents(c, ref->path, what, quota_name, created_quota, deadline, st) ||
        vk_fault_point("cosi.create.after_quota", st)) {
        return st->code;
    }
    int64_t provider;
    if (!vast_tenant_provider(ctx, c, ref->tenant_id, deadline, &provider, st)) return st->code;
    char owner[VAST_NAME_MAX + 1];
    owner_name(ref, owner, sizeof owner);
    vms_user user = {0};
    bool ok = vast_user_ensure(c, owner, provider, NULL, deadline, &user, st);
    vms_object_free(&user.obj);
    if (!ok || vk_fault_point("cosi.create.after_owner", st)) return st->code;
    const char *protocols[] = {"S3", NULL};
    vms_view_spec view = {.path = ref->path, .policy_id = policy->id, .protocols = protocols,
                          .tenant_id = ref->tenant_id, .bucket = ref->bucket, .bucket_owner = owner};
    if (!vast_ensure_view(c, &view, what, deadline, st) || vk_fault_point("cosi.create.after_view", st)) {
        return st->code;
    }
    return VK_OK;
}

vk_code vast_bucket_create(vast_ctx *ctx, const char *name, vk_strmap params, vk_strmap secrets, int64_t deadline,
                           vast_bucket_result *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    vast_bucket_params p;
    char bucket[VAST_BUCKET_NAME_MAX + 1];
    if (!vast_bucket_params_parse(params, &p, st)) return st->code;
    if (!vast_bucket_name_from_cosi(name, bucket, sizeof bucket)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "bucket name \"%s\" gives no usable S3 bucket name",
                             name ? name : "");
    }
    vms_client *c = NULL;
    if (!vms_clusters_client(ctx->clusters, secrets, p.cluster_name, &c, st)) return st->code;
    char what[VAST_BUCKET_NAME_MAX + 16];
    snprintf(what, sizeof what, "bucket %s", bucket);
    vms_policy_ref policy;
    vast_bucket_ref ref;
    vk_code code;
    vms_vippool pool = {0};
    if (!vms_clusters_view_policy(ctx->clusters, c, p.view_policy, deadline, &policy, st)) {
        code = vast_bad_reference(st, "the BucketClass", "view_policy");
    } else if (p.vip_pool_name && !vms_clusters_vippool(ctx->clusters, c, p.vip_pool_name, deadline, &pool, st)) {
        /* grants take their endpoint from it: a pool that is not there is the class's mistake */
        code = vast_bad_reference(st, "the BucketClass", "vip_pool_name");
    } else if (!bucket_ref_from_params(ctx, bucket, &p, policy.tenant_id, &ref, st)) {
        code = st->code;
    } else if (!vast_bucket_id_format(&ref, out->bucket_id, sizeof out->bucket_id)) {
        code = vk_status_set(st, VK_INVALID_ARGUMENT, "the bucket id of %s would exceed %d bytes", bucket,
                             VAST_BUCKET_ID_MAX);
    } else {
        char lock_key[VAST_PATH_MAX + 8];
        if (!vast_bucket_lock(ctx, &ref, deadline, lock_key, sizeof lock_key, st)) {
            code = st->code;
        } else {
            code = create_locked(ctx, c, what, &p, &policy, &ref, deadline, st);
            vk_keylock_release(ctx->locks, lock_key);
        }
    }
    vms_object_free(&pool.obj);
    if (code == VK_OK) {
        snprintf(out->bucket, sizeof out->bucket, "%s", bucket);
        snprintf(out->region, sizeof out->region, "%s", p.region);
        VK_LOG(VK_LOG_INFO, "bucket ready", "bucket", bucket, "path", ref.path, "cluster", vms_client_endpoint(c));
    }
    vms_client_free(c);
    return code;
}

/* ---- delete ---- */

vk_code vast_bucket_delete(vast_ctx *ctx, const char *bucket_id, vk_strmap secrets, int64_t deadline, vk_status *st) {
    vast_bucket_ref ref;
    if (!vast_bucket_id_parse(bucket_id, &ref)) {
        VK_LOG(VK_LOG_WARN, "not a bucket id of this driver: nothing deleted", "bucket_id", bucket_id);
        return VK_OK;
    }
    char lock_key[VAST_PATH_MAX + 8];
    if (!vast_bucket_lock(ctx, &ref, deadline, lock_key, sizeof lock_key, st)) return st->code;
    vast_bucket_target t;
    vk_code code = vast_bucket_target_open(ctx, bucket_id, secrets, deadline, &t, st);
    if (code == VK_NOT_FOUND && t.unreachable) {
        code = st->code = VK_FAILED_PRECONDITION; /* whether it is gone cannot be told */
    } else if (code == VK_NOT_FOUND && !t.client) {
        code = VK_OK; /* not an id of a path of ours */
    } else if (code == VK_NOT_FOUND) {
        /* not ours, or gone; a crash after the quota went may have left the owner,
         * whose marked name only this driver makes */
        code = VK_OK;
        int64_t provider;
        char owner[VAST_NAME_MAX + 1];
        owner_name(&t.ref, owner, sizeof owner);
        vms_view view = {0};
        vms_error err;
        /* the owner goes only when no view still names it (a foreign view there is not ours) */
        vms_lookup viewed = vms_view_find(t.client, VMS_FILTERS("bucket", t.ref.bucket), &view, deadline, &err);
        bool named = viewed == VMS_FOUND && strcmp(view.bucket_owner, owner) == 0;
        vms_object_free(&view.obj);
        if (viewed == VMS_FAILED) {
            code = vms_fail(st, &err, "looking up the view of bucket %s", t.ref.bucket);
        } else if (!named && (!vast_tenant_provider(ctx, t.client, t.ref.tenant_id, deadline, &provider, st) ||
                              !vast_user_remove(t.client, owner, provider, deadline, st))) {
            code = st->code == VK_NOT_FOUND ? VK_OK : st->code;
        }
    } else if (code == VK_OK) {
        vast_delete_outcome outcome;
        code = vast_marked_path_delete_locked(ctx, t.client, t.ref.path, t.ref.tenant_id, VAST_OWNED_BUCKET, deadline,
                                              &outcome, st);
        int64_t provider;
        char owner[VAST_NAME_MAX + 1];
        owner_name(&t.ref, owner, sizeof owner);
        /* a quota that is not ours keeps everything, the owner it might name included;
         * with no quota the owner is what a crash after the quota's deletion left */
        if (code == VK_OK && outcome == VAST_DELETE_FOREIGN) {
            VK_LOG(VK_LOG_WARN, "bucket not deleted: the quota at its path is not this driver's", "bucket",
                   t.ref.bucket);
        } else if (code == VK_OK && (vk_fault_point("cosi.delete.after_quota", st) ||
                              !vast_tenant_provider(ctx, t.client, t.ref.tenant_id, deadline, &provider, st) ||
                              !vast_user_remove(t.client, owner, provider, deadline, st))) {
            code = st->code;
        }
        if (code == VK_OK && outcome != VAST_DELETE_FOREIGN) {
            VK_LOG(VK_LOG_INFO, "bucket deleted", "bucket", t.ref.bucket, "cluster", vms_client_endpoint(t.client));
        }
    }
    vast_bucket_target_close(&t);
    vk_keylock_release(ctx->locks, lock_key);
    return code;
}
