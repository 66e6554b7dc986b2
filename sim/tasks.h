/* Async tasks (vtasks/): operations VMS answers with {"async_task": {...}} and finishes
 * later. A task stays RUNNING for --task-delay-ms, then its action runs and it becomes
 * COMPLETED (or FAILED with the reason as its last message). Tasks advance lazily: at the
 * start of each request, so no timer thread is needed and a restart resumes them. */
#ifndef SIM_TASKS_H
#define SIM_TASKS_H

#include <jansson.h>

#include "index.h"
#include "sim.h"

/* Creates a RUNNING task that will run action ({"type": ..., ...}, stolen) when due,
 * owned by the request's user (a tenant admin lists only its own tasks). Returns the
 * task (borrowed). Call under the store lock. */
json_t *tasks_start(sim_request *req, const char *name, json_t *action);
/* 200 {"async_task": {"id", "name", "state"}}; returns 0. */
int tasks_reply(sim_response *resp, json_t *task);
/* Completes the tasks that are due. Call under the store lock. */
void tasks_advance(sim_ctx *ctx);

/* The store index of RUNNING tasks by due time, which lets tasks_advance look at the due
 * ones only. */
#define TASKS_DUE_INDEX "_due"
index_class tasks_due_key(json_t *task, const char *arg, char **key);

#endif
