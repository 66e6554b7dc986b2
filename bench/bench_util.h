/* What the benchmark tools in bench/ share: one clock, one way to read a numeric option,
 * one definition of a percentile and one way to start the measured threads together, so
 * that the figures of rpc_latency, create_load and node_publish mean the same thing. */
#ifndef VK_BENCH_UTIL_H
#define VK_BENCH_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nanoseconds of CLOCK_MONOTONIC: call latencies must not jump with the wall clock. */
uint64_t bench_monotonic_ns(void);

/* Reads an option's whole value as a base-10 long no smaller than min. Anything else
 * (empty, trailing text, out of range) is false, so a typo is a usage error, never 0. */
bool bench_parse_long(const char *text, long min, long *out);

/* qsort comparator for uint64_t, ascending. */
int bench_compare_u64(const void *a, const void *b);

/* Nearest-rank percentile pct (0-100) of the first n entries of an ascending array,
 * divided by unit_ns (1e6 for milliseconds, 1e3 for microseconds); 0 when n is 0. */
double bench_percentile(const uint64_t *sorted, long n, double pct, double unit_ns);

/* Latency of the successful calls of a run, in the unit the caller asked for. */
typedef struct {
    double p50, p90, p99, mean, max;
} bench_latency;

/* Sorts the n samples ascending and summarises the first ok of them. A failed call is
 * recorded as UINT64_MAX, so it sorts last and stays out of the figures; all are 0 when
 * ok is 0. */
bench_latency bench_latency_of(uint64_t *samples_ns, long n, long ok, double unit_ns);

/* What a phase of calls measured. */
typedef struct {
    long calls, errors;
    double seconds;   /* wall time of the phase */
    double per_s;     /* successful calls per second of wall time */
    bench_latency ms; /* of the successful calls, in milliseconds */
} bench_figures;

/* The figures of calls whose latencies are in latency_ns (errors of them failed, recorded
 * as UINT64_MAX) and that took seconds; sorts latency_ns. */
bench_figures bench_figures_of(uint64_t *latency_ns, long calls, long errors, double seconds);

/* Runs threads copies of worker; thread t gets (char *)args + t * arg_stride (stride 0:
 * all share args). Each worker waits on *start_line once it is ready (connected, warm),
 * so that connecting is not timed; the clock starts when the last one is ready and stops
 * when the last one returns. Initialises and destroys *start_line (threads + 1 parties:
 * this thread too). Returns those seconds. Out of memory, or a thread that cannot start
 * (the barrier would wait for it forever), ends the process with status 1, saying why
 * as "tool: ...". */
double bench_run_workers(const char *tool, long threads, void *(*worker)(void *), void *args, size_t arg_stride,
                         pthread_barrier_t *start_line);

#endif
