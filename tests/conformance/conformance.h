/* The project's CSI conformance suite: the behaviours of csi-sanity's catalogue
 * (kubernetes-csi/csi-test pkg/sanity, spec v1.12.0) as cmocka tests against the real
 * vast-csi and vms-sim.
 *
 * One run (a cmocka group) mirrors csi-sanity's harness:
 *   - a seeded vms-sim on HTTPS (tests/vms/sim_harness.c);
 *   - a default-cluster secret directory for it (endpoint, username, password,
 *     ssl_cert = the simulator's certificate);
 *   - vast-csi (path from $VAST_CSI), started with fork+execve on a scratch unix socket
 *     with --vms-secret-dir and --node-id conformance-node (and, with
 *     config.node_bind_mounts, --mount-mode bind --bind-root <simulator>/fs
 *     --state-dir DIR/state), waited for with Probe;
 *   - one vk_rpc_client for the whole run (sanity reuses one connection);
 *   - names `<prefix>-XXXXXXXX-XXXXXXXX` with one random suffix per run.
 *
 * Each spec is one cmocka test named after the sanity spec ("<Describe> <It>") and
 * gets sanity's per-spec Setup/Teardown: mkdir (not -p) of the mount and staging
 * directories, and afterwards Resources.Cleanup, newest first: for each volume
 * NodeUnpublishVolume(<mountdir>/target) and, with STAGE_UNSTAGE_VOLUME,
 * NodeUnstageVolume (OK or NOT_FOUND accepted), ControllerUnpublishVolume if it was
 * published, DeleteVolume (must be OK, also when the volume is already gone); for
 * each snapshot DeleteSnapshot (must be OK). Specs gated on a capability read
 * ControllerGetCapabilities (or the node's / plugin's) the way sanity does and skip,
 * printing a "SKIP:" line, when it is not advertised.
 *
 * Messages returned by the helpers belong to the spec: they are freed in its teardown,
 * also when an assertion fails midway. Request JSON passed to a helper is consumed.
 *
 * Environment: VAST_CSI, VMS_SIM (set by CMake); CONFORMANCE_KEEP=1 keeps the run
 * directory (driver and simulator logs) and prints its path; CONFORMANCE_RUN_PENDING=1
 * also runs the specs sanity has disabled (XIt); CONFORMANCE_ASSUME_CAPS=NAME,... (e.g.
 * GET_SNAPSHOT) runs the specs gated on those controller capabilities as if they were
 * advertised (not sanity behaviour: to try a served method before advertising it). */
#ifndef VK_TESTS_CONFORMANCE_H
#define VK_TESTS_CONFORMANCE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "csi.pb-c.h"
#include "vk/rpc_client.h"
#include "vk/status.h"

#include <jansson.h>
#include <stdbool.h>

/* sanity's TestConfig, with its defaults where it has them. */
typedef struct {
    int64_t test_volume_size;        /* --csi.testvolumesize: 10 GiB */
    int64_t test_volume_expand_size; /* --csi.testvolumeexpandsize: size + 1 GiB */
    const char *test_volume_access_type; /* "mount" or "block" */
    bool test_node_volume_attach_limit;  /* --csi.testnodevolumeattachlimit: false */
    int idempotent_count;                /* IdempotentCount: 10 */
    /* key, value, ..., NULL: --csi.testvolumeparameters, --csi.testvolumemutableparameters,
     * --csi.testsnapshotparameters */
    const char *const *test_volume_parameters;
    const char *const *test_volume_mutable_parameters;
    const char *const *test_snapshot_parameters;
    /* Not a sanity flag: start vast-csi with --mount-mode bind --bind-root <the
     * simulator's data dir>/fs --state-dir DIR/state, so NodeStage/NodePublish bind-mount
     * the volumes' directories (machines and CI without an NFS client; needs root). Off
     * by default: the controller-side binaries never mount. */
    bool node_bind_mounts;
} conf_config;

#define CONF_MAX_NAME_LENGTH 128
#define CONF_INVALID_VOLUME_ID "fake-vol-id"
#define CONF_INVALID_NODE_ID "fake-node-id"

/* The run. Read-only for specs. */
typedef struct {
    conf_config config;
    vk_rpc_client *client;
    char dir[128];          /* the run's scratch directory */
    char endpoint[192];     /* unix://DIR/csi.sock */
    char secret_dir[160];
    char mount_dir[160];    /* sanity's --csi.mountdir: DIR/csi-mount */
    char staging_dir[160];  /* sanity's --csi.stagingdir: DIR/csi-staging */
    char target_path[192];  /* mount_dir/target: the NodePublish target sanity uses */
    char state_dir[160];    /* DIR/state: vast-csi's --state-dir with node_bind_mounts */
    char bind_root[320];    /* with node_bind_mounts: --bind-root, the simulator's DIR/fs */
    char suffix[24];        /* "-XXXXXXXX-XXXXXXXX" */
    const char *spec;       /* the running spec's name */
} conf_context;

extern conf_context conf;

/* ---- specs and groups ---- */

int conf_spec_setup(void **state);
/* As sanity's ExpandVolume and ModifyVolume blocks: Resources without a NodeClient, so
 * the cleanup makes no node calls. */
int conf_spec_setup_controller_only(void **state);
int conf_spec_teardown(void **state);
int conf_group_setup(void **state);
int conf_group_teardown(void **state);

#define CONF_SPEC(name, fn) {name, fn, conf_spec_setup, conf_spec_teardown, (void *)(name)}
#define CONF_SPEC_CONTROLLER_ONLY(name, fn) \
    {name, fn, conf_spec_setup_controller_only, conf_spec_teardown, (void *)(name)}

/* Runs the specs against one vms-sim + vast-csi. Returns the number of failed specs. */
#define CONF_RUN(group_name, specs) \
    conf_run(group_name, specs, sizeof(specs) / sizeof((specs)[0]))
int conf_run(const char *group_name, const struct CMUnitTest *specs, size_t n);

/* Prints "SKIP: <spec>: <reason>" and skips the running spec (does not return). */
void conf_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The spec is `XIt` (pending) in sanity: skipped unless CONFORMANCE_RUN_PENDING=1. */
void conf_pending(const char *why);

/* ---- capability gates (as sanity's isControllerCapabilitySupported etc.) ---- */

bool conf_controller_cap_supported(Csi__V1__ControllerServiceCapability__RPC__Type type);
bool conf_node_cap_supported(Csi__V1__NodeServiceCapability__RPC__Type type);
bool conf_plugin_service_supported(Csi__V1__PluginCapability__Service__Type type);
/* A Describe block's BeforeEach gate: skips the spec with sanity's message when the
 * controller does not advertise type. */
void conf_require_controller_cap(Csi__V1__ControllerServiceCapability__RPC__Type type, const char *skip_message);

/* ---- calls ---- */

/* Calls `method` ("CreateVolume", "Probe", ...: the service is found from the CSI
 * descriptors) with the request built from JSON (consumed; NULL = empty message). On OK
 * *response (when response is not NULL) is the reply, owned by the spec. Returns the
 * gRPC code; st holds the server's message. */
vk_code conf_call_msg(const char *method, json_t *request, ProtobufCMessage **response, vk_status *st);
#define conf_call(method, request, response, st) \
    conf_call_msg(method, request, (ProtobufCMessage **)(response), st)

/* Resource-tracking wrappers, as sanity's Resources. */
vk_code conf_create_volume(json_t *request, Csi__V1__CreateVolumeResponse **response, vk_status *st);
Csi__V1__CreateVolumeResponse *conf_must_create_volume_at(json_t *request, const char *file, int line);
#define conf_must_create_volume(request) conf_must_create_volume_at(request, __FILE__, __LINE__)
vk_code conf_delete_volume(const char *volume_id, vk_status *st);
vk_code conf_create_snapshot(json_t *request, Csi__V1__CreateSnapshotResponse **response, vk_status *st);
Csi__V1__CreateSnapshotResponse *conf_must_create_snapshot_at(json_t *request, const char *file, int line);
#define conf_must_create_snapshot(request) conf_must_create_snapshot_at(request, __FILE__, __LINE__)
/* Creates the volume, then a snapshot of it named snapshot_name; both asserted. */
Csi__V1__CreateSnapshotResponse *conf_must_create_snapshot_from_volume_request_at(
    json_t *volume_request, const char *snapshot_name, Csi__V1__CreateVolumeResponse **volume, const char *file,
    int line);
#define conf_must_create_snapshot_from_volume_request(volume_request, snapshot_name, volume) \
    conf_must_create_snapshot_from_volume_request_at(volume_request, snapshot_name, volume, __FILE__, __LINE__)
vk_code conf_delete_snapshot(const char *snapshot_id, vk_status *st);
vk_code conf_controller_publish(json_t *request, Csi__V1__ControllerPublishVolumeResponse **response,
                                         vk_status *st);
Csi__V1__ControllerPublishVolumeResponse *conf_must_controller_publish_at(json_t *request, const char *file,
                                                                          int line);
#define conf_must_controller_publish(request) conf_must_controller_publish_at(request, __FILE__, __LINE__)

/* ---- requests (sanity's Make*Req) ---- */

/* {"key": "value", ...} from key, value, ..., NULL (an empty object for NULL). */
json_t *conf_string_map(const char *const *kv);
/* TestVolumeCapabilityWithAccessType: the access mode by name ("SINGLE_NODE_WRITER"),
 * mount (or block, per config) access type. */
json_t *conf_volume_capability(const char *access_mode);
json_t *conf_make_create_volume_req(const char *name);
json_t *conf_make_create_snapshot_req(const char *name, const char *source_volume_id);
json_t *conf_make_expand_volume_req(const char *volume_id);
json_t *conf_make_modify_volume_req(const char *volume_id);
json_t *conf_make_controller_publish_req(const char *volume_id, const char *node_id);

/* A new reference to the JSON of one field of msg ("volume_context"), NULL when unset. */
json_t *conf_json_field(const ProtobufCMessage *msg, const char *field);

/* ---- names and ids (owned by the spec) ---- */

/* sanity's UniqueString: prefix + the run's suffix. */
const char *conf_unique(const char *prefix);
/* UniqueStringWithLength: padded with 'a' to length. */
const char *conf_unique_len(const char *prefix, size_t length);
/* GenerateUniqueValidVolumeID / NodeID: "fake-vol-id-" + 10 characters of a UUID. */
const char *conf_fake_volume_id(void);
const char *conf_fake_node_id(void);
/* Hands a JSON reference to the spec: decref'd in its teardown. Returns json. */
json_t *conf_keep_json(json_t *json);
/* A printf'd string owned by the spec. */
const char *conf_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- expectations (fail the spec with expected vs got and the server's message) ---- */

void conf_expect_code_at(vk_code got, vk_code want, const vk_status *st, const char *what,
                         const char *file, int line);
/* sanity's ExpectErrorCode: the call failed with exactly `want`. */
#define CONF_EXPECT_CODE(got, want, st, what) conf_expect_code_at(got, want, st, what, __FILE__, __LINE__)
/* Expect(err).NotTo(HaveOccurred()) */
#define CONF_EXPECT_OK(got, st, what) conf_expect_code_at(got, VK_OK, st, what, __FILE__, __LINE__)
/* Expect(err).To(HaveOccurred()): any code but OK. */
void conf_expect_error_at(vk_code got, const vk_status *st, const char *what, const char *file, int line);
#define CONF_EXPECT_ERROR(got, st, what) conf_expect_error_at(got, st, what, __FILE__, __LINE__)

/* verifyVolumeInfo: volume set, volume_id non-empty. */
void conf_verify_volume_info_at(const Csi__V1__Volume *v, const char *file, int line);
#define conf_verify_volume_info(v) conf_verify_volume_info_at(v, __FILE__, __LINE__)
/* verifySnapshotInfo: snapshot set, snapshot_id and source_volume_id non-empty,
 * creation_time non-zero. */
void conf_verify_snapshot_info_at(const Csi__V1__Snapshot *s, const char *file, int line);
#define conf_verify_snapshot_info(s) conf_verify_snapshot_info_at(s, __FILE__, __LINE__)

/* Not a sanity spec: after every spec's cleanup, nothing the specs made (views, quotas,
 * snapshots, clone streams under /k8s) may be left on the simulator. Run it last. */
void conf_check_nothing_left(void **state);
#define CONF_CHECK_NOTHING_LEFT \
    CONF_SPEC("(conformance) every volume and snapshot the specs made is gone from VMS", conf_check_nothing_left)

/* How many mount points are at or below dir in /proc/self/mountinfo; each is printed
 * ("still mounted: PATH"). */
int conf_mounts_under(const char *dir);

/* Fails the spec with a message (printf-style) at the caller's line. */
#define CONF_FAIL(...) conf_fail_at(__FILE__, __LINE__, __VA_ARGS__)
void conf_fail_at(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4), noreturn));

/* Grows array (n used of cap) for one more element, doubling from 16; the suites keep
 * what a run saw in such arrays. Out of memory ends the run. */
#define GROW(array, n, cap)                                                \
    do {                                                                   \
        if ((n) == (cap)) {                                                \
            (cap) = (cap) ? (cap) * 2 : 16;                                \
            void *grown_ = realloc((array), (cap) * sizeof *(array));      \
            if (!grown_) abort();                                          \
            (array) = grown_;                                              \
        }                                                                  \
    } while (0)

#endif
