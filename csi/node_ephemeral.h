/* Inline ephemeral volumes: a pod's `csi:` volume with volumeAttributes instead of a
 * PVC. The node makes the volume on VAST itself at NodePublishVolume (the same work as
 * CreateVolume, with the node-publish secret or the node's default cluster) and deletes
 * it at NodeUnpublishVolume. Between the two, a record in --state-dir (root-only,
 * written atomically before the mount) remembers where the volume lives and how to
 * reach its cluster, since NodeUnpublishVolume carries neither context nor secrets. */
#ifndef VK_CSI_NODE_EPHEMERAL_H
#define VK_CSI_NODE_EPHEMERAL_H

#include "driver.h"
#include "ephemeral_record.h"

#include "csi.pb-c.h"

#include "node_path.h"

/* True when the volume context marks an inline ephemeral volume. */
bool csi_node_is_ephemeral(vk_strmap context);

/* What a pod may say about its inline volume. Everything that decides where the volume
 * lives and whose it is (root_export, view_policy, cluster_name, vip pool, QoS, name
 * formats) comes from the driver's --ephemeral-parameters; a pod's volumeAttributes
 * may hold only POD_KEYS (size) and the keys the kubelet adds (ephemeral, pod.name,
 * pod.namespace, pod.uid, serviceAccount.name). A configured key with exactly the
 * configured value is accepted too, for pods written for the vendor's driver.
 * FAILED_PRECONDITION when the node has no --ephemeral-parameters, INVALID_ARGUMENT
 * naming the first key a pod may not set, or for a volume id that is not the kubelet's
 * ("csi-" and hex). */
bool csi_node_ephemeral_check(const csi_driver *driver, const char *volume_id, vk_strmap context,
                              vk_status *st);

/* Makes the volume (idempotent) and mounts it at the resolved target. */
vk_code csi_node_publish_ephemeral(csi_driver *driver, vk_rpc_call *call,
                                            const Csi__V1__NodePublishVolumeRequest *req, const csi_path *target,
                                            vk_status *st);

/* After the target is unmounted: deletes the volume if volume_id is an ephemeral
 * volume this node made and target_path is the target it was published at, and forgets
 * it. OK when it is not one (or the target is another). */
vk_code csi_node_forget_ephemeral(csi_driver *driver, const char *volume_id, const char *target_path,
                                           int64_t deadline, vk_status *st);



#endif
