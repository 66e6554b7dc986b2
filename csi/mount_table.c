/* The mount table, one mount at a time where the kernel allows: see mount_table.h. */
#include "mount_table.h"

#include "mount_statmount.h"
#include "node_path.h"

#include <errno.h>
#include <libmount.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_bool force_parse;

void csi_mount_table_force_parse(bool on) { atomic_store(&force_parse, on); }

/* ---------- the whole table, parsed ---------- */

/* Calls fn for every mount, newest last; stops when fn returns false. Exact string
 * comparisons only: libmount is given no cache, so it never canonicalizes a path
 * (a realpath on a dead NFS mount would hang). */
static void each_fs(bool (*fn)(struct libmnt_fs *fs, void *ctx), void *ctx) {
    struct libmnt_table *table = mnt_new_table_from_file("/proc/self/mountinfo");
    if (!table) return;
    struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs;
    while (it && mnt_table_next_fs(table, it, &fs) == 0) {
        if (!fn(fs, ctx)) break;
    }
    mnt_free_iter(it);
    mnt_unref_table(table);
}

static void copy_str(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src ? src : ""); }

static void fill_info(struct libmnt_fs *fs, csi_mount_info *o) {
    memset(o, 0, sizeof *o);
    o->mounted = true;
    o->id = (uint64_t)mnt_fs_get_id(fs);
    copy_str(o->target, sizeof o->target, mnt_fs_get_target(fs));
    copy_str(o->source, sizeof o->source, mnt_fs_get_source(fs));
    copy_str(o->root, sizeof o->root, mnt_fs_get_root(fs));
    copy_str(o->fstype, sizeof o->fstype, mnt_fs_get_fstype(fs));
    const char *opts = mnt_fs_get_vfs_options(fs);
    o->read_only = opts && (strncmp(opts, "ro", 2) == 0 && (opts[2] == '\0' || opts[2] == ','));
}

typedef struct {
    const char *target; /* by mount point, or */
    uint64_t id;        /* by mountinfo id (target NULL) */
    csi_mount_info *out;
} lookup_ctx;

static bool lookup_one(struct libmnt_fs *fs, void *p) {
    lookup_ctx *ctx = p;
    if (!ctx->target) {
        if ((uint64_t)mnt_fs_get_id(fs) != ctx->id) return true;
        fill_info(fs, ctx->out);
        return false;
    }
    const char *target = mnt_fs_get_target(fs);
    if (target && strcmp(target, ctx->target) == 0) fill_info(fs, ctx->out); /* the last one is on top */
    return true;
}

/* The entry of mountinfo id, from one parse; out->mounted false when there is none. */
static void parse_for_id(uint64_t id, csi_mount_info *out) {
    memset(out, 0, sizeof *out);
    lookup_ctx ctx = {NULL, id, out};
    each_fs(lookup_one, &ctx);
}

bool csi_mount_lookup(const char *target, csi_mount_info *out) {
    memset(out, 0, sizeof *out);
    lookup_ctx ctx = {target, 0, out};
    each_fs(lookup_one, &ctx);
    return true;
}

typedef struct {
    bool (*fn)(const csi_mount_info *info, void *ctx);
    void *ctx;
    csi_mount_info *scratch;
} each_ctx;

static bool each_one(struct libmnt_fs *fs, void *p) {
    each_ctx *e = p;
    fill_info(fs, e->scratch);
    return e->fn(e->scratch, e->ctx);
}

void csi_mount_table_each(bool (*fn)(const csi_mount_info *info, void *ctx), void *ctx) {
    each_ctx e = {fn, ctx, malloc(sizeof(csi_mount_info))};
    if (!e.scratch) abort();
    each_fs(each_one, &e);
    free(e.scratch);
}

typedef struct {
    const char *const *addresses;
    size_t n;
    int *count;
} count_ctx;

static bool count_server(struct libmnt_fs *fs, void *p) {
    count_ctx *ctx = p;
    const char *type = mnt_fs_get_fstype(fs), *source = mnt_fs_get_source(fs);
    if (!type || strncmp(type, "nfs", 3) != 0 || !source) return true;
    const char *colon = strrchr(source, ':');
    if (!colon) return true;
    size_t len = (size_t)(colon - source);
    for (size_t i = 0; i < ctx->n; i++) {
        if (strlen(ctx->addresses[i]) == len && strncmp(ctx->addresses[i], source, len) == 0) ctx->count[i]++;
    }
    return true;
}

void csi_mount_count_servers(const char *const *addresses, size_t n, int *count) {
    memset(count, 0, n * sizeof *count);
    count_ctx ctx = {addresses, n, count};
    each_fs(count_server, &ctx);
}

/* ---------- one mount ---------- */

bool csi_mount_at(int fd, csi_mount_info *out) {
    memset(out, 0, sizeof *out);
    csi_path_stat s;
    if (fd < 0 || !csi_path_statx_unique(fd, &s) || !s.mount_root) return true;
    /* by the never-reused id, the entry is that of the very mount statx saw */
    int e = s.mnt_id_unique && !atomic_load(&force_parse) ? csi_statmount(s.mnt_id, out) : ENOSYS;
    if (e == ENOENT) {
        memset(out, 0, sizeof *out); /* unmounted since statx: nothing is mounted there now */
        return true;
    }
    if (e != 0) {
        /* one parse, by the id mountinfo shows (asked again: statx gives one kind of id
         * per call); unique_id stays 0, so csi_mount_present parses too */
        if (s.mnt_id_unique && (!csi_path_statx(fd, &s) || !s.mount_root)) return true;
        parse_for_id(s.mnt_id, out);
    }
    if (out->mounted) {
        out->have_inode = true;
        out->dev = s.dev;
        out->ino = s.ino;
    }
    return true;
}

bool csi_mount_present(const csi_mount_info *m) {
    if (m->unique_id && !atomic_load(&force_parse)) {
        int e = csi_statmount_present(m->unique_id);
        if (e == 0) return true;
        if (e == ENOENT) return false;
    }
    csi_mount_info *info = malloc(sizeof *info);
    if (!info) abort();
    parse_for_id(m->id, info);
    bool present = info->mounted;
    free(info);
    return present;
}
