/* VastClusters: a VMS client per cluster, made from the object and its credentials
 * Secret, and the cluster's own status (Connected, version, capacity).
 *
 * The cluster-admin credentials are read from the Secret the VastCluster names, kept in
 * the client only (never logged, never in an error), and read again when the
 * VastCluster's spec changes, after OP_CLUSTER_RECHECK_MS (a rotated password is
 * picked up without a restart), and on the first use after VMS refused them (a corrected
 * password is picked up on the next pass). The operator may not list or watch Secrets
 * (least privilege: a watch would show it every Secret of the namespace), so it polls. */
#ifndef VK_OPERATOR_CLUSTERS_H
#define VK_OPERATOR_CLUSTERS_H

#include "operator.h"

#include "vk/status.h"
#include "vk/vms.h"

#define OP_CLUSTER_RECHECK_MS 60000
#define OP_DEFAULT_TENANTS_ROOT "/vast-k8s/tenants"

typedef struct {
    char name[64];
    char endpoint[256];
    char tenants_root[256];
    char zone[64], region[64];
    char *ca_pem; /* malloc'd, or NULL */
} op_cluster_info;

op_clusters *op_clusters_new(op_ctx *ctx);
void op_clusters_free(op_clusters *cl);

/* A client (a new reference: vms_client_free it) and what the VastCluster says.
 * NOT_FOUND: no such VastCluster; FAILED_PRECONDITION: its Secret is missing or lacks
 * the keys; INVALID_ARGUMENT: a bad endpoint or CA. */
bool op_clusters_get(op_clusters *cl, const char *name, int64_t deadline, vms_client **client, op_cluster_info *info,
                     vk_status *st);
void op_cluster_info_free(op_cluster_info *info);

/* VMS refused the credentials of cluster name's client (UNAUTHENTICATED or
 * PERMISSION_DENIED in code; other codes are ignored): the next op_clusters_get reads
 * its Secret again, rather than after OP_CLUSTER_RECHECK_MS, and keeps the client if the
 * Secret is unchanged. So a failing pass costs one Secret GET, at the pace of its backoff. */
void op_clusters_refused(op_clusters *cl, const char *name, vk_code code);

/* Reconciles one VastCluster's status. False with st when VMS could not be reached (the
 * status says so too). */
bool op_cluster_reconcile(op_ctx *ctx, const char *name, int64_t deadline, vk_status *st);

#endif
