/* The helper process behind csi/mounter.h: exit statuses and its entry point. */
#ifndef VK_CSI_MOUNT_HELPER_H
#define VK_CSI_MOUNT_HELPER_H

/* Exit statuses of the helper, beyond 0 = done. */
enum { HELPER_FAILED = 1, HELPER_MISSING = 2, HELPER_STALE = 3, HELPER_CHANGED = 4, HELPER_USAGE = 64 };

/* argv: PROGRAM --mount-helper OP ARGS...; returns the process exit status:
 *   mount FSTYPE SOURCE TARGET OPTIONS ro|rw
 *       (the plugin passes TARGET /proc/self/fd/3 and, for a bind, SOURCE
 *       /proc/self/fd/4: the paths it resolved, inherited as descriptors)
 *   umount NAME normal|force|lazy MNT_ID
 *       (NAME inside the directory inherited as fd 3; HELPER_CHANGED, untouched, when
 *       the mount on top of it is not MNT_ID)
 *   statvfs PATH   (prints "total avail used inodes ifree iused") */
int csi_mount_helper_main(int argc, char **argv);

#endif
