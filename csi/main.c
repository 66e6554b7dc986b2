/* vast-csi: the CSI plugin process. Parses options, serves the services its mode
 * calls for until SIGTERM or SIGINT, then stops gracefully and exits 0. */
#include "driver.h"
#include "mount_helper.h"
#include "version.h"
#include "vk/signals.h"

#include "vk/fault.h"
#include "vk/log.h"
#include "vk/metrics_server.h"
#include "vk/rpc_server.h"

#include <grpc/grpc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_bool serving;

/* /readyz: ready once the gRPC endpoint accepts calls (the sidecars' probes go there). */
static bool ready(void *ctx, char *why, size_t size) {
    const csi_options *o = ctx;
    bool up = atomic_load(&serving);
    snprintf(why, size, up ? "serving %s" : "starting: %s is not served yet", o->endpoint.target);
    return up;
}

static int serve(csi_driver *driver, const sigset_t *stop_signals) {
    const csi_options *o = &driver->options;
    vk_rpc_server_config config = {
        .endpoint = o->endpoint,
        .workers = o->workers,
        .shutdown_grace_ms = o->shutdown_grace_ms,
        .max_queue_wait_ms = o->max_queue_wait_ms,
    };
    vk_status st;
    /* Listening first: a port that cannot be had stops the start before any call is
     * taken, and /healthz answers while the gRPC server comes up. */
    vk_metrics_server *http = NULL;
    if (o->http_endpoint[0] && !(http = vk_metrics_server_start(o->http_endpoint, ready, (void *)o, &st))) {
        VK_LOG(VK_LOG_ERROR, "cannot start", "http_endpoint", o->http_endpoint, "error", st.message);
        return 1;
    }
    vk_rpc_server *server = vk_rpc_server_new(&config);
    if (!csi_driver_register(driver, server, &st) || !vk_rpc_server_start(server, &st)) {
        VK_LOG(VK_LOG_ERROR, "cannot start", "endpoint", o->endpoint.target, "code", vk_status_name(st.code),
               "error", st.message);
        vk_rpc_server_free(server);
        vk_metrics_server_stop(http);
        return 1;
    }
    atomic_store(&serving, true);
    char workers[16], http_port[16];
    VK_LOG(VK_LOG_INFO, "vast-csi serving", "driver", o->driver_name, "version", VK_VERSION, "commit",
           VK_GIT_COMMIT, "mode", csi_mode_name(o->mode), "endpoint", o->endpoint.target, "node_id",
           o->node_id, "workers", vk_fmt(workers, sizeof workers, "%d", o->workers), "http_endpoint",
           o->http_endpoint[0] ? o->http_endpoint : NULL, "http_port",
           http ? vk_fmt(http_port, sizeof http_port, "%d", vk_metrics_server_port(http)) : NULL);

    int sig = 0;
    sigwait(stop_signals, &sig);
    VK_LOG(VK_LOG_INFO, "stopping: finishing calls in flight", "signal", strsignal(sig));
    atomic_store(&serving, false);
    vk_rpc_server_free(server);
    vk_metrics_server_stop(http);
    VK_LOG(VK_LOG_INFO, "stopped");
    return 0;
}

int main(int argc, char **argv) {
    /* the bounded helper process for mounts and probes (csi/mounter.h) */
    if (argc >= 2 && strcmp(argv[1], "--mount-helper") == 0) return csi_mount_helper_main(argc, argv);
    csi_driver driver;
    vk_status st;
    if (!csi_options_parse(argc, argv, &driver.options, &st)) {
        fprintf(stderr, "vast-csi: %s\n", st.message);
        return 2;
    }
    if (driver.options.show_help) {
        csi_options_usage(stdout);
        return 0;
    }
    if (driver.options.show_version) {
        printf("vast-csi %s (commit %s)\n", VK_VERSION, VK_GIT_COMMIT);
        return 0;
    }
    vk_log_set_level(driver.options.log_level);
    vk_log_set_format(driver.options.log_format);
    /* Test-only: see include/vk/fault.h. */
    if (!vk_fault_configure(getenv("VAST_CSI_FAULTS"), &st)) {
        fprintf(stderr, "vast-csi: VAST_CSI_FAULTS: %s\n", st.message);
        return 2;
    }

    sigset_t stop_signals = vk_block_stop_signals();
    grpc_init();
    vk_log_capture_grpc();
    csi_driver_open(&driver);
    int rc = serve(&driver, &stop_signals);
    csi_driver_close(&driver);
    grpc_shutdown_blocking();
    return rc;
}
