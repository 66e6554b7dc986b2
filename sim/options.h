/* Command-line options of vms-sim (see docs/vms-sim.md, "Running"). */
#ifndef SIM_OPTIONS_H
#define SIM_OPTIONS_H

#include <stddef.h>

#include "sim.h"

typedef enum { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_ERROR } options_result;

/* Fills cfg from argv (strings stay pointing into argv). On OPTIONS_ERROR err says why. */
options_result options_parse(int argc, char **argv, sim_config *cfg, char *err, size_t errlen);
/* Frees what options_parse allocated. */
void options_free(sim_config *cfg);

#endif
