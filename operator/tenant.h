/* One Tenant's reconcile, both sides, and its deletion.
 *
 * Order of a pass (every step idempotent; a crash at any line is mended by the next):
 *   1. the finalizer, before anything exists anywhere;
 *   2. the credentials Secret: the tenant admin's password per cluster is made here
 *      when the Secret has none, and kept there before any VAST login uses it;
 *   3. per VastCluster, vast_tenant_apply (tenant, VIP pool, view policy, QoS, root
 *      quota, tenant admin); a cluster that fails does not stop the others;
 *   4. the Kubernetes children (StorageClasses, snapshot and bucket classes, the
 *      admission policy); children the spec no longer asks for are removed when the
 *      spec changed (generation != observedGeneration);
 *   5. the status, written only when it changed.
 * Deleting: blocked while PersistentVolumes of the tenant's classes (or Buckets of its
 * BucketClass) exist; then the children, then VAST per deletionPolicy, then the
 * finalizer. */
#ifndef VK_OPERATOR_TENANT_H
#define VK_OPERATOR_TENANT_H

#include "operator.h"

#include "vk/status.h"

/* What the queue should do after a pass. */
typedef struct {
    bool failed;         /* back off (rate-limited re-add) */
    int64_t requeue_ms;  /* > 0: look again after this long (waiting, not failing) */
} op_outcome;

void op_tenant_reconcile(op_ctx *ctx, const char *name, op_outcome *out);

#endif
