/* Objects as files beneath DIR/fs; see s3_fs.h. */
#include "s3_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsops.h"
#include "safepath.h"
#include "support.h"

bool s3_fs_valid_key(const char *key) {
    size_t n = strlen(key);
    if (n == 0 || n > S3_FS_MAX_KEY || key[0] == '/' || key[n - 1] == '/') return false;
    char *path = sim_printf("/%s", key);
    bool ok = safepath_valid(path, n + 1);
    free(path);
    for (const char *p = key; ok && *p;) {
        size_t len = strcspn(p, "/");
        if ((len == strlen(FSOPS_SNAPSHOT_DIR) && strncmp(p, FSOPS_SNAPSHOT_DIR, len) == 0) ||
            strncmp(p, S3_FS_UPLOAD_PREFIX, strlen(S3_FS_UPLOAD_PREFIX)) == 0)
            ok = false;
        p += len + (p[len] == '/');
    }
    return ok;
}

/* The directory that holds the object (made when make) and the object's file name. */
static int open_parent(int root_fd, const char *bucket_path, const char *key, bool make, int *dir, const char **name) {
    const char *slash = strrchr(key, '/');
    *name = slash ? slash + 1 : key;
    size_t base = strlen(bucket_path);
    while (base > 1 && bucket_path[base - 1] == '/') base--;
    char *path = slash ? sim_printf("%.*s/%.*s", (int)base, bucket_path, (int)(slash - key), key)
                       : sim_printf("%.*s", (int)base, bucket_path);
    int err = strlen(path) + strlen(*name) + 2 >= PATH_MAX ? ENAMETOOLONG
              : make                                     ? safepath_mkdirs(root_fd, path, 0755, dir)
                                                         : safepath_open_dir(root_fd, path, dir);
    free(path);
    return err;
}

static int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int s3_fs_write(int root_fd, const char *bucket_path, const char *key, const char *data, size_t len) {
    int dir;
    const char *name;
    int err = open_parent(root_fd, bucket_path, key, true, &dir, &name);
    if (err != 0) return err;
    char tmp[64], suffix[17];
    sim_random_hex(suffix, 8);
    snprintf(tmp, sizeof tmp, "%s%s", S3_FS_UPLOAD_PREFIX, suffix);
    int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) err = errno;
    /* fsync before the rename: an acknowledged object survives a crash, like the state */
    if (fd >= 0 && (err = write_all(fd, data, len)) == 0 && fsync(fd) != 0) err = errno;
    if (fd >= 0 && close(fd) != 0 && err == 0) err = errno;
    if (fd >= 0 && err == 0 && renameat(dir, tmp, dir, name) != 0) err = errno;
    if (fd >= 0 && err != 0) unlinkat(dir, tmp, 0);
    close(dir);
    return err == ENOTEMPTY || err == EEXIST ? EISDIR : err;
}

int s3_fs_open(int root_fd, const char *bucket_path, const char *key, int *fd, struct stat *st) {
    int dir;
    const char *name;
    int err = open_parent(root_fd, bucket_path, key, false, &dir, &name);
    if (err != 0) return err == ENOTDIR || err == ELOOP ? ENOENT : err;
    *fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    err = *fd < 0 ? errno : fstat(*fd, st) != 0 ? errno : !S_ISREG(st->st_mode) ? ENOENT : 0;
    close(dir);
    if (err != 0 && *fd >= 0) close(*fd);
    return err == ELOOP ? ENOENT : err; /* a link is not an object */
}

int s3_fs_remove(int root_fd, const char *bucket_path, const char *key) {
    int dir;
    const char *name;
    int err = open_parent(root_fd, bucket_path, key, false, &dir, &name);
    if (err != 0) return err == ENOENT || err == ENOTDIR ? 0 : err;
    struct stat st;
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && unlinkat(dir, name, 0) != 0 &&
        errno != ENOENT)
        err = errno;
    close(dir);
    return err;
}

int s3_fs_md5_hex(int fd, char out[33]) {
    struct md5_ctx ctx;
    md5_init(&ctx);
    char chunk[65536];
    for (off_t at = 0;;) {
        ssize_t n = pread(fd, chunk, sizeof chunk, at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) break;
        md5_update(&ctx, (size_t)n, (const uint8_t *)chunk);
        at += n;
    }
    uint8_t digest[MD5_DIGEST_SIZE];
    md5_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

typedef struct {
    s3_fs_object *items;
    size_t n, cap;
    const char *prefix;
    dev_t dev;
} collected;

static void add_object(collected *c, const char *key, const struct stat *st) {
    if (strncmp(key, c->prefix, strlen(c->prefix)) != 0) return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->items = realloc(c->items, c->cap * sizeof *c->items);
        if (!c->items) abort();
    }
    c->items[c->n++] = (s3_fs_object){.key = sim_strdup(key), .size = (uint64_t)st->st_size,
                                      .mtime_ms = (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000};
}

/* Walks directory dfd (taken) whose keys start with base ("" or "a/b/"); links and
 * other mounts are not entered, .snapshot directories and uploads in flight skipped. */
static void walk(int dfd, const char *base, collected *c) {
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, FSOPS_SNAPSHOT_DIR) == 0 ||
            strncmp(name, S3_FS_UPLOAD_PREFIX, strlen(S3_FS_UPLOAD_PREFIX)) == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        char *key = sim_printf("%s%s", base, name);
        if (S_ISREG(st.st_mode)) {
            add_object(c, key, &st);
        } else if (S_ISDIR(st.st_mode) && st.st_dev == c->dev && strlen(key) < S3_FS_MAX_KEY) {
            size_t n = strlen(key), m = strlen(c->prefix);
            /* only directories that can hold keys with the prefix */
            bool relevant = strncmp(key, c->prefix, n < m ? n : m) == 0;
            int child = relevant ? openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
            char *next = sim_printf("%s/", key);
            if (child >= 0) walk(child, next, c);
            free(next);
        }
        free(key);
    }
    closedir(dir);
}

static int compare_objects(const void *a, const void *b) {
    return strcmp(((const s3_fs_object *)a)->key, ((const s3_fs_object *)b)->key);
}

int s3_fs_list(int root_fd, const char *bucket_path, const char *prefix, s3_fs_object **out, size_t *n) {
    *out = NULL;
    *n = 0;
    struct stat root_st;
    if (fstat(root_fd, &root_st) != 0) return errno;
    int dfd;
    int err = safepath_open_dir(root_fd, bucket_path, &dfd);
    if (err == ENOENT) return 0;
    if (err != 0) return err;
    collected c = {.prefix = prefix, .dev = root_st.st_dev};
    walk(dfd, "", &c);
    if (c.n > 1) qsort(c.items, c.n, sizeof *c.items, compare_objects);
    *out = c.items;
    *n = c.n;
    return 0;
}

void s3_fs_objects_free(s3_fs_object *objects, size_t n) {
    for (size_t i = 0; i < n; i++) free(objects[i].key);
    free(objects);
}
