#include "options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_STRING, T_INT, T_MS, T_BOOL, T_DOUBLE, T_LEVEL, T_FORMAT } setting_type;

/* One row per setting: the flag, its environment variable, where it goes, the help. */
typedef struct {
    const char *flag;
    const char *env;
    setting_type type;
    size_t offset;
    size_t size; /* strings: the buffer */
    const char *help;
} setting;

#define STR(field) T_STRING, offsetof(op_options, field), sizeof(((op_options *)0)->field)
#define NUM(kind, field) kind, offsetof(op_options, field), 0

static const setting settings[] = {
    {"kubeconfig", "KUBECONFIG", STR(kubeconfig), "kubeconfig file (default: in-cluster service account)"},
    {"context", "VK_OPERATOR_CONTEXT", STR(context), "kubeconfig context (default: its current-context)"},
    {"driver-namespace", "VK_OPERATOR_DRIVER_NAMESPACE", STR(driver_namespace),
     "namespace of the drivers, where each tenant's credentials Secret is written (default " OP_DEFAULT_DRIVER_NAMESPACE
     ")"},
    {"csi-driver", "VK_OPERATOR_CSI_DRIVER", STR(csi_driver),
     "CSI driver name StorageClasses and VolumeSnapshotClasses name (default " OP_DEFAULT_CSI_DRIVER ")"},
    {"cosi-driver", "VK_OPERATOR_COSI_DRIVER", STR(cosi_driver),
     "COSI driver name BucketClasses name (default " OP_DEFAULT_COSI_DRIVER ")"},
    {"name-prefix", "VK_OPERATOR_NAME_PREFIX", STR(name_prefix),
     "prefix of every object made on VAST; it marks them as the operator's (default " OP_DEFAULT_NAME_PREFIX ")"},
    {"health-address", "VK_OPERATOR_HEALTH_ADDRESS", STR(health_address),
     "host:port serving /healthz, /readyz and /metrics; empty: off (default " OP_DEFAULT_HEALTH_ADDRESS ")"},
    {"leader-elect", "VK_OPERATOR_LEADER_ELECT", NUM(T_BOOL, leader_elect),
     "true: only the holder of the Lease reconciles (default true)"},
    {"lease-namespace", "VK_OPERATOR_LEASE_NAMESPACE", STR(lease_namespace),
     "namespace of the leader-election Lease (default: --driver-namespace)"},
    {"lease-name", "VK_OPERATOR_LEASE_NAME", STR(lease_name), "name of the Lease (default " OP_DEFAULT_LEASE_NAME ")"},
    {"identity", "VK_OPERATOR_IDENTITY", STR(identity), "this candidate's name in the Lease (default host_pid)"},
    {"workers", "VK_OPERATOR_WORKERS", NUM(T_INT, workers), "objects reconciled at once (default 8, 1-256)"},
    {"resync", "VK_OPERATOR_RESYNC_MS", NUM(T_MS, resync_ms),
     "ms between reconciles of an unchanged object, which repair drift made in VMS (default 300000)"},
    {"vms-timeout", "VK_OPERATOR_VMS_TIMEOUT_MS", NUM(T_MS, vms_timeout_ms), "ms one VMS request may take (default 30000)"},
    {"reconcile-timeout", "VK_OPERATOR_RECONCILE_TIMEOUT_MS", NUM(T_MS, reconcile_timeout_ms),
     "ms one reconcile may take, every request included (default 120000)"},
    {"backoff-initial", "VK_OPERATOR_BACKOFF_INITIAL_MS", NUM(T_MS, backoff_initial_ms),
     "ms before the first retry of a failed reconcile; doubles per failure (default 1000)"},
    {"backoff-max", "VK_OPERATOR_BACKOFF_MAX_MS", NUM(T_MS, backoff_max_ms),
     "ms cap of that backoff (default 300000)"},
    {"kube-qps", "VK_OPERATOR_KUBE_QPS", NUM(T_DOUBLE, kube_qps), "Kubernetes API requests per second (default 20)"},
    {"kube-burst", "VK_OPERATOR_KUBE_BURST", NUM(T_INT, kube_burst), "burst above that rate (default 30)"},
    {"allow-http-vms", "VK_OPERATOR_ALLOW_HTTP_VMS", NUM(T_BOOL, allow_http_vms),
     "true to accept http:// VastCluster endpoints (tests against vms-sim only; default false)"},
    {"log-level", "VK_OPERATOR_LOG_LEVEL", NUM(T_LEVEL, log_level), "debug | info | warn | error (default info)"},
    {"log-format", "VK_OPERATOR_LOG_FORMAT", NUM(T_FORMAT, log_format), "logfmt | json (default logfmt)"},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

static void defaults(op_options *o) {
    memset(o, 0, sizeof *o);
    snprintf(o->driver_namespace, sizeof o->driver_namespace, "%s", OP_DEFAULT_DRIVER_NAMESPACE);
    snprintf(o->csi_driver, sizeof o->csi_driver, "%s", OP_DEFAULT_CSI_DRIVER);
    snprintf(o->cosi_driver, sizeof o->cosi_driver, "%s", OP_DEFAULT_COSI_DRIVER);
    snprintf(o->name_prefix, sizeof o->name_prefix, "%s", OP_DEFAULT_NAME_PREFIX);
    snprintf(o->health_address, sizeof o->health_address, "%s", OP_DEFAULT_HEALTH_ADDRESS);
    snprintf(o->lease_name, sizeof o->lease_name, "%s", OP_DEFAULT_LEASE_NAME);
    o->leader_elect = true;
    o->workers = 8;
    o->resync_ms = 300000;
    o->vms_timeout_ms = 30000;
    o->reconcile_timeout_ms = 120000;
    o->backoff_initial_ms = 1000;
    o->backoff_max_ms = 300000;
    o->kube_qps = 20;
    o->kube_burst = 30;
    o->log_level = VK_LOG_INFO;
    o->log_format = VK_LOG_FORMAT_LOGFMT;
}

static bool set_value(op_options *o, const setting *s, const char *value, vk_status *st) {
    void *field = (char *)o + s->offset;
    char *end = NULL;
    switch (s->type) {
    case T_STRING:
        if (strlen(value) >= s->size)
            return vk_status_set(st, VK_INVALID_ARGUMENT, "--%s: longer than %zu characters", s->flag, s->size - 1),
                   false;
        snprintf(field, s->size, "%s", value);
        return true;
    case T_INT: {
        long v = strtol(value, &end, 10);
        if (!*value || *end || v < 0 || v > 1000000)
            return vk_status_set(st, VK_INVALID_ARGUMENT, "--%s: \"%s\" is not a count", s->flag, value), false;
        *(int *)field = (int)v;
        return true;
    }
    case T_MS: {
        long long v = strtoll(value, &end, 10);
        if (!*value || *end || v < 0)
            return vk_status_set(st, VK_INVALID_ARGUMENT, "--%s: \"%s\" is not a number of milliseconds", s->flag,
                                 value),
                   false;
        *(int64_t *)field = v;
        return true;
    }
    case T_DOUBLE: {
        double v = strtod(value, &end);
        if (!*value || *end || v <= 0)
            return vk_status_set(st, VK_INVALID_ARGUMENT, "--%s: \"%s\" is not a positive number", s->flag, value),
                   false;
        *(double *)field = v;
        return true;
    }
    case T_BOOL:
        if (strcmp(value, "true") == 0) *(bool *)field = true;
        else if (strcmp(value, "false") == 0) *(bool *)field = false;
        else return vk_status_set(st, VK_INVALID_ARGUMENT, "--%s: \"%s\" is not true or false", s->flag, value), false;
        return true;
    case T_LEVEL:
        if (!vk_log_level_parse(value, field))
            return vk_status_set(st, VK_INVALID_ARGUMENT, "--%s: \"%s\" is not a log level", s->flag, value), false;
        return true;
    case T_FORMAT:
        if (!vk_log_format_parse(value, field))
            return vk_status_set(st, VK_INVALID_ARGUMENT, "--%s: \"%s\" is not logfmt or json", s->flag, value), false;
        return true;
    }
    return false;
}

static bool check(const op_options *o, vk_status *st) {
    if (o->workers < 1 || o->workers > 256)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "--workers: %d is outside 1-256", o->workers), false;
    if (!o->driver_namespace[0])
        return vk_status_set(st, VK_INVALID_ARGUMENT, "--driver-namespace: required"), false;
    if (o->resync_ms < 1000)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "--resync: at least 1000 ms"), false;
    if (o->backoff_initial_ms < 1 || o->backoff_max_ms < o->backoff_initial_ms)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "--backoff-initial/--backoff-max: need 1 <= initial <= max"),
               false;
    for (const char *p = o->name_prefix; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return vk_status_set(st, VK_INVALID_ARGUMENT, "--name-prefix: only a-z, 0-9 and '-'"), false;
    }
    return true;
}

bool op_options_parse(int argc, char **argv, op_options *o, vk_status *st) {
    defaults(o);
    vk_status_ok(st);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *env = getenv(settings[i].env);
        if (env && *env && !set_value(o, &settings[i], env, st)) return false;
    }
    struct option longopts[N_SETTINGS + 3];
    for (size_t i = 0; i < N_SETTINGS; i++)
        longopts[i] = (struct option){settings[i].flag, required_argument, NULL, (int)(i + 1)};
    longopts[N_SETTINGS] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[N_SETTINGS + 1] = (struct option){"version", no_argument, NULL, 'V'};
    longopts[N_SETTINGS + 2] = (struct option){0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'h') o->show_help = true;
        else if (c == 'V') o->show_version = true;
        else if (c >= 1 && (size_t)c <= N_SETTINGS) {
            if (!set_value(o, &settings[c - 1], optarg, st)) return false;
        } else {
            const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
            return vk_status_set(st, VK_INVALID_ARGUMENT, "unknown or incomplete option %s (see --help)", arg), false;
        }
    }
    if (optind < argc)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "unexpected argument %s (see --help)", argv[optind]), false;
    if (!o->lease_namespace[0]) snprintf(o->lease_namespace, sizeof o->lease_namespace, "%s", o->driver_namespace);
    return check(o, st);
}

void op_options_usage(FILE *out) {
    fprintf(out, "usage: vast-operator [--flag value]...\n\n"
                 "Reconciles Tenant and VastCluster objects (tenancy.vast-k8s.io/v1alpha1) into VAST tenants\n"
                 "and the Kubernetes objects that expose them. Every flag also reads its environment variable.\n\n");
    for (size_t i = 0; i < N_SETTINGS; i++)
        fprintf(out, "  --%-20s $%s\n      %s\n", settings[i].flag, settings[i].env, settings[i].help);
    fprintf(out, "  --help, --version\n");
}
