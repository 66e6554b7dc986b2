/* node_metrics: what the node service counts (vk/metrics.h): how long each mount,
 * unmount (with its escalation) and probe of a mount took, stale or dead mounts found
 * and repaired, and mount helpers abandoned in the kernel past their bound
 * (docs/node.md, "Metrics"). */
#ifndef VK_CSI_NODE_METRICS_H
#define VK_CSI_NODE_METRICS_H

#include <stdint.h>

typedef enum { CSI_NODE_OP_MOUNT, CSI_NODE_OP_UNMOUNT, CSI_NODE_OP_PROBE } csi_node_op;
typedef enum { CSI_STALE_FOUND, CSI_STALE_REPAIRED } csi_stale_action;

/* Registers the families (so a scrape shows them before the first mount); idempotent. */
void csi_node_metrics_register(void);

/* started_ms: vk_now_ms() when the operation began. */
void csi_node_metrics_operation(csi_node_op op, int64_t started_ms);
void csi_node_metrics_stale(csi_stale_action action);
void csi_node_metrics_abandoned_helper(void);

#endif
