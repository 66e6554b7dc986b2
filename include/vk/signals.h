/* How the daemons stop: SIGTERM and SIGINT are blocked in every thread (block them
 * before starting any, so all inherit the mask) and taken by one sigwait in main, which
 * then shuts down in order; SIGPIPE is ignored, so a peer that hangs up is an error
 * return, not a death. */
#ifndef VK_SIGNALS_H
#define VK_SIGNALS_H

#include <signal.h>

/* Blocks SIGTERM and SIGINT in the calling thread, ignores SIGPIPE, and returns the set
 * to sigwait on. */
sigset_t vk_block_stop_signals(void);

#endif
