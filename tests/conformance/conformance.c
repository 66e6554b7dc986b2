/* The conformance harness: one vms-sim and one vast-csi per run, one client, sanity's
 * per-spec setup and resource cleanup, requests from JSON, expectations. See
 * conformance.h. */
#include "conformance.h"

#include "../common/csi_call.h"
#include "../common/mounts.h"
#include "../common/plugin.h"
#include "../common/run.h"
#include "../common/strings.h"
#include "../vms/sim_harness.h"
#include "vk/pbjson.h"

#include <grpc/grpc.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    CALL_TIMEOUT_MS = 60000,   /* sanity sets none; ours bounds a hung call */
};

conf_context conf;

/* ---- state of the run that specs do not see ---- */

typedef struct {
    char *id;
    bool snapshot;
    char *node_id; /* volumes: where ControllerPublish put it, NULL if not */
} resource;

static struct {
    sim_instance sim;
    bool sim_started;
    tc_plugin plugin;
    /* per spec */
    bool node_client;
    resource *resources;
    size_t n_resources, cap_resources;
    ProtobufCMessage **messages;
    size_t n_messages, cap_messages;
    tc_strings strings;
    json_t **jsons;
    size_t n_jsons, cap_jsons;
} run;

static const char *const default_volume_parameters[] = {
    "root_export", "/k8s", "view_policy", "vast-k8s-nfs", "vip_pool_name", "vast-k8s-pool", NULL};
static const char *const default_mutable_parameters[] = {"qos_policy", "vast-k8s-qos", NULL};

/* ---- small things ---- */


static char *keep_string(char *s) { return tc_strings_keep(&run.strings, s); }

static ProtobufCMessage *keep_message(ProtobufCMessage *m) {
    if (!m) return NULL;
    GROW(run.messages, run.n_messages, run.cap_messages);
    run.messages[run.n_messages++] = m;
    return m;
}

json_t *conf_keep_json(json_t *json) {
    if (!json) abort();
    GROW(run.jsons, run.n_jsons, run.cap_jsons);
    run.jsons[run.n_jsons++] = json;
    return json;
}

static void free_spec_memory(void) {
    for (size_t i = 0; i < run.n_jsons; i++) json_decref(run.jsons[i]);
    free(run.jsons);
    run.jsons = NULL;
    run.n_jsons = run.cap_jsons = 0;
    for (size_t i = 0; i < run.n_messages; i++) protobuf_c_message_free_unpacked(run.messages[i], NULL);
    tc_strings_free(&run.strings);
    for (size_t i = 0; i < run.n_resources; i++) {
        free(run.resources[i].id);
        free(run.resources[i].node_id);
    }
    free(run.messages);
    free(run.resources);
    run.messages = NULL;
    run.resources = NULL;
    run.n_messages = run.cap_messages = 0;
    run.n_resources = run.cap_resources = 0;
}

const char *conf_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *s = tc_strings_vfmt(&run.strings, fmt, ap);
    va_end(ap);
    return s;
}

void conf_fail_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) abort();
    va_end(ap);
    print_error("%s: %s\n", conf.spec ? conf.spec : "conformance", text);
    free(text);
    _fail(file, line);
    abort(); /* not reached: _fail leaves the spec */
}

void conf_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) abort();
    va_end(ap);
    print_message("SKIP: %s: %s\n", conf.spec ? conf.spec : "?", text);
    fflush(stdout);
    free(text);
    skip();
    abort(); /* not reached */
}

void conf_pending(const char *why) {
    const char *run_pending = getenv("CONFORMANCE_RUN_PENDING");
    if (run_pending && strcmp(run_pending, "1") == 0) return;
    conf_skip("pending in csi-sanity (XIt: %s); CONFORMANCE_RUN_PENDING=1 runs it", why);
}

static void random_hex(char *out, size_t bytes, bool upper) {
    unsigned char b[32];
    if (bytes > sizeof b) abort();
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = getrandom(b + got, bytes - got, 0);
        if (n < 0 && errno != EINTR) abort();
        if (n > 0) got += (size_t)n;
    }
    for (size_t i = 0; i < bytes; i++) sprintf(out + 2 * i, upper ? "%02X" : "%02x", b[i]);
}

const char *conf_unique(const char *prefix) { return conf_fmt("%s%s", prefix, conf.suffix); }

const char *conf_unique_len(const char *prefix, size_t length) {
    const char *s = conf_unique(prefix);
    size_t n = strlen(s);
    if (n > length) CONF_FAIL("prefix \"%s\" is too long for %zu characters, use a shorter one", prefix, length);
    char *padded = malloc(length + 1);
    if (!padded) abort();
    memcpy(padded, s, n);
    memset(padded + n, 'a', length - n);
    padded[length] = '\0';
    return keep_string(padded);
}

/* "fake-vol-id-" + uuid.New().String()[:10]: 8 hex digits, '-', 1 hex digit. */
static const char *fake_id(const char *prefix) {
    char hex[16];
    random_hex(hex, 5, false);
    return conf_fmt("%s%.8s-%c", prefix, hex, hex[8]);
}

const char *conf_fake_volume_id(void) { return fake_id("fake-vol-id-"); }
const char *conf_fake_node_id(void) { return fake_id("fake-node-id-"); }

/* ---- expectations ---- */

void conf_expect_code_at(vk_code got, vk_code want, const vk_status *st, const char *what,
                         const char *file, int line) {
    if (got == want) return;
    print_error("%s: %s: expected %s, got %s: \"%s\"\n", conf.spec ? conf.spec : "conformance", what,
                vk_status_name(want), vk_status_name(got), st ? st->message : "");
    _fail(file, line);
}

void conf_expect_error_at(vk_code got, const vk_status *st, const char *what, const char *file, int line) {
    if (got != VK_OK) return;
    print_error("%s: %s: expected an error, got OK\n", conf.spec ? conf.spec : "conformance", what);
    (void)st;
    _fail(file, line);
}

void conf_verify_volume_info_at(const Csi__V1__Volume *v, const char *file, int line) {
    if (!v) conf_fail_at(file, line, "the response has no volume");
    if (!v->volume_id || !*v->volume_id) conf_fail_at(file, line, "the volume has an empty volume_id");
}

void conf_verify_snapshot_info_at(const Csi__V1__Snapshot *s, const char *file, int line) {
    if (!s) conf_fail_at(file, line, "the response has no snapshot");
    if (!s->snapshot_id || !*s->snapshot_id) conf_fail_at(file, line, "the snapshot has an empty snapshot_id");
    if (!s->source_volume_id || !*s->source_volume_id) {
        conf_fail_at(file, line, "snapshot %s has an empty source_volume_id", s->snapshot_id);
    }
    if (!s->creation_time || (s->creation_time->seconds == 0 && s->creation_time->nanos == 0)) {
        conf_fail_at(file, line, "snapshot %s has a zero creation_time", s->snapshot_id);
    }
}

/* ---- calls ---- */

static const ProtobufCServiceDescriptor *const services[] = {
    &csi__v1__identity__descriptor,
    &csi__v1__controller__descriptor,
    &csi__v1__node__descriptor,
    &csi__v1__group_controller__descriptor,
};

static const ProtobufCMethodDescriptor *find_method(const char *name, const ProtobufCServiceDescriptor **service) {
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        const ProtobufCMethodDescriptor *m = tc_csi_find(services[i], name);
        if (m) {
            *service = services[i];
            return m;
        }
    }
    return NULL;
}

vk_code conf_call_msg(const char *method, json_t *request, ProtobufCMessage **response, vk_status *st) {
    if (response) *response = NULL;
    const ProtobufCServiceDescriptor *service = NULL;
    const ProtobufCMethodDescriptor *m = find_method(method, &service);
    if (!m) {
        json_decref(request);
        fail_msg("no CSI method %s", method);
    }
    ProtobufCMessage *resp = NULL;
    vk_code code = tc_csi_send(conf.client, service, m, tc_csi_request(m, request), CALL_TIMEOUT_MS, &resp, st);
    keep_message(resp);
    if (response) *response = resp;
    return code;
}

/* ---- capability gates ---- */

/* CONFORMANCE_ASSUME_CAPS="GET_SNAPSHOT,..." (not sanity): treat these controller
 * capabilities as advertised, to try a served method's specs before advertising it. */
static bool assumed_controller_cap(Csi__V1__ControllerServiceCapability__RPC__Type type) {
    const char *list = getenv("CONFORMANCE_ASSUME_CAPS");
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &csi__v1__controller_service_capability__rpc__type__descriptor, (int)type);
    if (!list || !v) return false;
    size_t n = strlen(v->name);
    for (const char *p = list; (p = strstr(p, v->name)) != NULL; p += n) {
        if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) return true;
    }
    return false;
}

bool conf_controller_cap_supported(Csi__V1__ControllerServiceCapability__RPC__Type type) {
    Csi__V1__ControllerGetCapabilitiesResponse *caps;
    vk_status st;
    CONF_EXPECT_OK(conf_call("ControllerGetCapabilities", NULL, &caps, &st), &st, "ControllerGetCapabilities");
    for (size_t i = 0; i < caps->n_capabilities; i++) {
        const Csi__V1__ControllerServiceCapability *cap = caps->capabilities[i];
        if (cap->type_case != CSI__V1__CONTROLLER_SERVICE_CAPABILITY__TYPE_RPC || !cap->rpc) {
            CONF_FAIL("ControllerGetCapabilities: capabilities[%zu] has no rpc", i);
        }
        if (cap->rpc->type == type) return true;
    }
    return assumed_controller_cap(type);
}

bool conf_node_cap_supported(Csi__V1__NodeServiceCapability__RPC__Type type) {
    Csi__V1__NodeGetCapabilitiesResponse *caps;
    vk_status st;
    CONF_EXPECT_OK(conf_call("NodeGetCapabilities", NULL, &caps, &st), &st, "NodeGetCapabilities");
    for (size_t i = 0; i < caps->n_capabilities; i++) {
        const Csi__V1__NodeServiceCapability *cap = caps->capabilities[i];
        if (cap->type_case != CSI__V1__NODE_SERVICE_CAPABILITY__TYPE_RPC || !cap->rpc) {
            CONF_FAIL("NodeGetCapabilities: capabilities[%zu] has no rpc", i);
        }
        if (cap->rpc->type == type) return true;
    }
    return false;
}

bool conf_plugin_service_supported(Csi__V1__PluginCapability__Service__Type type) {
    Csi__V1__GetPluginCapabilitiesResponse *caps;
    vk_status st;
    CONF_EXPECT_OK(conf_call("GetPluginCapabilities", NULL, &caps, &st), &st, "GetPluginCapabilities");
    for (size_t i = 0; i < caps->n_capabilities; i++) {
        const Csi__V1__PluginCapability *cap = caps->capabilities[i];
        if (cap->type_case == CSI__V1__PLUGIN_CAPABILITY__TYPE_SERVICE && cap->service && cap->service->type == type) {
            return true;
        }
    }
    return false;
}

void conf_require_controller_cap(Csi__V1__ControllerServiceCapability__RPC__Type type, const char *skip_message) {
    if (!conf_controller_cap_supported(type)) conf_skip("%s", skip_message);
}

/* ---- resources ---- */

static void register_resource(const char *id, bool snapshot, const char *node_id) {
    if (!id || !*id) CONF_FAIL("registering a resource with an empty id");
    GROW(run.resources, run.n_resources, run.cap_resources);
    run.resources[run.n_resources++] = (resource){
        .id = strdup(id), .snapshot = snapshot, .node_id = node_id && *node_id ? strdup(node_id) : NULL};
}

/* Removes the first entry with this id, as sanity's unregisterResource. */
static void unregister_resource(const char *id) {
    for (size_t i = 0; i < run.n_resources; i++) {
        if (strcmp(run.resources[i].id, id) == 0) {
            free(run.resources[i].id);
            free(run.resources[i].node_id);
            memmove(&run.resources[i], &run.resources[i + 1], (run.n_resources - i - 1) * sizeof *run.resources);
            run.n_resources--;
            return;
        }
    }
}

vk_code conf_create_volume(json_t *request, Csi__V1__CreateVolumeResponse **response, vk_status *st) {
    Csi__V1__CreateVolumeResponse *r = NULL;
    vk_code code = conf_call("CreateVolume", request, &r, st);
    if (code == VK_OK && r && r->volume && r->volume->volume_id && *r->volume->volume_id) {
        register_resource(r->volume->volume_id, false, NULL);
    }
    if (response) *response = r;
    return code;
}

Csi__V1__CreateVolumeResponse *conf_must_create_volume_at(json_t *request, const char *file, int line) {
    Csi__V1__CreateVolumeResponse *r;
    vk_status st;
    conf_expect_code_at(conf_create_volume(request, &r, &st), VK_OK, &st, "volume create failed", file,
                        line);
    if (!r) conf_fail_at(file, line, "volume response is nil");
    if (!r->volume) conf_fail_at(file, line, "volume in response is nil");
    if (!r->volume->volume_id || !*r->volume->volume_id) conf_fail_at(file, line, "volume ID in response is missing");
    return r;
}

vk_code conf_delete_volume(const char *volume_id, vk_status *st) {
    vk_code code = conf_call("DeleteVolume", json_pack("{s:s}", "volume_id", volume_id), NULL, st);
    if (code == VK_OK && *volume_id) unregister_resource(volume_id);
    return code;
}

vk_code conf_create_snapshot(json_t *request, Csi__V1__CreateSnapshotResponse **response, vk_status *st) {
    Csi__V1__CreateSnapshotResponse *r = NULL;
    vk_code code = conf_call("CreateSnapshot", request, &r, st);
    if (code == VK_OK && r && r->snapshot && r->snapshot->snapshot_id && *r->snapshot->snapshot_id) {
        register_resource(r->snapshot->snapshot_id, true, NULL);
    }
    if (response) *response = r;
    return code;
}

Csi__V1__CreateSnapshotResponse *conf_must_create_snapshot_at(json_t *request, const char *file, int line) {
    Csi__V1__CreateSnapshotResponse *r;
    vk_status st;
    conf_expect_code_at(conf_create_snapshot(request, &r, &st), VK_OK, &st, "create snapshot failed", file,
                        line);
    if (!r) conf_fail_at(file, line, "create snapshot response is nil");
    conf_verify_snapshot_info_at(r->snapshot, file, line);
    return r;
}

Csi__V1__CreateSnapshotResponse *conf_must_create_snapshot_from_volume_request_at(
    json_t *volume_request, const char *snapshot_name, Csi__V1__CreateVolumeResponse **volume, const char *file,
    int line) {
    Csi__V1__CreateVolumeResponse *vol = conf_must_create_volume_at(volume_request, file, line);
    Csi__V1__CreateSnapshotResponse *snap =
        conf_must_create_snapshot_at(conf_make_create_snapshot_req(snapshot_name, vol->volume->volume_id), file, line);
    if (volume) *volume = vol;
    return snap;
}

vk_code conf_delete_snapshot(const char *snapshot_id, vk_status *st) {
    vk_code code = conf_call("DeleteSnapshot", json_pack("{s:s}", "snapshot_id", snapshot_id), NULL, st);
    if (code == VK_OK && *snapshot_id) unregister_resource(snapshot_id);
    return code;
}

vk_code conf_controller_publish(json_t *request, Csi__V1__ControllerPublishVolumeResponse **response,
                                         vk_status *st) {
    const char *v = json_string_value(json_object_get(request, "volume_id"));
    const char *n = json_string_value(json_object_get(request, "node_id"));
    char *volume_id = strdup(v ? v : ""), *node_id = strdup(n ? n : "");
    keep_string(volume_id);
    keep_string(node_id);
    Csi__V1__ControllerPublishVolumeResponse *r = NULL;
    vk_code code = conf_call("ControllerPublishVolume", request, &r, st);
    if (code == VK_OK && *volume_id && *node_id) register_resource(volume_id, false, node_id);
    if (response) *response = r;
    return code;
}

Csi__V1__ControllerPublishVolumeResponse *conf_must_controller_publish_at(json_t *request, const char *file,
                                                                          int line) {
    Csi__V1__ControllerPublishVolumeResponse *r;
    vk_status st;
    conf_expect_code_at(conf_controller_publish(request, &r, &st), VK_OK, &st,
                        "controller publish volume failed", file, line);
    if (!r) conf_fail_at(file, line, "controller publish volume response is nil");
    return r;
}

/* Resources.Cleanup: newest first; every error is reported, then the spec fails. */
static int cleanup_resources(void) {
    int errors = 0;
    vk_status st;
    vk_code code;
    for (size_t i = run.n_resources; i-- > 0;) {
        const resource *r = &run.resources[i];
        if (r->snapshot) {
            code = conf_call("DeleteSnapshot", json_pack("{s:s}", "snapshot_id", r->id), NULL, &st);
            if (code != VK_OK) {
                print_error("cleanup: DeleteSnapshot for snapshot ID %s failed: %s: %s\n", r->id, vk_status_name(code),
                            st.message);
                errors++;
            }
            continue;
        }
        if (run.node_client) {
            code = conf_call("NodeUnpublishVolume",
                             json_pack("{s:s, s:s}", "volume_id", r->id, "target_path", conf.target_path), NULL, &st);
            if (code != VK_OK && code != VK_NOT_FOUND) {
                print_error("cleanup: NodeUnpublishVolume for volume ID %s failed: %s: %s\n", r->id,
                            vk_status_name(code), st.message);
                errors++;
            }
            if (conf_node_cap_supported(CSI__V1__NODE_SERVICE_CAPABILITY__RPC__TYPE__STAGE_UNSTAGE_VOLUME)) {
                code = conf_call("NodeUnstageVolume",
                                 json_pack("{s:s, s:s}", "volume_id", r->id, "staging_target_path", conf.staging_dir),
                                 NULL, &st);
                if (code != VK_OK && code != VK_NOT_FOUND) {
                    print_error("cleanup: NodeUnstageVolume for volume ID %s failed: %s: %s\n", r->id,
                                vk_status_name(code), st.message);
                    errors++;
                }
            }
        }
        if (r->node_id) {
            code = conf_call("ControllerUnpublishVolume",
                             json_pack("{s:s, s:s}", "volume_id", r->id, "node_id", r->node_id), NULL, &st);
            if (code != VK_OK) {
                print_error("cleanup: ControllerUnpublishVolume for volume ID %s failed: %s: %s\n", r->id,
                            vk_status_name(code), st.message);
                errors++;
            }
        }
        code = conf_call("DeleteVolume", json_pack("{s:s}", "volume_id", r->id), NULL, &st);
        if (code != VK_OK) {
            print_error("cleanup: DeleteVolume for volume ID %s failed: %s: %s\n", r->id, vk_status_name(code),
                        st.message);
            errors++;
        }
    }
    return errors;
}

/* ---- requests ---- */

json_t *conf_string_map(const char *const *kv) {
    json_t *map = json_object();
    for (const char *const *p = kv; p && p[0]; p += 2) json_object_set_new(map, p[0], json_string(p[1]));
    return map;
}

json_t *conf_volume_capability(const char *access_mode) {
    bool block = conf.config.test_volume_access_type && strcmp(conf.config.test_volume_access_type, "block") == 0;
    return json_pack("{s:{s:s}, s:{}}", "access_mode", "mode", access_mode, block ? "block" : "mount");
}

json_t *conf_make_create_volume_req(const char *name) {
    return json_pack("{s:s, s:[o], s:{s:I}, s:o}", "name", name, "volume_capabilities",
                     conf_volume_capability("SINGLE_NODE_WRITER"), "capacity_range", "required_bytes",
                     (json_int_t)conf.config.test_volume_size, "parameters",
                     conf_string_map(conf.config.test_volume_parameters));
}

json_t *conf_make_create_snapshot_req(const char *name, const char *source_volume_id) {
    return json_pack("{s:s, s:s, s:o}", "name", name, "source_volume_id", source_volume_id, "parameters",
                     conf_string_map(conf.config.test_snapshot_parameters));
}

json_t *conf_make_expand_volume_req(const char *volume_id) {
    return json_pack("{s:s, s:{s:I}, s:o}", "volume_id", volume_id, "capacity_range", "required_bytes",
                     (json_int_t)conf.config.test_volume_expand_size, "volume_capability",
                     conf_volume_capability("SINGLE_NODE_WRITER"));
}

json_t *conf_make_modify_volume_req(const char *volume_id) {
    return json_pack("{s:s, s:o}", "volume_id", volume_id, "mutable_parameters",
                     conf_string_map(conf.config.test_volume_mutable_parameters));
}

json_t *conf_make_controller_publish_req(const char *volume_id, const char *node_id) {
    return json_pack("{s:s, s:s, s:o, s:b}", "volume_id", volume_id, "node_id", node_id, "volume_capability",
                     conf_volume_capability("SINGLE_NODE_WRITER"), "readonly", 0);
}

json_t *conf_json_field(const ProtobufCMessage *msg, const char *field) {
    if (!msg) return NULL;
    json_t *all = vk_pbjson_from_message(msg, 0);
    json_t *value = json_incref(json_object_get(all, field));
    json_decref(all);
    return value;
}

/* ---- per-spec setup and teardown (sanity's Setup, Resources.Cleanup, Teardown) ---- */

static int spec_setup(void **state, bool node_client) {
    conf.spec = *state;
    run.node_client = node_client;
    /* sanity creates both with mkdir, not -p: a directory left over fails the spec */
    if (mkdir(conf.mount_dir, 0755) != 0) {
        print_error("%s: setup: mkdir %s: %s\n", conf.spec, conf.mount_dir, strerror(errno));
        return -1;
    }
    if (mkdir(conf.staging_dir, 0755) != 0) {
        print_error("%s: setup: mkdir %s: %s\n", conf.spec, conf.staging_dir, strerror(errno));
        rmdir(conf.mount_dir);
        return -1;
    }
    return 0;
}

int conf_spec_setup(void **state) { return spec_setup(state, true); }
int conf_spec_setup_controller_only(void **state) { return spec_setup(state, false); }

int conf_spec_teardown(void **state) {
    (void)state;
    int errors = cleanup_resources();
    /* sanity ignores rmdir errors: what the driver left inside fails the next spec */
    rmdir(conf.mount_dir);
    rmdir(conf.staging_dir);
    free_spec_memory();
    if (errors) print_error("%s: resource cleanup failed (%d error(s))\n", conf.spec, errors);
    conf.spec = NULL;
    return errors ? -1 : 0;
}

/* ---- the run: vms-sim, secret, vast-csi (tests/common) ---- */

int conf_mounts_under(const char *dir) { return tc_mounts_under(dir, 1); }

int conf_group_setup(void **state) {
    (void)state;
    if (!tc_run_dir_make(conf.dir, sizeof conf.dir, "conformance")) return -1;
    snprintf(conf.endpoint, sizeof conf.endpoint, "unix://%s/csi.sock", conf.dir);
    snprintf(conf.secret_dir, sizeof conf.secret_dir, "%s/secret", conf.dir);
    snprintf(conf.mount_dir, sizeof conf.mount_dir, "%s/csi-mount", conf.dir);
    snprintf(conf.staging_dir, sizeof conf.staging_dir, "%s/csi-staging", conf.dir);
    snprintf(conf.target_path, sizeof conf.target_path, "%s/target", conf.mount_dir);
    snprintf(conf.state_dir, sizeof conf.state_dir, "%s/state", conf.dir);
    char hex[20];
    random_hex(hex, 8, true);
    snprintf(conf.suffix, sizeof conf.suffix, "-%.8s-%.8s", hex, hex + 8);

    sim_options options = {.https = true, .seed = true};
    sim_start(&run.sim, &options); /* fails the group on error */
    run.sim_started = true;
    snprintf(conf.bind_root, sizeof conf.bind_root, "%s/fs", run.sim.dir);
    if (!tc_write_secret_dir(conf.secret_dir, &run.sim, "admin", "123456")) return -1;

    const char *args[16] = {"--vms-secret-dir", conf.secret_dir, "--node-id", "conformance-node"};
    size_t argc = 4;
    if (conf.config.node_bind_mounts) {
        const char *bind[] = {"--mount-mode", "bind", "--bind-root", conf.bind_root, "--state-dir", conf.state_dir};
        for (size_t i = 0; i < sizeof bind / sizeof bind[0]; i++) args[argc++] = bind[i];
    }
    tc_plugin_options plugin = {.dir = conf.dir, .endpoint = conf.endpoint, .args = args};
    if (!tc_plugin_start(&run.plugin, &plugin)) return -1;
    conf.client = run.plugin.client;
    print_message("conformance: vast-csi on %s, vms-sim on https://127.0.0.1:%d, names end in %s\n", conf.endpoint,
                  run.sim.https_port, conf.suffix);
    fflush(stdout);
    return 0;
}

int conf_group_teardown(void **state) {
    (void)state;
    int rc = 0;
    conf.client = NULL; /* the plugin's: freed with it */
    if (!tc_plugin_stop(&run.plugin)) rc = -1;
    /* a mount a failed spec left behind: detached before anything is removed */
    int left = conf.dir[0] ? tc_detach_under(conf.dir) : 0;
    if (left) print_error("conformance: detached %d mount(s) left under %s\n", left, conf.dir);
    if (run.sim_started) sim_stop(&run.sim);
    run.sim_started = false;
    tc_run_dir_finish(conf.dir, "CONFORMANCE_KEEP");
    return rc;
}

int conf_run(const char *group_name, const struct CMUnitTest *specs, size_t n) {
    if (!conf.config.test_volume_size) conf.config.test_volume_size = 10LL * 1024 * 1024 * 1024;
    if (!conf.config.test_volume_expand_size) {
        conf.config.test_volume_expand_size = conf.config.test_volume_size + 1LL * 1024 * 1024 * 1024;
    }
    if (!conf.config.test_volume_access_type) conf.config.test_volume_access_type = "mount";
    if (!conf.config.idempotent_count) conf.config.idempotent_count = 10;
    if (!conf.config.test_volume_parameters) conf.config.test_volume_parameters = default_volume_parameters;
    if (!conf.config.test_volume_mutable_parameters) {
        conf.config.test_volume_mutable_parameters = default_mutable_parameters;
    }
    grpc_init();
    int failed = _cmocka_run_group_tests(group_name, specs, n, conf_group_setup, conf_group_teardown);
    grpc_shutdown_blocking();
    return failed;
}

/* ---- a check of our own, after the sanity specs ---- */

static bool under_root(const char *path) { return path && strncmp(path, "/k8s/", 5) == 0; }

void conf_check_nothing_left(void **state) {
    (void)state;
    json_t *inventory = sim_admin(&run.sim, "GET", "/_sim/inventory", NULL);
    static const char *const collections[] = {"views", "quotas", "snapshots", "globalsnapstreams"};
    int left = 0;
    for (size_t c = 0; c < sizeof collections / sizeof collections[0]; c++) {
        size_t i;
        json_t *obj;
        json_array_foreach(json_object_get(inventory, collections[c]), i, obj) {
            const char *path = json_string_value(json_object_get(obj, "path"));
            const char *dest = json_string_value(json_object_get(obj, "loanee_root_path"));
            if (under_root(path) || under_root(dest)) {
                char *text = json_dumps(obj, JSON_COMPACT);
                print_error("left on VMS: %s %s\n", collections[c], text ? text : "?");
                free(text);
                left++;
            }
        }
    }
    json_decref(inventory);
    if (left) CONF_FAIL("%d object(s) under /k8s are still on VMS after every spec's cleanup", left);
}
