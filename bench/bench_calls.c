#include "bench_calls.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const bench_calls *calls;
    uint64_t *latency_ns;
    atomic_long next;
    atomic_long errors;
    atomic_flag first_error;
    pthread_barrier_t start_line;
} run_state;

static void *worker_main(void *arg) {
    run_state *r = arg;
    const bench_calls *c = r->calls;
    vk_rpc_client *client = vk_rpc_client_new(c->endpoint);
    pthread_barrier_wait(&r->start_line);
    for (;;) {
        long i = atomic_fetch_add(&r->next, 1);
        if (i >= c->n) break;
        vk_status st = {0};
        uint64_t began = bench_monotonic_ns();
        vk_code code = c->call(client, c->ctx, i, &st);
        r->latency_ns[i] = code == VK_OK ? bench_monotonic_ns() - began : UINT64_MAX;
        if (code == VK_OK) continue;
        atomic_fetch_add(&r->errors, 1);
        if (!atomic_flag_test_and_set(&r->first_error)) {
            fprintf(stderr, "%s: %s: %s\n", c->tool, vk_status_name(code), st.message);
        }
    }
    vk_rpc_client_free(client);
    return NULL;
}

bench_figures bench_calls_run(const bench_calls *calls, uint64_t **latency_out) {
    run_state r = {.calls = calls, .first_error = ATOMIC_FLAG_INIT};
    atomic_init(&r.next, 0);
    atomic_init(&r.errors, 0);
    size_t n = calls->n > 0 ? (size_t)calls->n : 1;
    r.latency_ns = calloc(n, sizeof *r.latency_ns);
    uint64_t *in_order = latency_out ? calloc(n, sizeof *in_order) : NULL;
    if (!r.latency_ns || (latency_out && !in_order)) {
        fprintf(stderr, "%s: out of memory\n", calls->tool);
        exit(1);
    }
    long threads = calls->concurrency < calls->n ? calls->concurrency : calls->n;
    if (threads < 1) threads = 1;
    double seconds = bench_run_workers(calls->tool, threads, worker_main, &r, 0, &r.start_line);
    if (in_order) {
        memcpy(in_order, r.latency_ns, n * sizeof *in_order);
        *latency_out = in_order;
    }
    bench_figures f = bench_figures_of(r.latency_ns, calls->n, atomic_load(&r.errors), seconds);
    free(r.latency_ns);
    return f;
}
