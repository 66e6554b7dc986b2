/* vms-sim: a simulator of the VAST management REST API (VMS) for tests, the quickstart
 * and benchmarks. This file is the lifecycle: options, data directory, state, TLS,
 * listeners, the port file, and a clean stop on SIGTERM/SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clones.h"
#include "collections.h"
#include "faults.h"
#include "fsops.h"
#include "http.h"
#include "options.h"
#include "s3_listener.h"
#include "safepath.h"
#include "seed.h"
#include "stats.h"
#include "store.h"
#include "support.h"
#include "tls.h"
#include "vk/log.h"
#include "vk/signals.h"

typedef struct {
    sim_listener *https, *http;
    s3_listener *s3, *s3_https; /* the S3 data plane */
    char *cert_pem, *key_pem; /* libmicrohttpd may refer to them while it runs */
} listeners;

/* --reset: the state file and what DIR/fs holds go; DIR/tls stays so clients keep
 * trusting it. */
static int wipe_state(const sim_ctx *ctx) {
    if (store_remove_files(ctx->state_path) != 0) return -1;
    int rc = safepath_empty_root(ctx->fs_fd);
    if (rc != 0) errno = rc;
    return rc == 0 ? 0 : -1;
}

/* DIR and DIR/fs are the operator's paths (trusted); DIR/fs is opened once, and every VMS
 * path is resolved beneath that fd from then on. */
static int open_state(sim_ctx *ctx, char *err, size_t errlen) {
    if (fsops_mkdirs(ctx->cfg.data_dir, 0755) != 0 || fsops_mkdirs(ctx->fs_root, 0755) != 0 ||
        (ctx->fs_fd = safepath_open_root(ctx->fs_root)) < 0 || (ctx->cfg.reset && wipe_state(ctx) != 0)) {
        snprintf(err, errlen, "cannot prepare the data directory %s: %s", ctx->cfg.data_dir, strerror(errno));
        return -1;
    }
    ctx->store = store_open(ctx->state_path, err, errlen);
    if (!ctx->store) return -1;
    collections_register_indexes(ctx->store);
    if (ctx->cfg.faults_json) {
        json_error_t jerr;
        json_t *doc = json_loads(ctx->cfg.faults_json, 0, &jerr);
        bool ok = doc && faults_set(ctx->faults, doc, err, errlen);
        json_decref(doc);
        if (!ok) {
            if (!doc) snprintf(err, errlen, "--faults: %s", jerr.text);
            return -1;
        }
    }
    int rc = 0;
    store_lock(ctx->store);
    collections_ensure_builtin(ctx);
    if (ctx->cfg.seed) {
        json_t *ids = seed_apply(ctx);
        if (!ids) rc = -1;
        json_decref(ids);
    }
    clones_resume(ctx);
    if (rc == 0) rc = store_commit_sync_locked(ctx->store);
    store_unlock(ctx->store);
    if (rc != 0) snprintf(err, errlen, "cannot initialise the state in %s", ctx->cfg.data_dir);
    return rc;
}

/* Every connection is a descriptor: let the process use as many as its hard limit
 * allows, so --max-connections (and the refused overflow) is what bounds them, not a
 * default soft limit of 1024 meeting accept() with EMFILE. */
static void raise_fd_limit(void) {
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

static int start_listeners(sim_ctx *ctx, listeners *ls, char *err, size_t errlen) {
    raise_fd_limit();
    if ((ctx->cfg.https_addr || ctx->cfg.s3_https_addr) &&
        tls_load_or_generate(ctx->cfg.data_dir, ctx->cfg.tls_cert, ctx->cfg.tls_key, &ls->cert_pem, &ls->key_pem, err,
                             errlen) != 0)
        return -1;
    if (ctx->cfg.https_addr) {
        ls->https = http_start(ctx, ctx->cfg.https_addr, ls->cert_pem, ls->key_pem, err, errlen);
        if (!ls->https) return -1;
    }
    if (ctx->cfg.http_addr) {
        ls->http = http_start(ctx, ctx->cfg.http_addr, NULL, NULL, err, errlen);
        if (!ls->http) return -1;
    }
    if (ctx->cfg.s3_addr && !(ls->s3 = s3_listener_start(ctx, ctx->cfg.s3_addr, NULL, NULL, err, errlen))) return -1;
    if (ctx->cfg.s3_https_addr &&
        !(ls->s3_https = s3_listener_start(ctx, ctx->cfg.s3_https_addr, ls->cert_pem, ls->key_pem, err, errlen)))
        return -1;
    ctx->ports.https = ls->https ? http_port(ls->https) : 0;
    ctx->ports.http = ls->http ? http_port(ls->http) : 0;
    ctx->ports.s3 = ls->s3 ? s3_listener_port(ls->s3) : 0;
    ctx->ports.s3_https = ls->s3_https ? s3_listener_port(ls->s3_https) : 0;
    return 0;
}

/* {"https": PORT, ...} of the listeners that are on (new ref). */
json_t *sim_ports(sim_ctx *ctx) {
    json_t *ports = json_object();
    const struct {
        const char *name;
        unsigned port;
    } all[] = {{"https", ctx->ports.https}, {"http", ctx->ports.http}, {"s3", ctx->ports.s3}, {"s3_https", ctx->ports.s3_https}};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i].port) json_object_set_new(ports, all[i].name, json_integer(all[i].port));
    }
    return ports;
}

static int write_port_file(sim_ctx *ctx) {
    json_t *ports = sim_ports(ctx);
    char *text = json_dumps(ports, JSON_COMPACT);
    json_decref(ports);
    int rc = -1;
    if (text) {
        if (ctx->cfg.port_file) rc = sim_write_file_atomic(ctx->cfg.port_file, text, strlen(text), 0644);
        else rc = 0;
        VK_LOG(VK_LOG_INFO, "vms-sim ready", "ports", text, "data_dir", ctx->cfg.data_dir, "sys_version",
               ctx->cfg.sys_version);
    }
    free(text);
    return rc;
}

static void stop_listeners(listeners *ls) {
    http_stop(ls->https);
    http_stop(ls->http);
    s3_listener_stop(ls->s3);
    s3_listener_stop(ls->s3_https);
    free(ls->cert_pem);
    free(ls->key_pem);
}

int main(int argc, char **argv) {
    static sim_ctx ctx;
    char err[2048] = "";
    switch (options_parse(argc, argv, &ctx.cfg, err, sizeof err)) {
    case OPTIONS_EXIT_OK: options_free(&ctx.cfg); return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "vms-sim: %s\n", err);
        options_free(&ctx.cfg);
        return 2;
    case OPTIONS_RUN: break;
    }
    /* Block the stop signals before any thread starts, so every thread inherits the mask
     * and only sigwait below receives them. */
    sigset_t stop_signals = vk_block_stop_signals();

    ctx.started_ms = sim_now_ms();
    ctx.fs_root = sim_printf("%s/fs", ctx.cfg.data_dir);
    ctx.fs_fd = -1;
    const char *resolve = getenv("VMS_SIM_RESOLVE");
    safepath_force_walk(resolve && strcmp(resolve, "walk") == 0);
    ctx.state_path = sim_printf("%s/state.json", ctx.cfg.data_dir);
    ctx.stats = stats_create();
    ctx.faults = faults_create();
    ctx.clones = clones_create();
    listeners ls = {0};
    int status = 0;
    if (open_state(&ctx, err, sizeof err) != 0 || start_listeners(&ctx, &ls, err, sizeof err) != 0 ||
        write_port_file(&ctx) != 0) {
        VK_LOG(VK_LOG_ERROR, "vms-sim cannot start", "error", err[0] ? err : "cannot write the port file");
        status = 1;
    } else {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        VK_LOG(VK_LOG_INFO, "vms-sim stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }

    atomic_store(&ctx.stopping, true);
    stop_listeners(&ls);
    clones_shutdown(&ctx);
    if (ctx.store) {
        /* a whole state.json and an empty journal after a clean stop */
        store_lock(ctx.store);
        if (store_compact(ctx.store) != 0) status = 1;
        store_unlock(ctx.store);
    }
    store_close(ctx.store);
    clones_destroy(ctx.clones);
    faults_destroy(ctx.faults);
    stats_destroy(ctx.stats);
    if (ctx.fs_fd >= 0) close(ctx.fs_fd);
    free(ctx.fs_root);
    free(ctx.state_path);
    options_free(&ctx.cfg);
    return status;
}
