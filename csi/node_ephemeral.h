/* Inline ephemeral volumes: a pod's `csi:` volume with volumeAttributes instead of a
 * PVC. The node makes the volume on VAST itself at NodePublishVolume (the same work as
 * CreateVolume, with the node-publish secret or the node's default cluster) and deletes
 * it at NodeUnpublishVolume. Between the two, a record in --state-dir (root-only,
 * written atomically before the mount) remembers where the volume lives and how to
 * reach its cluster, since NodeUnpublishVolume carries neither context nor secrets. */
#ifndef VK_CSI_NODE_EPHEMERAL_H
#define VK_CSI_NODE_EPHEMERAL_H

#include "driver.h"

#include "csi.pb-c.h"

/* True when the volume context marks an inline ephemeral volume. */
bool csi_node_is_ephemeral(csi_string_map context);

/* Makes the volume (idempotent) and mounts it at the request's target. */
grpc_status_code csi_node_publish_ephemeral(csi_driver *driver, vk_rpc_call *call,
                                            const Csi__V1__NodePublishVolumeRequest *req, vk_status *st);

/* After the target is unmounted: deletes the volume if volume_id is an ephemeral
 * volume this node made, and forgets it. OK when it is not one. */
grpc_status_code csi_node_forget_ephemeral(csi_driver *driver, const char *volume_id, int64_t deadline,
                                           vk_status *st);

/* The VAST path of an inline ephemeral volume this node made; false if it made none. */
bool csi_node_ephemeral_path(const csi_driver *driver, const char *volume_id, char *path, size_t size);

#endif
