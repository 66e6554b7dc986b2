/* Fault points: named places in the code where a test can make the process sleep, fail,
 * exit or die, to prove that operations converge after a crash at any line.
 *
 * Configured once at start-up from a spec string (the VAST_CSI_FAULTS environment
 * variable of vast-csi), a comma-separated list of NAME=ACTION[@N]:
 *   sleep:MS       sleep MS milliseconds, then continue
 *   error:CODE     make the operation fail with that gRPC code (name or number)
 *   exit:STATUS    _exit(STATUS) at once (no cleanup, like a crash)
 *   kill           SIGKILL this process
 * @N fires only on the N-th time the point is reached (1-based); without it, every time.
 * Example: VAST_CSI_FAULTS="rpc.NodeGetInfo=sleep:500,vms.after_quota=kill@2".
 *
 * With no spec configured a fault point costs one relaxed atomic load. */
#ifndef VK_FAULT_H
#define VK_FAULT_H

#include "vk/status.h"

#include <stdbool.h>

/* Parses and installs spec (NULL or "" clears all). Not thread-safe: call before
 * starting threads. On a malformed spec returns false with INVALID_ARGUMENT in st. */
bool vk_fault_configure(const char *spec, vk_status *st);

/* Reaches the fault point `name`. Returns true when an error was injected, with st set
 * to the configured code and a message naming the point; sleeps, exits or dies in
 * place for the other actions; returns false otherwise. */
bool vk_fault_point(const char *name, vk_status *st);

#endif
