/* vast-operator: reconciles Tenants and VastClusters until SIGTERM or SIGINT, then
 * stops in order (workers finish the object in hand, the Lease is released so a
 * standby takes over at once) and exits 0. Losing the Lease ends the process with 1:
 * its work may already be another's, and a restart comes back as a candidate. */
#include "controller.h"
#include "operator.h"
#include "version.h"

#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/kube_lease.h"
#include "vk/log.h"
#include "vk/metrics.h"
#include "vk/metrics_server.h"
#include "vk/signals.h"
#include "vk/vms_error.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OP_SHUTDOWN_MS 10000

static atomic_bool lease_lost, shutting_down;

static void started_leading(void *arg) {
    op_ctx *ctx = arg;
    atomic_store(&ctx->leading, true);
    VK_LOG(VK_LOG_INFO, "leading");
    op_controller_start(ctx);
}

static void stopped_leading(void *arg) {
    op_ctx *ctx = arg;
    atomic_store(&ctx->leading, false);
    if (atomic_load(&shutting_down)) return; /* our own release at shutdown */
    atomic_store(&lease_lost, true);
    VK_LOG(VK_LOG_WARN, "lost the lease: stopping so that one leader acts");
    kill(getpid(), SIGTERM);
}

/* /readyz: a standby is fine (just not leading); a leader once its caches have synced. */
static bool ready(void *arg, char *why, size_t size) {
    op_ctx *ctx = arg;
    if (!atomic_load(&ctx->leading)) return snprintf(why, size, "standby"), true;
    if (atomic_load(&ctx->synced)) return snprintf(why, size, "leading"), true;
    return snprintf(why, size, "leading; caches not synced yet"), false;
}

static double leading_gauge(void *arg) { return atomic_load(&((op_ctx *)arg)->leading) ? 1 : 0; }

static void new_leader(void *arg, const char *identity) {
    (void)arg;
    VK_LOG(VK_LOG_INFO, "leader", "identity", identity && *identity ? identity : "(none)");
}

static bool connect_kube(op_ctx *ctx, vk_status *st) {
    vk_kube_config cfg;
    bool ok = ctx->options.kubeconfig[0]
                  ? vk_kube_config_load_file(ctx->options.kubeconfig,
                                             ctx->options.context[0] ? ctx->options.context : NULL, &cfg, st)
                  : vk_kube_config_in_cluster(NULL, &cfg, st);
    if (!ok) return false;
    vk_kube_client_settings settings = {.qps = ctx->options.kube_qps, .burst = ctx->options.kube_burst,
                                        .field_manager = OP_FIELD_MANAGER};
    ok = vk_kube_client_new(&cfg, &settings, &ctx->kube, st);
    vk_kube_config_free(&cfg);
    if (!ok) return false;
    ctx->events = vk_kube_recorder_new(ctx->kube,
                                       &(vk_kube_recorder_settings){.reporting_controller = OP_GROUP "/operator"}, st);
    return ctx->events != NULL;
}

static int run(op_ctx *ctx, const sigset_t *stop_signals) {
    vk_status st;
    if (!connect_kube(ctx, &st) || !op_controller_init(ctx, &st)) {
        VK_LOG(VK_LOG_ERROR, "cannot start", "code", vk_status_name(st.code), "error", st.message);
        return 1;
    }
    vk_metric_gauge_fn("vast_operator_leader", "1 while this process holds the Lease and reconciles, else 0",
                       leading_gauge, ctx);
    vk_metrics_server *health = NULL;
    if (ctx->options.health_address[0] &&
        !(health = vk_metrics_server_start(ctx->options.health_address, ready, ctx, &st))) {
        VK_LOG(VK_LOG_ERROR, "cannot start", "error", st.message);
        return 1;
    }
    VK_LOG(VK_LOG_INFO, "vast-operator starting", "version", VK_VERSION, "commit", VK_GIT_COMMIT, "driver_namespace",
           ctx->options.driver_namespace, "leader_elect", ctx->options.leader_elect ? "true" : "false");
    vk_kube_lease_elector *elector = NULL;
    if (ctx->options.leader_elect) {
        vk_kube_lease_config lease = {
            .namespace_ = ctx->options.lease_namespace,
            .name = ctx->options.lease_name,
            .identity = ctx->options.identity[0] ? ctx->options.identity : NULL,
            .on_started_leading = started_leading,
            .on_stopped_leading = stopped_leading,
            .on_new_leader = new_leader,
            .ctx = ctx,
        };
        if (!vk_kube_lease_start(ctx->kube, &lease, &elector, &st)) {
            VK_LOG(VK_LOG_ERROR, "cannot start leader election", "error", st.message);
            vk_metrics_server_stop(health);
            return 1;
        }
    } else {
        started_leading(ctx);
    }
    int sig = 0;
    sigwait(stop_signals, &sig);
    VK_LOG(VK_LOG_INFO, "stopping", "signal", strsignal(sig));
    atomic_store(&shutting_down, true);
    bool stopped = op_controller_stop(ctx, vk_deadline_in(OP_SHUTDOWN_MS));
    if (!stopped) {
        /* a worker is still inside a call: leave it to the exit; its work is idempotent */
        VK_LOG(VK_LOG_WARN, "a reconcile was still running at the shutdown deadline; exiting anyway");
        if (elector) vk_kube_lease_stop(elector); /* the standby need not wait out the lease */
        return atomic_load(&lease_lost) ? 1 : 0;
    }
    vk_kube_lease_free(elector); /* stops it first: the Lease is released */
    vk_metrics_server_stop(health);
    op_controller_free(ctx);
    vk_kube_recorder_free(ctx->events, vk_deadline_in(3000));
    vk_kube_client_free(ctx->kube);
    VK_LOG(VK_LOG_INFO, "stopped");
    return atomic_load(&lease_lost) ? 1 : 0;
}

int main(int argc, char **argv) {
    static op_ctx ctx;
    vk_status st;
    if (!op_options_parse(argc, argv, &ctx.options, &st)) {
        fprintf(stderr, "vast-operator: %s\n", st.message);
        return 2;
    }
    if (ctx.options.show_help) {
        op_options_usage(stdout);
        return 0;
    }
    if (ctx.options.show_version) {
        printf("vast-operator %s (commit %s)\n", VK_VERSION, VK_GIT_COMMIT);
        return 0;
    }
    vk_log_set_level(ctx.options.log_level);
    vk_log_set_format(ctx.options.log_format);
    /* Test-only: see include/vk/fault.h. */
    if (!vk_fault_configure(getenv("VAST_OPERATOR_FAULTS"), &st)) {
        fprintf(stderr, "vast-operator: VAST_OPERATOR_FAULTS: %s\n", st.message);
        return 2;
    }
    vms_error_set_wording("the VastCluster's credentials Secret (spec.credentialsSecretRef)",
                          "the VastCluster's spec.caBundle", "put the certificate itself in spec.caBundle (a self-signed one is its own CA)");
    sigset_t stop_signals = vk_block_stop_signals();
    return run(&ctx, &stop_signals);
}
