/* Starting the simulator: fork+execve with an argv, no shell. */
#ifndef VK_TESTS_LAUNCHER_SPAWN_H
#define VK_TESTS_LAUNCHER_SPAWN_H

#include <signal.h>
#include <sys/types.h>

/* Starts argv[0] (a path, or a name looked up in PATH: a --wrapper such as "valgrind")
 * with stdout and stderr on log_fd, the signal mask `mask`, default dispositions, and
 * SIGTERM when the launcher dies (also by SIGKILL), so the simulator never outlives
 * it. Returns the PID, or -1 (errno set). */
pid_t spawn_sim(char *const argv[], int log_fd, const sigset_t *mask);

#endif
