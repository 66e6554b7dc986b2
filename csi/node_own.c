/* Proof of ownership before unmount and removal: see node_own.h. */
#include "node_own.h"

#include "ephemeral_record.h"

#include "vk/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Mounts stacked at one path by retries after crashes: a handful; more is not ours. */
enum { MAX_STACKED = 16 };

#define TARGET_MARK "trusted.vast-csi.volume"

static csi_mount_limits limits_of(const csi_driver *d) {
    return (csi_mount_limits){d->options.mount_timeout_ms, d->options.unmount_timeout_ms, d->options.probe_timeout_ms};
}

bool csi_node_resolve(const csi_driver *d, const char *what, const char *path, bool make_dirs, csi_path *out,
                      vk_status *st) {
    *out = (csi_path)CSI_PATH_INIT;
    return csi_path_check(what, path, st) && csi_path_resolve(d->options.kubelet_dir, path, make_dirs, out, st);
}

bool csi_node_own_volume_path(const csi_driver *d, const char *volume_id, char *path, size_t size) {
    return csi_node_volume_path(volume_id, path, size) || csi_node_ephemeral_path(d, volume_id, path, size);
}

bool csi_node_unmount_own(const csi_driver *d, csi_path *p, const char *volume_id, const char *volume_path,
                          int *count, vk_status *st) {
    *count = 0;
    csi_mount_limits limits = limits_of(d);
    csi_mount_info *info = malloc(sizeof *info);
    if (!info) abort();
    bool ok = false;
    for (int i = 0; i < MAX_STACKED; i++) {
        csi_mount_at(p->fd, info);
        if (!info->mounted) {
            ok = true;
            break;
        }
        if (!volume_path || !csi_mount_serves(info, volume_path)) {
            vk_status_set(st, VK_FAILED_PRECONDITION,
                          "%s holds a mount that is not volume %s's (%s, source %s, root %s); it is left mounted",
                          p->path, volume_id, info->fstype, info->source, info->root);
            break;
        }
        /* the descriptor itself keeps the mount busy: let go of it first */
        close(p->fd);
        p->fd = -1;
        if (!csi_unmount_id(&limits, p->parent, p->name, p->path, info, st) || !csi_path_reopen(p, st)) break;
        (*count)++;
    }
    if (!ok && *count == MAX_STACKED) {
        vk_status_set(st, VK_INTERNAL, "%s still holds mounts after %d unmounts", p->path, MAX_STACKED);
    }
    free(info);
    return ok;
}

bool csi_node_open_source(const csi_driver *d, const csi_node_source *src, int *fd, vk_status *st) {
    *fd = -1;
    if (strcmp(src->fstype, "bind") != 0) return true;
    *fd = csi_path_open_beneath(d->options.bind_root, src->export_path + 1, st);
    return *fd >= 0;
}

void csi_node_mark_target(const csi_path *p, const char *volume_id) {
    char at[32];
    snprintf(at, sizeof at, "/proc/self/fd/%d", p->fd);
    if (setxattr(at, TARGET_MARK, volume_id, strlen(volume_id), 0) != 0) {
        /* without the mark only a retry after a crash mid-unpublish leaves the directory */
        VK_LOG(VK_LOG_DEBUG, "cannot mark the target directory", "target", p->path, "error", strerror(errno));
    }
}

static bool marked_for(const csi_path *p, const char *volume_id) {
    char at[32], value[512];
    snprintf(at, sizeof at, "/proc/self/fd/%d", p->fd);
    ssize_t n = getxattr(at, TARGET_MARK, value, sizeof value - 1);
    if (n < 0) return false;
    value[n] = '\0';
    return strcmp(value, volume_id) == 0;
}

void csi_node_remove_target(csi_path *p, const char *volume_id, bool unmounted) {
    csi_path_stat s;
    if (p->fd < 0 || !csi_path_statx(p->fd, &s) || !s.is_dir || s.mount_root) return;
    if (!unmounted && !marked_for(p, volume_id)) return;
    close(p->fd);
    p->fd = -1;
    /* rmdir: a directory someone wrote into stays, and so does anything that is not a
     * directory */
    if (unlinkat(p->parent, p->name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
        VK_LOG(VK_LOG_WARN, "target directory left in place", "target", p->path, "error", strerror(errno));
    }
}
