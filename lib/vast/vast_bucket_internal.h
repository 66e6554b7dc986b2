/* What bucket and access operations share inside lib/vast: the open that proves a
 * bucket id names a bucket of this driver, and the local users both make. */
#ifndef VK_VAST_BUCKET_INTERNAL_H
#define VK_VAST_BUCKET_INTERNAL_H

#include "vk/vast_bucket.h"

/* A bucket id resolved on VAST. */
typedef struct {
    vast_bucket_ref ref;
    vms_client *client; /* owned reference, NULL when the cluster could not be opened */
    int64_t quota_id;   /* the bucket's quota: 0 when absent (or not ours) */
    bool unreachable;   /* the id's cluster is not reachable with the driver's secret */
} vast_bucket_target;

/* Parses the id and, when it is well formed and under a root export, opens its
 * cluster and finds the bucket's marked quota. OK only when that quota is there and
 * ours; NOT_FOUND otherwise (t->unreachable tells a cluster that could not be opened).
 * The caller holds the path's lock. Close whatever the answer. */
vk_code vast_bucket_target_open(vast_ctx *ctx, const char *bucket_id, vk_strmap secrets, int64_t deadline,
                                vast_bucket_target *t, vk_status *st);
void vast_bucket_target_close(vast_bucket_target *t);

/* The local provider the tenant's users live in (VMS's built-in one when unset),
 * cached for --cache-ttl. */
bool vast_tenant_provider(vast_ctx *ctx, vms_client *c, int64_t tenant_id, int64_t deadline, int64_t *provider_id,
                          vk_status *st);

/* Makes the local user `name` in the provider, or finds the one an earlier call made;
 * extra (borrowed, may be NULL) adds fields to the POST. out: the user as VMS has it. */
bool vast_user_ensure(vms_client *c, const char *name, int64_t provider_id, json_t *extra, int64_t deadline,
                      vms_user *out, vk_status *st);

/* Deletes the local user `name` of the provider (its keys go with it); done when it is
 * already gone. */
bool vast_user_remove(vms_client *c, const char *name, int64_t provider_id, int64_t deadline, vk_status *st);

/* Takes the lock of the bucket's path (the volume's key: a PVC and a bucket of one path
 * are one directory) into key; ABORTED while another operation holds it. */
bool vast_bucket_lock(vast_ctx *ctx, const vast_bucket_ref *ref, int64_t deadline, char *key, size_t size,
                      vk_status *st);

#endif
