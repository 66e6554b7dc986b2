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

static int helper_mount(const char *fstype, const char *source, const char *target, const char *options,
                        bool read_only) {
    if (strcmp(fstype, "bind") == 0) {
        if (mount(source, target, NULL, MS_BIND, NULL) != 0) {
            printf("bind mount of %s: %s\n", source, strerror(errno));
            return HELPER_FAILED;
        }
        if (read_only && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0) {
            printf("read-only remount of %s: %s\n", target, strerror(errno));
            umount2(target, MNT_DETACH);
            return HELPER_FAILED;
        }
        return 0;
    }
    struct libmnt_context *cxt = mnt_new_context();
    if (!cxt) return HELPER_FAILED;
    char opts[2048];
    snprintf(opts, sizeof opts, "%s%s%s", options, *options && read_only ? "," : "", read_only ? "ro" : "");
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

static int helper_umount(const char *target, const char *mode) {
    int flags = UMOUNT_NOFOLLOW;
    if (strcmp(mode, "force") == 0) flags |= MNT_FORCE;
    if (strcmp(mode, "lazy") == 0) flags |= MNT_DETACH;
    if (umount2(target, flags) != 0 && errno != EINVAL && errno != ENOENT) {
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
    if (argc >= 5 && strcmp(argv[2], "umount") == 0) return helper_umount(argv[3], argv[4]);
    if (argc >= 4 && strcmp(argv[2], "statvfs") == 0) return helper_statvfs(argv[3]);
    printf("usage: vast-csi --mount-helper mount|umount|statvfs ...\n");
    return HELPER_USAGE;
}
