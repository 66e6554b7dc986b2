/* The informers, the work queue and the workers: started when this process leads,
 * stopped at shutdown. */
#ifndef VK_OPERATOR_CONTROLLER_H
#define VK_OPERATOR_CONTROLLER_H

#include "operator.h"

/* Makes the informers and the queue (nothing is sent yet). */
bool op_controller_init(op_ctx *ctx, vk_status *st);

/* Starts the informers and the workers; returns at once (workers wait for the informers
 * to sync before the first reconcile). */
void op_controller_start(op_ctx *ctx);

/* Shuts the queue, waits for the workers to finish the object in hand (until
 * deadline), stops the informers. Safe when never started. False when a worker was
 * still busy at the deadline: then nothing may be freed (the process just exits). */
bool op_controller_stop(op_ctx *ctx, int64_t deadline);

void op_controller_free(op_ctx *ctx);

#endif
