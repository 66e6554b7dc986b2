#include "controller.h"
#include "clusters.h"
#include "discovery.h"
#include "status.h"
#include "tenant.h"

#include "vk/deadline.h"
#include "vk/log.h"
#include "vk/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void enqueue(op_ctx *ctx, const char *prefix, json_t *obj) {
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    if (!name) return;
    char key[320];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    vk_kube_queue_add(ctx->queue, key);
}

/* An update that changed only the status (our own status write) needs no reconcile:
 * the spec, the deletion mark and the finalizers are what a pass acts on. A resync
 * (old == new) always does, to repair drift made in VMS. */
static bool worth_a_pass(json_t *old_obj, json_t *new_obj) {
    if (old_obj == new_obj) return true;
    json_t *a = json_object_get(old_obj, "metadata"), *b = json_object_get(new_obj, "metadata");
    return !json_equal(json_object_get(a, "generation"), json_object_get(b, "generation")) ||
           !json_equal(json_object_get(a, "deletionTimestamp"), json_object_get(b, "deletionTimestamp")) ||
           !json_equal(json_object_get(a, "finalizers"), json_object_get(b, "finalizers"));
}

static void tenant_added(void *arg, json_t *obj) { enqueue(arg, OP_KEY_TENANT, obj); }
static void tenant_updated(void *arg, json_t *old_obj, json_t *new_obj) {
    if (worth_a_pass(old_obj, new_obj)) enqueue(arg, OP_KEY_TENANT, new_obj);
}
static void tenant_deleted(void *arg, json_t *obj) { (void)arg, (void)obj; }

/* A VastCluster's change reaches every Tenant that lives on it. */
static void tenants_of_cluster(op_ctx *ctx, json_t *cluster) {
    const char *name = json_string_value(json_object_get(json_object_get(cluster, "metadata"), "name"));
    if (!name) return;
    json_t *tenants = vk_kube_informer_list(ctx->informers[OP_INF_TENANTS]);
    size_t i, k;
    json_t *t, *entry;
    json_array_foreach(tenants, i, t) {
        json_array_foreach(json_object_get(json_object_get(t, "spec"), "clusters"), k, entry) {
            const char *c = json_string_value(json_object_get(entry, "name"));
            if (c && strcmp(c, name) == 0) {
                enqueue(ctx, OP_KEY_TENANT, t);
                break;
            }
        }
    }
    json_decref(tenants);
}

static void cluster_added(void *arg, json_t *obj) {
    enqueue(arg, OP_KEY_CLUSTER, obj);
    tenants_of_cluster(arg, obj);
}
static void cluster_updated(void *arg, json_t *old_obj, json_t *new_obj) {
    if (!worth_a_pass(old_obj, new_obj)) return;
    enqueue(arg, OP_KEY_CLUSTER, new_obj);
    if (old_obj != new_obj) tenants_of_cluster(arg, new_obj); /* a resync reaches the tenants by their own */
}
static void cluster_deleted(void *arg, json_t *obj) { tenants_of_cluster(arg, obj); }

static vk_metric *reconciles, *reconcile_seconds;

static double queue_depth(void *arg) { return (double)vk_kube_queue_length(((op_ctx *)arg)->queue); }

/* Tenants whose condition of each type is True, counted from the informer's cache at
 * every scrape (a standby's cache is empty: it counts none, the leader counts them all). */
static void count_tenants(vk_metric *m, void *arg) {
    static const char *const types[] = {"Ready", "Degraded", "DeletionBlocked"};
    op_ctx *ctx = arg;
    int counts[3] = {0};
    json_t *tenants = vk_kube_informer_list(ctx->informers[OP_INF_TENANTS]);
    size_t i;
    json_t *t;
    json_array_foreach(tenants, i, t) {
        json_t *status = json_object_get(t, "status");
        for (size_t k = 0; k < 3; k++) {
            const char *value = json_string_value(json_object_get(op_condition_find(status, types[k]), "status"));
            if (value && strcmp(value, "True") == 0) counts[k]++;
        }
    }
    json_decref(tenants);
    for (size_t k = 0; k < 3; k++) vk_metric_set(m, counts[k], types[k]);
}

static void register_metrics(op_ctx *ctx) {
    reconciles = vk_metric_counter("vast_operator_reconciles_total",
                                   "Reconcile passes, by kind (tenant, cluster) and result (ok, error, requeue)",
                                   VK_LABELS("kind", "result"));
    reconcile_seconds = vk_metric_histogram("vast_operator_reconcile_duration_seconds",
                                            "Time of one reconcile pass, by kind", VK_LABELS("kind"),
                                            VK_METRICS_LATENCY_BUCKETS, VK_METRICS_LATENCY_BUCKETS_N);
    vk_metric_gauge_fn("vast_operator_queue_depth", "Keys waiting in the work queue", queue_depth, ctx);
    vk_metric *tenants = vk_metric_gauge("vast_operator_tenants",
                                         "Tenants whose condition of that type (Ready, Degraded, DeletionBlocked) is True",
                                         VK_LABELS("condition"));
    vk_metric_on_render(tenants, count_tenants, ctx);
}

bool op_controller_init(op_ctx *ctx, vk_status *st) {
    const op_options *o = &ctx->options;
    ctx->queue = vk_kube_queue_new(&(vk_kube_queue_options){.base_delay_ms = o->backoff_initial_ms,
                                                            .max_delay_ms = o->backoff_max_ms});
    vk_kube_informer_options tenants = {
        .ref = {.group = OP_GROUP, .version = OP_VERSION, .resource = "tenants"},
        .resync_ms = o->resync_ms,
        .handlers = {.on_add = tenant_added, .on_update = tenant_updated, .on_delete = tenant_deleted, .ctx = ctx},
    };
    vk_kube_informer_options clusters = {
        .ref = {.group = OP_GROUP, .version = OP_VERSION, .resource = "vastclusters"},
        .resync_ms = o->resync_ms,
        .handlers = {.on_add = cluster_added, .on_update = cluster_updated, .on_delete = cluster_deleted, .ctx = ctx},
    };
    /* volumes are only counted (status, deletion), never reconciled; by class, so a
     * Tenant's pass reads its own classes' volumes, not every PersistentVolume */
    vk_kube_informer_options pvs = {.ref = {.version = "v1", .resource = "persistentvolumes"},
                                    .index_field = "spec.storageClassName"};
    ctx->informers[OP_INF_TENANTS] = vk_kube_informer_new(ctx->kube, &tenants, st);
    if (!ctx->informers[OP_INF_TENANTS]) return false;
    ctx->informers[OP_INF_CLUSTERS] = vk_kube_informer_new(ctx->kube, &clusters, st);
    if (!ctx->informers[OP_INF_CLUSTERS]) return false;
    ctx->informers[OP_INF_PVS] = vk_kube_informer_new(ctx->kube, &pvs, st);
    if (!ctx->informers[OP_INF_PVS]) return false;
    if (op_api_served(ctx->kube, "objectstorage.k8s.io", "v1alpha1", "buckets")) {
        vk_kube_informer_options buckets = {.ref = {.group = "objectstorage.k8s.io", .version = "v1alpha1",
                                                    .resource = "buckets"}};
        ctx->informers[OP_INF_BUCKETS] = vk_kube_informer_new(ctx->kube, &buckets, st);
        if (!ctx->informers[OP_INF_BUCKETS]) return false;
    }
    ctx->clusters = op_clusters_new(ctx);
    register_metrics(ctx);
    return true;
}

static bool all_synced(op_ctx *ctx) {
    for (int i = 0; i < OP_INF_COUNT; i++)
        if (ctx->informers[i] && !vk_kube_informer_has_synced(ctx->informers[i])) return false;
    return true;
}

static void reconcile_key(op_ctx *ctx, const char *key) {
    op_outcome out = {0};
    int64_t started = vk_now_ms();
    const char *kind = strncmp(key, OP_KEY_TENANT, strlen(OP_KEY_TENANT)) == 0 ? "tenant" : "cluster";
    if (strncmp(key, OP_KEY_TENANT, strlen(OP_KEY_TENANT)) == 0) {
        op_tenant_reconcile(ctx, key + strlen(OP_KEY_TENANT), &out);
    } else if (strncmp(key, OP_KEY_CLUSTER, strlen(OP_KEY_CLUSTER)) == 0) {
        vk_status st;
        out.failed = !op_cluster_reconcile(ctx, key + strlen(OP_KEY_CLUSTER),
                                           vk_deadline_in(ctx->options.reconcile_timeout_ms), &st);
    }
    atomic_fetch_add(&ctx->reconciles, 1);
    vk_metric_observe(reconcile_seconds, (double)(vk_now_ms() - started) / 1000.0, kind);
    vk_metric_add(reconciles, 1, kind, out.failed ? "error" : out.requeue_ms > 0 ? "requeue" : "ok");
    if (out.failed) {
        atomic_fetch_add(&ctx->reconcile_failures, 1);
        vk_kube_queue_add_rate_limited(ctx->queue, key);
    } else {
        vk_kube_queue_forget(ctx->queue, key);
        if (out.requeue_ms > 0) vk_kube_queue_add_after(ctx->queue, key, out.requeue_ms);
    }
}

static void *worker(void *arg) {
    op_ctx *ctx = arg;
    /* a reconcile on half a cache would see Tenants without their clusters */
    while (!all_synced(ctx)) {
        if (vk_kube_queue_shutting_down(ctx->queue)) return NULL;
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
    atomic_store(&ctx->synced, true);
    const char *key;
    while (vk_kube_queue_get(ctx->queue, vk_deadline_in(1000), &key) != VK_CANCELLED) {
        if (!key) continue;
        reconcile_key(ctx, key);
        vk_kube_queue_done(ctx->queue, key);
    }
    return NULL;
}

void op_controller_start(op_ctx *ctx) {
    for (int i = 0; i < OP_INF_COUNT; i++)
        if (ctx->informers[i]) vk_kube_informer_start(ctx->informers[i]);
    ctx->n_workers = ctx->options.workers;
    ctx->workers = calloc((size_t)ctx->n_workers, sizeof *ctx->workers);
    for (int i = 0; i < ctx->n_workers; i++) pthread_create(&ctx->workers[i], NULL, worker, ctx);
    atomic_store(&ctx->running, true);
    VK_LOG(VK_LOG_INFO, "reconciling", "workers", vk_fmt((char[16]){0}, 16, "%d", ctx->n_workers));
}

bool op_controller_stop(op_ctx *ctx, int64_t deadline) {
    if (!atomic_load(&ctx->running)) return true;
    vk_kube_queue_shutdown(ctx->queue);
    /* a worker in a VMS call ends within its reconcile's deadline; past ours, the process
     * goes anyway (every step is idempotent: the next leader finishes the work) */
    bool joined = true;
    for (int i = 0; i < ctx->n_workers; i++) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t left = vk_deadline_remaining(deadline);
        until.tv_sec += left / 1000;
        until.tv_nsec += (left % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        if (pthread_timedjoin_np(ctx->workers[i], NULL, &until) != 0) joined = false;
    }
    if (!joined) return false;
    free(ctx->workers);
    ctx->workers = NULL;
    for (int i = 0; i < OP_INF_COUNT; i++)
        if (ctx->informers[i]) vk_kube_informer_stop(ctx->informers[i], deadline);
    atomic_store(&ctx->running, false);
    return true;
}

void op_controller_free(op_ctx *ctx) {
    for (int i = 0; i < OP_INF_COUNT; i++) vk_kube_informer_free(ctx->informers[i]);
    op_clusters_free(ctx->clusters);
    vk_kube_queue_free(ctx->queue);
}
