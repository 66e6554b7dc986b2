/* What a Tenant puts into Kubernetes, as desired objects:
 *   Secret vk-tenant-<tenant> (driver namespace): a multi-cluster `clusters` entry per
 *     VastCluster with the tenant admin's login - the tenant-scoped credentials;
 *   StorageClass per class on the primary cluster (the first), and with several
 *     clusters also <class>-<cluster>, whose allowedTopologies are that cluster's;
 *   VolumeSnapshotClass vk-tenant-<tenant> (snapshots on, the API served);
 *   BucketClass and BucketAccessClass vk-tenant-<tenant> (object storage on, COSI served);
 *   ValidatingAdmissionPolicy + binding vk-tenant-<tenant> (PersistentVolumeClaims) and
 *     vk-tenant-<tenant>-buckets (BucketClaims, with COSI).
 * Every child carries the Tenant's label and an owner reference to it. */
#ifndef VK_OPERATOR_CHILDREN_H
#define VK_OPERATOR_CHILDREN_H

#include "clusters.h"
#include "tenant_spec.h"

#include "vk/kube_client.h"

#define OP_CHILDREN_MAX 80
#define OP_PASSWORD_MAX 64
#define OP_CHILD_PREFIX "vk-tenant-"

typedef struct {
    const op_tenant *tenant;
    const op_options *options;
    const op_cluster_info *clusters; /* one per tenant->clusters, in order */
    char (*passwords)[OP_PASSWORD_MAX];
    bool snapshot_api, cosi_api;
    /* For the Secret: which clusters could be read this pass (NULL: all). An unread
     * cluster keeps its entry of the live Secret's `clusters` (previous, may be NULL), so
     * one cluster down does not hold up the others. */
    const bool *reached;
    json_t *previous;
} op_children_input;

typedef struct {
    char group[64], version[16], resource[64], ns[64], name[256];
    vk_kube_ref ref; /* points into the strings above */
    json_t *desired;
    char what[400]; /* "StorageClass acme-fast" */
    int cluster;    /* the tenant's cluster it is made from (its root, topology), or -1 */
} op_child;

typedef struct {
    op_child items[OP_CHILDREN_MAX];
    size_t n;
} op_children;

/* The Secret alone (written before anything on VAST, so a password the operator makes is
 * kept before a login uses it). */
bool op_children_secret(const op_children_input *in, op_child *out, vk_status *st);

/* Every child but the Secret. */
bool op_children_build(const op_children_input *in, op_children *out, vk_status *st);
void op_children_free(op_children *c);
void op_child_free(op_child *c);

/* The kinds of child (for listing them by the Tenant's label): group, version, resource. */
typedef struct {
    const char *group, *version, *resource, *kind;
    bool namespaced;
} op_child_kind;
extern const op_child_kind op_child_kinds[];
extern const size_t op_child_kinds_count;

/* The name of the tenant's Secret (and its other tenant-wide children). */
void op_child_base_name(const op_tenant *t, char *out, size_t size);

/* The StorageClass names of the tenant's classes (with per-cluster ones); *n set. */
void op_storage_class_names(const op_tenant *t, char names[][256], size_t max, size_t *n);

#endif
