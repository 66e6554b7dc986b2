/* The launcher as the simulator's parent (see supervise.h). */
#include "supervise.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

static const int passed_on[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

static sigset_t waited(void) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof passed_on / sizeof passed_on[0]; i++) sigaddset(&set, passed_on[i]);
    sigaddset(&set, SIGCHLD);
    return set;
}

long supervise_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void supervise_block(sigset_t *old) {
    sigset_t set = waited();
    sigprocmask(SIG_BLOCK, &set, old);
}

bool supervise_wait(pid_t child, long timeout_ms, int *status) {
    sigset_t set = waited();
    long deadline = timeout_ms < 0 ? -1 : supervise_now_ms() + timeout_ms;
    for (;;) {
        if (waitpid(child, status, WNOHANG) == child) return true;
        /* a one-second step even without a bound: SIGCHLD is the wake-up, the step only
         * a guard */
        long left = deadline < 0 ? 1000 : deadline - supervise_now_ms();
        if (left <= 0) return false;
        if (left > 1000) left = 1000;
        struct timespec step = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000L};
        int sig = sigtimedwait(&set, NULL, &step);
        if (sig > 0 && sig != SIGCHLD) kill(child, sig);
        if (sig < 0 && errno != EAGAIN && errno != EINTR) return false;
    }
}

_Noreturn void supervise_mirror(int status) {
    if (WIFEXITED(status)) exit(WEXITSTATUS(status));
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
    switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS: case SIGABRT:
        exit(128 + sig);
    default: break;
    }
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    exit(128 + sig); /* a signal whose default is to be ignored */
}
