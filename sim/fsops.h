/* Tree walks over directory file descriptors: removal, usage, copies. They use openat and
 * friends relative to the fds they are given and never follow symbolic links; the fds
 * come from safepath.h, which resolves VMS paths beneath DIR/fs. */
#ifndef SIM_FSOPS_H
#define SIM_FSOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* VAST keeps snapshots in this hidden directory under the snapshotted path. */
#define FSOPS_SNAPSHOT_DIR ".snapshot"

/* mkdir -p of an operator-given host path (the data directory, DIR/tls); never used for
 * VMS paths, which go through safepath.h. 0 on success (an existing directory is fine). */
int fsops_mkdirs(const char *path, mode_t mode);
/* Removes everything inside the directory dfd (which it takes and closes): links and
 * files are unlinked, never followed; directories on a device other than dev (mounts)
 * are not entered. 0, or the errno of the first entry it could not remove. */
int fsops_remove_contents(int dfd, dev_t dev);

typedef struct {
    uint64_t bytes;  /* sum of regular file sizes */
    uint64_t inodes; /* entries below the root (files, directories, links) */
} fsops_usage;

/* Adds the usage of the tree in directory dfd (which it takes and closes) to out;
 * skip_snapshots leaves out every .snapshot directory (the space snapshots hold is not
 * charged to views and quotas, as on VAST). */
void fsops_measure_fd(int dfd, bool skip_snapshots, fsops_usage *out);

/* Hooks that pace and guard a copy. begin_step runs before each change to the
 * destination (a file chunk written, a directory or link made); returning false stops
 * the copy. end_step runs after it with the bytes written. Both may be NULL. */
typedef struct {
    bool (*begin_step)(void *arg);
    void (*end_step)(void *arg, size_t bytes);
    void *arg;
    size_t chunk; /* bytes per write; 0 = 64 KiB */
} fsops_copy_hooks;

/* Copies the tree in directory src_fd into directory dst_fd (both borrowed; existing
 * files are overwritten, so a restarted copy simply starts again). A link is copied as a
 * link (its target text), never followed; a link in the destination's way stops the copy
 * with an error rather than being written through. .snapshot directories are never
 * copied. 0 on success, 1 when a hook stopped it, -1 on error. */
int fsops_copy_fd(int src_fd, int dst_fd, const fsops_copy_hooks *hooks);

#endif
