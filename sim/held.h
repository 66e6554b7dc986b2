/* Requests held by injected faults (latency before processing, hang after it) wait here
 * as suspended libmicrohttpd connections instead of sleeping in a worker thread: the
 * few event-loop threads keep serving every other connection meanwhile, and one timer
 * thread resumes each held connection at its due time. */
#ifndef SIM_HELD_H
#define SIM_HELD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct sim_held sim_held;

sim_held *held_create(void);
/* Suspends conn until due_ms (sim_mono_ms clock); MHD calls the access handler again
 * after that. Only from the access handler. false, and conn is not suspended, once
 * held_release_all ran: the caller goes on at once. */
bool held_suspend(sim_held *held, struct MHD_Connection *conn, int64_t due_ms);
/* Resumes every held connection now and holds no more (before MHD_stop_daemon, which
 * must not meet a suspended connection). */
void held_release_all(sim_held *held);
/* After held_release_all: stops the timer thread and frees. */
void held_destroy(sim_held *held);

#endif
