/* The child side of csi/mounter.h: one mount, unmount or statvfs, then exit with its
 * result. It runs as the small vast-csi-mount-helper binary (csi/mount_helper_tool.c),
 * or as `vast-csi --mount-helper` when that binary is not installed. It may hang in the
 * kernel on a dead NFS server; the plugin never waits for it past the bound. */
#include "mount_helper.h"

#include "vk/fault.h"

#include <errno.h>
#include <libmount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <fcntl.h>
#include <unistd.h>

/* A bind mount of the directory at source (the plugin's fd 4) on target (fd 3). With
 * the mount API the copy is made detached, made read-only while nobody can see it, and
 * attached at fd 3: a classic remount would have to find the new mount through a path
 * again, and /proc/self/fd/3 still names the directory beneath it. */
static int helper_bind(const char *source, const char *target, bool read_only) {
    int tree = (int)open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0 && errno == ENOSYS) {
        if (read_only) {
            printf("read-only bind mounts need the mount API (open_tree, mount_setattr: Linux 5.12)\n");
            return HELPER_FAILED;
        }
        if (mount(source, target, NULL, MS_BIND, NULL) != 0) {
            printf("bind mount: %s\n", strerror(errno));
            return HELPER_FAILED;
        }
        return 0;
    }
    if (tree < 0) {
        printf("bind mount (open_tree): %s\n", strerror(errno));
        return HELPER_FAILED;
    }
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (read_only && mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
        printf("read-only bind mount (mount_setattr): %s\n", strerror(errno));
        close(tree);
        return HELPER_FAILED;
    }
    int to = open(target, O_PATH | O_CLOEXEC);
    int rc = to < 0 ? -1 : move_mount(tree, "", to, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int err = errno;
    if (to >= 0) close(to);
    close(tree);
    if (rc != 0) {
        printf("bind mount (move_mount): %s\n", strerror(err));
        return HELPER_FAILED;
    }
    return 0;
}

static int helper_mount(const char *fstype, const char *source, const char *target, const char *options,
                        bool read_only) {
    if (strcmp(fstype, "bind") == 0) return helper_bind(source, target, read_only);
    struct libmnt_context *cxt = mnt_new_context();
    if (!cxt) return HELPER_FAILED;
    char opts[2048];
    snprintf(opts, sizeof opts, "%s%s%s", options, *options && read_only ? "," : "", read_only ? "ro" : "");
    /* the target is /proc/self/fd/3: never turned back into a path string */
    mnt_context_disable_canonicalize(cxt, 1);
    mnt_context_set_fstype(cxt, fstype);
    mnt_context_set_source(cxt, source);
    mnt_context_set_target(cxt, target);
    if (*opts) mnt_context_set_options(cxt, opts);
    int rc = mnt_context_mount(cxt);
    int result = 0;
    if (rc != 0 || mnt_context_get_status(cxt) != 1) {
        char buf[512] = "";
        mnt_context_get_excode(cxt, rc, buf, sizeof buf);
        printf("%s\n", buf[0] ? buf : strerror(errno));
        result = HELPER_FAILED;
    }
    mnt_free_context(cxt);
    return result;
}

/* Unmounts NAME in the directory the plugin resolved (fd 3) when the mount on top of
 * it is still the one the plugin proved to be the volume's: from the directory, a
 * relative name, not followed, so no link can redirect it. */
static int helper_umount(const char *name, const char *mode, const char *id) {
    int flags = UMOUNT_NOFOLLOW;
    if (strcmp(mode, "force") == 0) flags |= MNT_FORCE;
    if (strcmp(mode, "lazy") == 0) flags |= MNT_DETACH;
    char *end;
    unsigned long long want = strtoull(id, &end, 10);
    if (!*id || *end || strchr(name, '/') || fchdir(3) != 0) {
        printf("bad umount arguments or no directory inherited: %s\n", strerror(errno));
        return HELPER_USAGE;
    }
    struct statx sx;
    if (statx(AT_FDCWD, name, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0) {
        if (errno == ENOENT) return 0;
        printf("%s\n", strerror(errno));
        return HELPER_FAILED;
    }
    bool root = (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
    if (!root || sx.stx_mnt_id != want) {
        printf("mount %llu is no longer on top (found %s %llu)\n", want, root ? "mount" : "no mount, on",
               (unsigned long long)sx.stx_mnt_id);
        return root ? HELPER_CHANGED : 0;
    }
    if (umount2(name, flags) != 0 && errno != EINVAL && errno != ENOENT) {
        printf("%s\n", strerror(errno));
        return HELPER_FAILED;
    }
    return 0;
}

static int helper_statvfs(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return HELPER_MISSING;
        if (errno == ESTALE) return HELPER_STALE;
        printf("%s\n", strerror(errno));
        return HELPER_FAILED;
    }
    struct statvfs vfs;
    if (statvfs(path, &vfs) != 0) {
        if (errno == ESTALE) return HELPER_STALE;
        printf("%s\n", strerror(errno));
        return HELPER_FAILED;
    }
    unsigned long long unit = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
    unsigned long long total = vfs.f_blocks * unit, avail = vfs.f_bavail * unit, free_bytes = vfs.f_bfree * unit;
    printf("%llu %llu %llu %llu %llu %llu\n", total, avail, total - free_bytes, (unsigned long long)vfs.f_files,
           (unsigned long long)vfs.f_ffree, (unsigned long long)(vfs.f_files - vfs.f_ffree));
    return 0;
}

int csi_mount_helper_main(int argc, char **argv) {
    /* argv: PROGRAM --mount-helper OP ARGS... Tests make a helper hang or fail like a
     * dead server would, through the fault point helper.<OP> (include/vk/fault.h). */
    vk_status st;
    if (argc >= 3 && vk_fault_configure(getenv("VAST_CSI_FAULTS"), &st)) {
        /* each helper is a new process (hit counts start at 0), so an unmount's point
         * also names its attempt: helper.umount.normal, .force, .lazy */
        char point[64];
        if (strcmp(argv[2], "umount") == 0 && argc >= 5) {
            snprintf(point, sizeof point, "helper.umount.%s", argv[4]);
        } else {
            snprintf(point, sizeof point, "helper.%s", argv[2]);
        }
        if (vk_fault_point(point, &st)) {
            printf("%s\n", st.message);
            return HELPER_FAILED;
        }
    }
    if (argc >= 8 && strcmp(argv[2], "mount") == 0) {
        return helper_mount(argv[3], argv[4], argv[5], argv[6], strcmp(argv[7], "ro") == 0);
    }
    if (argc >= 6 && strcmp(argv[2], "umount") == 0) return helper_umount(argv[3], argv[4], argv[5]);
    if (argc >= 4 && strcmp(argv[2], "statvfs") == 0) return helper_statvfs(argv[3]);
    printf("usage: vast-csi --mount-helper mount|umount|statvfs ...\n");
    return HELPER_USAGE;
}
