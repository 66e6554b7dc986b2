/* Clients for several VMS clusters at once.
 *
 * The CSI controller gets the VMS endpoint and credentials with every request (from the
 * StorageClass secret), and several StorageClasses may point at different clusters,
 * users or tenants. The registry keeps one client per distinct configuration
 * (endpoint, credentials, tenant, API version, TLS settings, tuning), created on first
 * use and reused after, so tokens and connections are shared by every request for the
 * same cluster and user. Entries are keyed by a hash of that tuple, confirmed by an
 * exact comparison; neither is ever logged. Thread-safe. */
#ifndef VK_VMS_REGISTRY_H
#define VK_VMS_REGISTRY_H

#include "vk/vms.h"

#include <stddef.h>

typedef struct vms_registry vms_registry;

/* Keeps at most max_clients (0 = 64) clients; beyond that the least recently used is
 * dropped (it lives on until its current users release it). */
vms_registry *vms_registry_new(size_t max_clients);
/* Releases the registry's references; clients still held elsewhere live on. */
void vms_registry_free(vms_registry *r);

/* The client for cfg (created if needed, validated as by vms_client_new): a new
 * reference the caller releases with vms_client_free. */
bool vms_registry_get(vms_registry *r, const vms_config *cfg, vms_client **out, vms_error *err);

/* How many clients are cached. */
size_t vms_registry_size(vms_registry *r);

#endif
