/* List queries as VMS (Django REST framework + django-filter) answers them: field
 * filters with lookups, `fields=` projection, page_size/page pagination with absolute
 * next/previous links. */
#ifndef SIM_QUERY_H
#define SIM_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sim.h"

#define QUERY_MAX_PAGE_SIZE 1000

/* True when the request has a filter parameter (one that is not page, fields, ...). */
bool query_has_filters(const sim_request *req);
/* True when obj passes every filter parameter of the request. */
bool query_matches(const sim_request *req, json_t *obj);
/* True when no filter parameter can read a top-level attribute for which touched(name,
 * arg) holds: its first segment S, S_<second>, and <any segment>_id (what the nested
 * look-ups of a filter read, see resolve in query.c). */
bool query_filters_avoid(const sim_request *req, bool (*touched)(const char *name, const void *arg), const void *arg);
/* The field and lookup of a filter key that names one attribute directly: "f" (exact),
 * "f__exact", "f__in", "f__startswith", "f__gt", "f__gte". false for anything else. */
bool query_simple_filter(const char *key, char *field, size_t size, const char **op);
/* True when a filter parameter names one of fields (its first "__" segment). */
bool query_filters_mention(const sim_request *req, const char *const *fields);
/* True when `fields=` is absent or names one of these fields. */
bool query_output_wants(const sim_request *req, const char *const *fields);
/* Keeps only the attributes listed in `fields=` (no-op without it). */
void query_project(const sim_request *req, json_t *obj);

typedef struct {
    bool paged;
    long page, page_size;
    size_t start, end; /* slice of the matched objects to return */
} query_window;

/* Works out the slice for count matched objects; -1 with 404 "Invalid page." set. */
int query_window_for(const sim_request *req, size_t count, size_t unpaged_limit, query_window *win,
                     sim_response *resp);
/* Wraps a page's results into {"count","next","previous","results"} (results stolen). */
json_t *query_paged_body(const sim_request *req, const query_window *win, size_t count, json_t *results);

#endif
