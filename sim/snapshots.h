/* Snapshots as real point-in-time copies (<path>/.snapshot/<name>) and the global
 * snapshot streams (clones) that copy a snapshot to a new directory. */
#ifndef SIM_SNAPSHOTS_H
#define SIM_SNAPSHOTS_H

#include <jansson.h>
#include <stdbool.h>

#include "sim.h"

/* The file-system directory holding the snapshot's copy (malloc'd), or NULL. */
char *snapshots_copy_dir(sim_ctx *ctx, json_t *snapshot);
/* Source (snapshot copy) and destination directories of a stream; false when the
 * snapshot is gone or a path is invalid. */
bool snapshots_stream_dirs(sim_ctx *ctx, json_t *stream, char **src, char **dst);
/* Removes snapshots whose expiration_time has passed (kept while a running stream reads
 * them). Call under the store lock. */
void snapshots_expire(sim_ctx *ctx);

#endif
