/* node_metrics: the families behind node_metrics.h. */
#include "node_metrics.h"

#include "vk/deadline.h"
#include "vk/metrics.h"

#include <pthread.h>

static vk_metric *durations, *stale, *abandoned;

static void make_families(void) {
    durations = vk_metric_histogram("vast_csi_node_operation_duration_seconds",
                                    "Time of one mount, unmount (normal, forced and lazy attempts together) or probe "
                                    "(statvfs) of a volume's mount, by operation",
                                    VK_LABELS("operation"), VK_METRICS_LATENCY_BUCKETS, VK_METRICS_LATENCY_BUCKETS_N);
    stale = vk_metric_counter("vast_csi_node_stale_mounts_total",
                              "Mounts found stale (ESTALE) or dead (the probe's bound passed) by a probe before "
                              "staging or by NodeGetVolumeStats (found), and those replaced by a fresh mount "
                              "(repaired)",
                              VK_LABELS("action"));
    abandoned = vk_metric_counter("vast_csi_node_abandoned_helpers_total",
                                  "Mount helpers killed and left to the reaper because they stayed in the kernel "
                                  "past their bound (an NFS server that does not answer)",
                                  VK_NO_LABELS);
    /* zero series, so increase() and alerts see them before the first event */
    vk_metric_add(stale, 0, "found");
    vk_metric_add(stale, 0, "repaired");
    vk_metric_add(abandoned, 0);
}

void csi_node_metrics_register(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_families);
}

void csi_node_metrics_operation(csi_node_op op, int64_t started_ms) {
    static const char *const names[] = {[CSI_NODE_OP_MOUNT] = "mount", [CSI_NODE_OP_UNMOUNT] = "unmount",
                                        [CSI_NODE_OP_PROBE] = "probe"};
    csi_node_metrics_register();
    vk_metric_observe(durations, (double)(vk_now_ms() - started_ms) / 1e3, names[op]);
}

void csi_node_metrics_stale(csi_stale_action action) {
    csi_node_metrics_register();
    vk_metric_add(stale, 1, action == CSI_STALE_REPAIRED ? "repaired" : "found");
}

void csi_node_metrics_abandoned_helper(void) {
    csi_node_metrics_register();
    vk_metric_add(abandoned, 1);
}
