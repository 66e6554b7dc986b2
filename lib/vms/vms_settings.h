/* Private to lib/vms: the configuration as a client keeps it (vms_config.c) - owned
 * copies, defaults applied - and its comparison and hash for the registry. */
#ifndef VK_VMS_SETTINGS_H
#define VK_VMS_SETTINGS_H

#include "vk/vms.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char *endpoint;     /* "https://host:port" */
    char *base_url;     /* "https://host:port/api/v1/" */
    char *api_version;  /* "v1", or "" for unversioned */
    char *username;     /* NULL with API-token auth */
    char *password;
    char *api_token;
    char *tenant;
    char *ca_file;
    char *ca_pem;
    bool insecure_skip_tls_verify;
    bool allow_http;
    int64_t request_timeout_ms;
    int64_t connect_timeout_ms;
    int max_connections;
    int max_attempts;
    int64_t retry_initial_ms;
    int64_t retry_max_ms;
    int list_page_size;
} vms_settings;

/* Validates cfg into owned settings (defaults applied); vms_settings_free releases
 * them (wiping secrets). */
bool vms_settings_from_config(const vms_config *cfg, vms_settings *s, vms_error *err);
void vms_settings_free(vms_settings *s);
/* Same cluster, credentials, tenant, version, TLS and tuning: one client serves both. */
bool vms_settings_equal(const vms_settings *a, const vms_settings *b);
/* A hash of everything vms_settings_equal compares (a lookup key; never logged). */
uint64_t vms_settings_hash(const vms_settings *s);

#endif
