/* statmount(2) (Linux 6.8): one mount's entry by its never-reused id, from the kernel
 * directly, instead of reading and parsing all of /proc/self/mountinfo to find one line.
 * Called through syscall(2) with this module's own copy of the kernel's structures, since
 * the C library's and older kernel headers lack them.
 *
 * The entry it fills is the one mountinfo shows, field for field as libmount reads it:
 * mount point and root unescaped, source "server:/export" for NFS, the file system type
 * with its subtype ("fuse.sshfs"), read_only from the mount's own flags (mountinfo's
 * "ro"). It fills nothing it cannot vouch for: when the kernel leaves out a field it was
 * asked for (an older statmount may not report the source), it says so and the caller parses the
 * table instead. */
#ifndef VK_CSI_MOUNT_STATMOUNT_H
#define VK_CSI_MOUNT_STATMOUNT_H

#include "mount_table.h"

#include <stdint.h>

/* Fills out (all but have_inode, dev, ino) for the mount whose never-reused id is
 * unique_id. Returns 0; ENOENT when no such mount is in this mount namespace (any more);
 * ENOSYS without statmount; EOPNOTSUPP when the kernel could not give every field;
 * another errno when the call failed. */
int csi_statmount(uint64_t unique_id, csi_mount_info *out);

/* 0 while the mount unique_id is in this mount namespace, ENOENT once it is not, else
 * why the kernel could not tell (as csi_statmount). */
int csi_statmount_present(uint64_t unique_id);

#endif
