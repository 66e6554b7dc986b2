/* vast-operator's command line: flags, each with an environment variable, defaults,
 * and the help text. */
#ifndef VK_OPERATOR_OPTIONS_H
#define VK_OPERATOR_OPTIONS_H

#include "vk/log.h"
#include "vk/status.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define OP_DEFAULT_NAME_PREFIX "vk-"
#define OP_DEFAULT_DRIVER_NAMESPACE "vast-system"
#define OP_DEFAULT_CSI_DRIVER "csi.vast-k8s.io"
#define OP_DEFAULT_COSI_DRIVER "cosi.vast-k8s.io"
#define OP_DEFAULT_HEALTH_ADDRESS "127.0.0.1:8081"
#define OP_DEFAULT_LEASE_NAME "vast-operator"

typedef struct {
    char kubeconfig[1024];       /* "" = in-cluster */
    char context[256];
    char driver_namespace[64];   /* where tenant Secrets go */
    char csi_driver[128];        /* StorageClass provisioner, VolumeSnapshotClass driver */
    char cosi_driver[128];       /* BucketClass driverName */
    char name_prefix[16];        /* of everything made on VAST */
    char health_address[128];    /* host:port of /healthz and /readyz; "" = off */
    char lease_namespace[64];    /* "" = driver_namespace */
    char lease_name[64];
    char identity[128];          /* "" = <hostname>_<pid> */
    bool leader_elect;
    int workers;
    int64_t resync_ms;           /* every Tenant and VastCluster is reconciled this often */
    int64_t vms_timeout_ms;      /* one VMS request */
    int64_t reconcile_timeout_ms;/* one reconcile of one object, everything included */
    int64_t backoff_initial_ms, backoff_max_ms;
    double kube_qps;
    int kube_burst;
    bool allow_http_vms;         /* test only: http:// VastCluster endpoints (vms-sim) */
    vk_log_level log_level;
    vk_log_format log_format;
    bool show_help, show_version;
} op_options;

/* Defaults, then the environment, then argv. False with st naming the flag. */
bool op_options_parse(int argc, char **argv, op_options *o, vk_status *st);
void op_options_usage(FILE *out);

#endif
