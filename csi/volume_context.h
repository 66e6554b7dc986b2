/* The volume context: what CreateVolume (and an inline volume's publish) hands the
 * node, so NodePublishVolume mounts without asking VMS. Written here, read by
 * node_source.c; the keys are the vendor driver's where it has one. */
#ifndef VK_CSI_VOLUME_CONTEXT_H
#define VK_CSI_VOLUME_CONTEXT_H

#include "csi_map.h"
#include "vk/vast.h"

/* The volume context CreateVolume returns, as map entries in the call's arena. */
void **csi_volume_context(vk_rpc_call *call, const vast_volume_params *p, const vast_volume_result *v, size_t *n);

#endif
