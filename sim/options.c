/* Command-line parsing; see options.h. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "vk/log.h"

#ifndef VK_VERSION
#define VK_VERSION "unknown"
#endif

#define DEFAULT_HTTPS "127.0.0.1:8443"
#define PIB (UINT64_C(1) << 50)

static const char usage[] =
    "usage: vms-sim --data-dir DIR [--https ADDR] [--http ADDR] [--port-file FILE] [--reset] [--seed]\n"
    "               [--user NAME:PASSWORD[:readonly]]... [--api-token TOKEN]... [--token-lifetime S]\n"
    "               [--unpaged-limit N] [--sys-version X.Y.Z] [--capacity-bytes N] [--clone-rate BYTES_PER_S]\n"
    "               [--task-delay-ms MS] [--tls-cert FILE --tls-key FILE] [--faults JSON] [--threads N]\n"
    "               [--max-connections N] [--idle-timeout S] [--log-level L] [--log-format logfmt|json]\n"
    "A simulator of the VAST management REST API (VMS); see docs/vms-sim.md.\n";

enum {
    OPT_DATA_DIR = 256, OPT_HTTPS, OPT_HTTP, OPT_PORT_FILE, OPT_RESET, OPT_SEED, OPT_USER, OPT_API_TOKEN,
    OPT_TOKEN_LIFETIME, OPT_UNPAGED_LIMIT, OPT_SYS_VERSION, OPT_CAPACITY, OPT_CLONE_RATE, OPT_TASK_DELAY,
    OPT_TLS_CERT, OPT_TLS_KEY, OPT_FAULTS, OPT_THREADS, OPT_MAX_CONNECTIONS, OPT_IDLE_TIMEOUT, OPT_LOG_LEVEL, OPT_LOG_FORMAT, OPT_HELP, OPT_VERSION,
};

static const struct option long_options[] = {
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"https", required_argument, NULL, OPT_HTTPS},
    {"http", required_argument, NULL, OPT_HTTP},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"reset", no_argument, NULL, OPT_RESET},
    {"seed", no_argument, NULL, OPT_SEED},
    {"user", required_argument, NULL, OPT_USER},
    {"api-token", required_argument, NULL, OPT_API_TOKEN},
    {"token-lifetime", required_argument, NULL, OPT_TOKEN_LIFETIME},
    {"unpaged-limit", required_argument, NULL, OPT_UNPAGED_LIMIT},
    {"sys-version", required_argument, NULL, OPT_SYS_VERSION},
    {"capacity-bytes", required_argument, NULL, OPT_CAPACITY},
    {"clone-rate", required_argument, NULL, OPT_CLONE_RATE},
    {"task-delay-ms", required_argument, NULL, OPT_TASK_DELAY},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"faults", required_argument, NULL, OPT_FAULTS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static bool parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out) {
    if (!text || !*text || text[0] == '-') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

/* NAME:PASSWORD[:readonly]; the password may itself contain ':'. */
static bool add_user(sim_config *cfg, const char *spec) {
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec) return false;
    char *name = strndup(spec, (size_t)(colon - spec));
    char *password = sim_strdup(colon + 1);
    bool readonly = false;
    size_t n = strlen(password);
    if (n >= 9 && strcmp(password + n - 9, ":readonly") == 0) {
        password[n - 9] = '\0';
        readonly = true;
    }
    cfg->users = realloc(cfg->users, (cfg->n_users + 1) * sizeof *cfg->users);
    if (!cfg->users || !name) abort();
    cfg->users[cfg->n_users++] = (sim_user){.name = name, .password = password, .readonly = readonly};
    return true;
}

static void add_token(sim_config *cfg, const char *token) {
    cfg->api_tokens = realloc(cfg->api_tokens, (cfg->n_api_tokens + 1) * sizeof *cfg->api_tokens);
    if (!cfg->api_tokens) abort();
    cfg->api_tokens[cfg->n_api_tokens++] = token;
}

static options_result fail(char *err, size_t errlen, const char *flag, const char *value) {
    snprintf(err, errlen, "invalid value for --%s: %s", flag, value ? value : "(none)");
    return OPTIONS_ERROR;
}

options_result options_parse(int argc, char **argv, sim_config *cfg, char *err, size_t errlen) {
    memset(cfg, 0, sizeof *cfg);
    cfg->token_lifetime_s = 3600;
    cfg->unpaged_limit = 16384;
    cfg->sys_version = "5.3.0";
    cfg->capacity_bytes = PIB;
    cfg->task_delay_ms = 200;
    cfg->threads = 16;
    cfg->max_connections = 1024;
    cfg->idle_timeout_s = 30;
    uint64_t v;
    vk_log_level level;
    vk_log_format format;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DATA_DIR: cfg->data_dir = optarg; break;
        case OPT_HTTPS: cfg->https_addr = optarg; break;
        case OPT_HTTP: cfg->http_addr = optarg; break;
        case OPT_PORT_FILE: cfg->port_file = optarg; break;
        case OPT_RESET: cfg->reset = true; break;
        case OPT_SEED: cfg->seed = true; break;
        case OPT_USER:
            if (!add_user(cfg, optarg)) return fail(err, errlen, "user", optarg);
            break;
        case OPT_API_TOKEN: add_token(cfg, optarg); break;
        case OPT_TOKEN_LIFETIME:
            if (!parse_u64(optarg, 1, 10 * 365 * 86400UL, &v)) return fail(err, errlen, "token-lifetime", optarg);
            cfg->token_lifetime_s = (long)v;
            break;
        case OPT_UNPAGED_LIMIT:
            if (!parse_u64(optarg, 1, SIZE_MAX, &v)) return fail(err, errlen, "unpaged-limit", optarg);
            cfg->unpaged_limit = (size_t)v;
            break;
        case OPT_SYS_VERSION: cfg->sys_version = optarg; break;
        case OPT_CAPACITY:
            if (!parse_u64(optarg, 1, INT64_MAX, &cfg->capacity_bytes)) return fail(err, errlen, "capacity-bytes", optarg);
            break;
        case OPT_CLONE_RATE:
            if (!parse_u64(optarg, 1, INT64_MAX, &cfg->clone_rate)) return fail(err, errlen, "clone-rate", optarg);
            break;
        case OPT_TASK_DELAY:
            if (!parse_u64(optarg, 0, 3600000, &v)) return fail(err, errlen, "task-delay-ms", optarg);
            cfg->task_delay_ms = (long)v;
            break;
        case OPT_TLS_CERT: cfg->tls_cert = optarg; break;
        case OPT_TLS_KEY: cfg->tls_key = optarg; break;
        case OPT_FAULTS: cfg->faults_json = optarg; break;
        case OPT_THREADS:
            if (!parse_u64(optarg, 1, 64, &v)) return fail(err, errlen, "threads", optarg);
            cfg->threads = (unsigned)v;
            break;
        case OPT_MAX_CONNECTIONS:
            if (!parse_u64(optarg, 1, 65536, &v)) return fail(err, errlen, "max-connections", optarg);
            cfg->max_connections = (unsigned)v;
            break;
        case OPT_IDLE_TIMEOUT:
            if (!parse_u64(optarg, 1, 86400, &v)) return fail(err, errlen, "idle-timeout", optarg);
            cfg->idle_timeout_s = (unsigned)v;
            break;
        case OPT_LOG_LEVEL:
            if (!vk_log_level_parse(optarg, &level)) return fail(err, errlen, "log-level", optarg);
            vk_log_set_level(level);
            break;
        case OPT_LOG_FORMAT:
            if (!vk_log_format_parse(optarg, &format)) return fail(err, errlen, "log-format", optarg);
            vk_log_set_format(format);
            break;
        case OPT_HELP: fputs(usage, stdout); return OPTIONS_EXIT_OK;
        case OPT_VERSION: printf("vms-sim %s\n", VK_VERSION); return OPTIONS_EXIT_OK;
        default:
            snprintf(err, errlen, "unknown or incomplete option %s\n%s", optind > 0 ? argv[optind - 1] : "", usage);
            return OPTIONS_ERROR;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument %s", argv[optind]);
        return OPTIONS_ERROR;
    }
    if (!cfg->data_dir) {
        snprintf(err, errlen, "--data-dir is required\n%s", usage);
        return OPTIONS_ERROR;
    }
    if (!cfg->https_addr && !cfg->http_addr) cfg->https_addr = DEFAULT_HTTPS;
    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together");
        return OPTIONS_ERROR;
    }
    cfg->sys_version_code = sim_version_code(cfg->sys_version);
    if (cfg->sys_version_code < 0) return fail(err, errlen, "sys-version", cfg->sys_version);
    if (cfg->n_users == 0) add_user(cfg, "admin:123456");
    return OPTIONS_RUN;
}

void options_free(sim_config *cfg) {
    for (size_t i = 0; i < cfg->n_users; i++) {
        free((char *)cfg->users[i].name);
        free((char *)cfg->users[i].password);
    }
    free(cfg->users);
    free(cfg->api_tokens);
    cfg->users = NULL;
    cfg->api_tokens = NULL;
}
