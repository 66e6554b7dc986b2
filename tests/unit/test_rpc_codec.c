/* The NUL check of vk_rpc_unpack_strict: protobuf-c turns a wire string into a C string,
 * so a NUL inside it would cut the value short ("pvc-1\0x" read as "pvc-1", another
 * volume). Found by issue 9: such a name gave the same volume as the name before the NUL. */
#include "vk/rpc_codec.h"

#include "csi.pb-c.h"

#include <grpc/grpc.h>
#include <grpc/slice.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Packs msg, replaces every '#' in the bytes with NUL (the placeholder marks where), and
 * wraps the result as a gRPC byte buffer. */
static grpc_byte_buffer *packed_with_nul(const ProtobufCMessage *msg) {
    size_t size = protobuf_c_message_get_packed_size(msg);
    uint8_t *bytes = malloc(size);
    protobuf_c_message_pack(msg, bytes);
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] == '#') bytes[i] = 0;
    }
    grpc_slice slice = grpc_slice_from_copied_buffer((const char *)bytes, size);
    free(bytes);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

static void test_nul_in_top_level_string(void **state) {
    (void)state;
    Csi__V1__CreateVolumeRequest req = CSI__V1__CREATE_VOLUME_REQUEST__INIT;
    req.name = "pvc-1#evil";
    grpc_byte_buffer *bb = packed_with_nul(&req.base);
    char why[128];
    ProtobufCMessage *msg = vk_rpc_unpack_strict(bb, &csi__v1__create_volume_request__descriptor, why, sizeof why);
    assert_null(msg);
    assert_string_equal(why, "name");
    /* the lenient unpack (replies) still reads it, cut short: what the check prevents */
    msg = vk_rpc_unpack(bb, &csi__v1__create_volume_request__descriptor);
    assert_non_null(msg);
    assert_string_equal(((Csi__V1__CreateVolumeRequest *)msg)->name, "pvc-1");
    protobuf_c_message_free_unpacked(msg, NULL);
    grpc_byte_buffer_destroy(bb);
}

static void test_nul_in_map_value_and_nested_message(void **state) {
    (void)state;
    Csi__V1__CreateVolumeRequest__ParametersEntry entry = CSI__V1__CREATE_VOLUME_REQUEST__PARAMETERS_ENTRY__INIT;
    entry.key = "root_export";
    entry.value = "/k8s#/other";
    Csi__V1__CreateVolumeRequest__ParametersEntry *entries[] = {&entry};
    Csi__V1__CreateVolumeRequest req = CSI__V1__CREATE_VOLUME_REQUEST__INIT;
    req.name = "pvc-1";
    req.n_parameters = 1;
    req.parameters = entries;
    grpc_byte_buffer *bb = packed_with_nul(&req.base);
    char why[128];
    assert_null(vk_rpc_unpack_strict(bb, &csi__v1__create_volume_request__descriptor, why, sizeof why));
    assert_string_equal(why, "parameters.value");
    grpc_byte_buffer_destroy(bb);

    /* two levels down: volume_content_source.snapshot.snapshot_id */
    Csi__V1__VolumeContentSource__SnapshotSource snap = CSI__V1__VOLUME_CONTENT_SOURCE__SNAPSHOT_SOURCE__INIT;
    snap.snapshot_id = "7#8";
    Csi__V1__VolumeContentSource source = CSI__V1__VOLUME_CONTENT_SOURCE__INIT;
    source.type_case = CSI__V1__VOLUME_CONTENT_SOURCE__TYPE_SNAPSHOT;
    source.snapshot = &snap;
    Csi__V1__CreateVolumeRequest req2 = CSI__V1__CREATE_VOLUME_REQUEST__INIT;
    req2.name = "pvc-2";
    req2.volume_content_source = &source;
    bb = packed_with_nul(&req2.base);
    assert_null(vk_rpc_unpack_strict(bb, &csi__v1__create_volume_request__descriptor, why, sizeof why));
    assert_string_equal(why, "volume_content_source.snapshot.snapshot_id");
    grpc_byte_buffer_destroy(bb);
}

static void test_clean_and_malformed_messages(void **state) {
    (void)state;
    Csi__V1__CreateVolumeRequest req = CSI__V1__CREATE_VOLUME_REQUEST__INIT;
    req.name = "pvc-1";
    req.capacity_range = &(Csi__V1__CapacityRange)CSI__V1__CAPACITY_RANGE__INIT;
    req.capacity_range->required_bytes = 1 << 30;
    grpc_byte_buffer *bb = packed_with_nul(&req.base);
    char why[128];
    ProtobufCMessage *msg = vk_rpc_unpack_strict(bb, &csi__v1__create_volume_request__descriptor, why, sizeof why);
    assert_non_null(msg);
    assert_string_equal(why, "");
    assert_int_equal(((Csi__V1__CreateVolumeRequest *)msg)->capacity_range->required_bytes, 1 << 30);
    protobuf_c_message_free_unpacked(msg, NULL);
    grpc_byte_buffer_destroy(bb);

    /* bytes that are no message: refused by protobuf-c, with no field named */
    grpc_slice junk = grpc_slice_from_static_string("\x0a\xff\xff\xff\xff\x0f");
    bb = grpc_raw_byte_buffer_create(&junk, 1);
    assert_null(vk_rpc_unpack_strict(bb, &csi__v1__create_volume_request__descriptor, why, sizeof why));
    assert_string_equal(why, "");
    grpc_byte_buffer_destroy(bb);
}

int main(void) {
    grpc_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nul_in_top_level_string),
        cmocka_unit_test(test_nul_in_map_value_and_nested_message),
        cmocka_unit_test(test_clean_and_malformed_messages),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    grpc_shutdown();
    return failed;
}
