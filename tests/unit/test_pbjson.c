/* Unit tests of lib/pbjson.c: the proto3 JSON mapping over the generated CSI/COSI code.
 * JSON in this file is written with single quotes for readability; parse() turns them
 * into double quotes. Error messages and dumped text are compared with real quotes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosi.pb-c.h"
#include "csi.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "vk/pbjson.h"
#include "vk/redact.h"

#define CVR (&csi__v1__create_volume_request__descriptor)
#define REDACTED_JSON "'" VK_REDACTED "'"
#define REDACTED_TEXT "\"" VK_REDACTED "\""

/* ------------------------------------------------------------------ helpers */

static json_t *parse(const char *single_quoted) {
    char text[2048];
    size_t n = strlen(single_quoted);
    assert_true(n < sizeof text);
    for (size_t i = 0; i <= n; i++) text[i] = single_quoted[i] == '\'' ? '"' : single_quoted[i];
    json_error_t error;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &error);
    if (!j) fail_msg("bad JSON in test: %s: %s", error.text, text);
    return j;
}

static ProtobufCMessage *build(const ProtobufCMessageDescriptor *desc, const char *text) {
    char err[256];
    json_t *j = parse(text);
    ProtobufCMessage *msg = vk_pbjson_to_message(desc, j, err, sizeof err);
    json_decref(j);
    if (!msg) fail_msg("vk_pbjson_to_message(%s) failed: %s", text, err);
    return msg;
}

/* Serialises msg and parses the bytes back, as the RPC layer would. */
static ProtobufCMessage *over_the_wire(const ProtobufCMessage *msg) {
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(msg, buf), len);
    ProtobufCMessage *back = protobuf_c_message_unpack(msg->descriptor, NULL, len, buf);
    free(buf);
    assert_non_null(back);
    return back;
}

static void assert_json_is(const ProtobufCMessage *msg, unsigned flags, const char *expected_text) {
    json_t *expected = parse(expected_text);
    json_t *actual = vk_pbjson_from_message(msg, flags);
    assert_non_null(actual);
    if (!json_equal(expected, actual)) {
        char *text = json_dumps(actual, JSON_COMPACT | JSON_PRESERVE_ORDER);
        print_error("expected %s\n     got %s\n", expected_text, text);
        free(text);
        fail();
    }
    json_decref(actual);
    json_decref(expected);
}

/* JSON -> message -> wire -> message -> JSON must give back the input. */
static void assert_round_trip(const ProtobufCMessageDescriptor *desc, const char *text) {
    ProtobufCMessage *msg = build(desc, text);
    ProtobufCMessage *back = over_the_wire(msg);
    assert_json_is(back, 0, text);
    protobuf_c_message_free_unpacked(back, NULL);
    protobuf_c_message_free_unpacked(msg, NULL);
}

static void assert_rejected(const ProtobufCMessageDescriptor *desc, const char *text,
                            const char *expected_err) {
    char err[256] = "untouched";
    json_t *j = parse(text);
    ProtobufCMessage *msg = vk_pbjson_to_message(desc, j, err, sizeof err);
    json_decref(j);
    if (msg) protobuf_c_message_free_unpacked(msg, NULL);
    assert_null(msg);
    assert_string_equal(err, expected_err);
}

static char *dumps_of(const ProtobufCMessageDescriptor *desc, const char *text, unsigned flags) {
    ProtobufCMessage *msg = build(desc, text);
    char *out = vk_pbjson_dumps(msg, flags);
    protobuf_c_message_free_unpacked(msg, NULL);
    assert_non_null(out);
    return out;
}

/* -------------------------------------------------------------------- tests */

static const char full_create_volume[] =
    "{'name': 'pvc-1',"
    " 'capacity_range': {'required_bytes': 10737418240, 'limit_bytes': 21474836480},"
    " 'volume_capabilities': ["
    "   {'mount': {'fs_type': 'nfs', 'mount_flags': ['vers=3', 'nolock']},"
    "    'access_mode': {'mode': 'MULTI_NODE_MULTI_WRITER'}},"
    "   {'block': {}, 'access_mode': {'mode': 'SINGLE_NODE_WRITER'}}],"
    " 'parameters': {'vip_pool': 'main', 'root_export': '/k8s'},"
    " 'secrets': {'username': 'admin', 'password': 'hunter2'},"
    " 'volume_content_source': {'snapshot': {'snapshot_id': 'snap-7'}},"
    " 'accessibility_requirements': {"
    "   'requisite': [{'segments': {'zone': 'a'}}],"
    "   'preferred': [{'segments': {'zone': 'a', 'rack': 'r1'}}]},"
    " 'mutable_parameters': {'qos': 'gold'}}";

static void create_volume_request_round_trips(void **state) {
    (void)state;
    assert_round_trip(CVR, full_create_volume);

    Csi__V1__CreateVolumeRequest *req =
        (Csi__V1__CreateVolumeRequest *)build(CVR, full_create_volume);
    assert_string_equal(req->name, "pvc-1");
    assert_int_equal(req->capacity_range->limit_bytes, 21474836480LL);
    assert_int_equal(req->n_volume_capabilities, 2);
    Csi__V1__VolumeCapability *mount = req->volume_capabilities[0];
    assert_int_equal(mount->access_type_case, CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_MOUNT);
    assert_int_equal(mount->mount->n_mount_flags, 2);
    assert_string_equal(mount->mount->mount_flags[1], "nolock");
    assert_int_equal(req->volume_capabilities[1]->access_type_case,
                     CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_BLOCK);
    assert_int_equal(req->n_parameters, 2);
    assert_string_equal(req->parameters[1]->key, "root_export");
    assert_string_equal(req->parameters[1]->value, "/k8s");
    assert_int_equal(req->volume_content_source->type_case,
                     CSI__V1__VOLUME_CONTENT_SOURCE__TYPE_SNAPSHOT);
    assert_string_equal(req->volume_content_source->snapshot->snapshot_id, "snap-7");
    assert_int_equal(req->accessibility_requirements->preferred[0]->n_segments, 2);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void output_follows_descriptor_order_compactly(void **state) {
    (void)state;
    char *text = dumps_of(&csi__v1__capacity_range__descriptor,
                          "{'limit_bytes': 2, 'required_bytes': '1'}", 0);
    assert_string_equal(text, "{\"required_bytes\":1,\"limit_bytes\":2}");
    free(text);
}

static const char publish_with_secrets[] =
    "{'volume_id': 'v1', 'target_path': '/mnt/t',"
    " 'volume_capability': {'mount': {}, 'access_mode': {'mode': 1}},"
    " 'secrets': {'username': 'admin-user', 'password': 'hunter2'},"
    " 'volume_context': {'token': 'tok-123', 'export': '/k8s'}}";

static void redaction_hides_sensitive_fields_and_map_entries(void **state) {
    (void)state;
    char *text = dumps_of(&csi__v1__node_publish_volume_request__descriptor, publish_with_secrets,
                          VK_PBJSON_REDACT);
    assert_null(strstr(text, "hunter2"));
    assert_null(strstr(text, "admin-user"));
    assert_null(strstr(text, "tok-123"));
    assert_non_null(strstr(text, "\"secrets\":" REDACTED_TEXT));
    assert_non_null(strstr(text, "\"token\":" REDACTED_TEXT));
    assert_non_null(strstr(text, "/k8s"));
    free(text);

    ProtobufCMessage *req =
        build(CVR, "{'name': 'n', 'parameters': {'password': 'pw-1', 'pool': 'p'}}");
    assert_json_is(req, VK_PBJSON_REDACT,
                   "{'name': 'n', 'parameters': {'password': " REDACTED_JSON ", 'pool': 'p'}}");
    protobuf_c_message_free_unpacked(req, NULL);
}

static void redaction_applies_at_every_depth(void **state) {
    (void)state;
    ProtobufCMessage *resp = build(&csi__v1__validate_volume_capabilities_response__descriptor,
                                   "{'confirmed': {'parameters': {'db_password': 'deep-pw'},"
                                   " 'volume_context': {'api_key': 'k-9', 'zone': 'z'}}}");
    assert_json_is(resp, VK_PBJSON_REDACT,
                   "{'confirmed': {'parameters': {'db_password': " REDACTED_JSON "},"
                   " 'volume_context': {'api_key': " REDACTED_JSON ", 'zone': 'z'}}}");
    protobuf_c_message_free_unpacked(resp, NULL);

    char *text = dumps_of(&cosi__v1alpha1__driver_grant_bucket_access_response__descriptor,
                          "{'account_id': 'acct', 'credentials': {'s3': {'secrets':"
                          " {'accessKeyID': 'AKIA-X', 'accessSecretKey': 'S3-SECRET'}}}}",
                          VK_PBJSON_REDACT);
    assert_string_equal(text, "{\"account_id\":\"acct\",\"credentials\":" REDACTED_TEXT "}");
    free(text);
}

static void without_redact_flag_values_are_present(void **state) {
    (void)state;
    char *text =
        dumps_of(&csi__v1__node_publish_volume_request__descriptor, publish_with_secrets, 0);
    assert_non_null(strstr(text, "\"password\":\"hunter2\""));
    assert_non_null(strstr(text, "\"token\":\"tok-123\""));
    assert_null(strstr(text, VK_REDACTED));
    free(text);
}

static void wrappers_map_to_plain_values(void **state) {
    (void)state;
    const ProtobufCMessageDescriptor *probe_desc = &csi__v1__probe_response__descriptor;
    Csi__V1__ProbeResponse *probe = (Csi__V1__ProbeResponse *)build(probe_desc, "{'ready': true}");
    assert_non_null(probe->ready);
    assert_true(probe->ready->value);
    assert_json_is(&probe->base, 0, "{'ready': true}");
    protobuf_c_message_free_unpacked(&probe->base, NULL);

    /* false is a set wrapper, distinct from an unset one */
    probe = (Csi__V1__ProbeResponse *)build(probe_desc, "{'ready': false}");
    assert_non_null(probe->ready);
    assert_false(probe->ready->value);
    assert_json_is(&probe->base, 0, "{'ready': false}");
    protobuf_c_message_free_unpacked(&probe->base, NULL);

    probe = (Csi__V1__ProbeResponse *)build(probe_desc, "{'ready': null}");
    assert_null(probe->ready);
    assert_json_is(&probe->base, 0, "{}");
    protobuf_c_message_free_unpacked(&probe->base, NULL);

    assert_round_trip(&csi__v1__get_capacity_response__descriptor,
                      "{'available_capacity': 5, 'maximum_volume_size': 1099511627776}");
}

static void enums_by_name_and_number(void **state) {
    (void)state;
    const ProtobufCMessageDescriptor *mode = &csi__v1__volume_capability__access_mode__descriptor;
    Csi__V1__VolumeCapability__AccessMode *m =
        (Csi__V1__VolumeCapability__AccessMode *)build(mode, "{'mode': 'SINGLE_NODE_WRITER'}");
    assert_int_equal(m->mode, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_WRITER);
    protobuf_c_message_free_unpacked(&m->base, NULL);

    m = (Csi__V1__VolumeCapability__AccessMode *)build(mode, "{'mode': 5}");
    assert_int_equal(m->mode,
                     CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER);
    assert_json_is(&m->base, 0, "{'mode': 'MULTI_NODE_MULTI_WRITER'}");
    protobuf_c_message_free_unpacked(&m->base, NULL);

    /* proto3 enums are open: an unknown number survives as a number */
    assert_round_trip(mode, "{'mode': 99}");
    assert_round_trip(&cosi__v1alpha1__driver_grant_bucket_access_request__descriptor,
                      "{'bucket_id': 'b', 'authentication_type': 'IAM'}");
}

static void timestamps_are_rfc3339(void **state) {
    (void)state;
    const ProtobufCMessageDescriptor *snap = &csi__v1__snapshot__descriptor;
    Csi__V1__Snapshot *s = (Csi__V1__Snapshot *)build(
        snap, "{'snapshot_id': 's1', 'creation_time': '2026-11-21T10:00:00Z'}");
    assert_int_equal(s->creation_time->seconds, 1795255200);
    assert_int_equal(s->creation_time->nanos, 0);
    protobuf_c_message_free_unpacked(&s->base, NULL);

    s = (Csi__V1__Snapshot *)build(snap, "{'creation_time': '2026-11-21T12:00:00.5+02:00'}");
    assert_int_equal(s->creation_time->seconds, 1795255200);
    assert_int_equal(s->creation_time->nanos, 500000000);
    assert_json_is(&s->base, 0, "{'creation_time': '2026-11-21T10:00:00.500Z'}");
    protobuf_c_message_free_unpacked(&s->base, NULL);

    assert_round_trip(snap, "{'size_bytes': 1, 'snapshot_id': 's1', 'source_volume_id': 'v1',"
                            " 'creation_time': '2026-11-21T10:00:00Z', 'ready_to_use': true}");
    assert_round_trip(snap, "{'creation_time': '1969-12-31T23:59:59.000001Z'}");
    assert_round_trip(snap, "{'creation_time': '2026-11-21T10:00:00.123456789Z'}");

    assert_rejected(snap, "{'creation_time': '2026-02-30T00:00:00Z'}",
                    "creation_time: invalid RFC 3339 timestamp \"2026-02-30T00:00:00Z\"");
    assert_rejected(snap, "{'creation_time': '2026-11-21T10:00:00'}",
                    "creation_time: invalid RFC 3339 timestamp \"2026-11-21T10:00:00\"");
    assert_rejected(snap, "{'creation_time': '2026-11-21T10:00:00.Z'}",
                    "creation_time: invalid RFC 3339 timestamp \"2026-11-21T10:00:00.Z\"");
    assert_rejected(snap, "{'creation_time': 1795255200}",
                    "creation_time: expected an RFC 3339 timestamp string, got integer");
}

static void bytes_are_base64(void **state) {
    (void)state;
    const ProtobufCMessageDescriptor *bv = &google__protobuf__bytes_value__descriptor;
    Google__Protobuf__BytesValue *b =
        (Google__Protobuf__BytesValue *)build(bv, "{'value': 'aGVsbG8gd29ybGQ='}");
    assert_int_equal(b->value.len, 11);
    assert_memory_equal(b->value.data, "hello world", 11);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    assert_round_trip(bv, "{'value': 'aGVsbG8gd29ybGQ='}");

    struct { const char *raw; size_t len; const char *b64; } cases[] = {
        {"\x00\xff\x10", 3, "AP8Q"}, {"a", 1, "YQ=="}, {"ab", 2, "YWI="},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Google__Protobuf__BytesValue hand = GOOGLE__PROTOBUF__BYTES_VALUE__INIT;
        hand.value = (ProtobufCBinaryData){cases[i].len, (uint8_t *)cases[i].raw};
        char expected[64];
        snprintf(expected, sizeof expected, "{\"value\":\"%s\"}", cases[i].b64);
        char *text = vk_pbjson_dumps(&hand.base, 0);
        assert_string_equal(text, expected);
        free(text);
    }

    /* unpadded and URL-safe input is accepted */
    b = (Google__Protobuf__BytesValue *)build(bv, "{'value': '-_8'}");
    assert_int_equal(b->value.len, 2);
    assert_memory_equal(b->value.data, "\xfb\xff", 2);
    protobuf_c_message_free_unpacked(&b->base, NULL);

    assert_rejected(bv, "{'value': 'abcde'}", "value: invalid base64");
    assert_rejected(bv, "{'value': 'ab$d'}", "value: invalid base64");
    assert_rejected(bv, "{'value': 'ab=d'}", "value: invalid base64");
}

static void integers_floats_and_strings(void **state) {
    (void)state;
    Google__Protobuf__UInt64Value *u = (Google__Protobuf__UInt64Value *)build(
        &google__protobuf__uint64_value__descriptor, "{'value': '18446744073709551615'}");
    assert_true(u->value == UINT64_MAX);
    /* above INT64_MAX a JSON integer cannot hold it: emitted as a string */
    assert_json_is(&u->base, 0, "{'value': '18446744073709551615'}");
    protobuf_c_message_free_unpacked(&u->base, NULL);

    Google__Protobuf__DoubleValue *d = (Google__Protobuf__DoubleValue *)build(
        &google__protobuf__double_value__descriptor, "{'value': 'NaN'}");
    assert_true(isnan(d->value));
    assert_json_is(&d->base, 0, "{'value': 'NaN'}");
    protobuf_c_message_free_unpacked(&d->base, NULL);
    assert_round_trip(&google__protobuf__double_value__descriptor, "{'value': 1.5}");
    assert_rejected(&google__protobuf__float_value__descriptor, "{'value': 1e39}",
                    "value: out of range");

    /* hand-built messages may leave strings NULL (read as ""); invalid UTF-8 is masked */
    Csi__V1__GetPluginInfoResponse info = CSI__V1__GET_PLUGIN_INFO_RESPONSE__INIT;
    info.name = NULL;
    info.vendor_version = "1.0\xff";
    assert_json_is(&info.base, VK_PBJSON_EMIT_DEFAULTS,
                   "{'name': '', 'vendor_version': '1.0?', 'manifest': {}}");
}

static void emit_defaults_prints_zero_values(void **state) {
    (void)state;
    Csi__V1__CapacityRange range = CSI__V1__CAPACITY_RANGE__INIT;
    assert_json_is(&range.base, 0, "{}");
    assert_json_is(&range.base, VK_PBJSON_EMIT_DEFAULTS, "{'required_bytes': 0, 'limit_bytes': 0}");

    /* unset messages (capacity_range) and oneofs stay absent */
    Csi__V1__CreateVolumeRequest req = CSI__V1__CREATE_VOLUME_REQUEST__INIT;
    assert_json_is(&req.base, VK_PBJSON_EMIT_DEFAULTS,
                   "{'name': '', 'volume_capabilities': [], 'parameters': {},"
                   " 'secrets': {}, 'mutable_parameters': {}}");
    assert_json_is(&req.base, VK_PBJSON_EMIT_DEFAULTS | VK_PBJSON_REDACT,
                   "{'name': '', 'volume_capabilities': [], 'parameters': {},"
                   " 'secrets': " REDACTED_JSON ", 'mutable_parameters': {}}");

    Csi__V1__VolumeCapability__AccessMode mode = CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__INIT;
    assert_json_is(&mode.base, VK_PBJSON_EMIT_DEFAULTS, "{'mode': 'UNKNOWN'}");
}

static void errors_name_the_field_path(void **state) {
    (void)state;
    /* each case allocates something before failing, so leaks would show under valgrind */
    assert_rejected(CVR, "{'name': 'x', 'parameters': {'a': 'b'}, 'bogus': 1}",
                    "bogus: unknown field");
    assert_rejected(CVR, "{'volume_capabilities': [{'access_mode': {'mode': 1}}, {'bogus': 1}]}",
                    "volume_capabilities[1].bogus: unknown field");
    assert_rejected(CVR, "{'name': 5}", "name: expected a string, got integer");
    assert_rejected(CVR, "{'volume_capabilities': [{'mount': {}, 'access_mode': {'mode': 'X'}}]}",
                    "volume_capabilities[0].access_mode.mode: unknown enum value \"X\"");
    assert_rejected(CVR, "{'volume_capabilities': [{'access_mode': {'mode': true}}]}",
                    "volume_capabilities[0].access_mode.mode: "
                    "expected an enum name or number, got true");
    assert_rejected(CVR, "{'capacity_range': {'required_bytes': '12x'}}",
                    "capacity_range.required_bytes: not an integer: \"12x\"");
    assert_rejected(CVR, "{'capacity_range': {'limit_bytes': 1.5}}",
                    "capacity_range.limit_bytes: expected an integer, got real");
    assert_rejected(CVR, "{'capacity_range': []}",
                    "capacity_range: expected an object, got array");
    assert_rejected(CVR, "{'volume_capabilities': {}}",
                    "volume_capabilities: expected an array, got object");
    assert_rejected(CVR, "{'parameters': {'ok': '1', 'a': 1}}",
                    "parameters[\"a\"]: expected a string, got integer");
    assert_rejected(CVR, "{'volume_content_source': {'snapshot': {'snapshot_id': 's'},"
                         " 'volume': {'volume_id': 'v'}}}",
                    "volume_content_source.volume: "
                    "another member of the same oneof is already set");
    assert_rejected(CVR, "{'accessibility_requirements': {'requisite': [{'segments': {'z': 'a'}},"
                         " {'segments': {'z': null}}]}}",
                    "accessibility_requirements.requisite[1].segments[\"z\"]: "
                    "expected a string, got null");
    assert_rejected(CVR, "[]", "expected an object, got array");
    assert_rejected(&csi__v1__list_volumes_request__descriptor, "{'max_entries': 4294967296}",
                    "max_entries: out of range: 4294967296");
    assert_rejected(&google__protobuf__uint64_value__descriptor, "{'value': -1}",
                    "value: out of range: -1");
    assert_rejected(&csi__v1__probe_response__descriptor, "{'ready': 'yes'}",
                    "ready: expected true or false, got string");
    assert_rejected(&csi__v1__controller_publish_volume_request__descriptor, "{'readonly': 1}",
                    "readonly: expected true or false, got integer");

    /* a short buffer truncates the message; a zero-sized one is left alone */
    char small[8];
    json_t *j = parse("{'bogus': 1}");
    assert_null(vk_pbjson_to_message(CVR, j, small, sizeof small));
    assert_string_equal(small, "bogus: ");
    assert_null(vk_pbjson_to_message(CVR, j, NULL, 0));
    json_decref(j);
}

static void null_fields_are_unset(void **state) {
    (void)state;
    Csi__V1__CreateVolumeRequest *req = (Csi__V1__CreateVolumeRequest *)build(
        CVR, "{'name': null, 'capacity_range': null, 'parameters': null,"
             " 'volume_capabilities': null}");
    assert_string_equal(req->name, "");
    assert_null(req->capacity_range);
    assert_int_equal(req->n_parameters, 0);
    assert_int_equal(req->n_volume_capabilities, 0);
    protobuf_c_message_free_unpacked(&req->base, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_volume_request_round_trips),
        cmocka_unit_test(output_follows_descriptor_order_compactly),
        cmocka_unit_test(redaction_hides_sensitive_fields_and_map_entries),
        cmocka_unit_test(redaction_applies_at_every_depth),
        cmocka_unit_test(without_redact_flag_values_are_present),
        cmocka_unit_test(wrappers_map_to_plain_values),
        cmocka_unit_test(enums_by_name_and_number),
        cmocka_unit_test(timestamps_are_rfc3339),
        cmocka_unit_test(bytes_are_base64),
        cmocka_unit_test(integers_floats_and_strings),
        cmocka_unit_test(emit_defaults_prints_zero_values),
        cmocka_unit_test(errors_name_the_field_path),
        cmocka_unit_test(null_fields_are_unset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
