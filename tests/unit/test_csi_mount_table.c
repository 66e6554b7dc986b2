/* The mount table one mount at a time (csi/mount_table.h): what csi_mount_at and
 * csi_mount_present answer through statmount(2) must be exactly what one parse of
 * /proc/self/mountinfo answers (the fallback, forced here as on a kernel without
 * statmount), for every mount on this machine and for mounts made to be awkward: a
 * source-less mount, a name with spaces and a backslash, a read-only bind, two mounts
 * stacked at one path, a mount gone since it was found. The mount cases need root
 * (CAP_SYS_ADMIN) and are skipped without it. Works in a scratch directory under
 * $TMPDIR (or /tmp), detaching whatever it mounted. */
#include "mount_statmount.h"
#include "mount_table.h"
#include "node_path.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[PATH_MAX];

static const char *at(const char *rel) {
    static char buf[8][PATH_MAX + 64];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", dir, rel);
    return b;
}

static int open_path(const char *path) { return open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC); }

/* csi_mount_at(fd) through statmount and through the parse; the two must agree on
 * every field the node reads (unique_id is statmount's alone). */
static void both_ways(int fd, csi_mount_info *kernel, csi_mount_info *parsed) {
    csi_mount_table_force_parse(false);
    assert_true(csi_mount_at(fd, kernel));
    csi_mount_table_force_parse(true);
    assert_true(csi_mount_at(fd, parsed));
    csi_mount_table_force_parse(false);
}

static void assert_same(const csi_mount_info *a, const csi_mount_info *b) {
    assert_int_equal(a->mounted, b->mounted);
    assert_int_equal(a->id, b->id);
    assert_string_equal(a->target, b->target);
    assert_string_equal(a->source, b->source);
    assert_string_equal(a->root, b->root);
    assert_string_equal(a->fstype, b->fstype);
    assert_int_equal(a->read_only, b->read_only);
    assert_int_equal(a->have_inode, b->have_inode);
    assert_int_equal(a->dev, b->dev);
    assert_int_equal(a->ino, b->ino);
}

/* The statmount path must really be taken here (a silent fall back to the parse would
 * pass every comparison): on a kernel with statmount, the root's entry comes from it. */
static bool have_statmount(void) {
    int fd = open_path("/");
    csi_path_stat s;
    bool unique = fd >= 0 && csi_path_statx_unique(fd, &s) && s.mnt_id_unique;
    if (fd >= 0) close(fd);
    if (!unique) return false;
    csi_mount_info *info = malloc(sizeof *info);
    assert_non_null(info);
    int e = csi_statmount(s.mnt_id, info);
    free(info);
    if (e == ENOSYS) return false;
    assert_int_equal(e, 0);
    return true;
}

static bool can_mount(void) {
    if (geteuid() != 0) return false;
    if (mount(at("src"), at("probe"), NULL, MS_BIND, NULL) != 0) return false;
    umount2(at("probe"), MNT_DETACH);
    return true;
}

static void unmount_all(const char *path) {
    while (umount2(path, MNT_DETACH) == 0) {
    }
}

static int setup(void **state) {
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/vk-mount-table-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return -1;
    const char *dirs[] = {"src", "probe", "plain", "bind", "ro", "stack", "tmpfs", "none", "a dir\\with  space", "gone"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (mkdir(at(dirs[i]), 0755) != 0) return -1;
    }
    FILE *f = fopen(at("src/file"), "w");
    if (!f) return -1;
    fclose(f);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    csi_mount_table_force_parse(false);
    const char *dirs[] = {"probe", "bind", "ro", "stack", "tmpfs", "none", "a dir\\with  space", "gone"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        unmount_all(at(dirs[i]));
        rmdir(at(dirs[i]));
    }
    unlink(at("src/file"));
    rmdir(at("src"));
    rmdir(at("plain"));
    rmdir(dir);
    return 0;
}

/* ---- nothing mounted ---- */

static void no_mount_is_not_mounted(void **state) {
    (void)state;
    csi_mount_info a, b;
    int fd = open_path(at("plain"));
    assert_true(fd >= 0);
    both_ways(fd, &a, &b);
    close(fd);
    assert_false(a.mounted);
    assert_same(&a, &b);
    both_ways(-1, &a, &b);
    assert_false(a.mounted);
    assert_false(b.mounted);
}

/* ---- every mount of this machine ---- */

typedef struct {
    int compared;
} table_walk;

static bool compare_entry(const csi_mount_info *entry, void *p) {
    table_walk *w = p;
    int fd = open_path(entry->target);
    if (fd < 0) return true; /* not reachable by its name (a link, a deleted directory) */
    csi_mount_info *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    both_ways(fd, a, b);
    close(fd);
    /* the entry is compared when it is what is on top at its mount point */
    if (a->mounted && a->id == entry->id) {
        assert_same(a, b);
        assert_string_equal(a->source, entry->source);
        w->compared++;
    }
    free(a);
    free(b);
    return true;
}

static void every_mount_agrees_with_the_table(void **state) {
    (void)state;
    if (!have_statmount()) skip();
    table_walk w = {0};
    csi_mount_table_each(compare_entry, &w);
    assert_true(w.compared >= 1); /* "/" at least */
}

/* ---- mounts made to be awkward ---- */

static void check_mount_at(const char *path, csi_mount_info *out) {
    csi_mount_info b;
    int fd = open_path(path);
    assert_true(fd >= 0);
    both_ways(fd, out, &b);
    close(fd);
    assert_true(out->mounted);
    assert_true(out->unique_id != 0);
    assert_int_equal(b.unique_id, 0);
    assert_same(out, &b);
}

static void bind_mounts_agree(void **state) {
    (void)state;
    if (!have_statmount() || !can_mount()) skip();
    assert_int_equal(mount(at("src"), at("bind"), NULL, MS_BIND, NULL), 0);
    csi_mount_info m;
    check_mount_at(at("bind"), &m);
    assert_string_equal(m.target, at("bind"));
    assert_false(m.read_only);
    size_t rl = strlen(m.root), tail = strlen("/src");
    assert_true(rl >= tail && strcmp(m.root + rl - tail, "/src") == 0);

    /* spaces and a backslash: mountinfo escapes them, both ways must unescape */
    assert_int_equal(mount(at("src"), at("a dir\\with  space"), NULL, MS_BIND, NULL), 0);
    check_mount_at(at("a dir\\with  space"), &m);
    assert_string_equal(m.target, at("a dir\\with  space"));

    /* read-only: the mount's own flag */
    assert_int_equal(mount(at("src"), at("ro"), NULL, MS_BIND, NULL), 0);
    assert_int_equal(mount(NULL, at("ro"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0);
    check_mount_at(at("ro"), &m);
    assert_true(m.read_only);
}

static void sources_agree(void **state) {
    (void)state;
    if (!have_statmount() || !can_mount()) skip();
    csi_mount_info m;
    assert_int_equal(mount("vk-test-source", at("tmpfs"), "tmpfs", 0, "size=1m"), 0);
    check_mount_at(at("tmpfs"), &m);
    assert_string_equal(m.source, "vk-test-source");
    assert_string_equal(m.fstype, "tmpfs");
    assert_string_equal(m.root, "/");

    /* made with the mount API and no source: mountinfo says "none" */
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    assert_true(fs >= 0);
    assert_int_equal(fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0), 0);
    int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
    assert_true(mnt >= 0);
    assert_int_equal(move_mount(mnt, "", AT_FDCWD, at("none"), MOVE_MOUNT_F_EMPTY_PATH), 0);
    close(mnt);
    close(fs);
    check_mount_at(at("none"), &m);
    assert_string_equal(m.fstype, "tmpfs");
    assert_string_equal(m.source, "none");
}

static void the_top_of_a_stack_is_found(void **state) {
    (void)state;
    if (!have_statmount() || !can_mount()) skip();
    assert_int_equal(mount("vk-lower", at("stack"), "tmpfs", 0, "size=1m"), 0);
    assert_int_equal(mount(at("src"), at("stack"), NULL, MS_BIND, NULL), 0);
    csi_mount_info m;
    check_mount_at(at("stack"), &m);
    int fd = open_path(at("stack"));
    csi_path_stat s;
    assert_true(csi_path_statx(fd, &s));
    close(fd);
    assert_int_equal(m.id, s.mnt_id); /* the mount on top, by the helper's id */
    assert_string_not_equal(m.source, "vk-lower");
    assert_string_not_equal(m.fstype, "tmpfs");
}

/* ---- presence, and a mount gone since it was found ---- */

static void presence_follows_the_kernel(void **state) {
    (void)state;
    if (!have_statmount() || !can_mount()) skip();
    assert_int_equal(mount(at("src"), at("gone"), NULL, MS_BIND, NULL), 0);
    csi_mount_info m, parsed;
    int fd = open_path(at("gone"));
    assert_true(fd >= 0);
    both_ways(fd, &m, &parsed);
    assert_true(m.mounted && parsed.mounted);
    for (int force = 0; force < 2; force++) {
        csi_mount_table_force_parse(force);
        assert_true(csi_mount_present(&m));
        assert_true(csi_mount_present(&parsed));
    }
    assert_int_equal(umount2(at("gone"), MNT_DETACH), 0);
    for (int force = 0; force < 2; force++) {
        csi_mount_table_force_parse(force);
        assert_false(csi_mount_present(&m));
        assert_false(csi_mount_present(&parsed));
    }
    csi_mount_table_force_parse(false);
    assert_int_equal(csi_statmount_present(m.unique_id), ENOENT);
    assert_int_equal(csi_statmount(m.unique_id, &parsed), ENOENT);
    /* the descriptor still names the detached mount's root: nothing at the path in the
     * table, both ways */
    both_ways(fd, &m, &parsed);
    close(fd);
    assert_false(m.mounted);
    assert_false(parsed.mounted);
    fd = open_path(at("gone"));
    both_ways(fd, &m, &parsed);
    close(fd);
    assert_false(m.mounted);
    assert_same(&m, &parsed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_mount_is_not_mounted),
        cmocka_unit_test(every_mount_agrees_with_the_table),
        cmocka_unit_test(bind_mounts_agree),
        cmocka_unit_test(sources_agree),
        cmocka_unit_test(the_top_of_a_stack_is_found),
        cmocka_unit_test(presence_follows_the_kernel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
