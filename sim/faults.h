/* Injected faults: rules that add latency, fail, hold or drop matching API requests,
 * so clients' timeouts, retries and idempotency can be tested against a "bad day" VMS. */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sim_faults sim_faults;

/* What to do to one request; all matching rules add up. */
typedef struct {
    long latency_ms;  /* wait before the request is processed */
    int error_status; /* 0 = none; otherwise answer this status without processing */
    long hang_ms;     /* processed, then the answer is held this long */
    bool drop;        /* processed, then the connection is closed without an answer */
} sim_fault_action;

sim_faults *faults_create(void);
void faults_destroy(sim_faults *faults);

/* Replaces the rules with {"rules": [...]} (see docs/vms-sim.md). false and a message
 * when the document is malformed; the old rules stay then. */
bool faults_set(sim_faults *faults, json_t *doc, char *err, size_t errlen);
void faults_clear(sim_faults *faults);
/* {"rules": [...]} with the remaining counts (new ref). */
json_t *faults_describe(sim_faults *faults);

/* Decides the action for a request with stats key "METHOD path"; consumes one use of
 * each matching rule that has a count. */
sim_fault_action faults_decide(sim_faults *faults, const char *method, const char *path);

#endif
