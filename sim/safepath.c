/* VMS paths resolved beneath DIR/fs without following links; see safepath.h. */
#include "safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "support.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Set once openat2 answered ENOSYS (an old kernel, or a seccomp filter), or by tests. */
static atomic_bool use_walk;

void safepath_force_walk(bool on) { atomic_store(&use_walk, on); }

static bool is_dot_or_dotdot(const char *p, size_t n) { return (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'); }

bool safepath_valid_name(const char *name, size_t len) {
    return name && len > 0 && len <= NAME_MAX && !memchr(name, '\0', len) && !memchr(name, '/', len) &&
           !is_dot_or_dotdot(name, len);
}

bool safepath_valid(const char *path, size_t len) {
    if (!path || len == 0 || len >= PATH_MAX || path[0] != '/' || memchr(path, '\0', len)) return false;
    size_t end = len > 1 && path[len - 1] == '/' ? len - 1 : len; /* one trailing slash */
    if (end == 1) return len == 1;                                 /* "/" is the root, "//" is not */
    for (size_t i = 1;;) {
        const char *slash = memchr(path + i, '/', end - i);
        size_t n = slash ? (size_t)(slash - (path + i)) : end - i;
        if (n == 0 || n > NAME_MAX || is_dot_or_dotdot(path + i, n)) return false;
        if (!slash) return true;
        i += n + 1;
        if (i == end) return false; /* "/a//": an empty last component */
    }
}

int safepath_open_root(const char *fs_root) { return open(fs_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC); }

/* path relative to the root: "/k8s/vol/" -> "k8s/vol", "/" -> "." (malloc'd). */
static char *relative(const char *path) {
    while (*path == '/') path++;
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/') n--;
    return n == 0 ? sim_strdup(".") : strndup(path, n);
}

/* O_NOFOLLOW | O_DIRECTORY on a link fails with ENOTDIR rather than ELOOP; report a
 * link as ELOOP, as openat2's RESOLVE_NO_SYMLINKS does. */
static int link_or(int dir, const char *name, int err) {
    struct stat st;
    if ((err == ENOTDIR || err == ELOOP) && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return ELOOP;
    return err;
}

/* The walk: one component at a time, each opened with O_NOFOLLOW relative to the last,
 * so a link at any component fails with ELOOP. Valid VMS paths hold no "..", so the walk
 * cannot climb out. With make, missing directories are created on the way. */
static int walk(int root_fd, const char *rel, bool make, mode_t mode, int *out) {
    int fd = openat(root_fd, ".", DIR_FLAGS); /* its own open file: a dup would share the read position */
    if (fd < 0) return errno;
    if (strcmp(rel, ".") == 0) {
        *out = fd;
        return 0;
    }
    char *copy = sim_strdup(rel), *save = NULL;
    int err = 0;
    for (char *name = strtok_r(copy, "/", &save); name && err == 0; name = strtok_r(NULL, "/", &save)) {
        int next = openat(fd, name, DIR_FLAGS);
        if (next < 0 && errno == ENOENT && make) {
            if (mkdirat(fd, name, mode) != 0 && errno != EEXIST) err = errno;
            else next = openat(fd, name, DIR_FLAGS);
        }
        if (next < 0 && err == 0) err = link_or(fd, name, errno);
        close(fd);
        fd = next;
    }
    free(copy);
    if (err != 0) {
        if (fd >= 0) close(fd);
        return err;
    }
    *out = fd;
    return 0;
}

static int resolve_dir(int root_fd, const char *rel, int *out) {
    if (!atomic_load(&use_walk)) {
        struct open_how how = {
            .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
        if (fd >= 0) {
            *out = (int)fd;
            return 0;
        }
        if (errno != ENOSYS) return errno;
        atomic_store(&use_walk, true);
    }
    return walk(root_fd, rel, false, 0, out);
}

int safepath_open_dir(int root_fd, const char *path, int *fd) {
    char *rel = relative(path);
    int err = resolve_dir(root_fd, rel, fd);
    free(rel);
    return err;
}

/* Opens the parent directory of path and hands back its last component (malloc'd).
 * EINVAL for the root, which has no parent. */
static int open_parent(int root_fd, const char *path, int *parent_fd, char **name) {
    char *rel = relative(path);
    if (strcmp(rel, ".") == 0) {
        free(rel);
        return EINVAL;
    }
    char *slash = strrchr(rel, '/');
    int err;
    if (slash) {
        *slash = '\0';
        *name = sim_strdup(slash + 1);
        err = resolve_dir(root_fd, rel, parent_fd);
    } else {
        *name = sim_strdup(rel);
        err = resolve_dir(root_fd, ".", parent_fd);
    }
    free(rel);
    if (err != 0) {
        free(*name);
        *name = NULL;
    }
    return err;
}

int safepath_stat(int root_fd, const char *path, struct stat *st) {
    int parent;
    char *name;
    int err = open_parent(root_fd, path, &parent, &name);
    if (err == EINVAL) return fstat(root_fd, st) == 0 ? 0 : errno;
    if (err != 0) return err;
    if (fstatat(parent, name, st, AT_SYMLINK_NOFOLLOW) != 0) err = errno;
    close(parent);
    free(name);
    return err;
}

int safepath_mkdirs(int root_fd, const char *path, mode_t mode, int *fd) {
    char *rel = relative(path);
    int dir;
    /* Most directories asked for already exist or lack only their last components, but
     * benchmarks create thousands: the walk is a few syscalls per component, cheap enough. */
    int err = walk(root_fd, rel, true, mode, &dir);
    free(rel);
    if (err != 0) return err;
    if (fd) *fd = dir;
    else close(dir);
    return 0;
}

/* The directory `name` in parent, opened without following a link and checked to be on
 * device dev; ELOOP for a link, ENOTDIR for a file, EXDEV for another mount. */
static int open_child_dir(int parent, const char *name, dev_t dev, int *out) {
    int fd = openat(parent, name, DIR_FLAGS);
    if (fd < 0) return errno;
    struct stat st;
    int err = fstat(fd, &st) != 0 ? errno : st.st_dev != dev ? EXDEV : 0;
    if (err != 0) close(fd);
    else *out = fd;
    return err;
}

int safepath_remove_tree(int root_fd, const char *path) {
    struct stat root_st;
    if (fstat(root_fd, &root_st) != 0) return errno;
    int parent, dir = -1;
    char *name;
    int err = open_parent(root_fd, path, &parent, &name);
    if (err != 0) return err;
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) err = errno;
    else if (S_ISLNK(st.st_mode)) err = ELOOP;
    else if (!S_ISDIR(st.st_mode)) err = ENOTDIR;
    else err = open_child_dir(parent, name, root_st.st_dev, &dir);
    if (err == 0) err = fsops_remove_contents(dir, root_st.st_dev);
    if (err == 0 && unlinkat(parent, name, AT_REMOVEDIR) != 0) err = errno;
    close(parent);
    free(name);
    return err;
}

int safepath_remove_if_empty(int root_fd, const char *path) {
    int parent;
    char *name;
    int err = open_parent(root_fd, path, &parent, &name);
    if (err != 0) return err == ENOENT ? 0 : err;
    /* unlinkat(AT_REMOVEDIR) never follows a link (a link there is ENOTDIR). */
    if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
        err = errno;
    close(parent);
    free(name);
    return err;
}

int safepath_empty_root(int root_fd) {
    struct stat st;
    if (fstat(root_fd, &st) != 0) return errno;
    int fd = openat(root_fd, ".", DIR_FLAGS); /* its own open file: a dup would share the read position */
    if (fd < 0) return errno;
    return fsops_remove_contents(fd, st.st_dev);
}

int safepath_measure(int root_fd, const char *path, bool skip_snapshots, fsops_usage *out) {
    out->bytes = out->inodes = 0;
    int fd;
    int err = safepath_open_dir(root_fd, path, &fd);
    if (err != 0) return err;
    fsops_measure_fd(fd, skip_snapshots, out);
    return 0;
}
