/* A Tenant object read into plain C: what its spec asks for, checked once more than the
 * CRD's schema does (an operator may meet objects stored before a schema change). */
#ifndef VK_OPERATOR_TENANT_SPEC_H
#define VK_OPERATOR_TENANT_SPEC_H

#include "vk/status.h"
#include "vk/vast_tenant.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define OP_TENANT_CLUSTERS_MAX 8
#define OP_TENANT_RANGES_MAX 16
#define OP_TENANT_CIDRS_MAX 64

typedef struct {
    const char *name; /* the VastCluster */
    vast_address_range ranges[OP_TENANT_RANGES_MAX];
    size_t n_ranges;
    int subnet_cidr;
} op_tenant_cluster;

typedef struct {
    const char *name;
    bool is_default;
    const char *reclaim_policy; /* Delete | Retain */
    json_t *mount_options;      /* borrowed array, or NULL */
    bool has_qos;
    vast_qos qos;
} op_tenant_class;

typedef struct {
    json_t *obj; /* the Tenant: a reference held until op_tenant_release */
    const char *name, *uid;
    int64_t generation;
    bool deleting;
    bool has_finalizer;
    json_t *namespace_names;    /* borrowed array, or NULL */
    json_t *namespace_selector; /* borrowed LabelSelector, or NULL */
    op_tenant_cluster clusters[OP_TENANT_CLUSTERS_MAX];
    size_t n_clusters;
    int64_t hard_limit, soft_limit;
    bool has_qos;
    vast_qos qos;
    const char *cidrs[OP_TENANT_CIDRS_MAX];
    size_t n_cidrs;
    op_tenant_class classes[VAST_TENANT_CLASSES_MAX];
    vast_tenant_class vast_classes[VAST_TENANT_CLASSES_MAX]; /* the same, as the VAST side takes them */
    size_t n_classes;
    bool snapshots;
    bool object_storage;
    int64_t bucket_quota;
    bool delete_on_vast; /* deletionPolicy Delete */
    char vast_name[VAST_TENANT_NAME_MAX]; /* prefix + name */
} op_tenant;

/* Reads obj (takes a reference). INVALID_ARGUMENT naming the field for a spec that
 * cannot be acted on. */
bool op_tenant_parse(json_t *obj, const char *prefix, op_tenant *out, vk_status *st);
void op_tenant_release(op_tenant *t);

/* The tenant's VAST spec for one of its clusters (strings borrowed from t and root). */
void op_tenant_vast_spec(const op_tenant *t, size_t cluster, const char *root_path, const char *admin_password,
                         vast_tenant_spec *out);

/* Reads a QoS object of the CRD (maxReadMBps, ...); false when it sets nothing. */
bool op_qos_parse(json_t *qos, vast_qos *out);

#endif
