/* The hostile-input suite's harness: see harness.h. */
#include "harness.h"

#include "../../common/csi_call.h"
#include "../../common/plugin.h"
#include "../../common/run.h"
#include "../../common/strings.h"
#include "vk/rpc_client.h"

#include <grpc/grpc.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

enum {
    CALL_TIMEOUT_MS = 30000, /* bounds a hung call; the calls here take milliseconds */
};

safety_run safety;
int safety_failures;

static struct {
    tc_plugin plugin;
    bool sim_started;
    tc_strings strings;
} run;

/* ---- small things ---- */

const char *safety_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *s = tc_strings_vfmt(&run.strings, fmt, ap);
    va_end(ap);
    return s;
}

const char *safety_id_path(const char *id) {
    if (strncmp(id, "vk1:", 4) != 0) return NULL;
    const char *p = id + 4;
    for (int colons = 0; colons < 2; colons++) {
        p = strchr(p, ':');
        if (!p) return NULL;
        p++;
    }
    return p;
}

/* ---- expectations ---- */

void safety_failf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) abort();
    va_end(ap);
    print_error("FAIL: %s\n", text);
    free(text);
    safety_failures++;
}

bool safety_expect(const char *what, vk_code got, const vk_status *st, vk_code want,
                   const char *needle) {
    if (strstr(st->message, safety.password)) {
        safety_failf("%s: the message holds the VMS password (%s)", what, vk_status_name(got));
        return false;
    }
    if (got != want) {
        safety_failf("%s: expected %s, got %s: \"%s\"", what, vk_status_name(want), vk_status_name(got),
                     st->message);
        return false;
    }
    if (want != VK_OK && needle && !strstr(st->message, needle)) {
        safety_failf("%s: %s as expected, but the message does not name \"%s\": \"%s\"", what, vk_status_name(got),
                     needle, st->message);
        return false;
    }
    return true;
}

/* The first line of text holding a sanitizer's report (or NULL). */
static const char *sanitizer_report(const char *text) {
    static const char *const marks[] = {"Sanitizer", "runtime error:"};
    for (size_t i = 0; i < 2; i++) {
        const char *at = strstr(text, marks[i]);
        if (at) return at;
    }
    return NULL;
}

void safety_expect_clean_log(void) {
    const char *log = run.plugin.log;
    char *text = sim_read_file(log);
    if (!text) {
        safety_failf("cannot read %s", log);
        return;
    }
    if (strstr(text, safety.password)) safety_failf("%s holds the VMS password", log);
    const char *report = sanitizer_report(text);
    if (report) safety_failf("%s holds a sanitizer report: %.300s", log, report);
    free(text);
}

void safety_expect_log_lacks(const char *msg, const char *subject) {
    const char *log = run.plugin.log;
    char *text = sim_read_file(log);
    if (!text) {
        safety_failf("cannot read %s", log);
        return;
    }
    const char *quoted = safety_fmt("msg=\"%s\"", msg);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, quoted) && strstr(line, subject)) safety_failf("%s says what did not happen: %s", log, line);
    }
    free(text);
}

void safety_end_case(void) {
    int n = safety_failures;
    safety_failures = 0;
    if (n) fail_msg("%d expectation(s) failed (listed above)", n);
}

/* ---- requests ---- */

json_t *safety_secrets(void) {
    json_t *s = json_loads(safety.secret_json, 0, NULL);
    if (!s) abort();
    return s;
}

json_t *safety_multi_cluster_secrets(const char *name) {
    json_t *one = safety_secrets();
    /* YAML: name -> {key: value}; the PEM as a literal block, indented */
    char *yaml = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&yaml, &len);
    if (!out) abort();
    fprintf(out, "%s:\n", name);
    const char *key;
    json_t *value;
    json_object_foreach(one, key, value) {
        const char *text = json_string_value(value);
        if (strcmp(key, "ssl_cert") != 0) {
            fprintf(out, "  %s: \"%s\"\n", key, text);
            continue;
        }
        fprintf(out, "  %s: |\n", key);
        for (const char *line = text; *line;) {
            const char *end = strchr(line, '\n');
            size_t n = end ? (size_t)(end - line) : strlen(line);
            if (n) fprintf(out, "    %.*s\n", (int)n, line);
            line += n + (end ? 1 : 0);
        }
    }
    fclose(out);
    json_decref(one);
    json_t *multi = json_pack("{s:s}", "clusters", yaml);
    free(yaml);
    return multi;
}

json_t *safety_capability(void) {
    return json_pack("{s:{s:s}, s:{}}", "access_mode", "mode", "MULTI_NODE_MULTI_WRITER", "mount");
}

json_t *safety_create_volume_req(const char *name) {
    return json_pack("{s:s, s:{s:I}, s:[o], s:{s:s, s:s, s:s}, s:o}", "name", name, "capacity_range",
                     "required_bytes", (json_int_t)1 << 30, "volume_capabilities", safety_capability(),
                     "parameters", "root_export", SAFETY_ROOT, "view_policy", SAFETY_VIEW_POLICY, "vip_pool_name",
                     SAFETY_VIP_POOL, "secrets", safety_secrets());
}

/* ---- calls ---- */

static void put_varint(uint8_t *buf, size_t *at, uint64_t v) {
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        buf[(*at)++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
}

uint8_t *safety_field_bytes(uint32_t number, const uint8_t *bytes, size_t bytes_len, size_t *len) {
    uint8_t *buf = malloc(bytes_len + 16);
    if (!buf) abort();
    size_t at = 0;
    put_varint(buf, &at, ((uint64_t)number << 3) | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
    put_varint(buf, &at, bytes_len);
    memcpy(buf + at, bytes, bytes_len);
    *len = at + bytes_len;
    return buf;
}

uint8_t *safety_map_entry(const char *key, const uint8_t *value, size_t value_len, size_t *len) {
    size_t key_len, val_len;
    uint8_t *k = safety_field_bytes(1, (const uint8_t *)key, strlen(key), &key_len);
    uint8_t *v = safety_field_bytes(2, value, value_len, &val_len);
    uint8_t *buf = malloc(key_len + val_len);
    if (!buf) abort();
    memcpy(buf, k, key_len);
    memcpy(buf + key_len, v, val_len);
    free(k);
    free(v);
    *len = key_len + val_len;
    return buf;
}

/* The hand-built bytes must be a valid message that protobuf-c decodes as meant, a
 * string field cut at its NUL (what a driver reading it as C text sees): otherwise a
 * refusal would prove nothing. */
static void check_raw_decodes(const ProtobufCMessage *req, const safety_raw_field *raw, size_t n_raw) {
    size_t size = protobuf_c_message_get_packed_size(req);
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes) abort();
    protobuf_c_message_pack(req, bytes);
    ProtobufCMessage *back = protobuf_c_message_unpack(req->descriptor, NULL, size, bytes);
    free(bytes);
    if (!back) fail_msg("the hand-built %s does not decode: the raw fields are malformed", req->descriptor->name);
    for (size_t i = 0; i < n_raw; i++) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(req->descriptor, raw[i].number);
        if (!f) fail_msg("%s has no field %u", req->descriptor->name, raw[i].number);
        if (f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED) continue;
        const char *decoded = *(const char *const *)((const char *)back + f->offset);
        size_t cut = strnlen((const char *)raw[i].bytes, raw[i].len);
        if (!decoded || strlen(decoded) != cut || memcmp(decoded, raw[i].bytes, cut) != 0) {
            fail_msg("%s.%s does not decode as the raw bytes before their NUL", req->descriptor->name, f->name);
        }
    }
    protobuf_c_message_free_unpacked(back, NULL);
}

vk_code safety_call_raw(const char *method, json_t *request, const safety_raw_field *raw, size_t n_raw,
                                 ProtobufCMessage **response, vk_status *st) {
    if (response) *response = NULL;
    const ProtobufCServiceDescriptor *service = &csi__v1__controller__descriptor;
    const ProtobufCMethodDescriptor *m = tc_csi_method(service, method);
    ProtobufCMessage *req = tc_csi_request(m, request);
    /* protobuf-c packs unknown fields after the known ones, byte for byte (the data of a
     * length-delimited one starts with its length); the server, which knows the number,
     * decodes them as that field */
    if (n_raw) {
        req->unknown_fields = calloc(n_raw, sizeof *req->unknown_fields);
        if (!req->unknown_fields) abort();
        for (size_t i = 0; i < n_raw; i++) {
            ProtobufCMessageUnknownField *u = &req->unknown_fields[i];
            u->tag = raw[i].number;
            u->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
            u->data = malloc(raw[i].len + 10);
            if (!u->data) abort();
            size_t at = 0;
            put_varint(u->data, &at, raw[i].len);
            memcpy(u->data + at, raw[i].bytes, raw[i].len);
            u->len = at + raw[i].len;
        }
        req->n_unknown_fields = (unsigned)n_raw;
        check_raw_decodes(req, raw, n_raw);
    }
    return tc_csi_send(run.plugin.client, service, m, req, CALL_TIMEOUT_MS, response, st);
}

vk_code safety_call(const char *method, json_t *request, ProtobufCMessage **response, vk_status *st) {
    return safety_call_raw(method, request, NULL, 0, response, st);
}

/* ---- the run (tests/common) ---- */

int safety_start(void **state) {
    (void)state;
    if (!tc_run_dir_make(safety.dir, sizeof safety.dir, "safety")) return -1;
    const char *endpoint = safety_fmt("unix://%s/csi.sock", safety.dir);
    const char *secret_dir = safety_fmt("%s/secret", safety.dir);

    unsigned char random[16];
    if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random) {
        print_error("getrandom: %s\n", strerror(errno));
        return -1;
    }
    memcpy(safety.password, "pw-", 4);
    for (size_t i = 0; i < sizeof random; i++) sprintf(safety.password + 3 + 2 * i, "%02x", random[i]);
    /* admin (the administrator's calls, the simulator's default) and the driver's user */
    const char *user = safety_fmt("csi-safety:%s", safety.password);
    const char *const users[] = {"--user", "admin:123456", "--user", user, NULL};
    sim_options options = {.http = true, .https = true, .seed = true, .extra_args = users};
    sim_start(&safety.sim, &options); /* fails the group on error */
    run.sim_started = true;
    snprintf(safety.fs, sizeof safety.fs, "%s/fs", safety.sim.dir);
    snprintf(safety.sim_endpoint, sizeof safety.sim_endpoint, "127.0.0.1:%d", safety.sim.https_port);
    if (!tc_write_secret_dir(secret_dir, &safety.sim, "csi-safety", safety.password)) return -1;

    /* the same secret as a request's map, as the CO's external-provisioner sends it */
    char *cert = sim_read_file(safety.sim.ca_file);
    json_t *secrets = json_pack("{s:s, s:s, s:s, s:s}", "endpoint", safety.sim_endpoint, "username", "csi-safety",
                                "password", safety.password, "ssl_cert", cert ? cert : "");
    char *text = json_dumps(secrets, JSON_COMPACT);
    bool ok = cert && text && strlen(text) < sizeof safety.secret_json;
    if (ok) snprintf(safety.secret_json, sizeof safety.secret_json, "%s", text);
    free(text);
    free(cert);
    json_decref(secrets);
    if (!ok) {
        print_error("cannot make the request secrets from %s\n", safety.sim.ca_file);
        return -1;
    }

    grpc_init();
    /* --root-exports through its variable, which a driver from before the flag ignores
     * (its root was /k8s too), so the suite also runs against older builds (which then
     * fail only the tenant-root positive control) */
    const char *const args[] = {"--mode", "controller", "--vms-secret-dir", secret_dir, NULL};
    const char *const env[] = {"X_CSI_ROOT_EXPORTS=" SAFETY_ROOT "," SAFETY_TENANTS "/*", NULL};
    tc_plugin_options plugin = {.dir = safety.dir, .endpoint = endpoint, .args = args, .env = env};
    if (!tc_plugin_start(&run.plugin, &plugin)) return -1;
    print_message("safety: vast-csi on %s, vms-sim on https://%s (admin API %s)\n", endpoint, safety.sim_endpoint,
                  safety.sim.http_url);
    fflush(stdout);
    return 0;
}

int safety_stop(void **state) {
    (void)state;
    int rc = 0;
    if (!tc_plugin_stop(&run.plugin)) rc = -1;
    /* a leak is reported when the driver exits */
    char *text = sim_read_file(run.plugin.log);
    const char *report = text ? sanitizer_report(text) : NULL;
    if (report) {
        print_error("vast-csi.log holds a sanitizer report: %.2000s\n", report);
        rc = -1;
    }
    free(text);
    grpc_shutdown_blocking();
    if (run.sim_started) sim_stop(&safety.sim);
    run.sim_started = false;
    tc_run_dir_finish(safety.dir, "SAFETY_KEEP");
    tc_strings_free(&run.strings);
    return rc;
}
