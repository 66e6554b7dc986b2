/* The simulator's own API under /_sim/ (no authentication): counters, fault rules,
 * token expiry, seeding, inventory and reset, for tests and benchmarks. */
#ifndef SIM_ADMIN_H
#define SIM_ADMIN_H

#include <stddef.h>

#include "sim.h"

/* path is what follows "/_sim" ("/stats", "/faults", ...). On return resp has its
 * status and serialized text. */
void admin_serve(sim_ctx *ctx, const char *method, const char *path, const char *body, size_t body_len,
                 const char *base_url, sim_response *resp);

#endif
