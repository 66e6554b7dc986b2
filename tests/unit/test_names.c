/* Names of what the driver makes on VAST (csi/names.c): formats and their errors,
 * shortening to VAST's 64-character limit without collisions, snapshot-safe names,
 * volume directory names and clone names, all deterministic so a retry finds the
 * object its first attempt made. */
#include "vk/names.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void assert_contains(const char *haystack, const char *needle) {
    if (!strstr(haystack, needle)) fail_msg("\"%s\" lacks \"%s\"", haystack, needle);
}

/* Only characters VAST and a file system take without quoting. */
static void assert_safe_chars(const char *s) {
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
        if (!ok) fail_msg("\"%s\" has unsafe character '%c'", s, c);
    }
}

static void fill(char *out, char c, size_t n) {
    memset(out, c, n);
    out[n] = '\0';
}

/* ---------- vk_name_format ---------- */

static void test_format_placeholders(void **state) {
    (void)state;
    char out[256], err[256];
    assert_true(vk_name_format("{namespace}/{name}@{id}", "data", "shop", "pvc-1", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "shop/data@pvc-1");
    assert_true(vk_name_format("{name}{name}-{id}-x", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "aa-c-x");
    assert_true(vk_name_format("literal", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "literal");
    /* a '}' without '{' is plain text */
    assert_true(vk_name_format("x}{id}", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "x}c");
}

static void test_format_defaults(void **state) {
    (void)state;
    char out[256], err[256];
    assert_true(vk_name_format(NULL, "data", "shop", "pvc-1", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "csi:shop:data:pvc-1");
    assert_true(vk_name_format("", "data", "shop", "pvc-1", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "csi:shop:data:pvc-1");
    /* half the metadata still uses the format */
    assert_true(vk_name_format(NULL, "data", NULL, "pvc-1", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "csi::data:pvc-1");
    assert_true(vk_name_format(NULL, "", "shop", "pvc-1", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "csi:shop::pvc-1");
}

static void test_format_without_metadata(void **state) {
    (void)state;
    char out[256], err[256];
    assert_true(vk_name_format(NULL, NULL, NULL, "pvc-1", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "csi-pvc-1");
    assert_true(vk_name_format("", "", "", "pvc-1", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "csi-pvc-1");
    /* the format is not used at all without metadata */
    assert_true(vk_name_format("{namespace}-{name}", NULL, NULL, "pvc-9", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "csi-pvc-9");
}

static void test_format_errors(void **state) {
    (void)state;
    char out[256], err[256];
    err[0] = '\0';
    assert_false(vk_name_format("{namespace}-{pvc}", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_contains(err, "{pvc}");
    assert_contains(err, "unknown placeholder");
    err[0] = '\0';
    assert_false(vk_name_format("x-{}", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_contains(err, "{}");
    err[0] = '\0';
    assert_false(vk_name_format("{NAME}", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_contains(err, "{NAME}");
    err[0] = '\0';
    assert_false(vk_name_format("{name}-{namespace", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_contains(err, "unclosed");
    assert_contains(err, "{name}-{namespace");
    err[0] = '\0';
    assert_false(vk_name_format("{", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_contains(err, "unclosed");
}

static void test_format_too_long(void **state) {
    (void)state;
    char out[16], err[256];
    err[0] = '\0';
    assert_false(vk_name_format("{name}", "abcdefghijklmnopqrstuvwxyz", "ns", "id", out, sizeof out, err, sizeof err));
    assert_contains(err, "longer than 15");
    err[0] = '\0';
    assert_false(vk_name_format("0123456789abcdefXYZ", "a", "b", "c", out, sizeof out, err, sizeof err));
    assert_contains(err, "longer");
    err[0] = '\0';
    assert_false(vk_name_format(NULL, NULL, NULL, "pvc-0123456789abcdef", out, sizeof out, err, sizeof err));
    assert_contains(err, "too long");
    /* exactly fitting: 15 characters and the terminator */
    assert_true(vk_name_format("{name}", "abcdefghijklmno", "ns", "id", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "abcdefghijklmno");
    assert_true(vk_name_format(NULL, NULL, NULL, "abcdefghijk", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "csi-abcdefghijk");
}

/* ---------- hashing and shortening ---------- */

/* Names on VAST are derived from this hash, so its values must never change: a new
 * value would make every retry and DeleteVolume miss the objects made before. It is
 * the published FNV-1a (64 bit); the values are pinned here. */
static void test_hash_is_stable(void **state) {
    (void)state;
    assert_true(vk_name_hash("") == 0xcbf29ce484222325ULL);
    assert_true(vk_name_hash("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(vk_name_hash("/k8s/pvc-1") == 0xd3a500c7e6216eb8ULL);
    assert_true(vk_name_hash("/k8s/pvc-1") != vk_name_hash("/k8s/pvc-2"));
}

static void test_shorten(void **state) {
    (void)state;
    char original[201], a[201], b[201];
    for (int i = 0; i < 200; i++) original[i] = (char)('a' + i % 26);
    original[200] = '\0';

    memcpy(a, original, sizeof a);
    vk_name_shorten(a, CSI_VAST_NAME_MAX);
    assert_int_equal(strlen(a), CSI_VAST_NAME_MAX);
    assert_memory_equal(a, original, CSI_VAST_NAME_MAX - 17); /* the readable start is kept */
    char tail[32];
    snprintf(tail, sizeof tail, "-%016" PRIx64, vk_name_hash(original));
    assert_string_equal(a + CSI_VAST_NAME_MAX - 17, tail); /* ends with the hash of the whole */

    /* deterministic */
    memcpy(b, original, sizeof b);
    vk_name_shorten(b, CSI_VAST_NAME_MAX);
    assert_string_equal(a, b);

    /* two long names that differ only past the cut stay different */
    memcpy(b, original, sizeof b);
    b[199] = 'Z';
    vk_name_shorten(b, CSI_VAST_NAME_MAX);
    assert_int_equal(strlen(b), CSI_VAST_NAME_MAX);
    assert_string_not_equal(a, b);

    /* short names, and names of exactly max characters, are left alone */
    char s[80] = "csi:shop:data:pvc-1";
    vk_name_shorten(s, CSI_VAST_NAME_MAX);
    assert_string_equal(s, "csi:shop:data:pvc-1");
    fill(s, 'x', CSI_VAST_NAME_MAX);
    vk_name_shorten(s, CSI_VAST_NAME_MAX);
    assert_int_equal(strlen(s), CSI_VAST_NAME_MAX);
    assert_null(strchr(s, '-'));
    fill(s, 'x', CSI_VAST_NAME_MAX + 1);
    vk_name_shorten(s, CSI_VAST_NAME_MAX);
    assert_int_equal(strlen(s), CSI_VAST_NAME_MAX);
    assert_int_equal(s[CSI_VAST_NAME_MAX - 17], '-');

    /* other limits work the same way */
    memcpy(a, original, sizeof a);
    vk_name_shorten(a, 20);
    assert_int_equal(strlen(a), 20);
    assert_memory_equal(a, original, 3);
}

static void test_snapshot_safe(void **state) {
    (void)state;
    char s[] = "csi:shop:data/pvc-1:x_y.z";
    vk_name_snapshot_safe(s);
    assert_string_equal(s, "csi-shop-data-pvc-1-x_y.z");
    char plain[] = "snap-1";
    vk_name_snapshot_safe(plain);
    assert_string_equal(plain, "snap-1");
    char empty[] = "";
    vk_name_snapshot_safe(empty);
    assert_string_equal(empty, "");
}

/* ---------- directory names ---------- */

static void test_dir_name_plain(void **state) {
    (void)state;
    char out[96];
    const char *uid = "pvc-4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f";
    vk_volume_dir_name(uid, out, sizeof out);
    assert_string_equal(out, uid);
    vk_volume_dir_name("my_vol.v2", out, sizeof out);
    assert_string_equal(out, "my_vol.v2");
    char max[65];
    fill(max, 'v', 64);
    vk_volume_dir_name(max, out, sizeof out);
    assert_string_equal(out, max);
}

static void test_dir_name_long(void **state) {
    (void)state;
    char a_name[129], b_name[129], a[96], a2[96], b[96];
    for (int i = 0; i < 128; i++) a_name[i] = (char)('a' + i % 26);
    a_name[128] = '\0';
    memcpy(b_name, a_name, sizeof b_name);
    b_name[127] = '9';

    vk_volume_dir_name(a_name, a, sizeof a);
    vk_volume_dir_name(a_name, a2, sizeof a2);
    vk_volume_dir_name(b_name, b, sizeof b);
    assert_true(strlen(a) <= 64);
    assert_true(strlen(b) <= 64);
    assert_string_equal(a, a2);
    assert_string_not_equal(a, b);
    assert_memory_equal(a, a_name, 20); /* the readable start is kept */
    assert_safe_chars(a);

    /* 65 plain characters no longer fit */
    char over[66];
    fill(over, 'v', 65);
    vk_volume_dir_name(over, a, sizeof a);
    assert_true(strlen(a) <= 64);
    assert_string_not_equal(a, over);
}

static void test_dir_name_unsafe(void **state) {
    (void)state;
    static const char *const names[] = {"a/b", "../etc", "a b:c", "x\ny", "ünï", "a/../../b", "*", "pvc-1\\x"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char out[96];
        vk_volume_dir_name(names[i], out, sizeof out);
        assert_true(out[0] != '\0');
        assert_true(strlen(out) <= 64);
        assert_safe_chars(out);
        assert_string_not_equal(out, "..");
        assert_string_not_equal(out, ".");
    }
    /* distinct unsafe names stay distinct even when they read alike */
    char x[96], y[96];
    vk_volume_dir_name("a/b", x, sizeof x);
    vk_volume_dir_name("a:b", y, sizeof y);
    assert_string_not_equal(x, y);
}

static void test_dir_name_leading_dot(void **state) {
    (void)state;
    static const char *const names[] = {".", "..", ".hidden", "...", ".snapshot"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char out[96];
        vk_volume_dir_name(names[i], out, sizeof out);
        if (out[0] == '.') fail_msg("\"%s\" became \"%s\", still a dot name", names[i], out);
        assert_true(strlen(out) <= 64);
        assert_safe_chars(out);
    }
    char out[96];
    vk_volume_dir_name("", out, sizeof out);
    assert_true(out[0] != '\0'); /* never the root export itself */
}

/* ---------- clone names ---------- */

static void test_clone_names(void **state) {
    (void)state;
    char s1[64], s2[64], t1[64], other[64];
    vk_clone_stream_name("/k8s/pvc-1", s1, sizeof s1);
    vk_clone_stream_name("/k8s/pvc-1", s2, sizeof s2);
    vk_clone_snapshot_name("/k8s/pvc-1", t1, sizeof t1);
    vk_clone_stream_name("/k8s/pvc-2", other, sizeof other);
    assert_string_equal(s1, s2);
    assert_string_not_equal(s1, t1);
    assert_string_not_equal(s1, other);
    assert_int_equal(strncmp(s1, CSI_CLONE_PREFIX, strlen(CSI_CLONE_PREFIX)), 0);
    assert_int_equal(strncmp(t1, CSI_CLONE_PREFIX, strlen(CSI_CLONE_PREFIX)), 0);
    assert_true(strlen(s1) <= CSI_VAST_NAME_MAX);
    assert_true(strlen(t1) <= CSI_VAST_NAME_MAX);
    /* snapshot names: nothing to make safe */
    assert_null(strpbrk(s1, ":/"));
    assert_null(strpbrk(t1, ":/"));
    char expected[64];
    snprintf(expected, sizeof expected, CSI_CLONE_PREFIX "%016" PRIx64, vk_name_hash("/k8s/pvc-1"));
    assert_string_equal(s1, expected);
    snprintf(expected, sizeof expected, CSI_CLONE_PREFIX "src-%016" PRIx64, vk_name_hash("/k8s/pvc-1"));
    assert_string_equal(t1, expected);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_placeholders),
        cmocka_unit_test(test_format_defaults),
        cmocka_unit_test(test_format_without_metadata),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_format_too_long),
        cmocka_unit_test(test_hash_is_stable),
        cmocka_unit_test(test_shorten),
        cmocka_unit_test(test_snapshot_safe),
        cmocka_unit_test(test_dir_name_plain),
        cmocka_unit_test(test_dir_name_long),
        cmocka_unit_test(test_dir_name_unsafe),
        cmocka_unit_test(test_dir_name_leading_dot),
        cmocka_unit_test(test_clone_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
