#include "options.h"

#include "ephemeral_config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

/* One row per setting: the flag, its environment variable, and the help line. */
typedef struct {
    const char *flag;
    const char *env;
    const char *help;
} setting;

enum { OPT_ENDPOINT, OPT_MODE, OPT_NODE_ID, OPT_DRIVER_NAME, OPT_LOG_LEVEL, OPT_LOG_FORMAT,
       OPT_WORKERS, OPT_SHUTDOWN_GRACE, OPT_MAX_QUEUE_WAIT, OPT_VMS_SECRET_DIR, OPT_VMS_INSECURE, OPT_VMS_API_VERSION,
       OPT_VMS_TIMEOUT, OPT_OPERATION_TIMEOUT, OPT_CACHE_TTL, OPT_ROOT_EXPORTS, OPT_LIST_ROOTS, OPT_MOUNT_MODE, OPT_BIND_ROOT,
       OPT_LOCAL_NFS_ADDRESS, OPT_MOUNT_TIMEOUT, OPT_UNMOUNT_TIMEOUT, OPT_PROBE_TIMEOUT, OPT_MAX_VOLUMES,
       OPT_TOPOLOGY, OPT_STATE_DIR, OPT_KUBELET_DIR, OPT_EPHEMERAL_PARAMETERS, OPT_ADVERTISE_GET_SNAPSHOT,
       OPT_HTTP_ENDPOINT, OPT_COUNT };

static const setting settings[OPT_COUNT] = {
    [OPT_ENDPOINT] = {"endpoint", "CSI_ENDPOINT",
                      "where to listen: unix:///path.sock (default " CSI_DEFAULT_ENDPOINT ") or tcp://host:port; "
                      "cosi mode: a unix socket only, default $" COSI_ENDPOINT_ENV ", else " COSI_DEFAULT_ENDPOINT},
    [OPT_MODE] = {"mode", "X_CSI_MODE",
                  "controller | node | all | cosi (default all; controller_and_node and the vendor's cosi_plugin "
                  "are accepted). cosi serves the COSI v1alpha1 Identity and Provisioner services and no CSI "
                  "service"},
    [OPT_NODE_ID] = {"node-id", "X_CSI_NODE_ID", "this node's id for NodeGetInfo (default: the host name)"},
    [OPT_DRIVER_NAME] = {"driver-name", "X_CSI_PLUGIN_NAME",
                         "CSI driver name (default " CSI_DEFAULT_DRIVER_NAME "); cosi mode: the COSI driver name "
                         "BucketClasses name (default " COSI_DEFAULT_DRIVER_NAME ")"},
    [OPT_LOG_LEVEL] = {"log-level", "X_CSI_LOG_LEVEL", "debug | info | warn | error (default info)"},
    [OPT_LOG_FORMAT] = {"log-format", "X_CSI_LOG_FORMAT", "logfmt | json (default logfmt)"},
    [OPT_WORKERS] = {"workers", "X_CSI_WORKER_THREADS", "most threads serving Controller and Node calls at once: started as calls arrive, retired after 30 s idle (default 128, 1-1024)"},
    [OPT_SHUTDOWN_GRACE] = {"shutdown-grace", "X_CSI_SHUTDOWN_GRACE_MS",
                            "ms that in-flight calls may run after SIGTERM (default 10000)"},
    [OPT_MAX_QUEUE_WAIT] = {"max-queue-wait", "X_CSI_MAX_QUEUE_WAIT_MS",
                            "ms a call may wait for a free worker before it is answered UNAVAILABLE, so the CO "
                            "backs off instead of piling up (default 10000, 0 = no limit)"},
    [OPT_VMS_SECRET_DIR] = {"vms-secret-dir", "X_CSI_VMS_SECRET_DIR",
                            "directory of the default cluster's secret (files endpoint, username, password or "
                            "token, ssl_cert), for requests that carry none; required in cosi mode (COSI calls "
                            "carry no secrets)"},
    [OPT_VMS_INSECURE] = {"vms-insecure-skip-verify", "X_CSI_VMS_INSECURE_SKIP_VERIFY",
                          "true to skip TLS verification of VMS (default false: verified)"},
    [OPT_VMS_API_VERSION] = {"vms-api-version", "X_CSI_VMS_API_VERSION", "VMS API version (default v1)"},
    [OPT_VMS_TIMEOUT] = {"vms-timeout", "X_CSI_VMS_TIMEOUT_MS", "ms one VMS request may take (default 30000)"},
    [OPT_OPERATION_TIMEOUT] = {"operation-timeout", "X_CSI_OPERATION_TIMEOUT_MS",
                               "ms an RPC may take when the CO sets no deadline (default 120000)"},
    [OPT_CACHE_TTL] = {"cache-ttl", "X_CSI_CACHE_TTL_MS",
                       "ms view policies, QoS policies, VIP pools and the VAST version are cached (default 300000)"},
    [OPT_ROOT_EXPORTS] = {"root-exports", "X_CSI_ROOT_EXPORTS",
                          "comma-separated VAST directories volumes are made under (a StorageClass's root_export "
                          "must be one of them) and the only places the driver deletes, lists or changes "
                          "volumes; \"<parent>/*\" makes every directory directly below <parent> one (the "
                          "operator's tenant roots) (default " CSI_DEFAULT_ROOT_EXPORTS "); in cosi mode the "
                          "same for buckets and a BucketClass's root_export"},
    [OPT_LIST_ROOTS] = {"list-roots", "X_CSI_LIST_ROOTS", "former name of --root-exports"},
    [OPT_MOUNT_MODE] = {"mount-mode", "X_CSI_MOUNT_MODE",
                        "nfs (default): kernel NFS mounts; bind: bind-mount VAST paths from --bind-root, for "
                        "machines without an NFS client (tests against vms-sim)"},
    [OPT_BIND_ROOT] = {"bind-root", "X_CSI_BIND_ROOT", "bind mode: the local directory VAST paths live under"},
    [OPT_LOCAL_NFS_ADDRESS] = {"local-nfs-address", "X_CSI_LOCAL_NFS_ADDRESS",
                               "mount from this node-local address instead of a VIP of the pool"},
    [OPT_MOUNT_TIMEOUT] = {"mount-timeout", "X_CSI_MOUNT_TIMEOUT_MS", "ms one NFS mount may take (default 60000)"},
    [OPT_UNMOUNT_TIMEOUT] = {"unmount-timeout", "X_CSI_UNMOUNT_TIMEOUT_MS",
                             "ms one unmount attempt may take before a forced, then lazy, unmount (default 15000)"},
    [OPT_PROBE_TIMEOUT] = {"probe-timeout", "X_CSI_PROBE_TIMEOUT_MS",
                           "ms a stat of a mounted volume may take before it is reported unreachable (default 5000)"},
    [OPT_MAX_VOLUMES] = {"max-volumes-per-node", "X_CSI_MAX_VOLUMES_PER_NODE",
                         "volumes this node accepts, reported by NodeGetInfo (default 0: no limit)"},
    [OPT_TOPOLOGY] = {"topology", "X_CSI_TOPOLOGY",
                      "topology segments NodeGetInfo reports, key=value,key=value (e.g. a zone label)"},
    [OPT_STATE_DIR] = {"state-dir", "X_CSI_STATE_DIR",
                       "node: where records of inline ephemeral volumes are kept, root-only (default "
                       "/var/lib/vast-csi)"},
    [OPT_KUBELET_DIR] = {"kubelet-dir", "X_CSI_KUBELET_DIR",
                         "node: every staging and target path must lie under this directory (e.g. "
                         "/var/lib/kubelet); default empty: anywhere (paths never pass a symbolic link either way)"},
    [OPT_EPHEMERAL_PARAMETERS] = {"ephemeral-parameters", "X_CSI_EPHEMERAL_PARAMETERS",
                                  "node: StorageClass parameters of inline ephemeral volumes, "
                                  "key=value,key=value (root_export, view_policy, vip_pool_name, ...; "
                                  "mount_options, if any, last); pods may set only size. Default empty: "
                                  "inline volumes are refused"},
    [OPT_ADVERTISE_GET_SNAPSHOT] = {"advertise-get-snapshot", "X_CSI_ADVERTISE_GET_SNAPSHOT",
                                    "true to advertise the GET_SNAPSHOT controller capability (GetSnapshot is "
                                    "served either way; default false, since csi-sanity v5.4.0 fails a driver "
                                    "that advertises it)"},
    [OPT_HTTP_ENDPOINT] = {"http-endpoint", "X_CSI_HTTP_ENDPOINT",
                           "host:port serving /metrics (Prometheus), /healthz and /readyz over HTTP, e.g. "
                           "0.0.0.0:9808 (default: off)"},
};

void csi_options_usage(FILE *out) {
    fprintf(out, "usage: vast-csi [options]\n\n"
                 "VAST Data CSI driver: Identity, Controller and Node services on one endpoint; with --mode cosi,\n"
                 "the COSI provisioner instead (Identity and Provisioner of cosi.v1alpha1, for the objectstorage\n"
                 "sidecar).\n\n");
    for (int i = 0; i < OPT_COUNT; i++) {
        fprintf(out, "  --%-24s %s\n  %26s env %s\n", settings[i].flag, settings[i].help, "", settings[i].env);
    }
    fprintf(out, "  %-26s %s\n", "env " COSI_ENDPOINT_ENV,
            "cosi mode: where to listen when neither --endpoint nor CSI_ENDPOINT is set");
    fprintf(out, "  --%-24s %s\n  --%-24s %s\n", "version", "print the version and exit", "help",
            "print this help and exit");
}

const char *csi_mode_name(csi_mode mode) {
    switch (mode) {
    case CSI_MODE_CONTROLLER: return "controller";
    case CSI_MODE_NODE: return "node";
    case CSI_MODE_ALL: return "all";
    case CSI_MODE_COSI: return "cosi";
    }
    return "unknown";
}

bool csi_driver_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n < 2 || n > CSI_DRIVER_NAME_MAX) return false;
    if (!isalpha((unsigned char)name[0]) || !isalpha((unsigned char)name[n - 1])) return false;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!isalnum(ch) && ch != '-' && ch != '.' && ch != '_') return false;
    }
    return true;
}

bool cosi_driver_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n < 1 || n > CSI_DRIVER_NAME_MAX) return false;
    if (!isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1])) return false;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!isalnum(ch) && ch != '-' && ch != '.') return false;
    }
    return true;
}

static bool bad(vk_status *st, int opt, const char *value, const char *why) {
    vk_status_set(st, VK_INVALID_ARGUMENT, "--%s (env %s) = \"%s\": %s", settings[opt].flag,
                  settings[opt].env, value, why);
    return false;
}

static bool parse_int(const char *text, long min, long max, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < min || v > max) return false;
    *out = (int)v;
    return true;
}

/* ---- values that need more than a range or a path ---- */

static bool apply_endpoint(csi_options *o, int opt, const char *value, vk_status *st) {
    o->endpoint_given = true;
    if (vk_endpoint_parse(value, &o->endpoint, st)) return true;
    char why[VK_STATUS_MESSAGE_MAX]; /* st is about to be rewritten */
    snprintf(why, sizeof why, "%s", st->message);
    return bad(st, opt, value, why);
}

static bool apply_mode(csi_options *o, int opt, const char *value, vk_status *st) {
    if (strcmp(value, "controller") == 0) {
        o->mode = CSI_MODE_CONTROLLER;
    } else if (strcmp(value, "node") == 0) {
        o->mode = CSI_MODE_NODE;
    } else if (strcmp(value, "all") == 0 || strcmp(value, "controller_and_node") == 0) {
        o->mode = CSI_MODE_ALL;
    } else if (strcmp(value, "cosi") == 0 || strcmp(value, "cosi_plugin") == 0) {
        o->mode = CSI_MODE_COSI;
    } else {
        return bad(st, opt, value, "use controller, node or all (or cosi for the COSI provisioner)");
    }
    return true;
}

/* Kept as given: which rule it must follow (CSI's or COSI's) depends on --mode, which
 * may come later; driver_name_check says once everything is read. */
static bool apply_driver_name(csi_options *o, int opt, const char *value, vk_status *st) {
    if (strlen(value) > CSI_DRIVER_NAME_MAX) return bad(st, opt, value, "a driver name is at most 63 characters");
    snprintf(o->driver_name, sizeof o->driver_name, "%s", value);
    o->driver_name_given = true;
    return true;
}

static bool driver_name_check(csi_options *o, vk_status *st) {
    if (o->mode == CSI_MODE_COSI) {
        if (!o->driver_name_given) snprintf(o->driver_name, sizeof o->driver_name, "%s", COSI_DEFAULT_DRIVER_NAME);
        if (cosi_driver_name_valid(o->driver_name)) return true;
        return bad(st, OPT_DRIVER_NAME, o->driver_name,
                   "a COSI driver name is 1-63 characters of letters, digits, '-' and '.', starting and ending "
                   "with a letter or digit");
    }
    if (csi_driver_name_valid(o->driver_name)) return true;
    return bad(st, OPT_DRIVER_NAME, o->driver_name,
               "a driver name is 2-63 characters of letters, digits, '-', '.', '_', "
               "starting and ending with a letter");
}

/* Cosi mode: the sidecar's socket unless told otherwise, never TCP (the COSI spec allows
 * unix sockets only), and the default cluster's secret, since COSI calls carry none. */
static bool cosi_mode_check(csi_options *o, vk_status *st) {
    if (o->mode != CSI_MODE_COSI) return true;
    const char *source = "--endpoint (env CSI_ENDPOINT)";
    if (!o->endpoint_given) {
        const char *env = getenv(COSI_ENDPOINT_ENV);
        const char *text = env && *env ? env : COSI_DEFAULT_ENDPOINT;
        source = env && *env ? "env " COSI_ENDPOINT_ENV : "the default COSI endpoint";
        if (!vk_endpoint_parse(text, &o->endpoint, st)) {
            char why[VK_STATUS_MESSAGE_MAX];
            snprintf(why, sizeof why, "%s", st->message);
            vk_status_set(st, VK_INVALID_ARGUMENT, "%s = \"%s\": %s", source, text, why);
            return false;
        }
    }
    if (o->endpoint.kind != VK_ENDPOINT_UNIX) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "%s = \"%s\" is a TCP endpoint: COSI endpoints are unix sockets only (the objectstorage "
                      "sidecar dials unix://...); use e.g. %s",
                      source, o->endpoint.target, COSI_DEFAULT_ENDPOINT);
        return false;
    }
    if (!o->vms_secret_dir[0]) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "--mode cosi needs --vms-secret-dir (env X_CSI_VMS_SECRET_DIR): COSI calls carry no "
                      "secrets, so every bucket is made on the cluster of that secret directory (files endpoint, "
                      "username, password or token, ssl_cert)");
        return false;
    }
    return true;
}

static bool apply_log_level(csi_options *o, int opt, const char *value, vk_status *st) {
    return vk_log_level_parse(value, &o->log_level) || bad(st, opt, value, "use debug, info, warn or error");
}

static bool apply_log_format(csi_options *o, int opt, const char *value, vk_status *st) {
    return vk_log_format_parse(value, &o->log_format) || bad(st, opt, value, "use logfmt or json");
}

static bool apply_mount_mode(csi_options *o, int opt, const char *value, vk_status *st) {
    if (strcmp(value, "nfs") != 0 && strcmp(value, "bind") != 0) return bad(st, opt, value, "use nfs or bind");
    snprintf(o->mount_mode, sizeof o->mount_mode, "%s", value);
    return true;
}

static bool apply_topology(csi_options *o, int opt, const char *value, vk_status *st) {
    if (strlen(value) >= sizeof o->topology || (*value && !strchr(value, '='))) {
        return bad(st, opt, value, "use key=value,key=value");
    }
    snprintf(o->topology, sizeof o->topology, "%s", value);
    return true;
}

static bool apply_ephemeral(csi_options *o, int opt, const char *value, vk_status *st) {
    char why[VK_STATUS_MESSAGE_MAX];
    if (strlen(value) >= sizeof o->ephemeral_parameters) return bad(st, opt, value, "is too long");
    if (*value && !csi_ephemeral_config_check(value, why, sizeof why)) return bad(st, opt, value, why);
    snprintf(o->ephemeral_parameters, sizeof o->ephemeral_parameters, "%s", value);
    return true;
}

/* The form is checked here so a typo exits 2 at start; whether the port can be had is
 * known only when the server listens (main.c). */
static bool apply_http_endpoint(csi_options *o, int opt, const char *value, vk_status *st) {
    const char *colon = strrchr(value, ':');
    int port;
    if (strlen(value) >= sizeof o->http_endpoint || (*value && (!colon || colon == value ||
                                                               !parse_int(colon + 1, 0, 65535, &port))))
        return bad(st, opt, value, "use host:port, e.g. 0.0.0.0:9808, 127.0.0.1:9808 or [::]:9808");
    snprintf(o->http_endpoint, sizeof o->http_endpoint, "%s", value);
    return true;
}

static bool apply_roots(csi_options *o, int opt, const char *value, vk_status *st) {
    char why[256];
    return vast_roots_parse(value, &o->root_exports, why, sizeof why) || bad(st, opt, value, why);
}

/* ---- the table: how each flag's value is read, and into which field ---- */

typedef enum {
    VALUE_INT,    /* a number in [min, max] */
    VALUE_TEXT,   /* a string that fits (empty only when empty_ok) */
    VALUE_DIR,    /* an absolute path that fits (empty only when empty_ok) */
    VALUE_BOOL,   /* true or false */
    VALUE_CUSTOM, /* parse() */
} value_kind;

typedef struct {
    value_kind kind;
    size_t offset; /* of the field in csi_options */
    size_t size;   /* of a text field */
    long min, max;
    bool empty_ok;
    const char *why; /* what a wrong value is told */
    bool (*parse)(csi_options *o, int opt, const char *value, vk_status *st);
} value_rule;

#define FIELD(f) offsetof(csi_options, f), sizeof(((csi_options *)0)->f)
#define INT_RULE(f, lo, hi, why) {VALUE_INT, offsetof(csi_options, f), 0, lo, hi, false, why, NULL}
#define CUSTOM_RULE(fn) {VALUE_CUSTOM, 0, 0, 0, 0, false, NULL, fn}
#define MS_LONG "must be milliseconds from 100 to 86400000"
#define MS_MOUNT "must be milliseconds from 100 to 3600000"
#define MS_GRACE "must be a number of milliseconds from 0 to 3600000"
#define ABS_DIR "must be an absolute directory"

static const value_rule rules[OPT_COUNT] = {
    [OPT_ENDPOINT] = CUSTOM_RULE(apply_endpoint),
    [OPT_MODE] = CUSTOM_RULE(apply_mode),
    [OPT_NODE_ID] = {VALUE_TEXT, FIELD(node_id), 0, 0, false, "must be 1-255 characters", NULL},
    [OPT_DRIVER_NAME] = CUSTOM_RULE(apply_driver_name),
    [OPT_LOG_LEVEL] = CUSTOM_RULE(apply_log_level),
    [OPT_LOG_FORMAT] = CUSTOM_RULE(apply_log_format),
    [OPT_WORKERS] = INT_RULE(workers, 1, 1024, "must be a number from 1 to 1024"),
    [OPT_SHUTDOWN_GRACE] = INT_RULE(shutdown_grace_ms, 0, 3600000, MS_GRACE),
    [OPT_MAX_QUEUE_WAIT] = INT_RULE(max_queue_wait_ms, 0, 3600000, MS_GRACE),
    [OPT_VMS_SECRET_DIR] = {VALUE_DIR, FIELD(vms_secret_dir), 0, 0, false, ABS_DIR, NULL},
    [OPT_VMS_INSECURE] = {VALUE_BOOL, offsetof(csi_options, vms_insecure_skip_verify), 0, 0, 0, false, NULL, NULL},
    [OPT_VMS_API_VERSION] = {VALUE_TEXT, FIELD(vms_api_version), 0, 0, true, "use v1 to v5 or latest", NULL},
    [OPT_VMS_TIMEOUT] = INT_RULE(vms_timeout_ms, 100, 86400000, MS_LONG),
    [OPT_OPERATION_TIMEOUT] = INT_RULE(operation_timeout_ms, 100, 86400000, MS_LONG),
    [OPT_CACHE_TTL] = INT_RULE(cache_ttl_ms, 100, 86400000, MS_LONG),
    [OPT_ROOT_EXPORTS] = CUSTOM_RULE(apply_roots),
    [OPT_LIST_ROOTS] = CUSTOM_RULE(apply_roots),
    [OPT_MOUNT_MODE] = CUSTOM_RULE(apply_mount_mode),
    [OPT_BIND_ROOT] = {VALUE_DIR, FIELD(bind_root), 0, 0, false, ABS_DIR, NULL},
    [OPT_LOCAL_NFS_ADDRESS] = {VALUE_TEXT, FIELD(local_nfs_address), 0, 0, false, "must be an address", NULL},
    [OPT_MOUNT_TIMEOUT] = INT_RULE(mount_timeout_ms, 100, 3600000, MS_MOUNT),
    [OPT_UNMOUNT_TIMEOUT] = INT_RULE(unmount_timeout_ms, 100, 3600000, MS_MOUNT),
    [OPT_PROBE_TIMEOUT] = INT_RULE(probe_timeout_ms, 100, 3600000, MS_MOUNT),
    [OPT_MAX_VOLUMES] = INT_RULE(max_volumes_per_node, 0, 1000000, "must be 0 or more"),
    [OPT_TOPOLOGY] = CUSTOM_RULE(apply_topology),
    [OPT_STATE_DIR] = {VALUE_DIR, FIELD(state_dir), 0, 0, false, ABS_DIR, NULL},
    [OPT_KUBELET_DIR] = {VALUE_DIR, FIELD(kubelet_dir), 0, 0, true, ABS_DIR, NULL},
    [OPT_EPHEMERAL_PARAMETERS] = CUSTOM_RULE(apply_ephemeral),
    [OPT_ADVERTISE_GET_SNAPSHOT] = {VALUE_BOOL, offsetof(csi_options, advertise_get_snapshot), 0, 0, 0, false, NULL,
                                    NULL},
    [OPT_HTTP_ENDPOINT] = CUSTOM_RULE(apply_http_endpoint),
};

static bool apply(csi_options *o, int opt, const char *value, vk_status *st) {
    const value_rule *r = &rules[opt];
    char *field = (char *)o + r->offset;
    switch (r->kind) {
    case VALUE_INT:
        return parse_int(value, r->min, r->max, (int *)field) || bad(st, opt, value, r->why);
    case VALUE_BOOL:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) return bad(st, opt, value, "use true or false");
        *(bool *)field = strcmp(value, "true") == 0;
        return true;
    case VALUE_DIR:
    case VALUE_TEXT:
        if (r->kind == VALUE_DIR && (*value || !r->empty_ok) && value[0] != '/') return bad(st, opt, value, r->why);
        if ((!*value && !r->empty_ok) || strlen(value) >= r->size) return bad(st, opt, value, r->why);
        snprintf(field, r->size, "%s", value);
        return true;
    case VALUE_CUSTOM:
        return r->parse(o, opt, value, st);
    }
    return false;
}

static void set_defaults(csi_options *o) {
    memset(o, 0, sizeof *o);
    vk_status ignored;
    vk_endpoint_parse(CSI_DEFAULT_ENDPOINT, &o->endpoint, &ignored);
    o->mode = CSI_MODE_ALL;
    if (gethostname(o->node_id, sizeof o->node_id - 1) != 0 || !o->node_id[0]) {
        snprintf(o->node_id, sizeof o->node_id, "unknown-node");
    }
    snprintf(o->driver_name, sizeof o->driver_name, "%s", CSI_DEFAULT_DRIVER_NAME);
    o->log_level = VK_LOG_INFO;
    o->log_format = VK_LOG_FORMAT_LOGFMT;
    o->workers = 128;
    o->shutdown_grace_ms = 10000;
    o->max_queue_wait_ms = 10000;
    snprintf(o->vms_api_version, sizeof o->vms_api_version, "v1");
    o->vms_timeout_ms = 30000;
    o->operation_timeout_ms = 120000;
    o->cache_ttl_ms = 300000;
    vast_roots_parse(CSI_DEFAULT_ROOT_EXPORTS, &o->root_exports, (char[8]){0}, 8);
    snprintf(o->mount_mode, sizeof o->mount_mode, "nfs");
    o->mount_timeout_ms = 60000;
    o->unmount_timeout_ms = 15000;
    o->probe_timeout_ms = 5000;
    snprintf(o->state_dir, sizeof o->state_dir, "/var/lib/vast-csi");
}

/* Inline volumes are made under their configured root_export, which must be one of
 * --root-exports like any StorageClass's: said at start-up, not at every publish. */
static bool ephemeral_root_allowed(const csi_options *o, vk_status *st) {
    if (!o->ephemeral_parameters[0]) return true;
    csi_ephemeral_config *config = malloc(sizeof *config);
    if (!config) abort();
    char why[VK_STATUS_MESSAGE_MAX], root[VAST_PATH_MAX];
    bool ok = csi_ephemeral_config_parse(o->ephemeral_parameters, config, why, sizeof why);
    const char *wanted = ok ? vk_strmap_get(csi_ephemeral_config_map(config), "root_export") : NULL;
    ok = wanted && vast_path_normalize(wanted, root, sizeof root) && vast_roots_find(&o->root_exports, root);
    if (!ok) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "--ephemeral-parameters (env X_CSI_EPHEMERAL_PARAMETERS): root_export=%s is not one of "
                      "--root-exports (env X_CSI_ROOT_EXPORTS)",
                      wanted ? wanted : "?");
    }
    free(config);
    return ok;
}

bool csi_options_parse(int argc, char **argv, csi_options *o, vk_status *st) {
    set_defaults(o);
    vk_status_ok(st);
    for (int i = 0; i < OPT_COUNT; i++) {
        const char *value = getenv(settings[i].env);
        if (value && *value && !apply(o, i, value, st)) return false;
    }

    struct option longopts[OPT_COUNT + 3];
    for (int i = 0; i < OPT_COUNT; i++) longopts[i] = (struct option){settings[i].flag, required_argument, NULL, i};
    longopts[OPT_COUNT] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[OPT_COUNT + 1] = (struct option){"version", no_argument, NULL, 'V'};
    longopts[OPT_COUNT + 2] = (struct option){0};

    optind = 1;
    opterr = 0;
    for (;;) {
        int idx = 0;
        int c = getopt_long(argc, argv, "hV", longopts, &idx);
        if (c == -1) break;
        if (c == 'h') {
            o->show_help = true;
        } else if (c == 'V') {
            o->show_version = true;
        } else if (c >= 0 && c < OPT_COUNT) {
            if (!apply(o, c, optarg, st)) return false;
        } else {
            const char *arg = (optind > 0 && optind <= argc) ? argv[optind - 1] : "?";
            vk_status_set(st, VK_INVALID_ARGUMENT, "unknown or incomplete option %s (see --help)", arg);
            return false;
        }
    }
    if (optind < argc) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "unexpected argument \"%s\" (see --help)", argv[optind]);
        return false;
    }
    /* --help and --version answer whatever the rest says */
    bool answers_only = o->show_help || o->show_version;
    if (!answers_only && (!driver_name_check(o, st) || !cosi_mode_check(o, st))) return false;
    if (strcmp(o->mount_mode, "bind") == 0 && !o->bind_root[0]) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "--mount-mode bind needs --bind-root (env X_CSI_BIND_ROOT)");
        return false;
    }
    return ephemeral_root_allowed(o, st);
}
