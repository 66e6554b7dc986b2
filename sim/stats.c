/* Request counters; see stats.h. */
#include "stats.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sim_stats {
    pthread_mutex_t lock; /* guards requests and writes */
    json_t *requests;     /* key -> integer */
    json_t *writes;       /* collection -> integer */
    atomic_long requests_total;
    atomic_long writes_total;
    atomic_long connections_accepted;
    atomic_long tokens_issued;
};

sim_stats *stats_create(void) {
    sim_stats *stats = calloc(1, sizeof *stats);
    if (!stats) abort();
    pthread_mutex_init(&stats->lock, NULL);
    stats->requests = json_object();
    stats->writes = json_object();
    return stats;
}

void stats_destroy(sim_stats *stats) {
    if (!stats) return;
    json_decref(stats->requests);
    json_decref(stats->writes);
    pthread_mutex_destroy(&stats->lock);
    free(stats);
}

static bool all_digits(const char *p, size_t n) {
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i])) return false;
    }
    return true;
}

void stats_key(char *out, size_t size, const char *method, const char *api_path) {
    size_t len = (size_t)snprintf(out, size, "%s ", method);
    const char *p = api_path;
    while (*p && len + 1 < size) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        const char *segment = all_digits(p, n) ? "{id}" : p;
        size_t seg_len = all_digits(p, n) ? 4 : n;
        if (len + seg_len + 2 > size) break;
        memcpy(out + len, segment, seg_len);
        len += seg_len;
        if (slash) out[len++] = '/';
        p += n + (slash ? 1 : 0);
    }
    out[len < size ? len : size - 1] = '\0';
}

static void bump(sim_stats *stats, json_t *table, const char *key) {
    pthread_mutex_lock(&stats->lock);
    json_t *count = json_object_get(table, key);
    if (count) json_integer_set(count, json_integer_value(count) + 1);
    else json_object_set_new(table, key, json_integer(1));
    pthread_mutex_unlock(&stats->lock);
}

void stats_count_request(sim_stats *stats, const char *key) {
    atomic_fetch_add(&stats->requests_total, 1);
    bump(stats, stats->requests, key);
}

void stats_count_write(sim_stats *stats, const char *collection) {
    atomic_fetch_add(&stats->writes_total, 1);
    bump(stats, stats->writes, collection);
}

void stats_count_connection(sim_stats *stats) { atomic_fetch_add(&stats->connections_accepted, 1); }
void stats_count_token(sim_stats *stats) { atomic_fetch_add(&stats->tokens_issued, 1); }

void stats_reset(sim_stats *stats) {
    pthread_mutex_lock(&stats->lock);
    json_object_clear(stats->requests);
    json_object_clear(stats->writes);
    atomic_store(&stats->requests_total, 0);
    atomic_store(&stats->writes_total, 0);
    atomic_store(&stats->connections_accepted, 0);
    atomic_store(&stats->tokens_issued, 0);
    pthread_mutex_unlock(&stats->lock);
}

json_t *stats_snapshot(sim_stats *stats) {
    pthread_mutex_lock(&stats->lock);
    json_t *requests = json_deep_copy(stats->requests);
    json_t *writes = json_deep_copy(stats->writes);
    pthread_mutex_unlock(&stats->lock);
    return json_pack("{s:o, s:I, s:o, s:I, s:I, s:I}", "requests", requests, "requests_total",
                     (json_int_t)atomic_load(&stats->requests_total), "writes", writes, "writes_total",
                     (json_int_t)atomic_load(&stats->writes_total), "connections_accepted",
                     (json_int_t)atomic_load(&stats->connections_accepted), "tokens_issued",
                     (json_int_t)atomic_load(&stats->tokens_issued));
}
