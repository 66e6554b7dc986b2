/* Snapshots as real point-in-time copies (<path>/.snapshot/<name>) and the global
 * snapshot streams (clones) that copy a snapshot to a new directory. */
#ifndef SIM_SNAPSHOTS_H
#define SIM_SNAPSHOTS_H

#include <jansson.h>
#include <stdbool.h>

#include "index.h"
#include "sim.h"
#include "snapshot_copy.h"

/* Removes snapshots whose expiration_time has passed (kept while a running stream reads
 * them). Call under the store lock. */
void snapshots_expire(sim_ctx *ctx);

/* The store index of snapshots by expiry (index_ms_key of expiration_time), which lets
 * snapshots_expire look at the expired ones only. */
#define SNAPSHOTS_EXPIRY_INDEX "_expiry"
index_class snapshots_expiry_key(json_t *snapshot, const char *arg, char **key);

#endif
