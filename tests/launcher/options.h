/* The launcher's command line: its own options first, then (after "--" or from the
 * first word that is not one of them) the vms-sim flags it passes on unchanged. */
#ifndef VK_TESTS_LAUNCHER_OPTIONS_H
#define VK_TESTS_LAUNCHER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *sim;          /* --sim PATH, else $VMS_SIM */
    bool http, https;         /* --listen http / --listen https: a listener on 127.0.0.1:0 */
    const char *data_dir;     /* --data-dir DIR: the caller's, kept; NULL: a fresh one, removed */
    const char *log;          /* --log FILE: appended to, kept; NULL: one in the run directory */
    long timeout_ms;          /* --timeout-ms MS: the wait for the port file (default 20000) */
    const char **wrapper;     /* --wrapper WORD, repeatable: the simulator runs under them */
    size_t n_wrapper;
    char **sim_args;          /* passed on to vms-sim */
    size_t n_sim_args;
} launch_options;

enum { LAUNCH_OPTIONS_RUN, LAUNCH_OPTIONS_HELP, LAUNCH_OPTIONS_ERROR };

/* Fills o from argv (o->wrapper is malloc'd: launch_options_free). On
 * LAUNCH_OPTIONS_ERROR err says why. */
int launch_options_parse(int argc, char **argv, launch_options *o, char *err, size_t errlen);
void launch_options_free(launch_options *o);

/* The value of a vms-sim flag among the passed-on ones ("--https" finds "--https ADDR"
 * and "--https=ADDR"; the last one wins, as vms-sim reads them), or NULL. */
const char *launch_sim_flag(const launch_options *o, const char *flag);

extern const char launch_usage[];

#endif
