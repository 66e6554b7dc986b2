/* A snapshot's copy (<path>/.snapshot/<name>) and a stream's two ends (snapshot_copy.c). */
#ifndef SIM_SNAPSHOT_COPY_H
#define SIM_SNAPSHOT_COPY_H

#include <jansson.h>

#include "sim.h"

/* The VMS path of the snapshot's copy, <path>/.snapshot/<name> (malloc'd), or NULL when
 * the snapshot's path or name is not valid. */
char *snapshots_copy_path(json_t *snapshot);
/* Opens a stream's source (the snapshot's copy) and its destination (made if missing)
 * beneath DIR/fs without links; 0 or an errno (safepath.h) and no fd left open. */
int snapshots_stream_open(sim_ctx *ctx, json_t *stream, int *src_fd, int *dst_fd);
#endif
