/* Throughput and connection reuse of the VMS client: N GETs from T threads through ONE
 * client against a running VMS (normally vms-sim; see bench/vms.sh), then one JSON line:
 *
 *   {"requests": 10000, "errors": 0, "seconds": 1.9, "requests_per_s": 5263, "threads": 8,
 *    "connections_accepted_before": 1, "connections_accepted_after": 10, ...}
 *
 * connections_accepted comes from the simulator's GET /_sim/stats (each stats call
 * opens one connection of its own); client_connections is the client's own count.
 *
 *   vms_client --url http://127.0.0.1:PORT [--requests 10000] [--threads 8] [--path versions/]
 *              [--user admin] [--ca FILE] [--max-connections N]
 * The password comes from VMS_PASSWORD (default 123456, the simulator's), never argv. */
#include "vk/deadline.h"
#include "vk/log.h"
#include "vk/vms.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *url;
    const char *user;
    const char *ca_file;
    const char *path;
    long requests;
    int threads;
    int max_connections;
} options;

typedef struct {
    vms_client *client;
    const char *path;
    atomic_long *next; /* requests handed out so far */
    long total;
    long errors;
    vms_error last_error;
} worker;

static size_t collect(char *data, size_t size, size_t count, void *userp) {
    fwrite(data, size, count, userp);
    return size * count;
}

/* connections_accepted from the simulator's admin API; -1 when it has none (a real VMS). */
static long sim_connections(const options *o) {
    char url[512];
    snprintf(url, sizeof url, "%s/_sim/stats", o->url);
    char *text = NULL;
    size_t len = 0;
    FILE *sink = open_memstream(&text, &len);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    if (o->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    fclose(sink);
    json_t *stats = rc == CURLE_OK ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_t *n = json_object_get(stats, "connections_accepted");
    long value = json_is_integer(n) ? (long)json_integer_value(n) : -1;
    json_decref(stats);
    return value;
}

static void *run_worker(void *arg) {
    worker *w = arg;
    while (atomic_fetch_add(w->next, 1) < w->total) {
        json_t *answer = NULL;
        if (!vms_get(w->client, w->path, vk_deadline_in(30000), &answer, &w->last_error)) w->errors++;
        json_decref(answer);
    }
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: vms_client --url URL [--requests N] [--threads T] [--path P] [--user U] [--ca FILE] "
                    "[--max-connections N]\n       (password from VMS_PASSWORD)\n");
    exit(2);
}

static options parse_options(int argc, char **argv) {
    options o = {.user = "admin", .path = "versions/", .requests = 10000, .threads = 8};
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'u'},     {"requests", required_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 't'}, {"path", required_argument, NULL, 'p'},
        {"user", required_argument, NULL, 'U'},    {"ca", required_argument, NULL, 'c'},
        {"max-connections", required_argument, NULL, 'm'}, {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'u': o.url = optarg; break;
        case 'n': o.requests = strtol(optarg, NULL, 10); break;
        case 't': o.threads = (int)strtol(optarg, NULL, 10); break;
        case 'p': o.path = optarg; break;
        case 'U': o.user = optarg; break;
        case 'c': o.ca_file = optarg; break;
        case 'm': o.max_connections = (int)strtol(optarg, NULL, 10); break;
        default: usage();
        }
    }
    if (!o.url || o.requests < 1 || o.threads < 1 || o.threads > 1024) usage();
    return o;
}

int main(int argc, char **argv) {
    options o = parse_options(argc, argv);
    vk_log_set_level(VK_LOG_WARN); /* the login line would interleave with the figures */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *password = getenv("VMS_PASSWORD");
    vms_config cfg = {
        .endpoint = o.url,
        .allow_http = strncmp(o.url, "http://", 7) == 0,
        .username = o.user,
        .password = password && *password ? password : "123456",
        .ca_file = o.ca_file,
        .max_connections = o.max_connections ? o.max_connections : o.threads,
    };
    vms_client *client;
    vms_error err;
    if (!vms_client_new(&cfg, &client, &err)) {
        fprintf(stderr, "vms_client: %s\n", err.message);
        return 2;
    }

    long before = sim_connections(&o);
    atomic_long next = 0;
    worker *workers = calloc((size_t)o.threads, sizeof *workers);
    pthread_t *threads = calloc((size_t)o.threads, sizeof *threads);
    int64_t started = vk_now_ms();
    for (int i = 0; i < o.threads; i++) {
        workers[i] = (worker){.client = client, .path = o.path, .next = &next, .total = o.requests};
        pthread_create(&threads[i], NULL, run_worker, &workers[i]);
    }
    long errors = 0;
    const vms_error *example = NULL;
    for (int i = 0; i < o.threads; i++) {
        pthread_join(threads[i], NULL);
        errors += workers[i].errors;
        if (workers[i].errors && !example) example = &workers[i].last_error;
    }
    double seconds = (double)(vk_now_ms() - started) / 1000.0;
    long after = sim_connections(&o);

    vms_client_stats stats;
    vms_client_get_stats(client, &stats);
    printf("{\"requests\": %ld, \"errors\": %ld, \"seconds\": %.3f, \"requests_per_s\": %.0f, \"threads\": %d, "
           "\"path\": \"%s\", \"connections_accepted_before\": %ld, \"connections_accepted_after\": %ld, "
           "\"client_connections\": %llu, \"token_requests\": %llu, \"retries\": %llu}\n",
           o.requests, errors, seconds, seconds > 0 ? (double)o.requests / seconds : 0.0, o.threads, o.path, before,
           after, (unsigned long long)stats.connections, (unsigned long long)stats.token_requests,
           (unsigned long long)stats.retries);
    if (example) {
        vk_status st;
        vms_error_to_status(example, &st);
        fprintf(stderr, "vms_client: first error: %s: %s\n", vk_status_name(st.code), st.message);
    }
    free(workers);
    free(threads);
    vms_client_free(client);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
