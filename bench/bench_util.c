/* Shared pieces of the benchmark tools; see bench_util.h. */
#include "bench_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t bench_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool bench_parse_long(const char *text, long min, long *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < min) return false;
    *out = v;
    return true;
}

int bench_compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

double bench_percentile(const uint64_t *sorted, long n, double pct, double unit_ns) {
    if (n == 0) return 0;
    long rank = (long)(pct / 100.0 * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)sorted[rank - 1] / unit_ns;
}

bench_latency bench_latency_of(uint64_t *samples_ns, long n, long ok, double unit_ns) {
    qsort(samples_ns, (size_t)n, sizeof *samples_ns, bench_compare_u64);
    double sum = 0;
    for (long i = 0; i < ok; i++) sum += (double)samples_ns[i];
    return (bench_latency){
        .p50 = bench_percentile(samples_ns, ok, 50, unit_ns),
        .p90 = bench_percentile(samples_ns, ok, 90, unit_ns),
        .p99 = bench_percentile(samples_ns, ok, 99, unit_ns),
        .mean = ok ? sum / (double)ok / unit_ns : 0,
        .max = ok ? (double)samples_ns[ok - 1] / unit_ns : 0,
    };
}

bench_figures bench_figures_of(uint64_t *latency_ns, long calls, long errors, double seconds) {
    long ok = calls - errors;
    return (bench_figures){
        .calls = calls,
        .errors = errors,
        .seconds = seconds,
        .per_s = seconds > 0 ? (double)ok / seconds : 0,
        .ms = bench_latency_of(latency_ns, calls, ok, 1e6),
    };
}

double bench_run_workers(const char *tool, long threads, void *(*worker)(void *), void *args, size_t arg_stride,
                         pthread_barrier_t *start_line) {
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!tids) {
        fprintf(stderr, "%s: out of memory\n", tool);
        exit(1);
    }
    pthread_barrier_init(start_line, NULL, (unsigned)threads + 1);
    for (long t = 0; t < threads; t++) {
        int err = pthread_create(&tids[t], NULL, worker, (char *)args + (size_t)t * arg_stride);
        if (err != 0) {
            fprintf(stderr, "%s: cannot start thread: %s\n", tool, strerror(err));
            exit(1);
        }
    }
    pthread_barrier_wait(start_line);
    uint64_t began = bench_monotonic_ns();
    for (long t = 0; t < threads; t++) pthread_join(tids[t], NULL);
    double seconds = (double)(bench_monotonic_ns() - began) / 1e9;
    pthread_barrier_destroy(start_line);
    free(tids);
    return seconds;
}
