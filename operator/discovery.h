/* Which optional APIs the cluster serves (VolumeSnapshotClasses, COSI), asked of the
 * API server's discovery and remembered for a minute: a CRD installed later is seen
 * within that time, and a thousand Tenants do not ask a thousand times. */
#ifndef VK_OPERATOR_DISCOVERY_H
#define VK_OPERATOR_DISCOVERY_H

#include "vk/kube_client.h"

#include <stdbool.h>

#define OP_DISCOVERY_TTL_MS 60000

/* True when /apis/<group>/<version> lists resource. A failure to ask counts as not
 * served (and is asked again at the next call). */
bool op_api_served(vk_kube_client *kc, const char *group, const char *version, const char *resource);

#endif
