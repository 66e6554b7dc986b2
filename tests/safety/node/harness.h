/* The node's hostile-input suite: harness. One run starts
 *   - a seeded vms-sim on HTTPS (tests/vms/sim_harness.c), for the inline ephemeral
 *     volumes, and a default-cluster secret directory for it;
 *   - vast-csi --mode node in bind mode (--bind-root = the simulator's data, where VAST
 *     paths live), --kubelet-dir DIR/kubelet, --ephemeral-parameters of the seeded
 *     StorageClass, on a scratch unix socket, started with fork+execve, stopped by PID;
 *   - a janitor process that, whenever this process ends (even killed or crashed),
 *     detaches every mount under the run's directory and removes it.
 * Calls go by method name with requests written as JSON. Expectations record a failure
 * and go on, so one run lists every case the node gets wrong; each test ends with
 * safety_end_case(). Tests run as root (they mount); otherwise the suite is skipped
 * (exit 77).
 *
 * Environment: VAST_CSI, VMS_SIM (CMake sets both); SAFETY_KEEP=1 keeps the run
 * directory (vast-csi.log) and prints its path. */
#ifndef VK_TESTS_SAFETY_NODE_HARNESS_H
#define VK_TESTS_SAFETY_NODE_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../vms/sim_harness.h"
#include "csi.pb-c.h"
#include "vk/status.h"

#include <jansson.h>
#include <stdbool.h>

#define NODE_EPHEMERAL_PARAMETERS "root_export=/k8s,view_policy=vast-k8s-nfs,vip_pool_name=vast-k8s-pool"

typedef struct {
    sim_instance sim;
    char dir[128];      /* the run's scratch directory */
    char kubelet[192];  /* DIR/kubelet: --kubelet-dir */
    char outside[192];  /* DIR/outside: a directory outside it */
    char fs[320];       /* --bind-root: the simulator's data; VAST path P is fs + P */
} node_run;

extern node_run node;

int node_start(void **state);
int node_stop(void **state);
/* Per test: detaches whatever the test left mounted under DIR. */
int node_case_teardown(void **state);

/* Calls a Node method by name with the request built from JSON (consumed). Returns
 * the gRPC code; st holds the message. */
vk_code node_call(const char *method, json_t *request, vk_status *st);

/* Requests for a static volume (volume_id = its VAST path, as a static PV's handle). */
json_t *node_stage_req(const char *volume_id, const char *staging);
json_t *node_publish_req(const char *volume_id, const char *staging, const char *target);
json_t *node_unstage_req(const char *volume_id, const char *staging);
json_t *node_unpublish_req(const char *volume_id, const char *target);

/* ---- the file system and the mount table ---- */

/* A printf'd string kept until the run ends. */
const char *node_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mkdir -p (fails the test on error). */
void node_mkdirs(const char *path);
/* Writes text to path (fails the test on error). */
void node_write(const char *path, const char *text);
/* The file at path holds exactly text. */
bool node_file_is(const char *path, const char *text);
/* A VAST directory of a volume (under --bind-root) with one file, "data", holding text. */
void node_make_volume(const char *vast_path, const char *text);

/* The id of the mount on top of path when path is a mount root, else 0. */
uint64_t node_mount_id(const char *path);
/* How many mounts the table lists (in this mount namespace). */
int node_mount_count(void);
/* How many mounts are stacked exactly at path. */
int node_mounts_at(const char *path);
/* bind-mounts source on target (fails the test on error). */
void node_bind(const char *source, const char *target);

/* ---- expectations ---- */

extern int node_failures;
bool node_expect(const char *what, vk_code got, const vk_status *st, vk_code want,
                 const char *needle);
bool node_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void node_end_case(void);

#endif
