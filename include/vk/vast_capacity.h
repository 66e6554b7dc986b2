/* GetCapacity as plain C: how many bytes a new volume of a StorageClass may use. */
#ifndef VK_VAST_CAPACITY_H
#define VK_VAST_CAPACITY_H

#include "vk/vast.h"

#include <stdint.h>

/* The free usable capacity of the parameters' cluster (the default cluster, or
 * cluster_name of it), or less where the view policy's tenant has a hard capacity
 * limit: the limit minus what the tenant's quotas use (never below 0). Parameters
 * without a view policy ask for the whole cluster's. */
vk_code vast_capacity_available(vast_ctx *ctx, const vast_volume_params *params, int64_t deadline,
                                int64_t *available, vk_status *st);

#endif
