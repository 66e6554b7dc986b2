/* Prometheus metrics: counters, gauges and histograms with labels, in one registry per
 * process, rendered in the text exposition format (version 0.0.4) that every
 * Prometheus scrapes.
 *
 *   static vk_metric *calls;
 *   calls = vk_metric_counter("vast_csi_rpc_total", "RPCs finished, by method and code",
 *                             VK_LABELS("method", "code"));
 *   vk_metric_add(calls, 1, "/csi.v1.Controller/CreateVolume", "OK");
 *   char *text = vk_metrics_render();   what GET /metrics answers
 *
 * A family is made once (at start: registering the same name twice returns the first
 * family, so modules may each ask for it) and lives as long as the process. A series is
 * made on its first use and never removed, so label values must come from small fixed
 * sets (methods, codes, endpoints' collections), never from ids or names of objects.
 * Every call is thread-safe; an update takes the family's mutex for a few
 * instructions. Label values are escaped when rendered (\\ \" \n), so any text is safe. */
#ifndef VK_METRICS_H
#define VK_METRICS_H

#include <stddef.h>

typedef struct vk_metric vk_metric;

#define VK_METRICS_LABELS_MAX 4
/* A NULL-terminated list of label names, e.g. VK_LABELS("method", "code"). */
#define VK_LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define VK_NO_LABELS ((const char *const[]){NULL})

/* Latency buckets in seconds for calls from a millisecond to two minutes. */
#define VK_METRICS_LATENCY_BUCKETS \
    ((const double[]){0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120})
#define VK_METRICS_LATENCY_BUCKETS_N 16

vk_metric *vk_metric_counter(const char *name, const char *help, const char *const *labels);
vk_metric *vk_metric_gauge(const char *name, const char *help, const char *const *labels);
/* buckets: n upper bounds, increasing (the +Inf bucket is added). */
vk_metric *vk_metric_histogram(const char *name, const char *help, const char *const *labels, const double *buckets,
                               size_t n);

/* The label values follow, one per label name of the family, in order. */
void vk_metric_add(vk_metric *m, double value, ...);     /* counters and gauges */
void vk_metric_set(vk_metric *m, double value, ...);     /* gauges */
void vk_metric_observe(vk_metric *m, double value, ...); /* histograms */

/* The value of a counter or gauge series (0 when it was never used); for tests. */
double vk_metric_value(vk_metric *m, ...);

/* Every family in registration order, in the text format; malloc'd. */
char *vk_metrics_render(void);

/* A gauge whose value is read when rendered (queue lengths, in-flight counts held
 * elsewhere): fn(ctx) gives the value. No labels. */
void vk_metric_gauge_fn(const char *name, const char *help, double (*fn)(void *ctx), void *ctx);

/* A labelled family whose values are read when rendered (objects counted by their
 * state in a cache held elsewhere): collect(m, ctx) runs just before m is rendered,
 * without m's lock held, and sets m's series with vk_metric_set. */
void vk_metric_on_render(vk_metric *m, void (*collect)(vk_metric *m, void *ctx), void *ctx);

#endif
