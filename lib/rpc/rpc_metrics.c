/* rpc_metrics: the families behind rpc_metrics.h. They are made once per process and
 * shared by its servers (registering a name again returns the same family). */
#include "rpc_metrics.h"

#include "vk/metrics.h"

#include <pthread.h>

static vk_metric *calls, *durations, *in_flight, *queue_wait, *refused;

static void make_families(void) {
    calls = vk_metric_counter("vast_csi_rpc_total", "gRPC calls finished, by full method path and status code",
                              VK_LABELS("method", "code"));
    durations = vk_metric_histogram("vast_csi_rpc_duration_seconds",
                                    "Time from accepting a gRPC call to its reply, by full method path",
                                    VK_LABELS("method"), VK_METRICS_LATENCY_BUCKETS, VK_METRICS_LATENCY_BUCKETS_N);
    in_flight = vk_metric_gauge("vast_csi_rpc_in_flight", "gRPC calls accepted and not yet answered", VK_NO_LABELS);
    queue_wait = vk_metric_histogram("vast_csi_rpc_queue_wait_seconds",
                                     "Time a Controller, Node or Provisioner call waited for a worker thread",
                                     VK_NO_LABELS, VK_METRICS_LATENCY_BUCKETS, VK_METRICS_LATENCY_BUCKETS_N);
    refused = vk_metric_counter("vast_csi_rpc_refused_total",
                                "gRPC calls answered without running their handler: queue_wait (waited longer than "
                                "--max-queue-wait for a worker, UNAVAILABLE) or deadline (the caller's deadline "
                                "passed while queued, DEADLINE_EXCEEDED)",
                                VK_LABELS("reason"));
    /* zero series, so rate() and absent() see the families before the first event */
    vk_metric_add(in_flight, 0);
    vk_metric_add(refused, 0, "queue_wait");
    vk_metric_add(refused, 0, "deadline");
}

void rpc_metrics_register(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_families);
}

void rpc_metrics_accepted(void) { vk_metric_add(in_flight, 1); }

void rpc_metrics_finished(const char *method, vk_code code, double seconds) {
    /* An unserved path comes from the client: one label value for all of them keeps a
     * scanner from making a series per path it tries. */
    const char *label = method ? method : "unknown";
    vk_metric_add(calls, 1, label, vk_status_name(code));
    vk_metric_observe(durations, seconds, label);
    vk_metric_add(in_flight, -1);
}

void rpc_metrics_dequeued(double waited_seconds) { vk_metric_observe(queue_wait, waited_seconds); }

void rpc_metrics_refused(rpc_refusal reason) {
    vk_metric_add(refused, 1, reason == RPC_REFUSED_DEADLINE ? "deadline" : "queue_wait");
}
