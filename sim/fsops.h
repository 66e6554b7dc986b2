/* The simulated file system: VMS paths map onto DIR/fs/<path>. Copies, removals and
 * usage walks go through directory file descriptors (openat and friends) and never
 * follow symbolic links, so nothing outside DIR/fs is ever read or changed. */
#ifndef SIM_FSOPS_H
#define SIM_FSOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* VAST keeps snapshots in this hidden directory under the snapshotted path. */
#define FSOPS_SNAPSHOT_DIR ".snapshot"

/* Maps a VMS path ("/k8s/vol1", trailing slashes allowed) to a malloc'd path under
 * fs_root. NULL when the path is not absolute or has "." or ".." components. */
char *fsops_resolve(const char *fs_root, const char *vms_path);

bool fsops_is_dir(const char *path);
bool fsops_exists(const char *path);
/* mkdir -p; 0 on success (an existing directory is fine). */
int fsops_mkdirs(const char *path, mode_t mode);
/* rm -rf without following links; 0 on success, also when path does not exist. */
int fsops_remove_tree(const char *path);

typedef struct {
    uint64_t bytes;  /* sum of regular file sizes */
    uint64_t inodes; /* entries below the root (files, directories, links) */
} fsops_usage;

/* Usage of the tree at path; skip_snapshots leaves out every .snapshot directory (the
 * space snapshots hold is not charged to views and quotas, as on VAST). */
int fsops_measure(const char *path, bool skip_snapshots, fsops_usage *out);

/* Hooks that pace and guard a copy. begin_step runs before each change to the
 * destination (a file chunk written, a directory or link made); returning false stops
 * the copy. end_step runs after it with the bytes written. Both may be NULL. */
typedef struct {
    bool (*begin_step)(void *arg);
    void (*end_step)(void *arg, size_t bytes);
    void *arg;
    size_t chunk; /* bytes per write; 0 = 64 KiB */
} fsops_copy_hooks;

/* Copies the tree under src into dst (created if missing; existing files are
 * overwritten, so a restarted copy simply starts again). .snapshot directories are never
 * copied. 0 on success, 1 when a hook stopped it, -1 on error. */
int fsops_copy_tree(const char *src, const char *dst, const fsops_copy_hooks *hooks);

#endif
