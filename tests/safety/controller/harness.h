/* The hostile-input suite's harness: one vms-sim and one vast-csi (controller mode) for
 * the whole run, calls by method name with requests written as JSON, requests whose
 * bytes no JSON can express (a NUL inside a string), and per-case expectations that
 * record a failure and go on, so one run lists every case the driver gets wrong.
 *
 * The run:
 *   - vms-sim (tests/vms/sim_harness.c) with --seed on HTTPS (what the driver talks to)
 *     and plain HTTP (what the administrator's calls in foreign.c use);
 *   - a VMS user of its own for the driver, csi-safety with a random password that no
 *     reply and no log line may ever contain;
 *   - a default-cluster secret directory (endpoint, username, password, ssl_cert) for
 *     --vms-secret-dir, and the same keys as a request's `secrets` map, as the CO's
 *     external-provisioner sends them from the StorageClass's secret;
 *   - vast-csi --mode controller --root-exports /k8s,/vast-k8s/tenants/\* (the
 *     operator's tenant roots) on a scratch unix socket, started with fork+execve
 *     and stopped by PID with SIGTERM (it must exit 0): the run directory, the secret
 *     and the plugin come from tests/common.
 *
 * Environment: VAST_CSI, VMS_SIM (CMake sets both); SAFETY_KEEP=1 keeps the run
 * directory (vast-csi.log) and prints its path. */
#ifndef VK_TESTS_SAFETY_HARNESS_H
#define VK_TESTS_SAFETY_HARNESS_H

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

#define SAFETY_ROOT "/k8s"
/* the operator's tenant roots: every directory directly below is a root export.
 * SAFETY_TENANT_ROOT is a foreign one (its quota made as the operator makes it), the
 * driver's own volume in a tenant root is in another (whose use then moves with it, so
 * the foreign quota's does not) */
#define SAFETY_TENANTS "/vast-k8s/tenants"
#define SAFETY_TENANT_ROOT SAFETY_TENANTS "/vk-x"
#define SAFETY_OWN_TENANT_ROOT SAFETY_TENANTS "/vk-own"
#define SAFETY_VIEW_POLICY "vast-k8s-nfs"
#define SAFETY_VIP_POOL "vast-k8s-pool"
#define SAFETY_QOS "vast-k8s-qos"

typedef struct {
    sim_instance sim;
    char fs[320];          /* the simulator's data directory: VMS path P is fs + P */
    char dir[128];         /* scratch: socket, secret, vast-csi.log */
    char secret_json[8192]; /* the secrets map a CO sends: {"endpoint": ..., ...} */
    char sim_endpoint[64];  /* 127.0.0.1:PORT (HTTPS) */
    char password[48];      /* the driver's VMS user's, random per run: never in a reply or a log */
} safety_run;

extern safety_run safety;

/* cmocka group setup/teardown: the simulator, the plugin, the client. */
int safety_start(void **state);
int safety_stop(void **state);

/* ---- calls ---- */

/* The request's `secrets` as the CO sends them (a new JSON object). */
json_t *safety_secrets(void);
/* A multi-cluster secret: key "clusters" holding one cluster named `name` (this
 * simulator). */
json_t *safety_multi_cluster_secrets(const char *name);

/* Calls a Controller method by name ("DeleteVolume") with the request built from JSON
 * (consumed). On OK *response (when not NULL) is the reply: free it with
 * protobuf_c_message_free_unpacked. Returns the gRPC code; st holds the message. */
vk_code safety_call(const char *method, json_t *request, ProtobufCMessage **response, vk_status *st);

/* A length-delimited field the request's JSON cannot hold, appended to the message's
 * wire bytes: protobuf-c packs a string with strlen, so a NUL inside one needs the bytes
 * written out. The receiver decodes it as field `number` of the message. */
typedef struct {
    uint32_t number;
    const uint8_t *bytes;
    size_t len;
} safety_raw_field;

/* safety_call with extra raw fields (the JSON must not also set them). */
vk_code safety_call_raw(const char *method, json_t *request, const safety_raw_field *raw, size_t n_raw,
                                 ProtobufCMessage **response, vk_status *st);

/* The wire bytes of one length-delimited field (tag, length, bytes), to nest inside a
 * raw field's bytes (a message field's content); *len receives the size. malloc'd. */
uint8_t *safety_field_bytes(uint32_t number, const uint8_t *bytes, size_t bytes_len, size_t *len);
/* The bytes of a map<string,string> entry {key, value} (value may hold NULs), for a raw
 * field of the map's number; *len receives the size. malloc'd. */
uint8_t *safety_map_entry(const char *key, const uint8_t *value, size_t value_len, size_t *len);

/* ---- requests ---- */

/* volume_capabilities[0] / volume_capability: mount, MULTI_NODE_MULTI_WRITER. */
json_t *safety_capability(void);
/* A CreateVolume request of the seeded StorageClass (root_export /k8s), 1 GiB. */
json_t *safety_create_volume_req(const char *name);

/* ---- expectations: a failed one is printed and counted, the test goes on ---- */

/* Failures recorded by the running test; safety_end_case fails it when there were. */
extern int safety_failures;

/* The call answered `want`, and (when want is not OK and needle is not NULL) its
 * message names the object: it contains needle; no message may hold the password.
 * `what` describes the call. */
bool safety_expect(const char *what, vk_code got, const vk_status *st, vk_code want,
                   const char *needle);
/* Records a failure when the driver's log holds the VMS password or a sanitizer's
 * report (the group teardown checks again after the driver exits, for leaks). */
void safety_expect_clean_log(void);
/* Records a failure when a line of the driver's log holds both msg (a log message,
 * e.g. "volume deleted") and subject (the id it would be about): the driver reported
 * something that did not happen. */
void safety_expect_log_lacks(const char *msg, const char *subject);
/* Records a failure (printf-style). */
void safety_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends a test: fails it (cmocka) when any expectation failed. */
void safety_end_case(void);

/* The path in a `vk1:<cluster>:<tenant>:<path>` id (a pointer into id), or NULL. */
const char *safety_id_path(const char *id);

/* A printf'd string kept until the run ends. */
const char *safety_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
