/* Starts and stops a real vms-sim for the C tests, and talks to its /_sim/ admin API.
 *
 * The simulator binary comes from the VMS_SIM environment variable (CMake sets it to
 * the built vms-sim); it is started by vms-sim-launch (tests/launcher: the launcher the
 * shell and Python tests use too; VMS_SIM_LAUNCH, else beside VMS_SIM), run with
 * fork+execve (no shell): a fresh data directory on /dev/shm when there is one,
 * listeners on 127.0.0.1 port 0, a bounded wait for the port file, the facts read from
 * its stdout. Stopped with SIGTERM through the launcher, which removes the directory. */
#ifndef VK_TESTS_SIM_HARNESS_H
#define VK_TESTS_SIM_HARNESS_H

#include "vk/vms.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    bool http;                      /* --http 127.0.0.1:0 (the admin API uses it when on) */
    bool https;                     /* --https 127.0.0.1:0 */
    bool seed;                      /* --seed */
    const char *const *extra_args;  /* more flags, NULL-terminated (may be NULL) */
} sim_options;

typedef struct {
    pid_t pid;           /* the simulator's */
    pid_t launcher_pid;  /* its parent, our child: vms-sim-launch */
    char dir[256];       /* the data directory */
    int http_port;       /* 0 when off */
    int https_port;
    char http_url[64];   /* "http://127.0.0.1:PORT" */
    char https_url[64];  /* "https://127.0.0.1:PORT" */
    char ca_file[320];   /* DIR/tls/cert.pem: the simulator's generated certificate */
} sim_instance;

/* Starts the simulator and waits (up to 20 s) for its port file. Fails the test on error
 * (the launcher prints why, with the end of the simulator's log). */
void sim_start(sim_instance *sim, const sim_options *options);
/* SIGTERM, wait for exit (asserting exit status 0); the data directory is removed. */
void sim_stop(sim_instance *sim);

/* Sends an admin request (path like "/_sim/stats", body JSON text or NULL) and returns
 * the parsed answer (NULL when empty); fails the test on a transport error or a status
 * >= 300. */
json_t *sim_admin(const sim_instance *sim, const char *method, const char *path, const char *body);
/* A counter from GET /_sim/stats: a top-level key ("requests_total") or a request key
 * ("GET views/"); 0 when absent. */
long sim_stat(const sim_instance *sim, const char *key);
void sim_reset_stats(const sim_instance *sim);
/* POST /_sim/faults with {"rules": [RULES_JSON]}. */
void sim_set_faults(const sim_instance *sim, const char *rules_json);

/* A client config for the admin user over plain HTTP (allow_http). */
vms_config sim_client_config(const sim_instance *sim);
/* vms_client_new that fails the test on error. */
vms_client *sim_client(const vms_config *cfg);

/* Reads a whole file into a malloc'd string (NULL on error). */
char *sim_read_file(const char *path);

/* Asserts that err maps to code; prints the mapped message on mismatch. */
void assert_vms_code(const vms_error *err, int code);

#endif
