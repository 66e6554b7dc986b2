/* The generic object operations every collection shares: list (filters, pagination),
 * get, create, patch, delete, and rendering a stored object for a response. The
 * collection's rules (collections.h) supply what differs. Callers hold the store lock. */
#ifndef SIM_OBJECTS_H
#define SIM_OBJECTS_H

#include <jansson.h>

#include "collections.h"
#include "sim.h"

int objects_list(sim_request *req, const sim_collection *coll, sim_response *resp);
int objects_get(sim_request *req, const sim_collection *coll, json_int_t id, sim_response *resp);
int objects_create(sim_request *req, const sim_collection *coll, sim_response *resp);
int objects_patch(sim_request *req, const sim_collection *coll, json_int_t id, sim_response *resp);
int objects_delete(sim_request *req, const sim_collection *coll, json_int_t id, sim_response *resp);

/* The object with id if the request may see it (tenant scope), else NULL (borrowed). */
json_t *objects_find_visible(sim_request *req, const sim_collection *coll, json_int_t id);
/* A response copy: internal fields dropped, url/tenant_name and derived fields added. */
json_t *objects_render(sim_request *req, const sim_collection *coll, json_t *obj, bool expensive);
/* Removes obj from its collection after the collection's clean-up (borrowed obj). */
void objects_destroy(sim_ctx *ctx, const sim_collection *coll, json_t *obj);
/* 400 with the uniqueness error when obj clashes with another object (not exclude_id). */
int objects_check_unique(sim_request *req, const sim_collection *coll, json_t *obj, json_int_t exclude_id,
                         sim_response *resp);

#endif
