/* A tenant's managed storage on one VAST cluster, as the operator wants it.
 *
 * vast_tenant_apply makes the cluster match a vast_tenant_spec, step by step in the
 * order of the VMS reference (§12): tenant -> VIP pool -> view policy -> QoS policies
 * -> root quota -> tenant admin. Every object is found by its natural key (its name,
 * inside the tenant) before anything is created, so a retry after a crash at any line
 * finds what the first attempt made and creates no duplicate. Each step reads, compares
 * the fields the spec sets, and writes only those that differ: a pass over an unchanged
 * tenant makes no VMS write at all. What had drifted (changed by hand in VMS) is put
 * back and named in the result, for the operator's event.
 *
 * Names (all derived by vast_tenant_names from spec->name, the VAST tenant's name, which
 * the operator builds from its prefix and the Tenant): view policy and VIP pool = the
 * tenant's name; a class's QoS policy "<tenant>-<class>" (shortened with a hash past 64
 * characters); the root quota = the tenant's name at spec->root_path; the tenant admin
 * "<tenant>-csi". Nothing that lacks these names, or sits in another tenant, is ever
 * changed or deleted. */
#ifndef VK_VAST_TENANT_H
#define VK_VAST_TENANT_H

#include "vk/status.h"
#include "vk/vms.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VAST_TENANT_CLASSES_MAX 16
#define VAST_TENANT_NAME_MAX 65 /* VAST's 64 characters + NUL */

/* QoS limits, VMS units (MB/s, IOPS, MB of burst credit); 0 = unlimited / not set. */
typedef struct {
    int64_t max_read_mbps, max_write_mbps, max_read_iops, max_write_iops;
    int64_t burst_read_mbps, burst_write_mbps, burst_read_iops, burst_write_iops;
    int64_t burst_read_credit_mb, burst_write_credit_mb;
} vast_qos;

typedef struct {
    const char *start, *end; /* addresses, IPv4 or IPv6 */
} vast_address_range;

typedef struct {
    const char *name; /* the Kubernetes StorageClass name */
    bool has_qos;     /* false: the class gets no QoS policy (and a stale one is removed) */
    vast_qos qos;
} vast_tenant_class;

typedef struct {
    const char *name;      /* the VAST tenant's name (operator prefix + Tenant name) */
    const char *root_path; /* canonical, e.g. /vast-k8s/tenants/vk-acme */
    int64_t hard_limit;    /* bytes, tenant-wide and on the root quota; 0 = none */
    int64_t soft_limit;
    bool has_qos; /* tenant-wide QoS (tenants.qos.static_limits) */
    vast_qos qos;
    const char *const *client_cidrs; /* tenant client_ip_ranges and the NFS host rules */
    size_t n_client_cidrs;
    const vast_address_range *vip_ranges; /* the tenant's VIP pool on this cluster */
    size_t n_vip_ranges;
    int vip_subnet_cidr;
    const vast_tenant_class *classes;
    size_t n_classes; /* <= VAST_TENANT_CLASSES_MAX */
    bool object_storage; /* S3 host rules on the view policy */
    /* The drivers' tenant admin. The password is the one the operator keeps in the
     * tenant's Secret: used when the login is created (or re-created after a hand
     * delete); an existing login's password is never read back or rewritten. NULL: apply
     * makes no tenant admin (remove deletes the one it finds all the same). */
    const char *admin_password;
    /* True when the operator had to make admin_password anew (its Secret was lost): an
     * existing login's password is then set to it, once (PATCH managers/<id>/). */
    bool reset_admin_password;
} vast_tenant_spec;

typedef struct {
    char tenant[VAST_TENANT_NAME_MAX];
    char view_policy[VAST_TENANT_NAME_MAX];
    char vip_pool[VAST_TENANT_NAME_MAX];
    char root_quota[VAST_TENANT_NAME_MAX];
    char admin[VAST_TENANT_NAME_MAX];
    char class_qos[VAST_TENANT_CLASSES_MAX][VAST_TENANT_NAME_MAX]; /* "" for a class without QoS */
} vast_tenant_names;

/* The names every object of this tenant gets (spec->name and the classes). */
void vast_tenant_names_of(const vast_tenant_spec *spec, vast_tenant_names *out);

typedef struct {
    vast_tenant_names names;
    int64_t tenant_id, vip_pool_id, view_policy_id, root_quota_id, admin_id;
    int64_t used_bytes; /* the root quota's used_capacity */
    unsigned writes;    /* VMS creates, updates and deletes this call made */
    char repaired[512]; /* "tenant vk-acme (qos), view policy vk-acme (nfs_read_write)"; "" none */
} vast_tenant_result;

/* Makes the cluster match spec. False with st: INVALID_ARGUMENT for a spec VMS refuses
 * (its message quoted: an overlapping client range, an address range it rejects),
 * ALREADY_EXISTS when a name the tenant needs is held by an object of another tenant,
 * UNAVAILABLE / DEADLINE_EXCEEDED for VMS down or slow, UNAUTHENTICATED /
 * PERMISSION_DENIED for the cluster-admin credentials. out is filled as far as it got. */
bool vast_tenant_apply(vms_client *c, const vast_tenant_spec *spec, int64_t deadline, vast_tenant_result *out,
                       vk_status *st);

/* Removes what vast_tenant_apply made, in reverse order, waiting for VMS's async
 * deletes (tenant, VIP pool) until deadline. FAILED_PRECONDITION (nothing removed)
 * while the tenant holds views or quotas other than the root quota, naming up to a few
 * of them; OK when nothing is left (also when nothing was there). */
bool vast_tenant_remove(vms_client *c, const vast_tenant_spec *spec, int64_t deadline, vast_tenant_result *out,
                        vk_status *st);

#endif
