/* Command-line flags and environment of vast-csi. Each flag has an environment
 * equivalent (the vendor driver's names where it has one, so its manifests keep
 * working); a flag wins over the environment, the environment over the default. */
#ifndef VK_CSI_OPTIONS_H
#define VK_CSI_OPTIONS_H

#include "vk/endpoint.h"
#include "vk/log.h"
#include "vk/status.h"
#include "vk/vast_owner.h"

#include <stdbool.h>
#include <stdio.h>

#define CSI_DEFAULT_DRIVER_NAME "csi.vast-k8s.io"
/* /k8s, and every tenant root the operator makes (<tenantsRoot>/<VAST tenant>, docs/operator.md) */
#define CSI_DEFAULT_ROOT_EXPORTS "/k8s,/vast-k8s/tenants/*"
#define CSI_DEFAULT_ENDPOINT "unix:///csi/csi.sock"
#define CSI_DRIVER_NAME_MAX 63
/* COSI mode: the provisioner sidecar's defaults (it dials unix:///var/lib/cosi/cosi.sock
 * unless told otherwise; the COSI spec names COSI_ENDPOINT for the plugin's address). */
#define COSI_DEFAULT_DRIVER_NAME "cosi.vast-k8s.io"
#define COSI_DEFAULT_ENDPOINT "unix:///var/lib/cosi/cosi.sock"
#define COSI_ENDPOINT_ENV "COSI_ENDPOINT"

typedef enum {
    CSI_MODE_CONTROLLER = 1,
    CSI_MODE_NODE = 2,
    CSI_MODE_ALL = CSI_MODE_CONTROLLER | CSI_MODE_NODE,
    /* the COSI v1alpha1 Identity and Provisioner services, and no CSI service */
    CSI_MODE_COSI = 4,
} csi_mode;

typedef struct {
    vk_endpoint endpoint;
    csi_mode mode;
    char node_id[256];
    char driver_name[CSI_DRIVER_NAME_MAX + 1];
    vk_log_level log_level;
    vk_log_format log_format;
    int workers;
    int shutdown_grace_ms;
    int max_queue_wait_ms;       /* calls waiting longer for a worker get UNAVAILABLE */
    /* VMS access */
    char vms_secret_dir[1024];   /* default cluster for requests without secrets; "" = none */
    bool vms_insecure_skip_verify;
    char vms_api_version[16];
    int vms_timeout_ms;          /* one VMS request */
    int operation_timeout_ms;    /* a whole RPC, when the CO sets no deadline */
    int cache_ttl_ms;            /* view policy, QoS policy, VIP pool, version lookups */
    vast_roots root_exports;     /* where volumes may be made, and the only places they are found */
    /* node */
    char mount_mode[8];          /* "nfs" (default) or "bind" (no NFS client: bind_root) */
    char bind_root[1024];        /* bind mode: the local directory VAST paths live under */
    char local_nfs_address[256]; /* mount from this address instead of a VIP (DPU setups) */
    int mount_timeout_ms, unmount_timeout_ms, probe_timeout_ms;
    int max_volumes_per_node;
    char topology[1024];         /* "key=value,key=value" for NodeGetInfo */
    char state_dir[1024];        /* node: records of inline ephemeral volumes */
    char kubelet_dir[1024];      /* node: staging and target paths must lie under it; "" = anywhere */
    char ephemeral_parameters[4096]; /* node: StorageClass keys of inline volumes; "" = none allowed */
    bool advertise_get_snapshot; /* controller: list GET_SNAPSHOT among the capabilities */
    char http_endpoint[256];     /* host:port of /metrics, /healthz, /readyz; "" = off */
    bool show_help;
    bool show_version;
    /* set by the parser: --endpoint / CSI_ENDPOINT and --driver-name / X_CSI_PLUGIN_NAME
     * were given (else cosi mode puts its own defaults there) */
    bool endpoint_given;
    bool driver_name_given;
} csi_options;

/* Fills *out from argv and the environment. Returns false with INVALID_ARGUMENT and a
 * message naming the flag (and its environment variable) on a bad value. */
bool csi_options_parse(int argc, char **argv, csi_options *out, vk_status *st);

/* Usage text for --help. */
void csi_options_usage(FILE *out);

const char *csi_mode_name(csi_mode mode);

/* The plugin-name rule csi-sanity enforces: ^[a-zA-Z][A-Za-z0-9-._]{0,61}[a-zA-Z]$
 * (2-63 characters, letters at both ends). */
bool csi_driver_name_valid(const char *name);

/* COSI's rule for DriverGetInfo's name: 1-63 characters, a letter or digit at both
 * ends, letters, digits, '-' and '.' inside. */
bool cosi_driver_name_valid(const char *name);

#endif
