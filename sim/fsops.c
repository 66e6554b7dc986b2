/* Tree operations over directory file descriptors; see fsops.h. */
#include "fsops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

static bool is_dir(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fsops_mkdirs(const char *path, mode_t mode) {
    char *copy = sim_strdup(path);
    int rc = 0;
    for (char *p = copy + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, mode) != 0 && errno != EEXIST) rc = -1;
        else if (!is_dir(copy)) rc = -1;
        *p = saved;
        if (saved == '\0') break;
    }
    free(copy);
    return rc;
}

int fsops_remove_contents(int dfd, dev_t dev) {
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        int err = errno;
        close(dfd);
        return err;
    }
    int err = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        struct stat st;
        int e = 0;
        if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            e = errno == ENOENT ? 0 : errno;
        } else if (!S_ISDIR(st.st_mode)) {
            if (unlinkat(dirfd(dir), name, 0) != 0) e = errno; /* a link goes, not its target */
        } else if (st.st_dev != dev) {
            e = EXDEV; /* a mount point: its contents are not ours */
        } else {
            /* O_NOFOLLOW: a directory swapped for a link since fstatat is not entered. */
            int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            struct stat cst;
            if (child < 0) e = errno;
            else if (fstat(child, &cst) != 0 || cst.st_dev != dev) e = EXDEV, close(child);
            else e = fsops_remove_contents(child, dev);
            if (e == 0 && unlinkat(dirfd(dir), name, AT_REMOVEDIR) != 0) e = errno;
        }
        if (err == 0) err = e;
    }
    closedir(dir);
    return err;
}

static void measure_dir(int dfd, bool skip_snapshots, fsops_usage *out) {
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if (skip_snapshots && strcmp(name, FSOPS_SNAPSHOT_DIR) == 0) continue;
        struct stat st;
        if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        out->inodes++;
        if (S_ISREG(st.st_mode)) {
            out->bytes += (uint64_t)st.st_size;
        } else if (S_ISDIR(st.st_mode)) {
            int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child >= 0) measure_dir(child, skip_snapshots, out);
        }
    }
    closedir(dir);
}

void fsops_measure_fd(int dfd, bool skip_snapshots, fsops_usage *out) { measure_dir(dfd, skip_snapshots, out); }

typedef struct {
    const fsops_copy_hooks *hooks;
    char *buf;
    size_t chunk;
    bool stopped;
} copy_state;

static bool step_begin(copy_state *cs) {
    if (cs->hooks && cs->hooks->begin_step && !cs->hooks->begin_step(cs->hooks->arg)) {
        cs->stopped = true;
        return false;
    }
    return true;
}

static void step_end(copy_state *cs, size_t bytes) {
    if (cs->hooks && cs->hooks->end_step) cs->hooks->end_step(cs->hooks->arg, bytes);
}

static int copy_file(copy_state *cs, int src_dir, int dst_dir, const char *name, mode_t mode) {
    /* O_NONBLOCK: an entry swapped for a fifo since fstatat must not hang the copy. */
    int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0) return -1;
    struct stat st;
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(in);
        return -1;
    }
    if (!step_begin(cs)) {
        close(in);
        return 1;
    }
    /* A fresh file, never one already there: an entry left in the destination (a
     * restarted clone) may be a hard link to a file elsewhere, which O_TRUNC would
     * overwrite in place. */
    if (unlinkat(dst_dir, name, 0) != 0 && errno != ENOENT) {
        step_end(cs, 0);
        close(in);
        return -1;
    }
    int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
    step_end(cs, 0);
    int rc = out < 0 ? -1 : 0;
    while (rc == 0) {
        ssize_t n = read(in, cs->buf, cs->chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = -1;
        if (n <= 0) break;
        if (!step_begin(cs)) {
            rc = 1;
            break;
        }
        for (ssize_t done = 0; done < n && rc == 0;) {
            ssize_t w = write(out, cs->buf + done, (size_t)(n - done));
            if (w < 0 && errno != EINTR) rc = -1;
            if (w > 0) done += w;
        }
        step_end(cs, (size_t)n);
    }
    close(in);
    if (out >= 0) close(out);
    return rc;
}

static int copy_dir(copy_state *cs, int src_dir, int dst_dir);

static int copy_entry(copy_state *cs, int src_dir, int dst_dir, const char *name) {
    struct stat st;
    if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return -1;
    if (S_ISREG(st.st_mode)) return copy_file(cs, src_dir, dst_dir, name, st.st_mode);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(src_dir, name, target, sizeof target - 1);
        if (n < 0) return -1;
        target[n] = '\0';
        if (!step_begin(cs)) return 1;
        unlinkat(dst_dir, name, 0);
        int rc = symlinkat(target, dst_dir, name);
        step_end(cs, 0);
        return rc == 0 ? 0 : -1;
    }
    if (!S_ISDIR(st.st_mode)) return 0; /* devices, sockets, fifos: not part of a volume's data */
    if (!step_begin(cs)) return 1;
    int made = mkdirat(dst_dir, name, 0700);
    step_end(cs, 0);
    if (made != 0 && errno != EEXIST) return -1;
    int src_child = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int dst_child = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = (src_child < 0 || dst_child < 0) ? -1 : copy_dir(cs, src_child, dst_child);
    /* The mode goes on last, so a read-only directory can still be filled. */
    if (dst_child >= 0) {
        fchmod(dst_child, st.st_mode & 07777);
        close(dst_child);
    }
    if (src_child >= 0) close(src_child);
    return rc;
}

static int copy_dir(copy_state *cs, int src_dir, int dst_dir) {
    int walk_fd = dup(src_dir); /* closedir closes it; src_dir stays with the caller */
    DIR *dir = walk_fd < 0 ? NULL : fdopendir(walk_fd);
    if (!dir) {
        if (walk_fd >= 0) close(walk_fd);
        return -1;
    }
    rewinddir(dir); /* a dup shares the position, which an earlier walk may have moved */
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if (strcmp(name, FSOPS_SNAPSHOT_DIR) == 0) continue;
        rc = copy_entry(cs, src_dir, dst_dir, name);
    }
    closedir(dir);
    return rc;
}

int fsops_copy_fd(int src_fd, int dst_fd, const fsops_copy_hooks *hooks) {
    copy_state cs = {.hooks = hooks, .chunk = hooks && hooks->chunk ? hooks->chunk : 65536};
    cs.buf = sim_xmalloc(cs.chunk);
    int rc = copy_dir(&cs, src_fd, dst_fd);
    free(cs.buf);
    if (cs.stopped) return 1;
    return rc;
}
