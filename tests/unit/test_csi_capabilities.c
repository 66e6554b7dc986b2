/* Volume capabilities and mount options (csi/controller.c): mount access with any
 * known access mode, block refused with a reason, file system types that make sense
 * for NFS, read-only detection, and the NFS protocol chosen from mount options. */
#include "controller.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

typedef Csi__V1__VolumeCapability__AccessMode__Mode access_mode;

/* One capability with everything it points at. */
typedef struct {
    Csi__V1__VolumeCapability cap;
    Csi__V1__VolumeCapability__MountVolume mount;
    Csi__V1__VolumeCapability__BlockVolume block;
    Csi__V1__VolumeCapability__AccessMode mode;
} capability;

enum { MOUNT, BLOCK, NO_ACCESS_TYPE };

static Csi__V1__VolumeCapability *capability_init(capability *c, int type, access_mode mode, const char *fs_type) {
    c->cap = (Csi__V1__VolumeCapability)CSI__V1__VOLUME_CAPABILITY__INIT;
    c->mount = (Csi__V1__VolumeCapability__MountVolume)CSI__V1__VOLUME_CAPABILITY__MOUNT_VOLUME__INIT;
    c->block = (Csi__V1__VolumeCapability__BlockVolume)CSI__V1__VOLUME_CAPABILITY__BLOCK_VOLUME__INIT;
    c->mode = (Csi__V1__VolumeCapability__AccessMode)CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__INIT;
    c->mode.mode = mode;
    c->cap.access_mode = &c->mode;
    if (type == MOUNT) {
        c->cap.access_type_case = CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_MOUNT;
        c->cap.mount = &c->mount;
        if (fs_type) c->mount.fs_type = (char *)fs_type;
    } else if (type == BLOCK) {
        c->cap.access_type_case = CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_BLOCK;
        c->cap.block = &c->block;
    }
    return &c->cap;
}

static void assert_contains(const char *haystack, const char *needle) {
    if (!strstr(haystack, needle)) fail_msg("\"%s\" lacks \"%s\"", haystack, needle);
}

static const access_mode every_mode[] = {
    CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_WRITER,
    CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_READER_ONLY,
    CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_READER_ONLY,
    CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_SINGLE_WRITER,
    CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER,
    CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_SINGLE_WRITER,
    CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_MULTI_WRITER,
};
#define N_MODES (sizeof every_mode / sizeof every_mode[0])

static void test_mount_every_mode(void **state) {
    (void)state;
    capability c[N_MODES];
    Csi__V1__VolumeCapability *caps[N_MODES];
    for (size_t i = 0; i < N_MODES; i++) {
        caps[i] = capability_init(&c[i], MOUNT, every_mode[i], NULL);
        vk_status st = {0};
        if (!csi_check_capabilities(&caps[i], 1, &st)) fail_msg("mode %d refused: %s", every_mode[i], st.message);
    }
    /* all of them in one request */
    vk_status st = {0};
    assert_true(csi_check_capabilities(caps, N_MODES, &st));
    /* no capabilities at all: nothing to refuse (CreateVolume checks for none first) */
    assert_true(csi_check_capabilities(caps, 0, &st));
}

static void test_block_refused(void **state) {
    (void)state;
    capability c[2];
    Csi__V1__VolumeCapability *caps[2] = {
        capability_init(&c[0], MOUNT, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER, ""),
        capability_init(&c[1], BLOCK, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_WRITER, NULL),
    };
    vk_status st = {0};
    assert_false(csi_check_capabilities(caps, 2, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_contains(st.message, "NFS");
    assert_contains(st.message, "block");
    assert_contains(st.message, "volume_capabilities[1]"); /* which one */
}

static void test_missing_access_type(void **state) {
    (void)state;
    capability c;
    Csi__V1__VolumeCapability *cap =
        capability_init(&c, NO_ACCESS_TYPE, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_WRITER, NULL);
    vk_status st = {0};
    assert_false(csi_check_capabilities(&cap, 1, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_contains(st.message, "access_type");
    assert_contains(st.message, "volume_capabilities[0]");
}

static void test_unknown_access_mode(void **state) {
    (void)state;
    static const int bad_modes[] = {0, 8, 100, -1};
    for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
        capability c;
        Csi__V1__VolumeCapability *cap = capability_init(&c, MOUNT, (access_mode)bad_modes[i], "nfs");
        vk_status st = {0};
        if (csi_check_capabilities(&cap, 1, &st)) fail_msg("access mode %d accepted", bad_modes[i]);
        assert_int_equal(st.code, VK_INVALID_ARGUMENT);
        assert_contains(st.message, "access_mode");
    }
    /* no access_mode message at all */
    capability c;
    Csi__V1__VolumeCapability *cap =
        capability_init(&c, MOUNT, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_WRITER, NULL);
    c.cap.access_mode = NULL;
    vk_status st = {0};
    assert_false(csi_check_capabilities(&cap, 1, &st));
    assert_contains(st.message, "access_mode");
}

static void test_fs_types(void **state) {
    (void)state;
    static const char *const ok[] = {"", "nfs", "nfs4", "ext4", "xfs"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        capability c;
        Csi__V1__VolumeCapability *cap =
            capability_init(&c, MOUNT, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER, ok[i]);
        vk_status st = {0};
        if (!csi_check_capabilities(&cap, 1, &st)) fail_msg("fs_type \"%s\" refused: %s", ok[i], st.message);
    }
    static const char *const bad[] = {"btrfs", "NFS", "zfs", "nfs3x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        capability c;
        Csi__V1__VolumeCapability *cap =
            capability_init(&c, MOUNT, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER, bad[i]);
        vk_status st = {0};
        if (csi_check_capabilities(&cap, 1, &st)) fail_msg("fs_type \"%s\" accepted", bad[i]);
        assert_int_equal(st.code, VK_INVALID_ARGUMENT);
        assert_contains(st.message, bad[i]);
        assert_contains(st.message, "fs_type");
    }
    /* a NULL fs_type (hand-built message) reads as empty */
    capability c;
    Csi__V1__VolumeCapability *cap =
        capability_init(&c, MOUNT, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER, NULL);
    c.mount.fs_type = NULL;
    vk_status st = {0};
    assert_true(csi_check_capabilities(&cap, 1, &st));
}

static void test_read_only(void **state) {
    (void)state;
    capability c[3];
    Csi__V1__VolumeCapability *caps[3];
    caps[0] = capability_init(&c[0], MOUNT, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_READER_ONLY, "");
    caps[1] = capability_init(&c[1], MOUNT, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_READER_ONLY, "");
    caps[2] = capability_init(&c[2], MOUNT, CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_WRITER, "");
    assert_true(csi_capabilities_read_only(caps, 1));
    assert_true(csi_capabilities_read_only(caps + 1, 1));
    assert_true(csi_capabilities_read_only(caps, 2));
    assert_false(csi_capabilities_read_only(caps, 3)); /* one writer makes it writable */
    assert_false(csi_capabilities_read_only(caps + 2, 1));
    assert_false(csi_capabilities_read_only(caps, 0)); /* nothing asked: not read-only */
    for (size_t i = 0; i < N_MODES; i++) {
        capability one;
        Csi__V1__VolumeCapability *cap = capability_init(&one, MOUNT, every_mode[i], "");
        bool ro = every_mode[i] == CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_READER_ONLY ||
                  every_mode[i] == CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_READER_ONLY;
        assert_int_equal(csi_capabilities_read_only(&cap, 1), ro);
    }
    c[0].cap.access_mode = NULL;
    assert_false(csi_capabilities_read_only(caps, 1));
}

static void test_nfs_protocol(void **state) {
    (void)state;
    static const char *const v4[] = {
        "vers=4.1", "nfsvers=4", "hard,vers=4.2,nconnect=8", "vers=4", "vers=4.0", "proto=tcp,nfsvers=4.2",
        "hard nfsvers=4.1", "nfsvers=3,vers=4.1",
    };
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        if (strcmp(vast_nfs_protocol(v4[i]), "NFS4") != 0) fail_msg("\"%s\" is not NFS4", v4[i]);
    }
    static const char *const v3[] = {
        "vers=3", "", "xvers=4", "nfsvers=3", "hard,nconnect=8", "mountvers=4", "xnfsvers=4", "vers=3,port=2049",
        "version=4",
    };
    for (size_t i = 0; i < sizeof v3 / sizeof v3[0]; i++) {
        if (strcmp(vast_nfs_protocol(v3[i]), "NFS") != 0) fail_msg("\"%s\" is not plain NFS", v3[i]);
    }
    assert_string_equal(vast_nfs_protocol(NULL), "NFS");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mount_every_mode),
        cmocka_unit_test(test_block_refused),
        cmocka_unit_test(test_missing_access_type),
        cmocka_unit_test(test_unknown_access_mode),
        cmocka_unit_test(test_fs_types),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_nfs_protocol),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
