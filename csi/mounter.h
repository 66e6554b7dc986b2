/* Mounts, unmounts and probes that never hang the plugin.
 *
 * Fault points for tests (include/vk/fault.h), evaluated in the helper: helper.mount,
 * helper.statvfs, and helper.umount.normal / .force / .lazy per unmount attempt.
 *
 * Every operation that touches a possibly dead NFS server (mount, umount, stat,
 * statvfs) runs in a short-lived helper process (csi/mount_helper.h): the small
 * vast-csi-mount-helper next to the plugin's binary, or the plugin itself with
 * --mount-helper, started with posix_spawn; the plugin waits at most the operation's
 * bound. A helper stuck in the kernel past its bound is killed and left
 * behind (reaped later), never waited on, so a kubelet call always gets an answer.
 * Which paths are mounted, and from where, is read from the kernel's mount table
 * (csi/mount_table.h), never from memory, so a restarted plugin knows its mounts. */
#ifndef VK_CSI_MOUNTER_H
#define VK_CSI_MOUNTER_H

#include "mount_table.h"
#include "vk/status.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int mount_timeout_ms;   /* one mount */
    int unmount_timeout_ms; /* one unmount attempt, before force and lazy unmount */
    int probe_timeout_ms;   /* stat / statvfs of a mounted path */
} csi_mount_limits;

/* Mounts source (NFS "server:/export", or a directory for a bind mount) on target.
 * fstype is "nfs", "nfs4" or "bind"; options a comma-separated list (may be empty);
 * read_only adds "ro". The helper mounts onto target_fd (an O_PATH fd of the resolved
 * target, csi/node_path.h) and, for a bind, from source_fd, never onto a path looked up
 * again; source and target name them in messages. UNAVAILABLE / DEADLINE_EXCEEDED
 * name the source on failure. */
bool csi_mount(const csi_mount_limits *limits, const char *fstype, const char *source, int source_fd,
               const char *target, int target_fd, const char *options, bool read_only, vk_status *st);

/* Unmounts mount (as csi_mount_at found it at the path) from the path name inside the
 * directory parent_fd (path names it in messages): a normal unmount within the bound,
 * then a forced one, then a lazy detach, so even a mount of a dead server goes away. The
 * helper checks before each attempt that the mount on top of that path is still
 * mount->id and touches nothing else. OK once the mount is no longer in the mount table
 * (csi_mount_present). */
bool csi_unmount_id(const csi_mount_limits *limits, int parent_fd, const char *name, const char *path,
                    const csi_mount_info *mount, vk_status *st);

/* True when the mount at info shows the volume at volume_path: the NFS export
 * (exactly "<server>:<volume_path>"), or in bind mode the very directory
 * <bind root><volume_path> (same device and inode, resolved without links). */
bool csi_mount_serves(const csi_mount_info *info, const char *volume_path);

/* Bind mode (csi_options.bind_root): where VAST paths live locally; "" otherwise. */
void csi_mount_set_bind_root(const char *root);

/* Every mount point whose mount serves volume_path, into targets and their mount ids
 * into ids (up to max); returns how many there are. One parse of the whole table: the
 * question is about all mounts. */
size_t csi_mounts_of(const char *volume_path, char (*targets)[PATH_MAX], uint64_t *ids, size_t max);

/* Usage of a mounted path, probed within the bound. */
typedef struct {
    int64_t total_bytes, available_bytes, used_bytes;
    int64_t total_inodes, free_inodes, used_inodes;
} csi_fs_usage;

typedef enum {
    CSI_PROBE_OK,
    CSI_PROBE_MISSING,     /* the path does not exist */
    CSI_PROBE_STALE,       /* ESTALE: the server no longer knows the handle */
    CSI_PROBE_UNREACHABLE, /* the bound passed: the server does not answer */
    CSI_PROBE_ERROR,       /* another error, in message */
} csi_probe_result;

/* fd, when not -1, is an O_PATH fd of path: the helper probes that, not the path. */
csi_probe_result csi_probe_usage(const csi_mount_limits *limits, const char *path, int fd, csi_fs_usage *usage,
                                 char *message, size_t size);


#endif
