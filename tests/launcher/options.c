/* The launcher's command line (see options.h). */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char launch_usage[] =
    "usage: vms-sim-launch [OPTIONS] [--] [VMS-SIM FLAGS...]\n"
    "Starts vms-sim for a test and prints what the test needs, one KEY='VALUE' a line (shell\n"
    "evaluable): VMS_SIM_PID, VMS_SIM_DIR, VMS_SIM_LOG, VMS_SIM_HTTP_PORT, VMS_SIM_HTTPS_PORT\n"
    "(0 when off), VMS_SIM_HTTP, VMS_SIM_HTTPS (URLs, empty when off), VMS_SIM_CA. Then it\n"
    "closes its stdout and stays as the simulator's parent: HUP, INT, QUIT, TERM, USR1 and\n"
    "USR2 sent to it go to the simulator; when the simulator ends it removes the run directory\n"
    "and ends the same way (same exit code, or the same signal).\n"
    "\n"
    "  --sim PATH          the vms-sim binary (default $VMS_SIM)\n"
    "  --listen http|https a listener on 127.0.0.1 port 0 (repeatable)\n"
    "  --data-dir DIR      the simulator's data directory, kept (default: a fresh one in the\n"
    "                      run directory, on /dev/shm when there is one)\n"
    "  --log FILE          the simulator's stdout and stderr, appended (default: in the run\n"
    "                      directory)\n"
    "  --timeout-ms MS     how long to wait for the port file (default 20000)\n"
    "  --wrapper WORD      run the simulator under a command, one word each (valgrind ...)\n"
    "\n"
    "Exit status while starting: 2 bad usage, 3 vms-sim ended during start-up, 4 no port\n"
    "file in time (vms-sim killed). --port-file and --data-dir belong to the launcher.\n";

static bool takes_value(const char *arg, const char *name) { return strcmp(arg, name) == 0; }

int launch_options_parse(int argc, char **argv, launch_options *o, char *err, size_t errlen) {
    memset(o, 0, sizeof *o);
    o->timeout_ms = 20000;
    o->wrapper = calloc((size_t)argc + 1, sizeof *o->wrapper);
    if (!o->wrapper) abort();
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--help") == 0) return LAUNCH_OPTIONS_HELP;
        bool known = takes_value(a, "--sim") || takes_value(a, "--listen") || takes_value(a, "--data-dir") ||
                     takes_value(a, "--log") || takes_value(a, "--timeout-ms") || takes_value(a, "--wrapper");
        if (!known) break; /* the first vms-sim flag */
        if (i + 1 >= argc) {
            snprintf(err, errlen, "%s needs a value", a);
            return LAUNCH_OPTIONS_ERROR;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--sim") == 0) {
            o->sim = v;
        } else if (strcmp(a, "--listen") == 0) {
            if (strcmp(v, "http") == 0) {
                o->http = true;
            } else if (strcmp(v, "https") == 0) {
                o->https = true;
            } else {
                snprintf(err, errlen, "--listen takes http or https, not \"%s\"", v);
                return LAUNCH_OPTIONS_ERROR;
            }
        } else if (strcmp(a, "--data-dir") == 0) {
            o->data_dir = v;
        } else if (strcmp(a, "--log") == 0) {
            o->log = v;
        } else if (strcmp(a, "--timeout-ms") == 0) {
            char *end;
            o->timeout_ms = strtol(v, &end, 10);
            if (*end || o->timeout_ms <= 0) {
                snprintf(err, errlen, "--timeout-ms takes a positive number, not \"%s\"", v);
                return LAUNCH_OPTIONS_ERROR;
            }
        } else {
            o->wrapper[o->n_wrapper++] = v;
        }
    }
    o->sim_args = argv + i;
    o->n_sim_args = (size_t)(argc - i);
    /* the launcher reads the port file and removes the run directory: two simulators
     * told about them would race on them */
    for (size_t k = 0; k < o->n_sim_args; k++) {
        const char *a = o->sim_args[k];
        if (strncmp(a, "--port-file", 11) == 0 || strncmp(a, "--data-dir", 10) == 0) {
            snprintf(err, errlen, "%.*s is the launcher's (use its --data-dir)", (int)strcspn(a, "="), a);
            return LAUNCH_OPTIONS_ERROR;
        }
    }
    if (!o->sim) o->sim = getenv("VMS_SIM");
    if (!o->sim || !*o->sim) {
        snprintf(err, errlen, "no simulator: give --sim PATH or set VMS_SIM");
        return LAUNCH_OPTIONS_ERROR;
    }
    return LAUNCH_OPTIONS_RUN;
}

void launch_options_free(launch_options *o) {
    free(o->wrapper);
    o->wrapper = NULL;
}

const char *launch_sim_flag(const launch_options *o, const char *flag) {
    const char *found = NULL;
    size_t len = strlen(flag);
    for (size_t k = 0; k < o->n_sim_args; k++) {
        const char *a = o->sim_args[k];
        if (strcmp(a, flag) == 0 && k + 1 < o->n_sim_args) {
            found = o->sim_args[++k];
        } else if (strncmp(a, flag, len) == 0 && a[len] == '=') {
            found = a + len + 1;
        }
    }
    return found;
}
