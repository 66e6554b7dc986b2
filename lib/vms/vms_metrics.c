/* vms_metrics: the families behind vms_metrics.h. */
#include "vms_metrics.h"

#include "vk/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static vk_metric *requests, *durations, *token_fetches;

static void make_families(void) {
    requests = vk_metric_counter("vast_vms_requests_total",
                                 "VMS request attempts sent, by cluster (host:port), collection (first path segment), "
                                 "method and status (the HTTP status, or transport when no answer came)",
                                 VK_LABELS("cluster", "collection", "method", "status"));
    durations = vk_metric_histogram("vast_vms_request_duration_seconds",
                                    "Time of one VMS request attempt, by collection and method",
                                    VK_LABELS("collection", "method"), VK_METRICS_LATENCY_BUCKETS,
                                    VK_METRICS_LATENCY_BUCKETS_N);
    token_fetches = vk_metric_counter("vast_vms_token_refreshes_total",
                                      "Tokens requested from VMS (POST token/): the first login and every refresh "
                                      "after VMS said the token expired",
                                      VK_LABELS("cluster"));
}

void vms_metrics_register(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_families);
}

/* "host:port" of "scheme://host:port" (the settings' normalized form). */
static const char *cluster_of(const vms_settings *s) {
    const char *sep = strstr(s->endpoint, "://");
    return sep ? sep + 3 : s->endpoint;
}

/* "views" of "views/", "views/12/", "/views/?name=x". */
static void collection_of(const char *path, char *out, size_t size) {
    while (*path == '/') path++;
    size_t n = strcspn(path, "/?");
    if (n) snprintf(out, size, "%.*s", (int)n, path);
    else snprintf(out, size, "(root)");
}

void vms_metrics_attempt(const vms_settings *s, const char *method, const char *path, const vk_http_result *res) {
    vms_metrics_register();
    char collection[64], status[16];
    collection_of(path, collection, sizeof collection);
    if (res->failure == VK_HTTP_ANSWERED) snprintf(status, sizeof status, "%ld", res->status);
    else snprintf(status, sizeof status, "transport");
    vk_metric_add(requests, 1, cluster_of(s), collection, method, status);
    vk_metric_observe(durations, (double)res->elapsed_ms / 1e3, collection, method);
}

void vms_metrics_token_fetch(const vms_settings *s) {
    vms_metrics_register();
    vk_metric_add(token_fetches, 1, cluster_of(s));
}
