/* Staging and target paths: the form the node accepts, and resolution that follows no
 * link at any component (openat2 and the component walk alike), confined beneath a
 * directory when asked. Works in a scratch directory; needs no privileges. */
#include "node_path.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *at(const char *rel) {
    static char buf[8][PATH_MAX];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, PATH_MAX, "%s/%s", dir, rel);
    return b;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vk-node-path-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    /* dir/k/pods/p (a directory), dir/out (outside k), dir/k/pods/via -> dir/out,
     * dir/k/pods/last -> dir/out, dir/k/file (a regular file) */
    if (mkdir(at("k"), 0755) || mkdir(at("k/pods"), 0755) || mkdir(at("k/pods/p"), 0755) || mkdir(at("out"), 0755) ||
        symlink(at("out"), at("k/pods/via")) || symlink(at("out"), at("k/pods/last"))) {
        return -1;
    }
    FILE *f = fopen(at("k/file"), "w");
    if (!f) return -1;
    fputs("x", f);
    fclose(f);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    csi_path_force_walk(false);
    return 0;
}

static void check_form(void **state) {
    (void)state;
    vk_status st;
    const char *good[] = {"/var/lib/kubelet/pods/x/volumes/kubernetes.io~csi/pv/mount", "/a", "/a/.b/..c/...", NULL};
    for (int i = 0; good[i]; i++) assert_true(csi_path_check("target_path", good[i], &st));
    const char *bad[] = {"", "relative/path", "/", "/a/../b", "/a/./b", "/a//b", "/a/b/", "/..", "/a/.", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_false(csi_path_check("target_path", bad[i], &st));
        assert_int_equal(st.code, VK_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "target_path"));
    }
    /* PATH_MAX - 1 bytes pass, PATH_MAX do not; a component over NAME_MAX does not */
    char *p = malloc(PATH_MAX + 1);
    assert_non_null(p);
    for (int len = PATH_MAX - 1; len <= PATH_MAX; len++) {
        size_t n = 0;
        while (n < (size_t)len) {
            p[n++] = '/';
            for (int k = 0; k < 100 && n < (size_t)len; k++) p[n++] = 'a';
        }
        p[len] = '\0';
        if (p[len - 1] == '/') p[len - 1] = 'a';
        assert_int_equal(csi_path_check("staging_target_path", p, &st), len == PATH_MAX - 1);
    }
    memset(p, 'a', NAME_MAX + 2);
    p[0] = '/';
    p[NAME_MAX + 2] = '\0';
    assert_false(csi_path_check("staging_target_path", p, &st));
    free(p);
}

static void resolves(bool walk) {
    csi_path_force_walk(walk);
    vk_status st;
    csi_path p;
    /* an existing directory, confined and not */
    for (int confined = 0; confined < 2; confined++) {
        assert_true(csi_path_resolve(confined ? at("k") : NULL, at("k/pods/p"), false, &p, &st));
        assert_true(p.parent >= 0 && p.fd >= 0);
        assert_string_equal(p.name, "p");
        csi_path_stat s;
        assert_true(csi_path_statx(p.fd, &s));
        assert_true(s.is_dir);
        csi_path_close(&p);
    }
    /* missing: OK without descriptors */
    assert_true(csi_path_resolve(at("k"), at("k/pods/nope/mount"), false, &p, &st));
    assert_int_equal(p.parent, -1);
    assert_int_equal(p.fd, -1);
    assert_true(csi_path_resolve(at("k"), at("k/pods/nope"), false, &p, &st));
    assert_true(p.parent >= 0);
    assert_int_equal(p.fd, -1);
    csi_path_close(&p);
    /* made, parents included */
    assert_true(csi_path_resolve(at("k"), at("k/pods/new/deep/mount"), true, &p, &st));
    assert_true(p.fd >= 0 && p.created);
    csi_path_close(&p);
    assert_true(csi_path_resolve(at("k"), at("k/pods/new/deep/mount"), true, &p, &st));
    assert_false(p.created);
    csi_path_close(&p);
    /* links: in the middle, at the end, with and without make_dirs; nothing made */
    const char *linked[] = {"k/pods/via/x", "k/pods/last", "k/pods/via/x/y"};
    for (int i = 0; i < 3; i++) {
        for (int make = 0; make < 2; make++) {
            assert_false(csi_path_resolve(NULL, at(linked[i]), make, &p, &st));
            assert_int_equal(st.code, VK_INVALID_ARGUMENT);
            assert_non_null(strstr(st.message, "symbolic link"));
            assert_int_equal(p.fd, -1);
            assert_int_equal(p.parent, -1);
        }
    }
    assert_int_equal(access(at("out/x"), F_OK), -1);
    /* outside the confining directory, or beside it under a name that starts like it */
    assert_false(csi_path_resolve(at("k"), at("out/x"), true, &p, &st));
    assert_non_null(strstr(st.message, "--kubelet-dir"));
    assert_false(csi_path_resolve(at("k/pods"), at("k/podsX/x"), true, &p, &st));
    assert_false(csi_path_resolve(at("k"), at("k"), false, &p, &st));
    assert_int_equal(access(at("out/x"), F_OK), -1);
    /* a file in the middle */
    assert_false(csi_path_resolve(NULL, at("k/file/x"), false, &p, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    /* beneath: a link anywhere fails, the real directory opens */
    int fd = csi_path_open_beneath(at("k"), "pods/via", &st);
    assert_int_equal(fd, -1);
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    fd = csi_path_open_beneath(at("k"), "pods/missing", &st);
    assert_int_equal(fd, -1);
    assert_int_equal(st.code, VK_NOT_FOUND);
    fd = csi_path_open_beneath(at("k"), "pods/p", &st);
    assert_true(fd >= 0);
    close(fd);
}

static void resolves_with_openat2(void **state) {
    (void)state;
    resolves(false);
}

static void resolves_with_the_walk(void **state) {
    (void)state;
    resolves(true);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_form),
        cmocka_unit_test_setup_teardown(resolves_with_openat2, setup, teardown),
        cmocka_unit_test_setup_teardown(resolves_with_the_walk, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
