/* Handlers of the endpoints that are not plain create/read/update/delete, routed by
 * api.c. They run under the store lock; `obj` is the object the URL names, already
 * checked to exist and be visible to the request. Each returns 0 or -1 like handlers. */
#ifndef SIM_API_ACTIONS_H
#define SIM_API_ACTIONS_H

#include <jansson.h>

#include "sim.h"

/* DELETE folders/delete_folder/ {path, tenant_id} */
int folders_delete(sim_request *req, sim_response *resp);
/* POST snapshots/{id}/clone/ */
int snapshots_clone(sim_request *req, json_t *obj, sim_response *resp);
/* PATCH globalsnapstreams/{id}/stop/ */
int streams_stop(sim_request *req, json_t *obj, sim_response *resp);
/* POST, PATCH and DELETE users/{id}/access_keys/ (s3keys.c) */
int users_add_access_key(sim_request *req, json_t *obj, sim_response *resp);
int users_update_access_key(sim_request *req, json_t *obj, sim_response *resp);
int users_remove_access_key(sim_request *req, json_t *obj, sim_response *resp);
/* POST plugins/usage/: a client's usage report (VMS >= 5.2), accepted and not kept */
int plugins_usage_report(sim_request *req, sim_response *resp);
/* PATCH apitokens/{id}/revoke/ */
int apitokens_revoke(sim_request *req, json_t *obj, sim_response *resp);

#endif
