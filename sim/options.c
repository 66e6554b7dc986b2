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

/* Defaults, shared by the parser and the help text so the two cannot disagree. */
#define DEFAULT_HTTPS "127.0.0.1:8443"
#define DEFAULT_USER "admin:123456"
#define DEFAULT_TOKEN_LIFETIME_S 3600
#define DEFAULT_UNPAGED_LIMIT 16384
#define DEFAULT_SYS_VERSION "5.3.0"
#define DEFAULT_TASK_DELAY_MS 200
#define DEFAULT_THREADS 16
#define DEFAULT_MAX_CONNECTIONS 1024
#define DEFAULT_IDLE_TIMEOUT_S 30
#define PIB (UINT64_C(1) << 50)
#define STR_(x) #x
#define STR(x) STR_(x)

/* Every flag long_options knows is listed here (tests/sim/test_help.py checks it). */
static const char help_text[] =
    "usage: vms-sim --data-dir DIR [options]\n"
    "A simulator of the VAST management REST API (VMS) for tests, the quickstart and\n"
    "benchmarks; the contract is docs/vms-sim.md. SIGTERM or SIGINT stop it cleanly.\n"
    "\n"
    "State:\n"
    "  --data-dir DIR          required. DIR/state.json holds the objects (with\n"
    "                          DIR/state.json.journal, the changes since it was written),\n"
    "                          DIR/fs the directories of views, quotas and snapshots,\n"
    "                          DIR/tls the generated certificate; every change is on disk\n"
    "                          before it is acknowledged, so the state survives restarts\n"
    "  --reset                 start empty: state.json, its journal and DIR/fs are wiped\n"
    "                          (DIR/tls stays)\n"
    "  --seed                  ensure the ready-made tenant vast-k8s, its view policies,\n"
    "                          VIP pool, QoS policy and /k8s exist (idempotent)\n"
    "\n"
    "Listeners and TLS (only loopback: 127.0.0.0/8, ::1, localhost; port 0 = any free):\n"
    "  --https ADDR            HTTPS listener on HOST:PORT or [::1]:PORT\n"
    "                          (default " DEFAULT_HTTPS " when neither --https nor --http)\n"
    "  --http ADDR             plain HTTP listener (default: off)\n"
    "  --s3 ADDR               the S3 data plane (path-style, SigV4) over plain HTTP\n"
    "                          (default: off); buckets are views with S3 in protocols\n"
    "  --s3-https ADDR         the S3 data plane over HTTPS with the certificate below\n"
    "                          (default: off)\n"
    "  --port-file FILE        once listening, write {\"https\": PORT, \"http\": PORT, \"s3\": PORT,\n"
    "                          \"s3_https\": PORT} (the listeners on) to FILE atomically\n"
    "                          (default: none)\n"
    "  --tls-cert FILE         PEM certificate of the HTTPS listener; with --tls-key\n"
    "  --tls-key FILE          its PEM private key (default for both: a self-signed\n"
    "                          certificate for localhost/127.0.0.1, made once in DIR/tls)\n"
    "\n"
    "Users and authentication:\n"
    "  --user NAME:PASSWORD[:readonly]\n"
    "                          a cluster admin, repeatable (default " DEFAULT_USER "); a\n"
    "                          :readonly one may only GET (more accounts, tenant admins\n"
    "                          among them: POST managers/)\n"
    "  --api-token TOKEN       an accepted \"Authorization: Api-Token TOKEN\", repeatable\n"
    "                          (default: none; POST apitokens/ makes more)\n"
    "  --token-lifetime S      seconds an access token lives, up to 10 years (default\n"
    "                          " STR(DEFAULT_TOKEN_LIFETIME_S) "); refresh tokens live a day, or S if longer\n"
    "\n"
    "Cluster behaviour:\n"
    "  --sys-version X.Y.Z     VMS release reported by versions/ and clusters/; endpoints\n"
    "                          newer than it answer 404 (default " DEFAULT_SYS_VERSION ")\n"
    "  --capacity-bytes N      usable capacity clusters/ reports (default 1 PiB)\n"
    "  --unpaged-limit N       a list without page_size is cut at N objects, as VMS 5.5\n"
    "                          does (default " STR(DEFAULT_UNPAGED_LIMIT) ")\n"
    "  --task-delay-ms MS      how long async tasks stay RUNNING, 0..3600000\n"
    "                          (default " STR(DEFAULT_TASK_DELAY_MS) ")\n"
    "  --clone-rate BYTES_PER_S\n"
    "                          how fast a clone stream copies (default: unlimited)\n"
    "\n"
    "Limits:\n"
    "  --threads N             event-loop threads per listener, 1..64 (default " STR(DEFAULT_THREADS) ")\n"
    "  --max-connections N     connections open at once per listener, 1..65536; one more\n"
    "                          is answered 503 and closed (default " STR(DEFAULT_MAX_CONNECTIONS) ")\n"
    "  --idle-timeout S        close a connection silent for S seconds, 1..86400\n"
    "                          (default " STR(DEFAULT_IDLE_TIMEOUT_S) ")\n"
    "\n"
    "Faults and latency:\n"
    "  --faults JSON           initial fault rules, the body of POST /_sim/faults, e.g.\n"
    "                          '{\"rules\": [{\"path\": \"views/\", \"latency_ms\": 20}]}'\n"
    "                          (default: none)\n"
    "\n"
    "Logging and information:\n"
    "  --log-level LEVEL       debug, info, warn or error; debug logs every request\n"
    "                          (default info)\n"
    "  --log-format FORMAT     logfmt or json (default logfmt)\n"
    "  --version               print the version and exit\n"
    "  --help                  print this help and exit\n"
    "\n"
    "Admin API (no authentication, on every listener, trailing slash optional):\n"
    "  GET  /_sim/listeners       the ports bound: {\"https\", \"http\", \"s3\", \"s3_https\"}\n"
    "  GET  /_sim/stats           request counters (\"METHOD path\" keys), writes (2xx\n"
    "                             POST/PATCH/PUT/DELETE) per collection, connections, tokens\n"
    "  POST /_sim/stats/reset     zero the counters\n"
    "  GET|POST|DELETE /_sim/faults\n"
    "                             read, replace or clear the fault rules (latency_ms,\n"
    "                             jitter_ms, error_status, error_rate, hang_ms, drop, count)\n"
    "  POST /_sim/tokens/expire   expire every access token issued so far\n"
    "  POST /_sim/seed            as --seed; answers the seeded objects' ids\n"
    "  GET  /_sim/inventory       every object of every collection, all tenants\n"
    "  POST /_sim/reset           empty state, as --reset; issued tokens stay valid\n"
    "\n"
    "Environment:\n"
    "  VMS_SIM_RESOLVE=walk    resolve paths one component at a time even where openat2\n"
    "                          exists (tests cover the fallback with it)\n"
    "\n"
    "Exit status: 0 after a clean stop, --help or --version; 1 when it cannot start;\n"
    "2 for a bad command line.\n";

enum {
    OPT_DATA_DIR = 256, OPT_HTTPS, OPT_HTTP, OPT_S3, OPT_S3_HTTPS, OPT_PORT_FILE, OPT_RESET, OPT_SEED, OPT_USER, OPT_API_TOKEN,
    OPT_TOKEN_LIFETIME, OPT_UNPAGED_LIMIT, OPT_SYS_VERSION, OPT_CAPACITY, OPT_CLONE_RATE, OPT_TASK_DELAY,
    OPT_TLS_CERT, OPT_TLS_KEY, OPT_FAULTS, OPT_THREADS, OPT_MAX_CONNECTIONS, OPT_IDLE_TIMEOUT, OPT_LOG_LEVEL, OPT_LOG_FORMAT, OPT_HELP, OPT_VERSION,
};

static const struct option long_options[] = {
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"https", required_argument, NULL, OPT_HTTPS},
    {"http", required_argument, NULL, OPT_HTTP},
    {"s3", required_argument, NULL, OPT_S3},
    {"s3-https", required_argument, NULL, OPT_S3_HTTPS},
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

static void set_defaults(sim_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->token_lifetime_s = DEFAULT_TOKEN_LIFETIME_S;
    cfg->unpaged_limit = DEFAULT_UNPAGED_LIMIT;
    cfg->sys_version = DEFAULT_SYS_VERSION;
    cfg->capacity_bytes = PIB;
    cfg->task_delay_ms = DEFAULT_TASK_DELAY_MS;
    cfg->threads = DEFAULT_THREADS;
    cfg->max_connections = DEFAULT_MAX_CONNECTIONS;
    cfg->idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S;
}

/* Applies one flag getopt_long returned; OPTIONS_RUN means go on with the next. */
static options_result apply_option(int opt, char *arg, sim_config *cfg, char *err, size_t errlen) {
    uint64_t v;
    vk_log_level level;
    vk_log_format format;
    switch (opt) {
    case OPT_DATA_DIR: cfg->data_dir = arg; break;
    case OPT_HTTPS: cfg->https_addr = arg; break;
    case OPT_HTTP: cfg->http_addr = arg; break;
    case OPT_S3: cfg->s3_addr = arg; break;
    case OPT_S3_HTTPS: cfg->s3_https_addr = arg; break;
    case OPT_PORT_FILE: cfg->port_file = arg; break;
    case OPT_RESET: cfg->reset = true; break;
    case OPT_SEED: cfg->seed = true; break;
    case OPT_USER:
        if (!add_user(cfg, arg)) return fail(err, errlen, "user", arg);
        break;
    case OPT_API_TOKEN: add_token(cfg, arg); break;
    case OPT_TOKEN_LIFETIME:
        if (!parse_u64(arg, 1, 10 * 365 * 86400UL, &v)) return fail(err, errlen, "token-lifetime", arg);
        cfg->token_lifetime_s = (long)v;
        break;
    case OPT_UNPAGED_LIMIT:
        if (!parse_u64(arg, 1, SIZE_MAX, &v)) return fail(err, errlen, "unpaged-limit", arg);
        cfg->unpaged_limit = (size_t)v;
        break;
    case OPT_SYS_VERSION: cfg->sys_version = arg; break;
    case OPT_CAPACITY:
        if (!parse_u64(arg, 1, INT64_MAX, &cfg->capacity_bytes)) return fail(err, errlen, "capacity-bytes", arg);
        break;
    case OPT_CLONE_RATE:
        if (!parse_u64(arg, 1, INT64_MAX, &cfg->clone_rate)) return fail(err, errlen, "clone-rate", arg);
        break;
    case OPT_TASK_DELAY:
        if (!parse_u64(arg, 0, 3600000, &v)) return fail(err, errlen, "task-delay-ms", arg);
        cfg->task_delay_ms = (long)v;
        break;
    case OPT_TLS_CERT: cfg->tls_cert = arg; break;
    case OPT_TLS_KEY: cfg->tls_key = arg; break;
    case OPT_FAULTS: cfg->faults_json = arg; break;
    case OPT_THREADS:
        if (!parse_u64(arg, 1, 64, &v)) return fail(err, errlen, "threads", arg);
        cfg->threads = (unsigned)v;
        break;
    case OPT_MAX_CONNECTIONS:
        if (!parse_u64(arg, 1, 65536, &v)) return fail(err, errlen, "max-connections", arg);
        cfg->max_connections = (unsigned)v;
        break;
    case OPT_IDLE_TIMEOUT:
        if (!parse_u64(arg, 1, 86400, &v)) return fail(err, errlen, "idle-timeout", arg);
        cfg->idle_timeout_s = (unsigned)v;
        break;
    case OPT_LOG_LEVEL:
        if (!vk_log_level_parse(arg, &level)) return fail(err, errlen, "log-level", arg);
        vk_log_set_level(level);
        break;
    case OPT_LOG_FORMAT:
        if (!vk_log_format_parse(arg, &format)) return fail(err, errlen, "log-format", arg);
        vk_log_set_format(format);
        break;
    case OPT_HELP: fputs(help_text, stdout); return OPTIONS_EXIT_OK;
    case OPT_VERSION: printf("vms-sim %s\n", VK_VERSION); return OPTIONS_EXIT_OK;
    default: return OPTIONS_ERROR; /* the caller names the flag */
    }
    return OPTIONS_RUN;
}

options_result options_parse(int argc, char **argv, sim_config *cfg, char *err, size_t errlen) {
    set_defaults(cfg);
    if (errlen > 0) err[0] = '\0';
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        options_result r = apply_option(opt, optarg, cfg, err, errlen);
        if (r == OPTIONS_ERROR && !err[0]) {
            /* The full help is long; naming the flag and where to look fits a terminal. */
            snprintf(err, errlen, "unknown or incomplete option %s (see vms-sim --help)",
                     optind > 0 ? argv[optind - 1] : "");
        }
        if (r != OPTIONS_RUN) return r;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument %s (see vms-sim --help)", argv[optind]);
        return OPTIONS_ERROR;
    }
    if (!cfg->data_dir) {
        snprintf(err, errlen, "--data-dir is required (see vms-sim --help)");
        return OPTIONS_ERROR;
    }
    if (!cfg->https_addr && !cfg->http_addr) cfg->https_addr = DEFAULT_HTTPS;
    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together");
        return OPTIONS_ERROR;
    }
    cfg->sys_version_code = sim_version_code(cfg->sys_version);
    if (cfg->sys_version_code < 0) return fail(err, errlen, "sys-version", cfg->sys_version);
    if (cfg->n_users == 0) add_user(cfg, DEFAULT_USER);
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
