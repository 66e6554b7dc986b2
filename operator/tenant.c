#include "tenant.h"
#include "apply.h"
#include "children.h"
#include "clusters.h"
#include "credentials.h"
#include "discovery.h"
#include "status.h"
#include "tenant_internal.h"

#include "vk/deadline.h"
#include "vk/log.h"
#include "vk/metrics.h"
#include "vk/vast_tenant.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void op_tenant_event(op_ctx *ctx, const op_tenant *t, bool warning, const char *reason, const char *action,
                     const char *note) {
    vk_kube_object_ref ref = {.api_version = OP_API_VERSION, .kind = "Tenant", .name = t->name, .uid = t->uid};
    vk_kube_event(ctx->events, &ref, warning ? VK_KUBE_EVENT_WARNING : VK_KUBE_EVENT_NORMAL, reason, action, "%s",
                  note);
}

const vk_kube_ref op_tenants_ref = {.group = OP_GROUP, .version = OP_VERSION, .resource = "tenants"};

/* metadata.finalizers with ours added or removed, as a merge patch guarded by the
 * resourceVersion read (a concurrent change of the list makes it fail, and retry). */
json_t *op_tenant_set_finalizer(op_ctx *ctx, const op_tenant *t, bool present, int64_t deadline, vk_status *st) {
    json_t *meta = json_object_get(t->obj, "metadata");
    json_t *list = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(meta, "finalizers"), i, f) {
        if (!json_is_string(f) || strcmp(json_string_value(f), OP_FINALIZER) != 0) json_array_append(list, f);
    }
    if (present) json_array_append_new(list, json_string(OP_FINALIZER));
    json_t *patch = json_pack("{s:{s:o, s:O}}", "metadata", "finalizers", list, "resourceVersion",
                              json_object_get(meta, "resourceVersion"));
    vk_kube_ref ref = op_tenants_ref;
    ref.name = t->name;
    json_t *answer = vk_kube_merge_patch(ctx->kube, &ref, patch, deadline, st);
    json_decref(patch);
    return answer;
}

size_t op_tenant_volumes(op_ctx *ctx, const op_tenant *t, char *names, size_t size) {
    char classes[OP_CHILDREN_MAX][256];
    size_t n_classes;
    op_storage_class_names(t, classes, OP_CHILDREN_MAX, &n_classes);
    size_t count = 0, used = 0;
    if (names && size) names[0] = '\0';
    for (size_t k = 0; k < n_classes; k++) {
        json_t *pvs = vk_kube_informer_by_index(ctx->informers[OP_INF_PVS], classes[k]);
        size_t i;
        json_t *pv;
        json_array_foreach(pvs, i, pv) {
            const char *name = json_string_value(json_object_get(json_object_get(pv, "metadata"), "name"));
            if (names && count < 5 && used < size)
                used += (size_t)snprintf(names + used, size - used, "%s%s", count ? ", " : "", name ? name : "?");
            count++;
        }
        json_decref(pvs);
    }
    return count;
}

/* ---- one pass ---- */

typedef struct {
    op_cluster_info info;
    vms_client *client;
    bool reached;           /* the VastCluster and its credentials are usable */
    bool applied;           /* vast_tenant_apply succeeded */
    vast_tenant_result result;
    char error[VK_STATUS_MESSAGE_MAX];
} site;

typedef struct {
    op_ctx *ctx;
    op_tenant t;
    int64_t deadline;
    site sites[OP_TENANT_CLUSTERS_MAX];
    char passwords[OP_TENANT_CLUSTERS_MAX][OP_PASSWORD_MAX];
    bool made[OP_TENANT_CLUSTERS_MAX];
    bool secret_ready; /* the Secret holds every password in use */
    unsigned kube_writes, vms_writes;
    char degraded_reason[64];
    char degraded[VK_STATUS_MESSAGE_MAX];
} pass;

static void degrade(pass *p, const char *reason, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void degrade(pass *p, const char *reason, const char *fmt, ...) {
    if (p->degraded_reason[0]) return; /* the first cause is the one to act on */
    snprintf(p->degraded_reason, sizeof p->degraded_reason, "%s", reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->degraded, sizeof p->degraded, fmt, ap);
    va_end(ap);
}

static const char *reason_of(vk_code code) {
    switch (code) {
    case VK_UNAUTHENTICATED:
    case VK_PERMISSION_DENIED: return "VastCredentialsRefused";
    case VK_NOT_FOUND: return "VastClusterMissing";
    case VK_FAILED_PRECONDITION:
    case VK_INVALID_ARGUMENT: return "VastRefused";
    case VK_ALREADY_EXISTS: return "VastNameTaken";
    default: return "VastUnavailable";
    }
}

static void open_sites(pass *p) {
    for (size_t i = 0; i < p->t.n_clusters; i++) {
        site *s = &p->sites[i];
        vk_status st;
        s->reached = op_clusters_get(p->ctx->clusters, p->t.clusters[i].name, p->deadline, &s->client, &s->info, &st);
        if (!s->reached) {
            snprintf(s->error, sizeof s->error, "%s", st.message);
            degrade(p, reason_of(st.code), "%s", st.message);
        }
    }
}

static void close_sites(pass *p) {
    for (size_t i = 0; i < p->t.n_clusters; i++) {
        vms_client_free(p->sites[i].client);
        op_cluster_info_free(&p->sites[i].info);
    }
}

static op_children_input children_input(pass *p, op_cluster_info *infos) {
    for (size_t i = 0; i < p->t.n_clusters; i++) infos[i] = p->sites[i].info;
    return (op_children_input){
        .tenant = &p->t,
        .options = &p->ctx->options,
        .clusters = infos,
        .passwords = p->passwords,
        .snapshot_api = op_api_served(p->ctx->kube, "snapshot.storage.k8s.io", "v1", "volumesnapshotclasses"),
        .cosi_api = op_api_served(p->ctx->kube, "objectstorage.k8s.io", "v1alpha1", "bucketclasses"),
    };
}

/* True when the Tenant's spec changed since the last pass wrote its status: what this pass
 * finds different is then the user's change, not drift to report. */
static bool spec_changed(const pass *p) {
    json_t *status = json_object_get(p->t.obj, "status");
    return json_integer_value(json_object_get(status, "observedGeneration")) != p->t.generation;
}

static void count_write(pass *p, op_child_result r) {
    if (r != OP_CHILD_UNCHANGED) p->kube_writes += r == OP_CHILD_REPLACED ? 2 : 1;
}

/* Step 2: the Secret with every reached cluster's password (new ones made here); an
 * unreached cluster keeps its entry as it was. */
static void ensure_secret(pass *p) {
    op_cluster_info infos[OP_TENANT_CLUSTERS_MAX];
    op_children_input in = children_input(p, infos);
    char base[256];
    op_child_base_name(&p->t, base, sizeof base);
    vk_kube_ref ref = {.version = "v1", .resource = "secrets", .namespace_ = p->ctx->options.driver_namespace,
                       .name = base};
    vk_status get_st;
    json_t *live = vk_kube_get(p->ctx->kube, &ref, p->deadline, &get_st);
    if (!live && get_st.code != VK_NOT_FOUND) {
        degrade(p, "KubernetesUnavailable", "reading Secret %s/%s: %.700s", ref.namespace_, base, get_st.message);
        return;
    }
    op_passwords_read(&p->t, live, p->passwords, p->made);
    bool reached[OP_TENANT_CLUSTERS_MAX];
    for (size_t i = 0; i < p->t.n_clusters; i++) reached[i] = p->sites[i].reached;
    in.reached = reached;
    in.previous = op_secret_clusters(live);
    json_decref(live);
    for (size_t i = 0; i < p->t.n_clusters; i++) {
        if (!p->passwords[i][0]) {
            degrade(p, "PasswordUnavailable", "no random bytes for the tenant admin's password");
            json_decref(in.previous);
            return;
        }
    }
    op_child secret;
    vk_status st;
    if (!op_children_secret(&in, &secret, &st)) {
        degrade(p, "SecretInvalid", "%s", st.message);
        json_decref(in.previous);
        return;
    }
    json_decref(in.previous);
    op_child_result r;
    if (op_child_ensure(p->ctx->kube, &secret.ref, secret.desired, p->t.uid, p->deadline, &r, &st)) {
        count_write(p, r);
        p->secret_ready = true;
    } else {
        degrade(p, st.code == VK_FAILED_PRECONDITION ? "ChildConflict" : "KubernetesUnavailable", "%s", st.message);
    }
    op_child_free(&secret);
}

/* Step 3: each cluster's VAST objects. */
static void apply_vast(pass *p) {
    for (size_t i = 0; i < p->t.n_clusters; i++) {
        site *s = &p->sites[i];
        if (!s->reached) continue;
        if (p->made[i] && !p->secret_ready) {
            snprintf(s->error, sizeof s->error, "waiting for the credentials Secret before making the tenant admin");
            continue;
        }
        char root[600];
        snprintf(root, sizeof root, "%s/%s", s->info.tenants_root, p->t.vast_name);
        vast_tenant_spec spec;
        op_tenant_vast_spec(&p->t, i, root, p->passwords[i], &spec);
        spec.reset_admin_password = p->made[i];
        vk_status st;
        s->applied = vast_tenant_apply(s->client, &spec, p->deadline, &s->result, &st);
        p->vms_writes += s->result.writes;
        if (!s->applied) {
            snprintf(s->error, sizeof s->error, "%s", st.message);
            op_clusters_refused(p->ctx->clusters, p->t.clusters[i].name, st.code);
            degrade(p, reason_of(st.code), "VastCluster %s: %s", p->t.clusters[i].name, st.message);
            VK_LOG(VK_LOG_WARN, "tenant on VAST failed", "tenant", p->t.name, "vastcluster", p->t.clusters[i].name,
                   "code", vk_status_name(st.code), "error", st.message);
        }
        if (s->result.repaired[0] && spec_changed(p)) {
            VK_LOG(VK_LOG_INFO, "VAST updated to the Tenant's spec", "tenant", p->t.name, "vastcluster",
                   p->t.clusters[i].name, "changed", s->result.repaired);
        } else if (s->result.repaired[0]) {
            char note[800];
            snprintf(note, sizeof note, "VastCluster %s: put back what was changed in VMS: %s",
                     p->t.clusters[i].name, s->result.repaired);
            op_tenant_event(p->ctx, &p->t, true, "DriftRepaired", "Reconcile", note);
            VK_LOG(VK_LOG_INFO, "VAST drift repaired", "tenant", p->t.name, "vastcluster", p->t.clusters[i].name,
                   "repaired", s->result.repaired);
        }
    }
}

static bool desired_has(const op_children *children, const char *resource, const char *name) {
    for (size_t i = 0; i < children->n; i++)
        if (strcmp(children->items[i].resource, resource) == 0 && strcmp(children->items[i].name, name) == 0)
            return true;
    return false;
}

/* The classes a claim names (StorageClass, BucketClass): the admission policy guards them. */
static bool is_class(const char *resource) {
    return strcmp(resource, "storageclasses") == 0 || strcmp(resource, "bucketclasses") == 0;
}

static bool is_admission(const char *resource) {
    return strncmp(resource, "validatingadmissionpolic", strlen("validatingadmissionpolic")) == 0;
}

/* Children of this Tenant (by its label) that the spec no longer asks for: the classes
 * (classes true) or every other kind. */
static void remove_stale(pass *p, const op_children *children, bool classes) {
    char selector[320];
    snprintf(selector, sizeof selector, OP_LABEL_TENANT "=%s", p->t.name);
    for (size_t k = 0; k < op_child_kinds_count; k++) {
        const op_child_kind *kind = &op_child_kinds[k];
        if (strcmp(kind->resource, "secrets") == 0) continue; /* the Secret stays while the Tenant does */
        if (is_class(kind->resource) != classes) continue;
        if (*kind->group && !op_api_served(p->ctx->kube, kind->group, kind->version, kind->resource)) continue;
        vk_kube_ref list_ref = {.group = kind->group, .version = kind->version, .resource = kind->resource};
        json_t *items = json_array();
        vk_status list_st;
        if (!op_collect_names(p->ctx, &list_ref, selector, p->t.uid, items, p->deadline, &list_st))
            VK_LOG(VK_LOG_WARN, "cannot look for children the Tenant no longer asks for", "tenant", p->t.name, "kind",
                   kind->kind, "error", list_st.message);
        size_t i;
        json_t *name;
        json_array_foreach(items, i, name) {
            if (desired_has(children, kind->resource, json_string_value(name))) continue;
            vk_kube_ref ref = list_ref;
            ref.name = json_string_value(name);
            bool removed = false;
            vk_status st;
            if (op_child_remove(p->ctx->kube, &ref, p->t.uid, p->deadline, &removed, &st) && removed) {
                p->kube_writes++;
                VK_LOG(VK_LOG_INFO, "removed a child the Tenant no longer asks for", "tenant", p->t.name, "kind",
                       kind->kind, "name", ref.name);
            }
        }
        json_decref(items);
    }
}

/* Step 4. */
static void ensure_children(pass *p) {
    op_cluster_info infos[OP_TENANT_CLUSTERS_MAX];
    op_children_input in = children_input(p, infos);
    op_children children;
    vk_status st;
    if (!op_children_build(&in, &children, &st)) {
        degrade(p, "SpecInvalid", "%s", st.message);
        op_children_free(&children);
        return;
    }
    /* a child made from a cluster the operator cannot read (its VastCluster gone) is left
     * as it is: rendered without the cluster's root it would be wrong */
    bool all_known = true;
    for (size_t i = 0; i < p->t.n_clusters; i++) all_known = all_known && infos[i].tenants_root[0];
    json_t *status = json_object_get(p->t.obj, "status");
    /* stale children can only have come from a spec change, whose pass may have been cut
     * short: look while the spec is new or the Tenant not yet Ready since */
    const char *ready = json_string_value(json_object_get(op_condition_find(status, "Ready"), "status"));
    bool settled = json_integer_value(json_object_get(status, "observedGeneration")) == p->t.generation && ready &&
                   strcmp(ready, "True") == 0;
    bool look_for_stale = all_known && !settled;
    /* The admission policy names the classes it guards, so no class may exist unguarded
     * for a moment: a class the spec dropped goes while the old policy still covers it,
     * the new policy is in place before a new class is made, and a class is not made at
     * all while its policy could not be written. */
    if (look_for_stale) remove_stale(p, &children, true);
    bool guarded = true;
    for (int admission_pass = 1; admission_pass >= 0; admission_pass--) {
        for (size_t i = 0; i < children.n; i++) {
            op_child *c = &children.items[i];
            if (is_admission(c->resource) != (admission_pass == 1)) continue;
            if (!guarded && is_class(c->resource)) continue;
            if (c->cluster >= 0 && !infos[c->cluster].tenants_root[0]) continue;
            op_child_result r;
            if (!op_child_ensure(p->ctx->kube, &c->ref, c->desired, p->t.uid, p->deadline, &r, &st)) {
                degrade(p, st.code == VK_FAILED_PRECONDITION ? "ChildConflict" : "KubernetesRefused", "%s",
                        st.message);
                if (admission_pass == 1) guarded = false;
                continue;
            }
            count_write(p, r);
            if ((r == OP_CHILD_UPDATED || r == OP_CHILD_REPLACED) && !spec_changed(p)) {
                char note[400];
                snprintf(note, sizeof note, "%s had drifted from the Tenant's spec and was %s", c->what,
                         r == OP_CHILD_REPLACED ? "made again (a field of it cannot change in place)" : "put back");
                op_tenant_event(p->ctx, &p->t, false, "ChildUpdated", "Reconcile", note);
            }
        }
    }
    if (look_for_stale) remove_stale(p, &children, false);
    op_children_free(&children);
}

/* Step 5. */
static void write_status(pass *p) {
    json_t *old = json_object_get(p->t.obj, "status");
    json_t *status = json_object();
    json_t *clusters = json_array();
    int64_t used = 0, limit = 0;
    bool all_applied = true;
    for (size_t i = 0; i < p->t.n_clusters; i++) {
        site *s = &p->sites[i];
        all_applied = all_applied && s->applied;
        json_t *entry = json_pack("{s:s, s:s}", "name", p->t.clusters[i].name, "lastError", s->error);
        if (s->applied) {
            json_object_set_new(entry, "tenantId", json_integer(s->result.tenant_id));
            json_object_set_new(entry, "vipPoolId", json_integer(s->result.vip_pool_id));
            json_object_set_new(entry, "viewPolicyId", json_integer(s->result.view_policy_id));
            json_object_set_new(entry, "rootQuotaId", json_integer(s->result.root_quota_id));
            json_object_set_new(entry, "managerId", json_integer(s->result.admin_id));
            json_object_set_new(entry, "usedBytes", json_integer(s->result.used_bytes));
            json_object_set_new(entry, "limitBytes", json_integer(p->t.hard_limit));
            used += s->result.used_bytes;
        } else {
            /* keep what the last good pass learnt of this cluster */
            size_t k;
            json_t *prev;
            json_array_foreach(json_object_get(old, "clusters"), k, prev) {
                const char *n = json_string_value(json_object_get(prev, "name"));
                if (!n || strcmp(n, p->t.clusters[i].name) != 0) continue;
                static const char *const kept[] = {"tenantId", "vipPoolId", "viewPolicyId", "rootQuotaId",
                                                   "managerId", "usedBytes", "limitBytes"};
                for (size_t f = 0; f < sizeof kept / sizeof kept[0]; f++) {
                    json_t *v = json_object_get(prev, kept[f]);
                    if (v) json_object_set(entry, kept[f], v);
                }
            }
        }
        json_array_append_new(clusters, entry);
    }
    limit = p->t.hard_limit * (int64_t)p->t.n_clusters;
    char used_text[32], limit_text[32];
    op_bytes_text(used, used_text, sizeof used_text);
    if (limit > 0) op_bytes_text(limit, limit_text, sizeof limit_text);
    else snprintf(limit_text, sizeof limit_text, "none");
    json_object_set_new(status, "observedGeneration", json_integer(p->t.generation));
    json_object_set_new(status, "clusters", clusters);
    json_object_set_new(status, "clusterCount", json_integer((json_int_t)p->t.n_clusters));
    json_object_set_new(status, "used", json_string(used_text));
    json_object_set_new(status, "limit", json_string(limit_text));
    json_object_set_new(status, "volumes", json_integer((json_int_t)op_tenant_volumes(p->ctx, &p->t, NULL, 0)));
    size_t buckets = 0;
    vk_status bucket_st;
    if (op_tenant_buckets(p->ctx, &p->t, NULL, &buckets, p->deadline, &bucket_st))
        json_object_set_new(status, "buckets", json_integer((json_int_t)buckets));
    bool ready = all_applied && !p->degraded_reason[0];
    bool progressing = p->kube_writes > 0 || p->vms_writes > 0;
    char ready_message[VK_STATUS_MESSAGE_MAX];
    if (ready)
        snprintf(ready_message, sizeof ready_message, "the tenant exists on %zu VAST cluster(s) and its %zu storage "
                 "class(es) are in place", p->t.n_clusters, p->t.n_classes);
    else
        snprintf(ready_message, sizeof ready_message, "%s", p->degraded[0] ? p->degraded : "not every cluster is done");
    op_condition conds[] = {
        {"Ready", ready ? "True" : "False", ready ? "Reconciled" : p->degraded_reason[0] ? p->degraded_reason : "Pending",
         ready_message},
        {"Progressing", progressing ? "True" : "False", progressing ? "Applying" : "Stable",
         progressing ? "this pass changed objects on VAST or in Kubernetes" : "nothing left to change"},
        {"Degraded", p->degraded_reason[0] ? "True" : "False",
         p->degraded_reason[0] ? p->degraded_reason : "AsExpected", p->degraded},
        {"DeletionBlocked", "False", "NotDeleting", ""},
    };
    json_object_set_new(status, "conditions",
                        op_conditions_build(json_object_get(old, "conditions"), conds, sizeof conds / sizeof conds[0],
                                            p->t.generation));
    vk_kube_ref ref = op_tenants_ref;
    ref.name = p->t.name;
    bool written = false;
    vk_status st;
    if (!op_status_write(p->ctx->kube, &ref, p->t.obj, status, p->deadline, &written, &st))
        VK_LOG(st.code == VK_ABORTED ? VK_LOG_DEBUG : VK_LOG_WARN, "cannot write Tenant status", "tenant", p->t.name,
               "error", st.message);
    if (written) p->kube_writes++;
    json_decref(status);
}

void op_tenant_reconcile(op_ctx *ctx, const char *name, op_outcome *out) {
    *out = (op_outcome){0};
    json_t *obj = vk_kube_informer_get(ctx->informers[OP_INF_TENANTS], NULL, name);
    if (!obj) return; /* gone: its finalizer was ours to remove, and was */
    pass *p = calloc(1, sizeof *p);
    p->ctx = ctx;
    p->deadline = vk_deadline_in(ctx->options.reconcile_timeout_ms);
    vk_status st;
    bool parsed = op_tenant_parse(obj, ctx->options.name_prefix, &p->t, &st);
    json_decref(obj);
    if (!parsed) {
        op_tenant_report_invalid(ctx, &p->t, &st, p->deadline);
        goto done;
    }
    if (p->t.deleting) {
        op_tenant_finalize(ctx, &p->t, p->deadline, out);
        goto done;
    }
    if (!p->t.has_finalizer) {
        json_t *marked = op_tenant_set_finalizer(ctx, &p->t, true, p->deadline, &st);
        if (!marked) {
            VK_LOG(VK_LOG_WARN, "cannot add the Tenant's finalizer", "tenant", name, "error", st.message);
            out->failed = true;
            goto done;
        }
        /* go on with the server's answer: the informer's copy may not have the finalizer yet,
         * and a second patch from it would be refused as stale */
        op_tenant_release(&p->t);
        parsed = op_tenant_parse(marked, ctx->options.name_prefix, &p->t, &st);
        json_decref(marked);
        if (!parsed) goto done;
    }
    open_sites(p);
    ensure_secret(p);
    apply_vast(p);
    ensure_children(p);
    write_status(p);
    close_sites(p);
    out->failed = p->degraded_reason[0] != '\0';
    vk_metric *writes = vk_metric_counter("vast_operator_writes_total",
                                          "Writes the operator made, by target (vms, kubernetes)", VK_LABELS("target"));
    vk_metric_add(writes, p->vms_writes, "vms");
    vk_metric_add(writes, p->kube_writes, "kubernetes");
    VK_LOG(p->kube_writes || p->vms_writes || out->failed ? VK_LOG_INFO : VK_LOG_DEBUG, "tenant reconciled",
           "tenant", name, "ready", out->failed ? "false" : "true", "vms_writes",
           vk_fmt((char[16]){0}, 16, "%u", p->vms_writes), "kube_writes",
           vk_fmt((char[16]){0}, 16, "%u", p->kube_writes), "degraded", p->degraded);
done:
    op_tenant_release(&p->t);
    free(p);
}
