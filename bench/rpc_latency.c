/* rpc_latency: calls one unary method many times and prints latency percentiles and
 * throughput as one JSON object, so scripts can record and compare runs.
 *
 *   rpc_latency --endpoint unix:///tmp/csi.sock --calls 10000 \
 *               --method /csi.v1.Identity/GetPluginInfo [--threads 8] [--warmup 500]
 *
 * Each call sends an empty request message and does not decode the reply, so the figures
 * are the transport plus the server's work, not protobuf decoding on this side. Each
 * thread owns its own client (channel and queue): rpc_client.h allows only a few
 * threads per client, and one channel per thread is how a busy CO would look anyway.
 * Exits 1 when any call (warm-up included) did not return OK. */
#include "bench_util.h"
#include "vk/endpoint.h"
#include "vk/rpc_client.h"
#include "vk/status.h"

#include <getopt.h>
#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { EXIT_USAGE = 64 };

typedef struct {
    vk_endpoint endpoint;
    const char *method;
    long calls;   /* measured calls, all threads together */
    long threads;
    long warmup;  /* unmeasured calls per thread, made before the clock starts */
    long timeout_ms;
} bench_options;

typedef struct {
    const bench_options *options;
    pthread_barrier_t *start_line; /* every thread is connected and warm before timing */
    long calls;                    /* this thread's share of the measured calls */
    uint64_t *latencies_ns;        /* this thread's slice of the shared array */
    long errors;
} worker;

static atomic_flag first_error_reported = ATOMIC_FLAG_INIT;

/* One call; on failure counts it and reports the first failure of the run only, so
 * a dead endpoint does not print thousands of identical lines. */
static void call_once(vk_rpc_client *client, worker *w) {
    vk_status st;
    vk_code code =
        vk_rpc_client_call(client, w->options->method, NULL, NULL, w->options->timeout_ms, NULL, &st);
    if (code == VK_OK) return;
    w->errors++;
    if (!atomic_flag_test_and_set(&first_error_reported)) {
        fprintf(stderr, "rpc_latency: %s: %s: %s\n", w->options->method, vk_status_name(code), st.message);
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    vk_rpc_client *client = vk_rpc_client_new(&w->options->endpoint);
    for (long i = 0; i < w->options->warmup; i++) call_once(client, w);
    pthread_barrier_wait(w->start_line);
    for (long i = 0; i < w->calls; i++) {
        uint64_t begin = bench_monotonic_ns();
        call_once(client, w);
        w->latencies_ns[i] = bench_monotonic_ns() - begin;
    }
    vk_rpc_client_free(client);
    return NULL;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: rpc_latency --endpoint ADDR --calls N --method /pkg.Service/Method\n"
            "                   [--threads T] [--warmup W] [--timeout MS]\n\n"
            "Makes N unary calls with an empty request (split across T threads, one channel\n"
            "each; default 1), after W unmeasured warm-up calls per thread (default 0), and\n"
            "prints one JSON object: calls, errors, threads, p50_us, p90_us, p99_us, max_us,\n"
            "mean_us, calls_per_s. Each call's deadline is MS milliseconds (default 10000).\n"
            "Exits 1 if any call failed.\n");
}

/* Returns 0 when the options are complete, EXIT_USAGE otherwise (after saying why). */
static int parse_options(int argc, char **argv, bench_options *o) {
    *o = (bench_options){.calls = -1, .threads = 1, .warmup = 0, .timeout_ms = 10000};
    const char *endpoint = NULL;
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"calls", required_argument, NULL, 'n'},
        {"method", required_argument, NULL, 'm'},   {"threads", required_argument, NULL, 't'},
        {"warmup", required_argument, NULL, 'w'},   {"timeout", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    for (int c; (c = getopt_long(argc, argv, "e:n:m:t:w:T:h", longopts, NULL)) != -1;) {
        bool ok = true;
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 'm': o->method = optarg; break;
        case 'n': ok = bench_parse_long(optarg, 1, &o->calls); break;
        case 't': ok = bench_parse_long(optarg, 1, &o->threads) && o->threads <= 1024; break;
        case 'w': ok = bench_parse_long(optarg, 0, &o->warmup); break;
        case 'T': ok = bench_parse_long(optarg, 1, &o->timeout_ms); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "rpc_latency: bad value \"%s\" for --%s\n", optarg,
                    c == 'n' ? "calls" : c == 't' ? "threads (1-1024)" : c == 'w' ? "warmup" : "timeout");
            return EXIT_USAGE;
        }
    }
    if (!endpoint || !o->method || o->calls < 0 || optind < argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->method[0] != '/') {
        fprintf(stderr, "rpc_latency: --method takes a full path such as /csi.v1.Identity/Probe\n");
        return EXIT_USAGE;
    }
    vk_status st;
    if (!vk_endpoint_parse(endpoint, &o->endpoint, &st)) {
        fprintf(stderr, "rpc_latency: %s\n", st.message);
        return EXIT_USAGE;
    }
    if (o->threads > o->calls) o->threads = o->calls; /* a thread with no calls would skew nothing but waste a channel */
    return 0;
}

static void print_report(const bench_options *o, uint64_t *latencies_ns, long errors, double wall_s) {
    /* every call counts, failed ones too: they are timed like the rest */
    bench_latency us = bench_latency_of(latencies_ns, o->calls, o->calls, 1000.0);
    printf("{\"method\": \"%s\", \"calls\": %ld, \"errors\": %ld, \"threads\": %ld, \"warmup\": %ld, "
           "\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, \"mean_us\": %.1f, "
           "\"calls_per_s\": %.0f}\n",
           o->method, o->calls, errors, o->threads, o->warmup, us.p50, us.p90, us.p99, us.max, us.mean,
           wall_s > 0 ? (double)o->calls / wall_s : 0.0);
}

int main(int argc, char **argv) {
    bench_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc != 0) return rc;

    uint64_t *latencies_ns = calloc((size_t)o.calls, sizeof *latencies_ns);
    worker *workers = calloc((size_t)o.threads, sizeof *workers);
    if (!latencies_ns || !workers) {
        fprintf(stderr, "rpc_latency: out of memory\n");
        return 1;
    }
    /* The wall clock starts when the last worker is warm and ready. */
    pthread_barrier_t start_line;
    long assigned = 0;
    for (long t = 0; t < o.threads; t++) {
        long share = o.calls / o.threads + (t < o.calls % o.threads ? 1 : 0);
        workers[t] = (worker){.options = &o, .start_line = &start_line, .calls = share,
                              .latencies_ns = latencies_ns + assigned};
        assigned += share;
    }

    grpc_init();
    double wall_s = bench_run_workers("rpc_latency", o.threads, worker_main, workers, sizeof *workers, &start_line);
    long errors = 0;
    for (long t = 0; t < o.threads; t++) errors += workers[t].errors;
    grpc_shutdown_blocking();

    print_report(&o, latencies_ns, errors, wall_s);
    free(workers);
    free(latencies_ns);
    return errors ? 1 : 0;
}
