/* Path rules and link-free resolution for the node: see node_path.h. */
#include "node_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool force_walk;

void csi_path_force_walk(bool on) { force_walk = on; }

bool csi_path_check(const char *what, const char *path, vk_status *st) {
    size_t len = strlen(path);
    if (path[0] != '/') {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "%s \"%.200s\" must be an absolute path", what, path),
               false;
    }
    if (len > PATH_MAX - 1) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "%s is %zu bytes long; at most %d are accepted", what,
                             len, PATH_MAX - 1),
               false;
    }
    if (len == 1) return vk_status_set(st, VK_INVALID_ARGUMENT, "%s must not be /", what), false;
    for (const char *c = path + 1;;) {
        const char *end = strchr(c, '/');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "%s \"%s\" has an empty, \".\" or \"..\" component; the node takes only canonical paths",
                          what, path);
            return false;
        }
        if (n > NAME_MAX) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "%s has a component of %zu bytes; at most %d are accepted",
                          what, n, NAME_MAX);
            return false;
        }
        if (!end) break;
        c = end + 1;
    }
    return true;
}

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U /* Linux 6.8; older headers lack it */
#endif

/* One statx for both entry points: which mount id is asked for is the only difference. */
static bool path_statx(int fd, unsigned int mount_id_kind, csi_path_stat *out) {
    memset(out, 0, sizeof *out);
    struct statx sx;
    /* DONT_SYNC: the attributes the kernel has, never a round trip to an NFS server */
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
              STATX_TYPE | STATX_INO | mount_id_kind, &sx) != 0) {
        return false;
    }
    /* a kernel that does not know STATX_MNT_ID_UNIQUE answers with the reused id (and
     * says so in stx_mask), so the two kinds are never confused */
    out->mnt_id = sx.stx_mnt_id;
    out->mnt_id_unique = (sx.stx_mask & STATX_MNT_ID_UNIQUE) != 0;
    out->mount_root = (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
    out->is_dir = S_ISDIR(sx.stx_mode);
    out->is_link = S_ISLNK(sx.stx_mode);
    out->is_reg = S_ISREG(sx.stx_mode);
    out->dev = ((uint64_t)sx.stx_dev_major << 32) | sx.stx_dev_minor;
    out->ino = sx.stx_ino;
    return true;
}

bool csi_path_statx(int fd, csi_path_stat *out) { return path_statx(fd, STATX_MNT_ID, out); }

bool csi_path_statx_unique(int fd, csi_path_stat *out) { return path_statx(fd, STATX_MNT_ID_UNIQUE, out); }

/* One component under dir, never following it. A link is ELOOP; with must_be_dir, a
 * non-directory is ENOTDIR. */
static int open_component(int dir, const char *name, bool must_be_dir) {
    int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    csi_path_stat s;
    if (!csi_path_statx(fd, &s)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (s.is_link || (must_be_dir && !s.is_dir)) {
        close(fd);
        errno = s.is_link ? ELOOP : ENOTDIR;
        return -1;
    }
    return fd;
}

/* Opens rel (relative, clean, may be "") under root component by component; with make,
 * creates missing directories. Returns an O_PATH fd or -1 with errno. */
static int walk(int root, const char *rel, bool must_be_dir, bool make, bool *created) {
    if (created) *created = false;
    int cur = fcntl(root, F_DUPFD_CLOEXEC, 0);
    if (cur < 0) return -1;
    char name[NAME_MAX + 1];
    for (const char *c = rel; *c;) {
        const char *end = strchr(c, '/');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if (n > NAME_MAX) {
            close(cur);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(name, c, n);
        name[n] = '\0';
        bool last = !end;
        int next = open_component(cur, name, !last || must_be_dir);
        if (next < 0 && errno == ENOENT && make) {
            bool made = mkdirat(cur, name, 0750) == 0;
            if (!made && errno != EEXIST) {
                close(cur);
                return -1;
            }
            if (last && created) *created = made;
            next = open_component(cur, name, true);
        }
        int e = errno;
        close(cur);
        if (next < 0) {
            errno = e;
            return -1;
        }
        cur = next;
        c = last ? c + n : end + 1;
    }
    return cur;
}

/* openat2 with no links at all (and beneath root when confined); the walk where the
 * kernel has no openat2. */
static int open_nofollow(int root, const char *rel, bool beneath, bool must_be_dir) {
    if (!force_walk) {
        struct open_how how = {
            .flags = O_PATH | O_CLOEXEC | (must_be_dir ? O_DIRECTORY : 0),
            .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | (beneath ? RESOLVE_BENEATH : 0),
        };
        long fd = syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof how);
        if (fd >= 0 || errno != ENOSYS) return (int)fd;
    }
    return walk(root, rel, must_be_dir, false, NULL);
}

static bool refuse(vk_status *st, const char *path, int err, const char *beneath) {
    if (err == ELOOP) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "%s passes through a symbolic link; the node follows no links in staging and target paths",
                      path);
    } else if (err == EXDEV) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "%s leaves %s", path, beneath ? beneath : "/");
    } else if (err == ENOTDIR) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "a component of %s is not a directory", path);
    } else {
        vk_status_set(st, VK_INTERNAL, "cannot open %s: %s", path, strerror(err));
    }
    return false;
}

void csi_path_close(csi_path *p) {
    if (p->fd >= 0) close(p->fd);
    if (p->parent >= 0) close(p->parent);
    p->fd = p->parent = -1;
}

/* The part of path under beneath, or NULL when path is not under it. */
static const char *under(const char *beneath, const char *path) {
    size_t n = strlen(beneath);
    while (n > 1 && beneath[n - 1] == '/') n--;
    if (n == 1 && beneath[0] == '/') return path + 1;
    if (strncmp(path, beneath, n) != 0 || path[n] != '/' || !path[n + 1]) return NULL;
    return path + n + 1;
}

bool csi_path_resolve(const char *beneath, const char *path, bool make_dirs, csi_path *out, vk_status *st) {
    *out = (csi_path)CSI_PATH_INIT;
    out->path = path;
    bool confined = beneath && *beneath;
    const char *rel = confined ? under(beneath, path) : path + 1;
    if (!rel) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "%s is not under --kubelet-dir %s", path, beneath);
        return false;
    }
    int root = open(confined ? beneath : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        vk_status_set(st, VK_FAILED_PRECONDITION, "cannot open %s: %s", confined ? beneath : "/",
                      strerror(errno));
        return false;
    }
    const char *slash = strrchr(rel, '/');
    size_t dir_len = slash ? (size_t)(slash - rel) : 0;
    snprintf(out->name, sizeof out->name, "%s", slash ? slash + 1 : rel);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)dir_len, rel);

    out->parent = open_nofollow(root, dir, confined, true);
    /* missing directories are made one by one, each relative to the one above */
    if (out->parent < 0 && errno == ENOENT && make_dirs) out->parent = walk(root, dir, true, true, NULL);
    int err = errno;
    if (out->parent < 0 && err != ENOENT) {
        close(root);
        return refuse(st, path, err, beneath);
    }
    close(root);
    if (out->parent < 0) return true; /* a parent is missing: so is the path */
    out->fd = open_component(out->parent, out->name, false);
    if (out->fd < 0 && errno == ENOENT && make_dirs) {
        if (mkdirat(out->parent, out->name, 0750) == 0) {
            out->created = true;
        } else if (errno != EEXIST) {
            err = errno;
            csi_path_close(out);
            vk_status_set(st, VK_INTERNAL, "cannot create %s: %s", path, strerror(err));
            return false;
        }
        out->fd = open_component(out->parent, out->name, true);
    }
    if (out->fd < 0 && errno != ENOENT) {
        err = errno;
        csi_path_close(out);
        return refuse(st, path, err, beneath);
    }
    return true;
}

bool csi_path_reopen(csi_path *p, vk_status *st) {
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
    if (p->parent < 0) return true;
    p->fd = open_component(p->parent, p->name, false);
    if (p->fd < 0 && errno != ENOENT) return refuse(st, p->path, errno, NULL);
    return true;
}

int csi_path_open_beneath(const char *dir, const char *rel, vk_status *st) {
    int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        vk_status_set(st, VK_FAILED_PRECONDITION, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    int fd = open_nofollow(root, rel, true, true);
    int err = errno;
    close(root);
    if (fd >= 0) return fd;
    if (err == ENOENT) {
        vk_status_set(st, VK_NOT_FOUND, "%s/%s does not exist", dir, rel);
    } else if (err == ELOOP || err == EXDEV) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "%s/%s passes through a symbolic link or leaves %s; bind sources are resolved beneath it "
                      "without following links",
                      dir, rel, dir);
    } else if (err == ENOTDIR) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "%s/%s is not a directory", dir, rel);
    } else {
        vk_status_set(st, VK_INTERNAL, "cannot open %s/%s: %s", dir, rel, strerror(err));
    }
    return -1;
}
