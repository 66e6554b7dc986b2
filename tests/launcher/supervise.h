/* The launcher as the simulator's parent: the signals it passes on, the wait for the
 * simulator's end, and ending the same way. The signals are blocked and taken with
 * sigtimedwait, and the simulator is reaped only here, so a signal is never passed on
 * to a PID that has been reaped (and could belong to someone else by now). */
#ifndef VK_TESTS_LAUNCHER_SUPERVISE_H
#define VK_TESTS_LAUNCHER_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Blocks HUP, INT, QUIT, TERM, USR1, USR2 (passed on) and CHLD; *old receives the mask
 * before, for the child. Call before fork, so that none is lost in between. */
void supervise_block(sigset_t *old);

/* Waits up to timeout_ms (negative: no bound) for child to end, passing each blocked
 * signal but CHLD on to it. True when it ended: *status as waitpid gives it. */
bool supervise_wait(pid_t child, long timeout_ms, int *status);

/* Ends this process as the child ended: its exit code, or its signal raised here (a
 * fault signal - SEGV and the like - as 128 + the number, so that no core is dumped
 * and no sanitizer reports the launcher). */
_Noreturn void supervise_mirror(int status);

long supervise_now_ms(void);

#endif
