/* The launcher's run directory: the port file, and the data directory and log unless
 * the caller names its own. On /dev/shm when there is one: the simulator fsyncs every
 * change, and a test's thousands of creates should not wait for a disk. */
#ifndef VK_TESTS_LAUNCHER_RUNDIR_H
#define VK_TESTS_LAUNCHER_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>

/* mkdtemp of BASE/vms-sim.XXXXXX (BASE: /dev/shm when writable, else $TMPDIR, else
 * /tmp) into out; false with errno set on failure. */
bool rundir_make(char *out, size_t size);
/* rm -r, never following a link or crossing into another mount. */
void rundir_remove(const char *dir);
/* Prints the last `bytes` of file to stderr under a heading - unless stderr is that file
 * (the caller reads it there already). */
void rundir_print_tail(const char *file, long bytes);

#endif
