/* vms-sim: what every module shares — the configuration, the process context, and the
 * request/response pair that the HTTP layer hands to the API and admin handlers.
 * The contract this program implements is docs/vms-sim.md. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    const char *password;
    bool readonly;
} sim_user;

/* Strings point into argv (or are string literals) and live as long as the process. */
typedef struct {
    const char *data_dir;
    const char *https_addr; /* NULL = no HTTPS listener */
    const char *http_addr;  /* NULL = no plain HTTP listener */
    const char *s3_addr;       /* NULL = no S3 data plane over HTTP */
    const char *s3_https_addr; /* NULL = no S3 data plane over HTTPS */
    const char *port_file;
    bool reset;
    bool seed;
    sim_user *users; /* malloc'd array */
    size_t n_users;
    const char **api_tokens; /* malloc'd array */
    size_t n_api_tokens;
    long token_lifetime_s;
    size_t unpaged_limit;
    const char *sys_version;
    int sys_version_code; /* major*1000000 + minor*1000 + patch, see sim_version_code */
    uint64_t capacity_bytes;
    uint64_t clone_rate; /* bytes per second; 0 = unlimited */
    long task_delay_ms;
    const char *tls_cert;
    const char *tls_key;
    const char *faults_json;
    unsigned threads;         /* worker threads per listener (event loops, see http.c) */
    unsigned max_connections; /* connections open at once per listener */
    unsigned idle_timeout_s;  /* a connection idle this long is closed */
} sim_config;

struct sim_store;
struct sim_stats;
struct sim_faults;
struct sim_clones;

typedef struct sim_ctx {
    sim_config cfg;
    char *fs_root;   /* DIR/fs: the directory tree that views, quotas and snapshots live in */
    int fs_fd;       /* DIR/fs opened; every VMS path is resolved beneath it (safepath.h) */
    char *state_path; /* DIR/state.json */
    struct sim_store *store;
    struct sim_stats *stats;
    struct sim_faults *faults;
    struct sim_clones *clones;
    int64_t started_ms;
    /* The ports bound (0 = off), for the port file and GET /_sim/listeners; set once by
     * main before the port file is written. */
    struct {
        _Atomic unsigned https, http, s3, s3_https;
    } ports;
    /* Set once on SIGTERM/SIGINT: long sleeps (latency, hang, clone pacing) watch it so
     * shutdown is never held up by an injected fault. */
    atomic_bool stopping;
} sim_ctx;

typedef struct {
    const char *key;
    const char *value; /* "" for a key given without '=' */
} sim_param;

/* One API request as the handlers see it. Everything is borrowed from the HTTP layer
 * for the duration of the call. */
typedef struct {
    sim_ctx *ctx;
    const char *method;
    const char *api_version; /* "v1".."v5", "latest", or "" when the URL had none */
    const char *api_path;    /* path after /api/<ver>/, e.g. "views/7/" */
    char **segments;         /* api_path split at '/', filled by api.c: {"views", "7"} */
    size_t n_segments;
    sim_param *params;
    size_t n_params;
    const char *body_text; /* raw body, may be NULL */
    size_t body_len;
    json_t *body;          /* parsed by api.c after authentication; NULL when empty */
    const char *base_url;  /* "http://127.0.0.1:8080", from the listener and Host header */
    /* credentials as received */
    const char *authorization;
    const char *basic_user;
    const char *basic_password;
    const char *tenant_header;
    /* filled in by authentication */
    const char *user;
    bool readonly;
    /* A TENANT_ADMIN manager's tenant: every request it makes stays inside it (access.h);
     * 0 = a cluster admin (a --user account, an API token of one, a SUPER_ADMIN). */
    json_int_t confined_tenant;
    json_int_t scope_tenant; /* X-Tenant-Name resolved to an id; 0 = not scoped */
} sim_request;

typedef struct {
    int status;
    json_t *body; /* owned; NULL = no body */
    /* The serialized body. Handlers render it while they still hold the store lock,
     * because rendered objects share nested values with stored ones. */
    char *text;
} sim_response;

/* {"https": PORT, "http": PORT, "s3": PORT, "s3_https": PORT} of the listeners that are
 * on (new ref; main.c). */
json_t *sim_ports(sim_ctx *ctx);

/* Serializes body into text (and drops body); call under the lock the body was built in. */
void sim_response_finish(sim_response *resp);

/* Looks a query parameter up; NULL when absent. */
const char *sim_param_get(const sim_request *req, const char *key);

/* Replies. Each replaces any body set before and returns -1 so handlers can
 * `return sim_reply_detail(...)` from an error path. */
int sim_reply(sim_response *resp, int status, json_t *body /* stolen */);
/* The success counterpart: sets the response and returns 0. */
int sim_ok(sim_response *resp, int status, json_t *body /* stolen */);
int sim_reply_detail(sim_response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 400 {"<field>": ["<message>"]}, the Django REST framework shape for validation errors. */
int sim_reply_field_error(sim_response *resp, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sim_reply_not_found(sim_response *resp);
int sim_reply_permission_denied(sim_response *resp);

#endif
