/* Timed gRPC calls spread over threads, the loop create_load, cosi_load and node_publish
 * share: each thread has its own client (rpc_client.h allows only a few waiting threads
 * per client) and takes the next index until all n are done, so a slow call never
 * leaves a thread idle; the clock runs from when every thread is connected until the
 * last call returns (bench_run_workers). */
#ifndef VK_BENCH_CALLS_H
#define VK_BENCH_CALLS_H

#include "bench_util.h"
#include "vk/endpoint.h"
#include "vk/rpc_client.h"
#include "vk/status.h"

typedef struct {
    const char *tool;            /* for messages, e.g. "create_load" */
    const vk_endpoint *endpoint;
    long n;                      /* operations, indexes 0..n-1 */
    long concurrency;            /* threads (at most n) */
    /* operation i: VK_OK, or a failure with st's message naming what failed */
    vk_code (*call)(vk_rpc_client *client, void *ctx, long i, vk_status *st);
    void *ctx;
} bench_calls;

/* Runs the calls and returns their figures. A failed call is counted, the first one is
 * printed on stderr as "tool: CODE: message". With latency_out, the latencies in index
 * order (UINT64_MAX for a failed call) are handed to the caller (free them). */
bench_figures bench_calls_run(const bench_calls *calls, uint64_t **latency_out);

#endif
