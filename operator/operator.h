/* The running operator: what every part shares. One per process.
 *
 * Threads: the leader elector's, one per informer, the event recorder's, the health
 * server's, and the workers. Workers take keys from one queue ("tenant/<name>",
 * "cluster/<name>"); the queue never hands one key to two workers, so a Tenant is
 * reconciled by one thread at a time, and a slow or failing one (VMS down) backs off on
 * its own key while the other tenants go on. */
#ifndef VK_OPERATOR_H
#define VK_OPERATOR_H

#include "options.h"

#include "vk/kube_client.h"
#include "vk/kube_event.h"
#include "vk/kube_informer.h"
#include "vk/kube_queue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define OP_GROUP "tenancy.vast-k8s.io"
#define OP_VERSION "v1alpha1"
#define OP_API_VERSION OP_GROUP "/" OP_VERSION
#define OP_FINALIZER OP_GROUP "/tenant"
#define OP_FIELD_MANAGER "vast-operator"
#define OP_LABEL_TENANT OP_GROUP "/tenant"   /* on every child: the Tenant's name */
#define OP_LABEL_MANAGED "app.kubernetes.io/managed-by"

typedef struct op_clusters op_clusters; /* VastCluster clients (clusters.h) */

/* Buckets only when COSI's API is served at start (NULL otherwise: then listed when needed). */
typedef enum { OP_INF_TENANTS, OP_INF_CLUSTERS, OP_INF_PVS, OP_INF_BUCKETS, OP_INF_COUNT } op_informer_kind;

typedef struct {
    op_options options;
    vk_kube_client *kube;
    vk_kube_recorder *events;
    vk_kube_informer *informers[OP_INF_COUNT];
    vk_kube_queue *queue;
    op_clusters *clusters;
    pthread_t *workers;
    int n_workers;
    atomic_bool running;  /* workers started (this process leads) */
    atomic_bool synced;   /* informers synced since they started */
    atomic_bool leading;
    /* what a reconcile costs, for the tests and the figures */
    atomic_ullong reconciles, reconcile_failures;
} op_ctx;

/* Queue keys. */
#define OP_KEY_TENANT "tenant/"
#define OP_KEY_CLUSTER "cluster/"

#endif
