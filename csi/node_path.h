/* Staging and target paths as the node trusts them: checked once for form, then
 * resolved without following a symbolic link at any component, optionally confined
 * beneath one directory (--kubelet-dir), and used through the file descriptors that
 * resolution produced, so what is checked is what is mounted, unmounted or removed.
 *
 * Why: the kubelet's directories are written by pods (a volume is a pod's to fill) and
 * by whatever else runs on the node. A path that climbs out with "..", or passes a
 * link some pod planted, would make the node mount over, unmount or delete something
 * that is not the volume's. Resolution uses openat2(2) with RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS (and RESOLVE_BENEATH from the confining directory); on a
 * kernel without openat2 it walks component by component with O_PATH | O_NOFOLLOW.
 * Opening with O_PATH never reads the file system behind a mount, so a dead NFS server
 * cannot make it hang. */
#ifndef VK_CSI_NODE_PATH_H
#define VK_CSI_NODE_PATH_H

#include "vk/status.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* A resolved path: its parent directory and, when it exists, the path itself. */
typedef struct {
    const char *path;      /* as the caller gave it (for messages) */
    int parent;            /* O_PATH fd of the parent directory; -1 when that does not exist */
    int fd;                /* O_PATH fd of the path; -1 when it does not exist */
    char name[NAME_MAX + 1]; /* the last component */
    bool created;          /* csi_path_resolve made the last component (a directory) */
} csi_path;

#define CSI_PATH_INIT {NULL, -1, -1, "", false}

/* The form every staging and target path must have: absolute, at most PATH_MAX-1
 * bytes, no empty, "." or ".." component (so no trailing or doubled '/'), not "/"
 * itself. INVALID_ARGUMENT naming `what` (e.g. "target_path") otherwise. */
bool csi_path_check(const char *what, const char *path, vk_status *st);

/* Resolves path (already checked) without following links. beneath, when not NULL or
 * "", is a directory the path must lie under (it is itself opened following links: it
 * is the administrator's setting). With make_dirs, missing directories are created
 * (0750), the last one included; out->created tells whether the last was. Missing
 * components otherwise leave out->parent and/or out->fd at -1 (OK: the caller decides).
 * A link anywhere, or a path outside beneath: INVALID_ARGUMENT naming the path. */
bool csi_path_resolve(const char *beneath, const char *path, bool make_dirs, csi_path *out, vk_status *st);

/* Opens the last component again (after a mount or unmount changed what is there). */
bool csi_path_reopen(csi_path *p, vk_status *st);

/* Closes the path's descriptors. */
void csi_path_close(csi_path *p);

/* Opens dir/rel (rel relative, clean) beneath dir without following links: the bind
 * source under --bind-root. -1 with st set on failure (NOT_FOUND when missing). */
int csi_path_open_beneath(const char *dir, const char *rel, vk_status *st);

/* What statx says of an O_PATH fd without asking a remote server (AT_STATX_DONT_SYNC). */
typedef struct {
    uint64_t mnt_id;     /* the mount the fd is on */
    bool mnt_id_unique;  /* mnt_id is the 64-bit id the kernel never reuses (Linux 6.8+), not
                          * the reusable one /proc/self/mountinfo shows */
    bool mount_root;     /* the fd is that mount's root: something is mounted at the path */
    bool is_dir, is_link, is_reg;
    uint64_t dev, ino;
} csi_path_stat;

/* mnt_id is the id /proc/self/mountinfo and the helper's check (csi/mount_helper.h) use. */
bool csi_path_statx(int fd, csi_path_stat *out);

/* The same, with the never-reused id where the kernel has one (what statmount(2) takes,
 * csi/mount_statmount.h); else the mountinfo id and mnt_id_unique false. */
bool csi_path_statx_unique(int fd, csi_path_stat *out);

/* Tests: use the component walk even where openat2 exists. */
void csi_path_force_walk(bool on);

#endif
