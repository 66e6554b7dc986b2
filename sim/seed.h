/* The ready-made objects of `--seed` and POST /_sim/seed: tenant vast-k8s with its view
 * policies, VIP pool and QoS policy, and the /k8s root directory. Idempotent: objects
 * are found by name and only missing ones are made. */
#ifndef SIM_SEED_H
#define SIM_SEED_H

#include <jansson.h>

#include "sim.h"

/* Under the store lock; returns the seeded objects' ids (new ref), or NULL when the
 * root directory cannot be made. */
json_t *seed_apply(sim_ctx *ctx);

#endif
