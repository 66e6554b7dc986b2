/* vk_metrics: the text format of counters, gauges and histograms with labels, as the
 * exposition format 0.0.4 spells it (a real parser reads it in the daemons' tests), and
 * the registry's rules: a name asked for twice is one family. */
#include "vk/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void has(const char *text, const char *line) {
    if (!strstr(text, line)) fail_msg("missing <%s> in:\n%s", line, text);
}

static void counters_with_labels(void **state) {
    (void)state;
    vk_metric *c = vk_metric_counter("t_calls_total", "Calls, by method\nand code", VK_LABELS("method", "code"));
    assert_ptr_equal(c, vk_metric_counter("t_calls_total", "again", VK_LABELS("method", "code")));
    vk_metric_add(c, 1, "Create", "OK");
    vk_metric_add(c, 2, "Create", "OK");
    vk_metric_add(c, 1, "Delete", "NOT_FOUND");
    assert_true(vk_metric_value(c, "Create", "OK") == 3);
    assert_true(vk_metric_value(c, "Never", "OK") == 0);
    char *text = vk_metrics_render();
    has(text, "# HELP t_calls_total Calls, by method\\nand code\n");
    has(text, "# TYPE t_calls_total counter\n");
    has(text, "t_calls_total{method=\"Create\",code=\"OK\"} 3\n");
    has(text, "t_calls_total{method=\"Delete\",code=\"NOT_FOUND\"} 1\n");
    free(text);
}

static void gauges_and_escapes(void **state) {
    (void)state;
    vk_metric *g = vk_metric_gauge("t_in_flight", "In flight", VK_LABELS("path"));
    vk_metric_set(g, 5, "a\"b\\c\nd");
    vk_metric_add(g, -2, "a\"b\\c\nd");
    vk_metric *plain = vk_metric_gauge("t_up", "Up", VK_NO_LABELS);
    vk_metric_set(plain, 0.25);
    char *text = vk_metrics_render();
    has(text, "t_in_flight{path=\"a\\\"b\\\\c\\nd\"} 3\n");
    has(text, "# TYPE t_up gauge\nt_up 0.25\n");
    free(text);
}

static double seven(void *ctx) { return *(double *)ctx; }

static void histogram_buckets_are_cumulative(void **state) {
    (void)state;
    vk_metric *h = vk_metric_histogram("t_seconds", "Latency", VK_LABELS("op"), (const double[]){0.1, 1}, 2);
    vk_metric_observe(h, 0.05, "get");
    vk_metric_observe(h, 0.1, "get"); /* le is inclusive */
    vk_metric_observe(h, 0.5, "get");
    vk_metric_observe(h, 3, "get");
    double v = 7;
    vk_metric_gauge_fn("t_queue_depth", "Queue depth", seven, &v);
    char *text = vk_metrics_render();
    has(text, "# TYPE t_seconds histogram\n");
    has(text, "t_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n");
    has(text, "t_seconds_bucket{op=\"get\",le=\"1\"} 3\n");
    has(text, "t_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n");
    has(text, "t_seconds_sum{op=\"get\"} 3.65");
    has(text, "t_seconds_count{op=\"get\"} 4\n");
    has(text, "t_queue_depth 7\n");
    free(text);
}

/* Counts the "objects" of a fake cache by state, as the operator counts Tenants. */
typedef struct {
    const char *states[3];
    int collected;
} fake_cache;

static void count_states(vk_metric *m, void *ctx) {
    fake_cache *c = ctx;
    c->collected++;
    int ready = 0, degraded = 0;
    for (int i = 0; i < 3; i++) {
        if (strcmp(c->states[i], "Ready") == 0) ready++;
        else degraded++;
    }
    vk_metric_set(m, ready, "Ready");
    vk_metric_set(m, degraded, "Degraded");
}

static void on_render_reads_the_cache_at_each_scrape(void **state) {
    (void)state;
    fake_cache cache = {{"Ready", "Degraded", "Ready"}, 0};
    vk_metric *g = vk_metric_gauge("t_objects", "Objects by state", VK_LABELS("condition"));
    vk_metric_on_render(g, count_states, &cache);
    char *text = vk_metrics_render();
    has(text, "t_objects{condition=\"Ready\"} 2\n");
    has(text, "t_objects{condition=\"Degraded\"} 1\n");
    free(text);
    cache.states[1] = "Ready"; /* the cache changed: the next scrape says so */
    text = vk_metrics_render();
    has(text, "t_objects{condition=\"Ready\"} 3\n");
    has(text, "t_objects{condition=\"Degraded\"} 0\n");
    free(text);
    assert_int_equal(cache.collected, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counters_with_labels),
        cmocka_unit_test(gauges_and_escapes),
        cmocka_unit_test(histogram_buckets_are_cumulative),
        cmocka_unit_test(on_render_reads_the_cache_at_each_scrape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
