/* Starting the simulator (see spawn.h). */
#include "spawn.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

/* execve takes a path; a bare name is looked up as a shell would, once, before fork. */
static const char *resolve(const char *name, char *buf, size_t size) {
    if (strchr(name, '/')) return name;
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((size_t)snprintf(buf, size, "%.*s/%s", (int)len, len ? p : ".", name) < size && access(buf, X_OK) == 0)
            return buf;
        p += len + (end ? 1 : 0);
    }
    return name;
}

pid_t spawn_sim(char *const argv[], int log_fd, const sigset_t *mask) {
    char buf[PATH_MAX];
    const char *binary = resolve(argv[0], buf, sizeof buf);
    pid_t launcher = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != launcher) _exit(1); /* it died before the line above */
    signal(SIGPIPE, SIG_DFL); /* ignored in the launcher; an ignored signal stays so across execve */
    sigprocmask(SIG_SETMASK, mask, NULL);
    if (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0) _exit(126);
    execve(binary, argv, environ);
    fprintf(stderr, "vms-sim-launch: cannot run %s: %s\n", binary, strerror(errno));
    _exit(127);
}
