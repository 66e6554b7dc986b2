/* Which VAST cluster a request talks to, and the lookups every request repeats.
 *
 * A request names its cluster through its secrets (the vendor driver's keys, unchanged):
 *   endpoint, username + password or token, optional ssl_cert (PEM) and tenant;
 *   or `clusters`: a YAML map of cluster name -> those keys, chosen by the StorageClass
 *   parameter cluster_name (a multi-cluster secret).
 * Requests without secrets (ListVolumes, GetCapacity, ControllerGetVolume) use the
 * driver's default cluster, read from --vms-secret-dir (files named like the keys).
 * One VMS client per distinct cluster + credentials is kept (vk/vms_registry.h), so
 * tokens and connections are shared.
 *
 * View policies, QoS policies and VIP pools change rarely and are looked up by name on
 * every create: they are cached per cluster for --cache-ttl (5 minutes by default). */
#ifndef VK_VMS_CLUSTERS_H
#define VK_VMS_CLUSTERS_H

#include "vk/strmap.h"

#include "vk/status.h"
#include "vk/vms.h"
#include "vk/vms_objects.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct vms_clusters vms_clusters;

typedef struct {
    const char *secret_dir;     /* default cluster's secret files; NULL = none */
    bool insecure_skip_verify;  /* explicit opt-out of TLS verification */
    const char *api_version;    /* NULL = v1 */
    int64_t request_timeout_ms; /* per VMS request */
    int64_t cache_ttl_ms;
    int max_connections;        /* per cluster: as many as calls may run at once */
} vms_clusters_options;

vms_clusters *vms_clusters_new(const vms_clusters_options *options);
void vms_clusters_free(vms_clusters *clusters);

/* A client for the request: from secrets (with cluster_name picking an entry of a
 * multi-cluster secret), or the default cluster when secrets are empty. A new
 * reference: release with vms_client_free. INVALID_ARGUMENT names a missing or bad
 * secret key (never its value); FAILED_PRECONDITION when there is no default cluster.
 * A named cluster is only ever reached through a multi-cluster secret that holds it:
 * a single-cluster secret, or the default cluster, for a named one is refused, so an
 * id naming another cluster never acts on this one. */
bool vms_clusters_client(vms_clusters *clusters, vk_strmap secrets, const char *cluster_name,
                         vms_client **out, vk_status *st);

/* True when secrets reach the cluster: a multi-cluster secret holding cluster_name, or
 * for no name, a single-cluster secret (or none: the default cluster). */
bool vms_clusters_holds(vk_strmap secrets, const char *cluster_name);

/* Cached lookups by name. NOT_FOUND names the object and the cluster. */
typedef struct {
    int64_t id;
    int64_t tenant_id;
    char tenant_name[128];
} vms_policy_ref;

bool vms_clusters_view_policy(vms_clusters *clusters, vms_client *c, const char *name, int64_t deadline,
                              vms_policy_ref *out, vk_status *st);
bool vms_clusters_qos_policy(vms_clusters *clusters, vms_client *c, const char *name, int64_t deadline,
                             int64_t *id, vk_status *st);
/* The VIP pool named name, decoded (its ip_ranges too): release with
 * vms_object_free(&out->obj). */
bool vms_clusters_vippool(vms_clusters *clusters, vms_client *c, const char *name, int64_t deadline,
                          vms_vippool *out, vk_status *st);
/* The tenant of that id (its local provider rarely changes), decoded: release with
 * vms_object_free(&out->obj). NOT_FOUND when there is none. */
bool vms_clusters_tenant(vms_clusters *clusters, vms_client *c, int64_t id, int64_t deadline, vms_tenant *out,
                         vk_status *st);
bool vms_clusters_version(vms_clusters *clusters, vms_client *c, int64_t deadline, vms_version *out,
                          vk_status *st);

/* Forgets a cached object, after VMS said it no longer exists. */
void vms_clusters_forget(vms_clusters *clusters, vms_client *c, const char *kind, const char *name);

/* Turns a VMS failure into the request's status, naming what was being done. */
vk_code vms_fail(vk_status *st, const vms_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
