/* Snapshots as real point-in-time copies (<path>/.snapshot/<name>) and the global
 * snapshot streams (clones) that copy a snapshot to a new directory. */
#ifndef SIM_SNAPSHOTS_H
#define SIM_SNAPSHOTS_H

#include <jansson.h>
#include <stdbool.h>

#include "sim.h"
#include "snapshot_copy.h"

/* Removes snapshots whose expiration_time has passed (kept while a running stream reads
 * them). Call under the store lock. */
void snapshots_expire(sim_ctx *ctx);

#endif
