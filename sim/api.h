/* The VMS REST API under /api/[<version>/]: authentication, tenant scope, routing to
 * the collections, and persisting each change before it is acknowledged. */
#ifndef SIM_API_H
#define SIM_API_H

#include <stdbool.h>

#include "sim.h"

#define API_VERSION_MAX 16

/* Splits "/api/v1/views/7/" into version "v1" and path "views/7/" ("/api/views/" gives
 * version ""). false when the URL is not under /api/. */
bool api_split_url(const char *url, char version[API_VERSION_MAX], const char **path);

/* Serves one request; on return resp has its status and serialized text. */
void api_serve(sim_request *req, sim_response *resp);

#endif
