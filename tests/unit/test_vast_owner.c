/* The ownership rules (vk/vast_owner.h): what makes a VAST object this driver's. Each
 * case is a forgery issue 9 found answering OK, or the positive control beside it. */
#include "vk/vast_owner.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const char *const UUID = "4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f";

static vast_roots roots_of(const char *csv) {
    vast_roots r;
    char err[128];
    if (!vast_roots_parse(csv, &r, err, sizeof err)) fail_msg("roots %s: %s", csv, err);
    return r;
}

static void test_normalize(void **state) {
    (void)state;
    char out[64];
    static const char *const pairs[][2] = {
        {"/k8s/", "/k8s"}, {"/k8s", "/k8s"}, {"//k8s//a/", "/k8s/a"}, {"/", "/"}, {"///", "/"}, {"/a..b/.c", "/a..b/.c"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        assert_true(vast_path_normalize(pairs[i][0], out, sizeof out));
        assert_string_equal(out, pairs[i][1]);
    }
    static const char *const refused[] = {"k8s", "", "/k8s/..", "/k8s/./a", "/../k8s", "/k8s/.."};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (vast_path_normalize(refused[i], out, sizeof out)) fail_msg("\"%s\" normalized", refused[i]);
    }
    assert_false(vast_path_normalize("/a-rather-long-path-that-does-not-fit", out, 8));
    assert_true(vast_path_is_canonical("/k8s/pvc-1"));
    assert_false(vast_path_is_canonical("/k8s/pvc-1/"));
    assert_false(vast_path_is_canonical("/k8s//pvc-1"));
}

static void test_roots(void **state) {
    (void)state;
    vast_roots r = roots_of(" /k8s/ , /data//csi,/k8s");
    assert_int_equal(r.n, 2);
    assert_string_equal(r.paths[0], "/k8s");
    assert_string_equal(r.paths[1], "/data/csi");
    assert_non_null(vast_roots_find(&r, "/data/csi"));
    assert_null(vast_roots_find(&r, "/data"));
    char err[128];
    vast_roots bad;
    assert_false(vast_roots_parse("", &bad, err, sizeof err));
    assert_false(vast_roots_parse("k8s", &bad, err, sizeof err));
    assert_false(vast_roots_parse("/k8s,/a/../b", &bad, err, sizeof err));
}

static void test_classify(void **state) {
    (void)state;
    vast_roots r = roots_of("/k8s,/data/csi");
    assert_int_equal(vast_path_classify(&r, "/k8s/pvc-1"), VAST_PATH_VOLUME);
    assert_int_equal(vast_path_classify(&r, "/data/csi/pvc-1"), VAST_PATH_VOLUME);
    assert_int_equal(vast_path_classify(&r, "/k8s/pvc-1/.snapshot/snap~0123456789ab"), VAST_PATH_SNAPSHOT_VIEW);
    static const char *const foreign[] = {
        "/data/team",         /* outside every root */
        "/k8s",               /* a root itself: the parent of volumes */
        "/k8s/a/b",           /* deeper than a volume */
        "/data/csi/x/y",
        "/k8s/.hidden",       /* not a name the driver gives */
        "/k8s/a:b",
        "/k8s/pvc-1/",        /* not canonical */
        "/k8s//pvc-1",
        "/k8s/../data/team",
        "/k8s/pvc-1/.snapshot",
        "/k8s/pvc-1/.snapshot/a/b",
        "/",
        "/data/pvc-1",        /* the parent of a root is no root */
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        if (vast_path_classify(&r, foreign[i]) != VAST_PATH_FOREIGN) fail_msg("\"%s\" classified ours", foreign[i]);
    }
    vast_roots slash = roots_of("/");
    assert_int_equal(vast_path_classify(&slash, "/pvc-1"), VAST_PATH_VOLUME);
    assert_int_equal(vast_path_classify(&slash, "/k8s/pvc-1"), VAST_PATH_FOREIGN);
}

/* "<parent>/\*": every directory directly below <parent> is a root, so a volume sits
 * exactly two levels below <parent>; the tenant roots themselves are never volumes. */
static void test_wildcard(void **state) {
    (void)state;
    vast_roots r = roots_of("/k8s, /vast-k8s//tenants/*/");
    assert_int_equal(r.n, 2);
    assert_string_equal(r.paths[1], "/vast-k8s/tenants/*");
    assert_true(vast_root_is_wildcard(r.paths[1]));
    assert_false(vast_root_is_wildcard(r.paths[0]));
    assert_ptr_equal(vast_roots_find(&r, "/vast-k8s/tenants/vk-acme"), r.paths[1]);
    assert_ptr_equal(vast_roots_find(&r, "/k8s"), r.paths[0]);
    static const char *const not_roots[] = {
        "/vast-k8s/tenants",       /* the parent itself */
        "/vast-k8s/tenants/*",     /* the wildcard's own spelling, e.g. a StorageClass's root_export */
        "/vast-k8s/tenants/a/b",   /* two levels below */
        "/vast-k8s/tenants/.hidden",
        "/vast-k8s/tenants/..",
        "/vast-k8s/tenants/",
        "/vast-k8s/tenants-x/a",   /* a sibling sharing the prefix */
        "/vast-k8s/a",
    };
    for (size_t i = 0; i < sizeof not_roots / sizeof not_roots[0]; i++) {
        if (vast_roots_find(&r, not_roots[i])) fail_msg("\"%s\" taken for a root", not_roots[i]);
    }
    assert_int_equal(vast_path_classify(&r, "/vast-k8s/tenants/vk-acme/pvc-1"), VAST_PATH_VOLUME);
    assert_int_equal(vast_path_classify(&r, "/vast-k8s/tenants/vk-acme/pvc-1/.snapshot/s~0123456789ab"),
                     VAST_PATH_SNAPSHOT_VIEW);
    static const char *const foreign[] = {
        "/vast-k8s/tenants",                 /* the parent */
        "/vast-k8s/tenants/vk-acme",         /* a tenant root: its quota is the operator's */
        "/vast-k8s/tenants/a/b/c",           /* deeper than a volume */
        "/vast-k8s/tenants/.x/pvc-1",        /* a tenant directory no name rule allows */
        "/vast-k8s/tenants/vk-acme/.pvc-1",
        "/vast-k8s/tenants/../k8s/pvc-1",
        "/vast-k8s/tenants/*/pvc-1",         /* '*' is no tenant's name */
        "/vast-k8s/tenants-x/a/pvc-1",
        "/vast-k8s/pvc-1",
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        if (vast_path_classify(&r, foreign[i]) != VAST_PATH_FOREIGN) fail_msg("\"%s\" classified ours", foreign[i]);
    }
    char prefix[VAST_PATH_MAX + 2];
    vast_root_list_prefix(r.paths[1], prefix, sizeof prefix);
    assert_string_equal(prefix, "/vast-k8s/tenants/");
    vast_root_list_prefix(r.paths[0], prefix, sizeof prefix);
    assert_string_equal(prefix, "/k8s/");
    /* "/\*": every top-level directory is a root */
    vast_roots top = roots_of("/*");
    assert_string_equal(top.paths[0], "/*");
    assert_int_equal(vast_path_classify(&top, "/t/pvc-1"), VAST_PATH_VOLUME);
    assert_int_equal(vast_path_classify(&top, "/pvc-1"), VAST_PATH_FOREIGN);
    vast_root_list_prefix(top.paths[0], prefix, sizeof prefix);
    assert_string_equal(prefix, "/");
    /* an exact root the wildcard also admits adds nothing: dropped, listed once */
    vast_roots folded = roots_of("/vast-k8s/tenants/vk-a,/vast-k8s/tenants/*,/vast-k8s/tenants/*");
    assert_int_equal(folded.n, 1);
    assert_string_equal(folded.paths[0], "/vast-k8s/tenants/*");
    /* the vendor's rules go through the same classification */
    char vendor[96];
    snprintf(vendor, sizeof vendor, "pvc-%s", UUID);
    char vendor_path[160];
    snprintf(vendor_path, sizeof vendor_path, "/vast-k8s/tenants/vk-acme/%s", vendor);
    assert_true(vast_vendor_volume_is_ours(&r, vendor, vendor_path, vendor));
    snprintf(vendor_path, sizeof vendor_path, "/vast-k8s/tenants/%s", vendor);
    assert_false(vast_vendor_volume_is_ours(&r, vendor, vendor_path, vendor));
}

/* Entries that would make a directory both a root and a volume, and misplaced '*'. */
static void test_roots_refused(void **state) {
    (void)state;
    static const struct {
        const char *csv, *needle;
    } refused[] = {
        {"/k8s,/k8s/a", "overlaps"},      /* /k8s/a is a volume's place under /k8s */
        {"/k8s/a,/k8s", "overlaps"},
        {"/t,/t/*", "overlaps"},          /* the tenant roots are /t's volumes */
        {"/t/*,/t/a/b", "overlaps"},      /* /t/a/b is a volume of the root /t/a */
        {"/,/*", "overlaps"},
        {"/,/k8s", "overlaps"},
        {"/t/*/x", "'*'"},
        {"/t*", "'*'"},
        {"/t/a*", "'*'"},
        {"/*/*", "'*'"},
        {"/t/../*", "\"..\""},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        vast_roots r;
        char err[256] = "";
        if (vast_roots_parse(refused[i].csv, &r, err, sizeof err)) fail_msg("\"%s\" accepted", refused[i].csv);
        if (!strstr(err, refused[i].needle)) fail_msg("\"%s\": \"%s\" lacks %s", refused[i].csv, err, refused[i].needle);
    }
    /* roots further apart overlap no volume: accepted */
    vast_roots deep = roots_of("/t/*,/t/a/b/c");
    assert_int_equal(deep.n, 2);
    assert_int_equal(vast_path_classify(&deep, "/t/a/b/c/pvc-1"), VAST_PATH_VOLUME);
}

static void test_mark(void **state) {
    (void)state;
    char name[VAST_NAME_MAX + 1];
    vast_owner_name(VAST_OWNED_VOLUME, 3, "/k8s/pvc-1", "csi:ns:data:pvc-1", name, sizeof name);
    assert_int_equal(strncmp(name, "csi:ns:data:pvc-1~", 18), 0);
    assert_int_equal(strlen(name), 17 + VAST_MARK_LEN);
    assert_true(vast_owner_name_is_ours(VAST_OWNED_VOLUME, 3, "/k8s/pvc-1", name));
    /* the same name is not ours anywhere else: another path, tenant or kind */
    assert_false(vast_owner_name_is_ours(VAST_OWNED_VOLUME, 4, "/k8s/pvc-1", name));
    assert_false(vast_owner_name_is_ours(VAST_OWNED_VOLUME, 3, "/k8s/pvc-2", name));
    assert_false(vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 3, "/k8s/pvc-1", name));
    /* an administrator's names, the vendor driver's, a mark with its base changed */
    static const char *const foreign[] = {"team", "csi:ns:data:pvc-1", "csi-admin-dir", "", "x~0123456789ab",
                                          "csi:ns:data:pvc-1~", "csi:ns:data:pvc-1~0123456789abc"};
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        if (vast_owner_name_is_ours(VAST_OWNED_VOLUME, 3, "/k8s/pvc-1", foreign[i])) {
            fail_msg("\"%s\" taken for the driver's", foreign[i]);
        }
    }
    char tampered[VAST_NAME_MAX + 1];
    snprintf(tampered, sizeof tampered, "%s", name);
    tampered[0] = 'x';
    assert_false(vast_owner_name_is_ours(VAST_OWNED_VOLUME, 3, "/k8s/pvc-1", tampered));
    /* long bases are cut (at a character boundary) so the whole fits VAST's 64 */
    char base[200];
    memset(base, 'a', sizeof base - 1);
    base[sizeof base - 1] = '\0';
    base[50] = (char)0xc3, base[51] = (char)0xa9; /* "é" across the cut */
    vast_owner_name(VAST_OWNED_SNAPSHOT, 0, NULL, base, name, sizeof name);
    assert_true(strlen(name) <= VAST_NAME_MAX);
    assert_int_equal(strlen(name), 50 + VAST_MARK_LEN);
    assert_true(vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 0, NULL, name));
    /* a '~' in the base cannot move the mark */
    vast_owner_name(VAST_OWNED_SNAPSHOT, 0, NULL, "a~b", name, sizeof name);
    assert_int_equal(strncmp(name, "a-b~", 4), 0);
    assert_true(vast_owner_name_is_ours(VAST_OWNED_SNAPSHOT, 0, NULL, name));
}

/* Users and S3 policies carry the mark after a '-': the same proof, in user-name characters. */
static void test_identity_mark(void **state) {
    (void)state;
    char name[VAST_NAME_MAX + 1];
    vast_owner_identity_name(VAST_OWNED_ACCESS, 3, "/k8s/bucket-1", "ba-1234", name, sizeof name);
    assert_int_equal(strncmp(name, "ba-1234-", 8), 0);
    assert_int_equal(strlen(name), 8 + 12);
    assert_null(strchr(name, '~'));
    assert_true(vast_owner_identity_is_ours(VAST_OWNED_ACCESS, 3, "/k8s/bucket-1", name));
    assert_false(vast_owner_identity_is_ours(VAST_OWNED_ACCESS, 3, "/k8s/bucket-2", name));
    assert_false(vast_owner_identity_is_ours(VAST_OWNED_ACCESS, 4, "/k8s/bucket-1", name));
    assert_false(vast_owner_identity_is_ours(VAST_OWNED_BUCKET_OWNER, 3, "/k8s/bucket-1", name));
    static const char *const foreign[] = {"admin", "ba-1234", "ba-1234-", "", "ba-1234-0123456789ab", "-"};
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        if (vast_owner_identity_is_ours(VAST_OWNED_ACCESS, 3, "/k8s/bucket-1", foreign[i])) {
            fail_msg("\"%s\" taken for the driver's", foreign[i]);
        }
    }
    assert_false(vast_owner_identity_is_ours(VAST_OWNED_ACCESS, 3, "/k8s/bucket-1", NULL));
    /* a '~' spelling of the same mark is not the identity's */
    char tilde[VAST_NAME_MAX + 1];
    vast_owner_name(VAST_OWNED_ACCESS, 3, "/k8s/bucket-1", "ba-1234", tilde, sizeof tilde);
    assert_false(vast_owner_identity_is_ours(VAST_OWNED_ACCESS, 3, "/k8s/bucket-1", tilde));
}

static void test_vendor(void **state) {
    (void)state;
    vast_roots r = roots_of("/k8s");
    char id[64], path[96], name[128];
    snprintf(id, sizeof id, "pvc-%s", UUID);
    snprintf(path, sizeof path, "/k8s/%s", id);
    snprintf(name, sizeof name, "csi:default:data:%s", id);
    assert_true(vast_vendor_volume_name_valid(id, strlen(id)));
    assert_true(vast_vendor_volume_is_ours(&r, id, path, name));
    /* in another root, without the id in its name, a different directory */
    char elsewhere[96];
    snprintf(elsewhere, sizeof elsewhere, "/data/%s", id);
    assert_false(vast_vendor_volume_is_ours(&r, id, elsewhere, name));
    assert_false(vast_vendor_volume_is_ours(&r, id, path, "admin quota"));
    char nested[128];
    snprintf(nested, sizeof nested, "/k8s/x/%s", id);
    assert_false(vast_vendor_volume_is_ours(&r, id, nested, name));
    static const char *const not_names[] = {"alpha", "pvc-1234abcd", "pvc-4F2A5E8C-1D2B-4C3D-9E8F-0A1B2C3D4E5F",
                                            "-4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f", "pvc_4f2a5e8c-1d2b-4c3d-9e8f-0a1b2c3d4e5f"};
    for (size_t i = 0; i < sizeof not_names / sizeof not_names[0]; i++) {
        if (vast_vendor_volume_name_valid(not_names[i], strlen(not_names[i]))) fail_msg("\"%s\" valid", not_names[i]);
    }
    /* the vendor's snapshots: of a vendor volume under a root, named with a UUID */
    char snap_path[128], snap_name[128];
    snprintf(snap_path, sizeof snap_path, "%s/", path);
    snprintf(snap_name, sizeof snap_name, "csi-default-daily-snapshot-%s", UUID);
    assert_true(vast_vendor_snapshot_is_ours(&r, snap_path, snap_name));
    assert_false(vast_vendor_snapshot_is_ours(&r, snap_path, "daily-2026-12-01"));
    assert_false(vast_vendor_snapshot_is_ours(&r, "/data/team/", snap_name));
    assert_false(vast_vendor_snapshot_is_ours(&r, path, snap_name)); /* no trailing '/': not a snapshot path */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize), cmocka_unit_test(test_roots), cmocka_unit_test(test_classify),
        cmocka_unit_test(test_wildcard),  cmocka_unit_test(test_roots_refused),
        cmocka_unit_test(test_mark),      cmocka_unit_test(test_identity_mark), cmocka_unit_test(test_vendor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
