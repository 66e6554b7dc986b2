/* vms-sim-launch: the one way the tests start vms-sim - C (tests/vms/sim_harness.c),
 * shell (tests/launcher/sim_launch.sh) and Python (tests/sim/simlib.py) all run it.
 *
 * It makes a run directory, starts the simulator with listeners on 127.0.0.1 port 0 and
 * --port-file in it, waits (bounded) for the port file, prints the facts (facts.h) and
 * closes stdout: a caller reads to EOF and knows everything. It then stays as the
 * simulator's parent instead of leaving it to init, so that the simulator's exit status
 * reaches the test (a leak under ASan, valgrind's error code, "exits 0 on SIGTERM"),
 * the run directory is removed in one place, and a test that dies takes its simulator
 * with it (the launcher gets SIGTERM when its parent dies and passes it on - as
 * PR_SET_PDEATHSIG goes, when the *thread* that started it ends: start it from one that
 * lives as long as the simulator should). `vms-sim-launch --help` lists the options. */
#include "facts.h"
#include "options.h"
#include "rundir.h"
#include "spawn.h"
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum { EXIT_USAGE = 2, EXIT_SIM_ENDED = 3, EXIT_NO_PORT_FILE = 4, TAIL_BYTES = 3000, POLL_MS = 10 };

static char run_dir[256];

static _Noreturn void give_up(int code, const char *log, const char *fmt, const char *detail) {
    fprintf(stderr, "vms-sim-launch: ");
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    if (log) rundir_print_tail(log, TAIL_BYTES);
    if (run_dir[0]) rundir_remove(run_dir);
    exit(code);
}

/* given when the caller named it, else dir + name */
static void join(char *buf, size_t size, const char *given, const char *dir, const char *name) {
    int n = given ? snprintf(buf, size, "%s", given) : snprintf(buf, size, "%s%s", dir, name);
    if (n < 0 || (size_t)n >= size) give_up(EXIT_USAGE, NULL, "path too long: %s", given ? given : dir);
}

static const char *describe(int status, char *buf, size_t size) {
    if (WIFEXITED(status)) snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
    else snprintf(buf, size, "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return buf;
}

/* wrapper..., vms-sim, its data and port file, the listeners, the caller's flags
 * (malloc'd; the strings are borrowed) */
static char **sim_command(const launch_options *o, char *data, char *ports) {
    size_t n = 0;
    char **sim_argv = calloc(o->n_wrapper + o->n_sim_args + 12, sizeof *sim_argv);
    if (!sim_argv) abort();
    for (size_t i = 0; i < o->n_wrapper; i++) sim_argv[n++] = (char *)o->wrapper[i];
    char *fixed[] = {(char *)o->sim, "--data-dir", data, "--port-file", ports};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) sim_argv[n++] = fixed[i];
    if (o->http) sim_argv[n++] = "--http", sim_argv[n++] = "127.0.0.1:0";
    if (o->https) sim_argv[n++] = "--https", sim_argv[n++] = "127.0.0.1:0";
    for (size_t i = 0; i < o->n_sim_args; i++) sim_argv[n++] = o->sim_args[i];
    return sim_argv;
}

int main(int argc, char **argv) {
    /* a caller that dies stops its simulator: SIGTERM, passed on like any other */
    pid_t parent = getppid();
    sigset_t old_mask;
    supervise_block(&old_mask);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN); /* a reader gone before the facts: a failed write, not death */

    launch_options o;
    char err[512] = "";
    switch (launch_options_parse(argc, argv, &o, err, sizeof err)) {
    case LAUNCH_OPTIONS_HELP:
        launch_options_free(&o);
        fputs(launch_usage, stdout);
        return 0;
    case LAUNCH_OPTIONS_ERROR:
        launch_options_free(&o);
        fprintf(stderr, "vms-sim-launch: %s\n%s", err, launch_usage);
        return EXIT_USAGE;
    default: break;
    }
    if (!rundir_make(run_dir, sizeof run_dir)) {
        run_dir[0] = '\0';
        give_up(EXIT_USAGE, NULL, "cannot make a run directory: %s", strerror(errno));
    }
    char data[PATH_MAX], log[PATH_MAX], ports[PATH_MAX], ca[PATH_MAX];
    join(data, sizeof data, o.data_dir, run_dir, "/data");
    join(log, sizeof log, o.log, run_dir, "/sim.log");
    join(ports, sizeof ports, NULL, run_dir, "/ports.json");
    join(ca, sizeof ca, launch_sim_flag(&o, "--tls-cert"), data, "/tls/cert.pem");

    char **sim_argv = sim_command(&o, data, ports);

    int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) give_up(EXIT_USAGE, NULL, "cannot open the log: %s", strerror(errno));
    pid_t child = spawn_sim(sim_argv, log_fd, &old_mask);
    if (child < 0) give_up(EXIT_USAGE, NULL, "fork: %s", strerror(errno));
    close(log_fd);

    launch_facts f = {.pid = child, .data_dir = data, .log = log, .ca = ca};
    int status;
    char why[64];
    for (long start = supervise_now_ms();;) {
        if (supervise_wait(child, POLL_MS, &status))
            give_up(EXIT_SIM_ENDED, log, "vms-sim ended during start-up (%s)", describe(status, why, sizeof why));
        if (facts_read_ports(ports, &f.http_port, &f.https_port)) break;
        if (supervise_now_ms() - start > o.timeout_ms) {
            kill(child, SIGKILL);
            supervise_wait(child, -1, &status);
            snprintf(why, sizeof why, "%ld ms", o.timeout_ms);
            give_up(EXIT_NO_PORT_FILE, log, "vms-sim wrote no port file within %s (killed)", why);
        }
    }
    /* the URLs name the host each listener was given (the last --http/--https wins) */
    facts_host(o.http ? NULL : launch_sim_flag(&o, "--http"), f.http_host, sizeof f.http_host);
    facts_host(o.https ? NULL : launch_sim_flag(&o, "--https"), f.https_host, sizeof f.https_host);
    if (!facts_print(stdout, &f, err, sizeof err)) {
        kill(child, SIGTERM);
        supervise_wait(child, -1, &status);
        give_up(EXIT_USAGE, NULL, "%s", err);
    }
    /* EOF for the reader; a reader already gone is its own business: its death reaches
     * us as SIGTERM */
    fclose(stdout);

    supervise_wait(child, -1, &status);
    bool clean = (WIFEXITED(status) && WEXITSTATUS(status) == 0) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    if (!clean) {
        fprintf(stderr, "vms-sim-launch: vms-sim (PID %ld) ended with %s\n", (long)child,
                describe(status, why, sizeof why));
        rundir_print_tail(log, TAIL_BYTES);
    }
    rundir_remove(run_dir);
    free(sim_argv);
    launch_options_free(&o);
    supervise_mirror(status);
}
