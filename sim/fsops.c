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

char *fsops_resolve(const char *fs_root, const char *vms_path) {
    if (!vms_path || vms_path[0] != '/') return NULL;
    size_t root_len = strlen(fs_root);
    char *out = sim_xmalloc(root_len + strlen(vms_path) + 2);
    memcpy(out, fs_root, root_len);
    size_t len = root_len;
    const char *p = vms_path;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            free(out);
            return NULL;
        }
        out[len++] = '/';
        memcpy(out + len, p, n);
        len += n;
        p += n;
    }
    out[len] = '\0';
    return out;
}

bool fsops_is_dir(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fsops_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

int fsops_mkdirs(const char *path, mode_t mode) {
    char *copy = sim_strdup(path);
    int rc = 0;
    for (char *p = copy + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, mode) != 0 && errno != EEXIST) rc = -1;
        else if (!fsops_is_dir(copy)) rc = -1;
        *p = saved;
        if (saved == '\0') break;
    }
    free(copy);
    return rc;
}

/* Removes everything inside the directory dfd (which it closes). */
static int remove_contents(int dfd) {
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return -1;
    }
    int rc = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        struct stat st;
        if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0 || remove_contents(child) != 0) rc = -1;
            if (unlinkat(dirfd(dir), name, AT_REMOVEDIR) != 0) rc = -1;
        } else if (unlinkat(dirfd(dir), name, 0) != 0) {
            rc = -1;
        }
    }
    closedir(dir);
    return rc;
}

int fsops_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) return -1;
    int rc = remove_contents(dfd);
    if (rmdir(path) != 0) rc = -1;
    return rc;
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

int fsops_measure(const char *path, bool skip_snapshots, fsops_usage *out) {
    out->bytes = out->inodes = 0;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) return -1;
    measure_dir(dfd, skip_snapshots, out);
    return 0;
}

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
    int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) return -1;
    if (!step_begin(cs)) {
        close(in);
        return 1;
    }
    int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
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

int fsops_copy_tree(const char *src, const char *dst, const fsops_copy_hooks *hooks) {
    if (fsops_mkdirs(dst, 0755) != 0) return -1;
    int src_fd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int dst_fd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    copy_state cs = {.hooks = hooks, .chunk = hooks && hooks->chunk ? hooks->chunk : 65536};
    cs.buf = sim_xmalloc(cs.chunk);
    int rc = (src_fd < 0 || dst_fd < 0) ? -1 : copy_dir(&cs, src_fd, dst_fd);
    if (src_fd >= 0) close(src_fd);
    if (dst_fd >= 0) close(dst_fd);
    free(cs.buf);
    if (cs.stopped) return 1;
    return rc;
}
