#include "apply.h"
#include "children.h"
#include "clusters.h"
#include "credentials.h"
#include "discovery.h"
#include "status.h"
#include "tenant_internal.h"

#include "vk/log.h"
#include "vk/vast_tenant.h"

#include <stdio.h>
#include <string.h>

#define OP_BLOCKED_RECHECK_MS 10000

typedef struct {
    const char *owner_uid;
    json_t *out;
} collect_ctx;

static bool collect_item(void *arg, json_t *item) {
    collect_ctx *c = arg;
    if (op_owned_by(item, c->owner_uid)) {
        const char *name = json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));
        if (name) json_array_append_new(c->out, json_string(name));
    }
    return true;
}

bool op_collect_names(op_ctx *ctx, const vk_kube_ref *ref, const char *selector, const char *owner_uid, json_t *out,
                      int64_t deadline, vk_status *st) {
    collect_ctx c = {owner_uid, out};
    vk_kube_list_options o = {.label_selector = selector, .on_item = collect_item, .ctx = &c};
    return vk_kube_list(ctx->kube, ref, &o, deadline, NULL, st);
}

static bool bucket_of_class(json_t *bucket, const char *cls) {
    const char *name = json_string_value(json_object_get(json_object_get(bucket, "spec"), "bucketClassName"));
    return name && strcmp(name, cls) == 0;
}

static bool collect_bucket(void *arg, json_t *item) {
    collect_ctx *c = arg; /* owner_uid holds the BucketClass name here */
    const char *name = json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));
    if (name && bucket_of_class(item, c->owner_uid)) json_array_append_new(c->out, json_string(name));
    return true;
}

bool op_tenant_buckets(op_ctx *ctx, const op_tenant *t, json_t *out, size_t *count, int64_t deadline, vk_status *st) {
    *count = 0;
    if (!t->object_storage) return true;
    char base[256];
    op_child_base_name(t, base, sizeof base);
    json_t *found = json_array();
    bool ok = true;
    if (ctx->informers[OP_INF_BUCKETS]) {
        json_t *all = vk_kube_informer_list(ctx->informers[OP_INF_BUCKETS]);
        size_t i;
        json_t *b;
        json_array_foreach(all, i, b) {
            const char *name = json_string_value(json_object_get(json_object_get(b, "metadata"), "name"));
            if (name && bucket_of_class(b, base)) json_array_append_new(found, json_string(name));
        }
        json_decref(all);
    } else if (op_api_served(ctx->kube, "objectstorage.k8s.io", "v1alpha1", "buckets")) {
        collect_ctx c = {base, found};
        vk_kube_ref ref = {.group = "objectstorage.k8s.io", .version = "v1alpha1", .resource = "buckets"};
        vk_kube_list_options o = {.on_item = collect_bucket, .ctx = &c};
        ok = vk_kube_list(ctx->kube, &ref, &o, deadline, NULL, st);
    }
    *count = json_array_size(found);
    for (size_t i = 0; out && i < json_array_size(found) && i < 5; i++) json_array_append(out, json_array_get(found, i));
    json_decref(found);
    return ok;
}

static void write_conditions(op_ctx *ctx, op_tenant *t, const op_condition *conds, size_t n, int64_t deadline,
                             bool *changed) {
    json_t *old = json_object_get(t->obj, "status");
    json_t *status = old ? json_deep_copy(old) : json_object();
    json_t *merged = op_conditions_build(json_object_get(old, "conditions"), conds, n, t->generation);
    /* conditions this pass does not speak of keep their values */
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(old, "conditions"), i, c) {
        const char *type = json_string_value(json_object_get(c, "type"));
        bool spoken = false;
        for (size_t k = 0; k < n; k++) spoken = spoken || (type && strcmp(type, conds[k].type) == 0);
        if (!spoken) json_array_append(merged, c);
    }
    json_object_set_new(status, "conditions", merged);
    vk_kube_ref ref = op_tenants_ref;
    ref.name = t->name;
    vk_status st;
    *changed = false;
    if (!op_status_write(ctx->kube, &ref, t->obj, status, deadline, changed, &st))
        VK_LOG(st.code == VK_ABORTED ? VK_LOG_DEBUG : VK_LOG_WARN, "cannot write Tenant status", "tenant", t->name,
               "error", st.message);
    json_decref(status);
}



static void blocked(op_ctx *ctx, op_tenant *t, const char *reason, const char *message, int64_t deadline,
                    op_outcome *out) {
    op_condition conds[] = {
        {"DeletionBlocked", "True", reason, message},
        {"Ready", "False", "Deleting", "the Tenant is being deleted"},
    };
    bool changed;
    write_conditions(ctx, t, conds, 2, deadline, &changed);
    if (changed) op_tenant_event(ctx, t, true, "DeletionBlocked", "Delete", message);
    out->requeue_ms = OP_BLOCKED_RECHECK_MS;
}

/* The Kubernetes children, by the Tenant's label, every kind served. */
static bool remove_children(op_ctx *ctx, op_tenant *t, int64_t deadline, char *error, size_t size) {
    char selector[320];
    snprintf(selector, sizeof selector, OP_LABEL_TENANT "=%s", t->name);
    for (size_t k = 0; k < op_child_kinds_count; k++) {
        const op_child_kind *kind = &op_child_kinds[k];
        if (*kind->group && !op_api_served(ctx->kube, kind->group, kind->version, kind->resource)) continue;
        vk_kube_ref ref = {.group = kind->group, .version = kind->version, .resource = kind->resource,
                           .namespace_ = kind->namespaced ? ctx->options.driver_namespace : NULL};
        json_t *names = json_array();
        vk_status list_st;
        if (strcmp(kind->resource, "secrets") == 0) {
            /* the one Secret has a known name: the operator may not list Secrets (its
             * RBAC in the chart grants get, never list, so it reads none but its own) */
            char base[256];
            op_child_base_name(t, base, sizeof base);
            json_array_append_new(names, json_string(base));
        } else if (!op_collect_names(ctx, &ref, selector, t->uid, names, deadline, &list_st)) {
            snprintf(error, size, "listing the Tenant's %s failed: %.700s", kind->resource, list_st.message);
            json_decref(names);
            return false;
        }
        size_t i;
        json_t *name;
        json_array_foreach(names, i, name) {
            ref.name = json_string_value(name);
            bool removed;
            vk_status st;
            if (!op_child_remove(ctx->kube, &ref, t->uid, deadline, &removed, &st)) {
                snprintf(error, size, "deleting %s %s: %.700s", kind->kind, ref.name, st.message);
                json_decref(names);
                return false;
            }
        }
        json_decref(names);
    }
    return true;
}

void op_tenant_finalize(op_ctx *ctx, op_tenant *t, int64_t deadline, op_outcome *out) {
    if (!t->has_finalizer) return; /* not ours to hold */
    char names[400], message[VK_STATUS_MESSAGE_MAX];
    size_t volumes = op_tenant_volumes(ctx, t, names, sizeof names);
    if (volumes > 0) {
        snprintf(message, sizeof message,
                 "%zu PersistentVolume(s) of the Tenant's StorageClasses still exist (%s%s); delete their claims "
                 "(and Retain volumes by hand) before the Tenant",
                 volumes, names, volumes > 5 ? ", ..." : "");
        blocked(ctx, t, "VolumesExist", message, deadline, out);
        return;
    }
    if (t->object_storage) {
        char base[256];
        op_child_base_name(t, base, sizeof base);
        json_t *buckets = json_array();
        size_t n = 0;
        vk_status st;
        bool listed = op_tenant_buckets(ctx, t, buckets, &n, deadline, &st);
        if (!listed || n > 0) {
            snprintf(message, sizeof message,
                     listed ? "%zu Bucket(s) of BucketClass %s still exist (first: %.300s); delete their BucketClaims "
                              "before the Tenant"
                            : "cannot list Buckets (%zu, %s, %.600s): retrying",
                     n, base, listed ? json_string_value(json_array_get(buckets, 0)) : st.message);
            json_decref(buckets);
            blocked(ctx, t, listed ? "BucketsExist" : "KubernetesUnavailable", message, deadline, out);
            return;
        }
        json_decref(buckets);
    }
    char error[VK_STATUS_MESSAGE_MAX] = "";
    if (!remove_children(ctx, t, deadline, error, sizeof error)) {
        blocked(ctx, t, "ChildrenRemaining", error, deadline, out);
        out->failed = true;
        return;
    }
    if (t->delete_on_vast) {
        for (size_t i = 0; i < t->n_clusters; i++) {
            vms_client *client = NULL;
            op_cluster_info info;
            vk_status st;
            if (!op_clusters_get(ctx->clusters, t->clusters[i].name, deadline, &client, &info, &st)) {
                snprintf(message, sizeof message,
                         "deletionPolicy Delete, but VastCluster %s cannot be reached to delete the tenant there: %.700s; "
                         "fix it, or set deletionPolicy Retain",
                         t->clusters[i].name, st.message);
                blocked(ctx, t, "VastUnavailable", message, deadline, out);
                out->failed = true;
                return;
            }
            char root[600];
            snprintf(root, sizeof root, "%s/%s", info.tenants_root, t->vast_name);
            vast_tenant_spec spec;
            op_tenant_vast_spec(t, i, root, "", &spec);
            vast_tenant_result result;
            bool removed = vast_tenant_remove(client, &spec, deadline, &result, &st);
            vms_client_free(client);
            op_cluster_info_free(&info);
            if (!removed) {
                snprintf(message, sizeof message, "VastCluster %s: %.900s", t->clusters[i].name, st.message);
                blocked(ctx, t, st.code == VK_FAILED_PRECONDITION ? "VastTenantNotEmpty" : "VastUnavailable", message,
                        deadline, out);
                out->failed = st.code != VK_FAILED_PRECONDITION;
                return;
            }
            VK_LOG(VK_LOG_INFO, "tenant removed from VAST", "tenant", t->name, "vastcluster", t->clusters[i].name);
        }
    }
    vk_status st;
    json_t *released = op_tenant_set_finalizer(ctx, t, false, deadline, &st);
    json_decref(released);
    if (!released) {
        VK_LOG(VK_LOG_WARN, "cannot remove the Tenant's finalizer", "tenant", t->name, "error", st.message);
        out->failed = true;
        return;
    }
    VK_LOG(VK_LOG_INFO, "tenant deleted", "tenant", t->name, "vast", t->delete_on_vast ? "deleted" : "retained");
}

void op_tenant_report_invalid(op_ctx *ctx, op_tenant *t, const vk_status *why, int64_t deadline) {
    if (!t->obj || !t->name) return;
    op_condition conds[] = {
        {"Ready", "False", "SpecInvalid", why->message},
        {"Degraded", "True", "SpecInvalid", why->message},
    };
    bool changed;
    write_conditions(ctx, t, conds, 2, deadline, &changed);
    if (changed) op_tenant_event(ctx, t, true, "SpecInvalid", "Reconcile", why->message);
}
