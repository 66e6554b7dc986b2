/* StorageClass, VolumeSnapshotClass and VolumeAttributesClass parameters, by the vendor
 * driver's names so existing classes move over unchanged, and the CO's
 * extra-create-metadata keys. Strings point into the request (valid for the call). */
#ifndef VK_VAST_PARAMS_H
#define VK_VAST_PARAMS_H

#include "vk/strmap.h"
#include "vk/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *root_export;     /* required: the directory volumes are made under */
    const char *view_policy;     /* required: its tenant is the volume's tenant */
    const char *vip_pool_name;   /* one of these two tells the node where to mount from */
    const char *vip_pool_fqdn;
    bool vip_pool_fqdn_random_prefix;
    const char *qos_policy;      /* optional, by name */
    int64_t qos_policy_id;       /* optional, by id (0 = none) */
    const char *mount_options;   /* comma-separated, passed to the node */
    const char *volume_name_fmt; /* quota name format */
    const char *eph_volume_name_fmt;
    const char *cluster_name;    /* key into a multi-cluster secret */
    /* from external-provisioner --extra-create-metadata */
    const char *pvc_name;
    const char *pvc_namespace;
    /* inline ephemeral volumes (volumeAttributes of a pod's csi volume) */
    const char *size;           /* a Kubernetes quantity: "1Gi", "500M", "1073741824" */
    const char *pod_name;       /* csi.storage.k8s.io/pod.name (podInfoOnMount) */
    const char *pod_namespace;
} vast_volume_params;

/* Parses a CreateVolume's parameters. Unknown keys and malformed values are
 * INVALID_ARGUMENT naming the parameter; required ones missing likewise. */
bool vast_volume_params_parse(vk_strmap map, vast_volume_params *out, vk_status *st);

/* The subset GetCapacity and ControllerGetVolume understand (no requirement that
 * root_export and view_policy are present). */
bool vast_volume_params_parse_lenient(vk_strmap map, vast_volume_params *out, vk_status *st);

typedef struct {
    const char *snapshot_name_fmt;
    const char *cluster_name;
    const char *snapshot_name;      /* csi.storage.k8s.io/volumesnapshot/name */
    const char *snapshot_namespace; /* csi.storage.k8s.io/volumesnapshot/namespace */
} vast_snapshot_params;

bool vast_snapshot_params_parse(vk_strmap map, vast_snapshot_params *out, vk_status *st);

/* VolumeAttributesClass (mutable_parameters): only qos_policy may change. */
typedef struct {
    const char *qos_policy;
} vast_mutable_params;

bool vast_mutable_params_parse(vk_strmap map, vast_mutable_params *out, vk_status *st);

#endif
