/* Snapshots as real point-in-time copies (<path>/.snapshot/<name>) and the global
 * snapshot streams (clones) that copy a snapshot to a new directory. */
#ifndef SIM_SNAPSHOTS_H
#define SIM_SNAPSHOTS_H

#include <jansson.h>
#include <stdbool.h>

#include "sim.h"

/* The VMS path of the snapshot's copy, <path>/.snapshot/<name> (malloc'd), or NULL when
 * the snapshot's path or name is not valid. */
char *snapshots_copy_path(json_t *snapshot);
/* Opens a stream's source (the snapshot's copy) and its destination (made if missing)
 * beneath DIR/fs without links; 0 or an errno (safepath.h) and no fd left open. */
int snapshots_stream_open(sim_ctx *ctx, json_t *stream, int *src_fd, int *dst_fd);
/* Removes snapshots whose expiration_time has passed (kept while a running stream reads
 * them). Call under the store lock. */
void snapshots_expire(sim_ctx *ctx);

#endif
