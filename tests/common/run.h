/* A plugin-running suite's scratch directory (the plugin's socket, log and secret) and
 * the default-cluster secret vast-csi reads with --vms-secret-dir. */
#ifndef VK_TESTS_COMMON_RUN_H
#define VK_TESTS_COMMON_RUN_H

#include "../vms/sim_harness.h"

#include <stdbool.h>
#include <stddef.h>

/* mkdtemp of /tmp/vk-NAME-XXXXXX into buf: /tmp, not a long TMPDIR, because the
 * plugin's unix socket lives there and socket paths are short. False (said why). */
bool tc_run_dir_make(char *buf, size_t size, const char *name);

/* At the end of a run: dir is removed (never following a link, never into a mount a
 * failed test left behind), unless the environment variable keep_var is 1 - then its
 * path is printed. */
void tc_run_dir_finish(const char *dir, const char *keep_var);

/* rm -r, as tc_run_dir_finish removes. */
void tc_remove_tree(const char *dir);

/* dir (mode 0700) with endpoint = 127.0.0.1:<the simulator's HTTPS port>, username,
 * password, ssl_cert = the simulator's certificate. False (said why). */
bool tc_write_secret_dir(const char *dir, const sim_instance *sim, const char *username, const char *password);

#endif
