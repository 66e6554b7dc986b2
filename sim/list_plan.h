/* Which stored objects a list request has to look at. A filter on an indexed field
 * (path=, path__in=, path__startswith=, name=, bucket=, ...) or on id (id=, id__in=,
 * id__gt=, id__gte=) narrows the candidates to a few, found in O(log n); the filters are
 * still all applied to each candidate (query_matches), so the answer is the full scan's.
 * Callers hold the store lock. */
#ifndef SIM_LIST_PLAN_H
#define SIM_LIST_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "collections.h"
#include "index.h"
#include "sim.h"

typedef struct {
    bool from_ids; /* the objects with these ids (ascending)... */
    sim_ids ids;
    size_t start; /* ...else store_list(collection) from this position on */
} list_source;

void list_plan(sim_request *req, const sim_collection *coll, list_source *src);
void list_source_free(list_source *src);

/* Whether rendering sets or may change attribute name of coll's objects (url,
 * tenant_name, derived, expensive and `rendered` fields, internal "_x" ones, which it
 * drops): a filter that reads one must be matched on the rendered object. */
bool list_field_rendered(const char *name, const void *coll);

#endif
