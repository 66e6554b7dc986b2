#include "options.h"

#include "ephemeral_config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
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
       OPT_COUNT };

static const setting settings[OPT_COUNT] = {
    [OPT_ENDPOINT] = {"endpoint", "CSI_ENDPOINT",
                      "where to listen: unix:///path.sock (default " CSI_DEFAULT_ENDPOINT ") or tcp://host:port"},
    [OPT_MODE] = {"mode", "X_CSI_MODE", "controller | node | all (default all; controller_and_node is accepted)"},
    [OPT_NODE_ID] = {"node-id", "X_CSI_NODE_ID", "this node's id for NodeGetInfo (default: the host name)"},
    [OPT_DRIVER_NAME] = {"driver-name", "X_CSI_PLUGIN_NAME", "CSI driver name (default " CSI_DEFAULT_DRIVER_NAME ")"},
    [OPT_LOG_LEVEL] = {"log-level", "X_CSI_LOG_LEVEL", "debug | info | warn | error (default info)"},
    [OPT_LOG_FORMAT] = {"log-format", "X_CSI_LOG_FORMAT", "logfmt | json (default logfmt)"},
    [OPT_WORKERS] = {"workers", "X_CSI_WORKER_THREADS", "threads serving Controller and Node calls (default 16, 1-1024)"},
    [OPT_SHUTDOWN_GRACE] = {"shutdown-grace", "X_CSI_SHUTDOWN_GRACE_MS",
                            "ms that in-flight calls may run after SIGTERM (default 10000)"},
    [OPT_MAX_QUEUE_WAIT] = {"max-queue-wait", "X_CSI_MAX_QUEUE_WAIT_MS",
                            "ms a call may wait for a free worker before it is answered UNAVAILABLE, so the CO "
                            "backs off instead of piling up (default 10000, 0 = no limit)"},
    [OPT_VMS_SECRET_DIR] = {"vms-secret-dir", "X_CSI_VMS_SECRET_DIR",
                            "directory of the default cluster's secret (files endpoint, username, password or "
                            "token, ssl_cert), for requests that carry none"},
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
                          "volumes (default /k8s)"},
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
};

void csi_options_usage(FILE *out) {
    fprintf(out, "usage: vast-csi [options]\n\n"
                 "VAST Data CSI driver: Identity, Controller and Node services on one endpoint.\n\n");
    for (int i = 0; i < OPT_COUNT; i++) {
        fprintf(out, "  --%-24s %s\n  %26s env %s\n", settings[i].flag, settings[i].help, "", settings[i].env);
    }
    fprintf(out, "  --%-24s %s\n  --%-24s %s\n", "version", "print the version and exit", "help",
            "print this help and exit");
}

const char *csi_mode_name(csi_mode mode) {
    switch (mode) {
    case CSI_MODE_CONTROLLER: return "controller";
    case CSI_MODE_NODE: return "node";
    case CSI_MODE_ALL: return "all";
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

static bool apply(csi_options *o, int opt, const char *value, vk_status *st) {
    switch (opt) {
    case OPT_ENDPOINT:
        if (!vk_endpoint_parse(value, &o->endpoint, st)) {
            char why[VK_STATUS_MESSAGE_MAX]; /* st is about to be rewritten */
            snprintf(why, sizeof why, "%s", st->message);
            return bad(st, opt, value, why);
        }
        return true;
    case OPT_MODE:
        if (strcmp(value, "controller") == 0) {
            o->mode = CSI_MODE_CONTROLLER;
        } else if (strcmp(value, "node") == 0) {
            o->mode = CSI_MODE_NODE;
        } else if (strcmp(value, "all") == 0 || strcmp(value, "controller_and_node") == 0) {
            o->mode = CSI_MODE_ALL;
        } else {
            return bad(st, opt, value, "use controller, node or all");
        }
        return true;
    case OPT_NODE_ID:
        if (!*value || strlen(value) >= sizeof o->node_id) return bad(st, opt, value, "must be 1-255 characters");
        snprintf(o->node_id, sizeof o->node_id, "%s", value);
        return true;
    case OPT_DRIVER_NAME:
        if (!csi_driver_name_valid(value)) {
            return bad(st, opt, value,
                       "a driver name is 2-63 characters of letters, digits, '-', '.', '_', "
                       "starting and ending with a letter");
        }
        snprintf(o->driver_name, sizeof o->driver_name, "%s", value);
        return true;
    case OPT_LOG_LEVEL:
        if (!vk_log_level_parse(value, &o->log_level)) return bad(st, opt, value, "use debug, info, warn or error");
        return true;
    case OPT_LOG_FORMAT:
        if (!vk_log_format_parse(value, &o->log_format)) return bad(st, opt, value, "use logfmt or json");
        return true;
    case OPT_WORKERS:
        if (!parse_int(value, 1, 1024, &o->workers)) return bad(st, opt, value, "must be a number from 1 to 1024");
        return true;
    case OPT_SHUTDOWN_GRACE:
        if (!parse_int(value, 0, 3600000, &o->shutdown_grace_ms)) {
            return bad(st, opt, value, "must be a number of milliseconds from 0 to 3600000");
        }
        return true;
    case OPT_MAX_QUEUE_WAIT:
        if (!parse_int(value, 0, 3600000, &o->max_queue_wait_ms)) {
            return bad(st, opt, value, "must be a number of milliseconds from 0 to 3600000");
        }
        return true;
    case OPT_VMS_SECRET_DIR:
        if (value[0] != '/' || strlen(value) >= sizeof o->vms_secret_dir) return bad(st, opt, value, "must be an absolute directory");
        snprintf(o->vms_secret_dir, sizeof o->vms_secret_dir, "%s", value);
        return true;
    case OPT_VMS_INSECURE:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) return bad(st, opt, value, "use true or false");
        o->vms_insecure_skip_verify = strcmp(value, "true") == 0;
        return true;
    case OPT_VMS_API_VERSION:
        if (strlen(value) >= sizeof o->vms_api_version) return bad(st, opt, value, "use v1 to v5 or latest");
        snprintf(o->vms_api_version, sizeof o->vms_api_version, "%s", value);
        return true;
    case OPT_VMS_TIMEOUT:
    case OPT_OPERATION_TIMEOUT:
    case OPT_CACHE_TTL: {
        int *field = opt == OPT_VMS_TIMEOUT ? &o->vms_timeout_ms
                     : opt == OPT_OPERATION_TIMEOUT ? &o->operation_timeout_ms : &o->cache_ttl_ms;
        if (!parse_int(value, 100, 86400000, field)) return bad(st, opt, value, "must be milliseconds from 100 to 86400000");
        return true;
    }
    case OPT_MOUNT_MODE:
        if (strcmp(value, "nfs") != 0 && strcmp(value, "bind") != 0) return bad(st, opt, value, "use nfs or bind");
        snprintf(o->mount_mode, sizeof o->mount_mode, "%s", value);
        return true;
    case OPT_BIND_ROOT:
        if (value[0] != '/' || strlen(value) >= sizeof o->bind_root) return bad(st, opt, value, "must be an absolute directory");
        snprintf(o->bind_root, sizeof o->bind_root, "%s", value);
        return true;
    case OPT_LOCAL_NFS_ADDRESS:
        if (!*value || strlen(value) >= sizeof o->local_nfs_address) return bad(st, opt, value, "must be an address");
        snprintf(o->local_nfs_address, sizeof o->local_nfs_address, "%s", value);
        return true;
    case OPT_MOUNT_TIMEOUT:
    case OPT_UNMOUNT_TIMEOUT:
    case OPT_PROBE_TIMEOUT: {
        int *field = opt == OPT_MOUNT_TIMEOUT ? &o->mount_timeout_ms
                     : opt == OPT_UNMOUNT_TIMEOUT ? &o->unmount_timeout_ms : &o->probe_timeout_ms;
        if (!parse_int(value, 100, 3600000, field)) return bad(st, opt, value, "must be milliseconds from 100 to 3600000");
        return true;
    }
    case OPT_MAX_VOLUMES:
        if (!parse_int(value, 0, 1000000, &o->max_volumes_per_node)) return bad(st, opt, value, "must be 0 or more");
        return true;
    case OPT_TOPOLOGY:
        if (strlen(value) >= sizeof o->topology || (*value && !strchr(value, '='))) {
            return bad(st, opt, value, "use key=value,key=value");
        }
        snprintf(o->topology, sizeof o->topology, "%s", value);
        return true;
    case OPT_STATE_DIR:
        if (value[0] != '/' || strlen(value) >= sizeof o->state_dir) return bad(st, opt, value, "must be an absolute directory");
        snprintf(o->state_dir, sizeof o->state_dir, "%s", value);
        return true;
    case OPT_KUBELET_DIR:
        if ((*value && value[0] != '/') || strlen(value) >= sizeof o->kubelet_dir) {
            return bad(st, opt, value, "must be an absolute directory");
        }
        snprintf(o->kubelet_dir, sizeof o->kubelet_dir, "%s", value);
        return true;
    case OPT_EPHEMERAL_PARAMETERS: {
        char why[VK_STATUS_MESSAGE_MAX];
        if (strlen(value) >= sizeof o->ephemeral_parameters) return bad(st, opt, value, "is too long");
        if (*value && !csi_ephemeral_config_check(value, why, sizeof why)) return bad(st, opt, value, why);
        snprintf(o->ephemeral_parameters, sizeof o->ephemeral_parameters, "%s", value);
        return true;
    }
    case OPT_ADVERTISE_GET_SNAPSHOT:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) return bad(st, opt, value, "use true or false");
        o->advertise_get_snapshot = strcmp(value, "true") == 0;
        return true;
    case OPT_ROOT_EXPORTS:
    case OPT_LIST_ROOTS: {
        char why[256];
        if (!vast_roots_parse(value, &o->root_exports, why, sizeof why)) return bad(st, opt, value, why);
        return true;
    }
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
    o->workers = 16;
    o->shutdown_grace_ms = 10000;
    o->max_queue_wait_ms = 10000;
    snprintf(o->vms_api_version, sizeof o->vms_api_version, "v1");
    o->vms_timeout_ms = 30000;
    o->operation_timeout_ms = 120000;
    o->cache_ttl_ms = 300000;
    vast_roots_parse("/k8s", &o->root_exports, (char[8]){0}, 8);
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
    if (strcmp(o->mount_mode, "bind") == 0 && !o->bind_root[0]) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "--mount-mode bind needs --bind-root (env X_CSI_BIND_ROOT)");
        return false;
    }
    return ephemeral_root_allowed(o, st);
}
