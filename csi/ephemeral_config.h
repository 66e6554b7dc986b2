/* The driver's configuration of inline ephemeral volumes (--ephemeral-parameters):
 * the StorageClass parameters such a volume is made with, so a pod never chooses where
 * on VAST its volume goes (root_export), whose tenant it joins (view_policy), which
 * cluster, pool, QoS or name format. Written "key=value,key=value" with the
 * StorageClass's keys; mount_options, whose value is itself a comma list, must come
 * last and takes the rest of the text. */
#ifndef VK_CSI_EPHEMERAL_CONFIG_H
#define VK_CSI_EPHEMERAL_CONFIG_H

#include "vk/vast_params.h"
#include "csi_map.h"

#include <stdbool.h>
#include <stddef.h>

enum { CSI_EPHEMERAL_MAX_KEYS = 32 };

typedef struct {
    char text[4096]; /* the parsed copy the entries point into */
    csi_string_entry entries[CSI_EPHEMERAL_MAX_KEYS];
    const void *list[CSI_EPHEMERAL_MAX_KEYS];
    size_t n;
} csi_ephemeral_config;

/* Splits text into its pairs and checks them as StorageClass parameters (required ones
 * present; keys of the CO, csi.storage.k8s.io/..., refused). why explains a failure. */
bool csi_ephemeral_config_parse(const char *text, csi_ephemeral_config *out, char *why, size_t size);

/* csi_ephemeral_config_parse for options.c, without keeping the result. */
bool csi_ephemeral_config_check(const char *text, char *why, size_t size);

/* The pairs as a map the parameter parser reads. */
vk_strmap csi_ephemeral_config_map(const csi_ephemeral_config *config);

#endif
