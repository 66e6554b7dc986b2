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
 * Which paths are mounted, and from where, is read from the kernel's mount table with
 * libmount (never from memory), so a restarted plugin knows its mounts. */
#ifndef VK_CSI_MOUNTER_H
#define VK_CSI_MOUNTER_H

#include "vk/status.h"

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
 * read_only adds "ro". UNAVAILABLE / DEADLINE_EXCEEDED name the source on failure. */
bool csi_mount(const csi_mount_limits *limits, const char *fstype, const char *source, const char *target,
               const char *options, bool read_only, vk_status *st);

/* Unmounts target: a normal unmount within the bound, then a forced one, then a lazy
 * detach, so even a mount of a dead server goes away. OK when target is not mounted. */
bool csi_unmount(const csi_mount_limits *limits, const char *target, vk_status *st);

/* What the mount table says about a path. */
typedef struct {
    bool mounted;
    char target[1024];
    char source[1024]; /* "server:/export", or the device for a bind mount */
    char root[1024];   /* the mounted directory within its file system ("/" for NFS) */
    char fstype[32];
    bool read_only;
} csi_mount_info;

/* Reads the kernel's mount table; never touches the mounted file system. */
bool csi_mount_lookup(const char *target, csi_mount_info *out);

/* True when the mount at info shows the volume at volume_path: the NFS export
 * ("...:<volume_path>"), or in bind mode the directory <bind root><volume_path>. */
bool csi_mount_serves(const csi_mount_info *info, const char *volume_path);

/* mkdir -p for a local directory (a staging or target path the driver makes). */
bool csi_make_dir(const char *path, vk_status *st);

/* Bind mode (csi_options.bind_root): where VAST paths live locally; "" otherwise. */
void csi_mount_set_bind_root(const char *root);

/* Every mount point whose mount serves volume_path, into targets (up to max);
 * returns how many there are. */
size_t csi_mounts_of(const char *volume_path, char (*targets)[1024], size_t max);

/* Counts NFS mounts per server address on this node: count[i] for addresses[i]. */
void csi_mount_count_servers(const char *const *addresses, size_t n, int *count);

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

csi_probe_result csi_probe_usage(const csi_mount_limits *limits, const char *path, csi_fs_usage *usage,
                                 char *message, size_t size);


#endif
