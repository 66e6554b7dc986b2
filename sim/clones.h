/* The background copies behind global snapshot streams: one thread per running stream
 * copies the snapshot's tree to the stream's destination, paced by --clone-rate, and
 * reports progress into the stream's status. A stream still RUNNING at start-up is
 * copied again from the beginning (files are overwritten), so restarts never lose one. */
#ifndef SIM_CLONES_H
#define SIM_CLONES_H

#include <jansson.h>

#include "sim.h"

typedef struct sim_clones sim_clones;

sim_clones *clones_create(void);
/* After clones_shutdown. */
void clones_destroy(sim_clones *clones);

/* Under the store lock. */
void clones_start(sim_ctx *ctx, json_t *stream);
/* Stops the stream's copy; when it returns, the copy writes nothing more. */
void clones_cancel(sim_ctx *ctx, json_int_t stream_id);
void clones_cancel_all(sim_ctx *ctx);
/* Starts copies for every stream whose state is RUNNING (start-up). */
void clones_resume(sim_ctx *ctx);

/* Not under the store lock: stops every copy and waits for the threads. */
void clones_shutdown(sim_ctx *ctx);

#endif
