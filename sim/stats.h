/* Request counters for GET /_sim/stats: per "METHOD path" key, where the path is the
 * part after /api/<ver>/ with numeric ids replaced by {id} ("GET views/{id}/"). Tests
 * use them to prove what the client sent, e.g. that a lookup cost one request, and the
 * writes by collection to prove that a resync with nothing to change changed nothing. */
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
/* A write: an API POST, PATCH, PUT or DELETE answered 2xx, by its collection (the
 * path's first segment, "views"; "folders" for folders/delete_folder/). */
void stats_count_write(sim_stats *stats, const char *collection);
void stats_count_connection(sim_stats *stats);
void stats_count_token(sim_stats *stats);
void stats_reset(sim_stats *stats);
/* {"requests": {...}, "requests_total", "writes": {...}, "writes_total",
 * "connections_accepted", "tokens_issued"} (new ref). */
json_t *stats_snapshot(sim_stats *stats);

#endif
