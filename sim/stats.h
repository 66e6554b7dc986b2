/* Request counters for GET /_sim/stats: per "METHOD path" key, where the path is the
 * part after /api/<ver>/ with numeric ids replaced by {id} ("GET views/{id}/"). Tests
 * use them to prove what the client sent, e.g. that a lookup cost one request. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <jansson.h>
#include <stddef.h>

typedef struct sim_stats sim_stats;

sim_stats *stats_create(void);
void stats_destroy(sim_stats *stats);

/* "GET views/{id}/" for method GET and api_path "views/12/" (the path after /api/<ver>/). */
void stats_key(char *out, size_t size, const char *method, const char *api_path);

void stats_count_request(sim_stats *stats, const char *key);
void stats_count_connection(sim_stats *stats);
void stats_count_token(sim_stats *stats);
void stats_reset(sim_stats *stats);
/* {"requests": {...}, "requests_total", "connections_accepted", "tokens_issued"} (new ref). */
json_t *stats_snapshot(sim_stats *stats);

#endif
