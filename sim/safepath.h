/* VMS paths confined to the simulator's file system. Every VMS path that becomes a
 * file-system operation (views, quotas, snapshots, clones, folders/delete_folder/, the
 * seed, the usage walks) goes through this module, as VAST confines paths to its own
 * file system: a path is resolved beneath the directory fd of DIR/fs and no symbolic
 * link is followed at any component (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS, or a component walk with O_NOFOLLOW where openat2 is missing).
 * The simulator runs as root in the quickstart and the tests, so a link that someone
 * placed inside a volume must never let it create, copy or remove anything elsewhere.
 *
 * Functions return 0 or an errno value; the ones callers map to answers are
 *   ENOENT, ENOTDIR  the path (or a component) does not exist or is not a directory
 *   ELOOP            the path goes through a symbolic link (nothing was changed)
 *   EXDEV            the path leads out of DIR/fs or onto another mount
 *   EINVAL           not a valid VMS path (see safepath_valid)
 * Paths passed in must have passed safepath_valid. */
#ifndef SIM_SAFEPATH_H
#define SIM_SAFEPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fsops.h"

/* A VMS path as the simulator takes it: absolute, at most PATH_MAX bytes, no NUL byte
 * (len is the string's real length, so a JSON "\u0000" is caught), no empty, "." or ".."
 * components; one trailing '/' is allowed ("/k8s/vol/" is "/k8s/vol"). "/" is the root. */
bool safepath_valid(const char *path, size_t len);
/* One path component (a snapshot name): non-empty, no '/', no NUL, not "." or "..". */
bool safepath_valid_name(const char *name, size_t len);

/* Opens DIR/fs (an operator-given path, trusted) as the root every VMS path is
 * resolved beneath. -1 and errno on failure. */
int safepath_open_root(const char *fs_root);
/* Tests force the openat2-less component walk with VMS_SIM_RESOLVE=walk (main.c). */
void safepath_force_walk(bool on);

/* Opens the existing directory at path (O_RDONLY | O_DIRECTORY) into *fd. */
int safepath_open_dir(int root_fd, const char *path, int *fd);
/* lstat of path: its parent is resolved without links, the last component is not
 * followed (a link there is reported as S_ISLNK, not an error). */
int safepath_stat(int root_fd, const char *path, struct stat *st);
/* mkdir -p beneath the root; an existing directory is fine, a link at any component is
 * ELOOP. With fd non-NULL the directory stays open there. */
int safepath_mkdirs(int root_fd, const char *path, mode_t mode, int *fd);
/* rm -rf of the directory at path. Inside the tree links are unlinked, never followed,
 * and nothing on another device is entered (the walk stays on DIR/fs's device); a link
 * or a non-directory AT path is refused (ELOOP, ENOTDIR); the root itself is EINVAL. */
int safepath_remove_tree(int root_fd, const char *path);
/* Removes the directory at path if it is empty (0 also when it is not, or is gone). */
int safepath_remove_if_empty(int root_fd, const char *path);
/* Removes everything inside the root (reset), on the root's device only. */
int safepath_empty_root(int root_fd);
/* Usage of the tree at path (see fsops_measure_fd). */
int safepath_measure(int root_fd, const char *path, bool skip_snapshots, fsops_usage *out);

#endif
