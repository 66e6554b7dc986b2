/* vast-csi for the suites that run the real plugin against vms-sim (conformance,
 * safety/controller, safety/node): started with fork+execve from $VAST_CSI, its output
 * in a log, waited for with Probe, stopped by PID with SIGTERM. gRPC must be
 * initialised (grpc_init) before tc_plugin_start. */
#ifndef VK_TESTS_COMMON_PLUGIN_H
#define VK_TESTS_COMMON_PLUGIN_H

#include "vk/endpoint.h"
#include "vk/rpc_client.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    const char *dir;         /* the run's directory: the log is DIR/vast-csi.log */
    const char *endpoint;    /* unix://DIR/csi.sock */
    const char *const *args; /* flags after --endpoint ENDPOINT, NULL-terminated */
    const char *const *env;  /* NAME=VALUE, each replacing the inherited NAME; NULL-terminated (or NULL) */
    const char *cwd;         /* where it runs (NULL: here) */
} tc_plugin_options;

typedef struct {
    pid_t pid;               /* 0 when not running */
    vk_endpoint endpoint;
    vk_rpc_client *client;   /* one for the run (csi-sanity reuses one connection too) */
    char log[256];
} tc_plugin;

/* Starts the plugin (it gets SIGKILL if this process dies: it never outlives a killed
 * test), waits up to 30 s until Probe answers OK, each attempt on a fresh channel (a
 * channel that failed to connect backs off for a second or more), and makes the client.
 * False, having printed why and the end of its log, when it did not come up. */
bool tc_plugin_start(tc_plugin *p, const tc_plugin_options *o);

/* Frees the client, then SIGTERM and a wait of up to 15 s (then SIGKILL). True when it
 * exited 0, as documented; otherwise prints how it ended and the end of its log. True
 * when it was not running. */
bool tc_plugin_stop(tc_plugin *p);

/* The end of the plugin's log on stderr. */
void tc_plugin_print_log_tail(const tc_plugin *p);

#endif
