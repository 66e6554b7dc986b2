#include "mounter.h"
#include "mount_helper.h"
#include "node_metrics.h"
#include "node_path.h"

#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { OUTPUT_MAX = 2048, ABANDONED_MAX = 4096 };


/* ---------- the parent side: run a helper within a bound ---------- */

static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t abandoned[ABANDONED_MAX];
static int n_abandoned;

/* Reaps helpers that were left stuck in the kernel and have finished since. */
static void reap_abandoned(void) {
    pthread_mutex_lock(&abandoned_lock);
    for (int i = n_abandoned - 1; i >= 0; i--) {
        if (waitpid(abandoned[i], NULL, WNOHANG) != 0) abandoned[i] = abandoned[--n_abandoned];
    }
    pthread_mutex_unlock(&abandoned_lock);
}

static void abandon(pid_t pid) {
    kill(pid, SIGKILL); /* takes effect when the kernel lets go of it */
    pthread_mutex_lock(&abandoned_lock);
    if (n_abandoned < ABANDONED_MAX) abandoned[n_abandoned++] = pid;
    int stuck = n_abandoned;
    pthread_mutex_unlock(&abandoned_lock);
    csi_node_metrics_abandoned_helper();
    char n[16];
    VK_LOG(VK_LOG_WARN, "helper abandoned: stuck in the kernel past its bound", "stuck_helpers",
           vk_fmt(n, sizeof n, "%d", stuck));
}

/* The binary helpers run: this one, resolved once (valgrind and friends report the
 * real program here, so helpers run the same binary). */
static char self[4096];

static void resolve_self(void) {
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
}

static const char *self_path(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, resolve_self);
    return self[0] ? self : "/proc/self/exe";
}

/* The small helper binary installed next to vast-csi starts in about a millisecond; the
 * plugin itself (--mount-helper) loads gRPC and friends first. Either works. */
static char helper[4096];

static void resolve_helper(void) {
    const char *me = self_path();
    const char *slash = strrchr(me, '/');
    if (slash && strcmp(me, "/proc/self/exe") != 0) {
        snprintf(helper, sizeof helper, "%.*s/vast-csi-mount-helper", (int)(slash - me), me);
        if (access(helper, X_OK) != 0) helper[0] = '\0';
    }
}

static const char *helper_path(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, resolve_helper);
    return helper;
}

typedef enum { RUN_DONE, RUN_TIMED_OUT, RUN_FAILED } run_result;

/* Starts `vast-csi --mount-helper args...` (or the small helper binary) with its
 * output on a pipe; pass[i] (when not -1) becomes the helper's fd 3 + i. Returns the
 * pipe's read end, or -1 with the reason in out. */
static int spawn_helper(const char *const *args, const int *pass, size_t n_pass, pid_t *pid, char *out,
                        size_t out_size) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(out, out_size, "pipe: %s", strerror(errno));
        return -1;
    }
    /* copies above the low numbers first, so one dup2 cannot overwrite another's source */
    int high[2] = {-1, -1};
    for (size_t i = 0; i < n_pass && i < 2; i++) {
        if (pass[i] >= 0) high[i] = fcntl(pass[i], F_DUPFD_CLOEXEC, 16);
    }
    /* the small helper takes OP ARGS...; the plugin binary --mount-helper OP ARGS... */
    bool small = helper_path()[0] != '\0';
    const char *argv[16] = {"vast-csi", "--mount-helper"};
    size_t n = 2;
    for (size_t i = 0; args[i] && n < 15; i++) argv[n++] = args[i];
    argv[n] = NULL;
    const char *const *small_argv = argv + 1; /* "--mount-helper" stands in for argv[0] */
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    for (int i = 0; i < 2; i++) {
        if (high[i] >= 0) posix_spawn_file_actions_adddup2(&actions, high[i], 3 + i);
    }
    int rc = small ? posix_spawn(pid, helper_path(), &actions, NULL, (char *const *)small_argv, environ)
                   : posix_spawn(pid, self_path(), &actions, NULL, (char *const *)argv, environ);
    if (rc == ENOENT || rc == EACCES || rc == ETXTBSY) {
        /* a binary replaced under us (an upgrade in place): run the one we are */
        rc = posix_spawn(pid, "/proc/self/exe", &actions, NULL, (char *const *)argv, environ);
    }
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 2; i++) {
        if (high[i] >= 0) close(high[i]);
    }
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        snprintf(out, out_size, "cannot start the mount helper: %s", strerror(rc));
        return -1;
    }
    return fds[0];
}

/* Reads fd into out until the helper closes its output (it exits) or the deadline;
 * returns the bytes read. */
static size_t collect_output(int fd, int64_t deadline, char *out, size_t out_size) {
    size_t used = 0;
    for (;;) {
        int64_t left = vk_deadline_remaining(deadline);
        if (left <= 0) break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;
        ssize_t got = read(fd, out + used, used + 1 < out_size ? out_size - used - 1 : 0);
        if (got > 0) {
            used += (size_t)got;
            out[used] = '\0';
            continue;
        }
        if (got == 0 || (errno != EINTR && errno != EAGAIN)) break;
    }
    close(fd);
    return used;
}

/* Waits for the helper's exit until the deadline: false (and the helper abandoned to
 * the reaper) when it has not exited by then. */
static bool wait_helper(pid_t pid, int64_t deadline, int *status) {
    for (;;) {
        pid_t done = waitpid(pid, status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) {
            *status = 255 << 8;
            break;
        }
        if (vk_deadline_remaining(deadline) <= 0) {
            abandon(pid);
            return false;
        }
        struct timespec pause = {0, 2 * 1000000L};
        nanosleep(&pause, NULL);
    }
    *status = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + (WIFSIGNALED(*status) ? WTERMSIG(*status) : 0);
    return true;
}

/* Runs the mount helper with args, collecting its output, for at most timeout_ms. pass[i]
 * (when not -1) becomes the helper's fd 3 + i: the resolved paths it works on
 * (/proc/self/fd/3...). On RUN_DONE, *status is its exit status. */
static run_result run_helper(const char *const *args, const int *pass, size_t n_pass, int timeout_ms, char *out,
                             size_t out_size, int *status) {
    reap_abandoned();
    out[0] = '\0';
    pid_t pid;
    int fd = spawn_helper(args, pass, n_pass, &pid, out, out_size);
    if (fd < 0) return RUN_FAILED;
    int64_t deadline = vk_deadline_in(timeout_ms);
    size_t used = collect_output(fd, deadline, out, out_size);
    /* the helper closed its output: it is exiting; give it what is left of the bound */
    if (!wait_helper(pid, deadline, status)) return RUN_TIMED_OUT;
    while (used > 0 && (out[used - 1] == '\n' || out[used - 1] == '\r')) out[--used] = '\0';
    return RUN_DONE;
}

/* ---------- operations ---------- */

bool csi_mount(const csi_mount_limits *limits, const char *fstype, const char *source, int source_fd,
               const char *target, int target_fd, const char *options, bool read_only, vk_status *st) {
    char out[OUTPUT_MAX];
    int status = 0;
    int pass[2] = {target_fd, source_fd};
    const char *args[] = {"mount", fstype, source_fd >= 0 ? "/proc/self/fd/4" : source, "/proc/self/fd/3",
                          options ? options : "", read_only ? "ro" : "rw", NULL};
    int64_t started = vk_now_ms();
    run_result r = run_helper(args, pass, 2, limits->mount_timeout_ms, out, sizeof out, &status);
    csi_node_metrics_operation(CSI_NODE_OP_MOUNT, started);
    if (r == RUN_TIMED_OUT) {
        vk_status_set(st, VK_DEADLINE_EXCEEDED,
                      "mounting %s on %s did not finish within %d ms: is the NFS server reachable from this node?",
                      source, target, limits->mount_timeout_ms);
        return false;
    }
    if (r == RUN_FAILED || status != 0) {
        vk_status_set(st, VK_UNAVAILABLE, "mounting %s on %s failed: %s", source, target,
                      out[0] ? out : "no reason given");
        return false;
    }
    return true;
}

static bool unmount_escalating(const csi_mount_limits *limits, int parent_fd, const char *name, const char *path,
                               const csi_mount_info *mount, vk_status *st) {
    static const char *const modes[] = {"normal", "force", "lazy"};
    char out[OUTPUT_MAX] = "", id[24];
    /* the helper checks the id statx shows at the path: the mountinfo one */
    snprintf(id, sizeof id, "%" PRIu64, mount->id);
    for (size_t i = 0; i < 3; i++) {
        if (!csi_mount_present(mount)) return true;
        const char *args[] = {"umount", name, modes[i], id, NULL};
        int status = 0;
        run_result r = run_helper(args, &parent_fd, 1, limits->unmount_timeout_ms, out, sizeof out, &status);
        if (r == RUN_DONE && status == HELPER_CHANGED) {
            /* someone else's mount now sits on top: stop, the caller looks again */
            vk_status_set(st, VK_FAILED_PRECONDITION, "the mount at %s changed while unmounting it: %s", path,
                          out);
            return false;
        }
        if (r == RUN_DONE && status == 0) {
            if (i > 0) VK_LOG(VK_LOG_WARN, "unmounted only by escalating", "target", path, "mode", modes[i]);
            /* a lazy detach is done at once; the others are checked on the next pass */
            if (i == 2) return true;
            continue;
        }
        if (r == RUN_TIMED_OUT) snprintf(out, sizeof out, "timed out after %d ms", limits->unmount_timeout_ms);
        VK_LOG(VK_LOG_WARN, "unmount attempt failed", "target", path, "mode", modes[i], "error",
               r == RUN_TIMED_OUT ? "timed out" : out);
    }
    if (!csi_mount_present(mount)) return true;
    vk_status_set(st, VK_INTERNAL, "cannot unmount %s (normal, forced and lazy unmount failed): %s", path,
                  out[0] ? out : "no reason given");
    return false;
}

bool csi_unmount_id(const csi_mount_limits *limits, int parent_fd, const char *name, const char *path,
                    const csi_mount_info *mount, vk_status *st) {
    int64_t started = vk_now_ms();
    bool ok = unmount_escalating(limits, parent_fd, name, path, mount, st);
    csi_node_metrics_operation(CSI_NODE_OP_UNMOUNT, started);
    return ok;
}

csi_probe_result csi_probe_usage(const csi_mount_limits *limits, const char *path, int fd, csi_fs_usage *usage,
                                 char *message, size_t size) {
    char out[OUTPUT_MAX];
    int status = 0;
    const char *args[] = {"statvfs", fd >= 0 ? "/proc/self/fd/3" : path, NULL};
    int64_t started = vk_now_ms();
    run_result r = run_helper(args, &fd, 1, limits->probe_timeout_ms, out, sizeof out, &status);
    csi_node_metrics_operation(CSI_NODE_OP_PROBE, started);
    if (r == RUN_TIMED_OUT) {
        snprintf(message, size, "the file system at %s did not answer within %d ms: NFS server unreachable", path,
                 limits->probe_timeout_ms);
        return CSI_PROBE_UNREACHABLE;
    }
    if (r == RUN_FAILED) {
        snprintf(message, size, "%s", out);
        return CSI_PROBE_ERROR;
    }
    if (status == HELPER_MISSING) {
        snprintf(message, size, "%s does not exist", path);
        return CSI_PROBE_MISSING;
    }
    if (status == HELPER_STALE) {
        snprintf(message, size, "stale NFS file handle at %s: the export changed on the server; the volume is "
                                "remounted by the next NodeStageVolume/NodePublishVolume", path);
        return CSI_PROBE_STALE;
    }
    long long v[6];
    if (status != 0 || sscanf(out, "%lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
        snprintf(message, size, "probing %s failed: %s", path, out[0] ? out : "no reason given");
        return CSI_PROBE_ERROR;
    }
    usage->total_bytes = v[0];
    usage->available_bytes = v[1];
    usage->used_bytes = v[2];
    usage->total_inodes = v[3];
    usage->free_inodes = v[4];
    usage->used_inodes = v[5];
    message[0] = '\0';
    return CSI_PROBE_OK;
}

/* ---------- which mounts are the volume's ---------- */

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char bind_root[PATH_MAX];

void csi_mount_set_bind_root(const char *root) { snprintf(bind_root, sizeof bind_root, "%s", root ? root : ""); }

/* Bind mode: the mount shows <bind root><volume path> when the mounted directory is
 * that very directory (same device and inode). The mount table's root is relative to
 * the file system the directory lives on, so a path comparison alone cannot tell
 * /data/k8s/pvc-1 from /k8s/pvc-1. Both sides are opened without following links
 * (local directories: this cannot hang). */
static bool same_directory(const csi_mount_info *info, const char *volume_path) {
    vk_status ignored;
    csi_path_stat want, got;
    int fd = csi_path_open_beneath(bind_root, volume_path + 1, &ignored);
    bool known = fd >= 0 && csi_path_statx(fd, &want);
    if (fd >= 0) close(fd);
    if (!known) return false;
    if (info->have_inode) return info->dev == want.dev && info->ino == want.ino;
    int at = csi_path_open_beneath("/", info->target + 1, &ignored);
    known = at >= 0 && csi_path_statx(at, &got);
    if (at >= 0) close(at);
    return known && got.dev == want.dev && got.ino == want.ino;
}

bool csi_mount_serves(const csi_mount_info *info, const char *volume_path) {
    if (!info->mounted || volume_path[0] != '/') return false;
    if (strncmp(info->fstype, "nfs", 3) == 0) {
        /* "server:/export"; a bracketed IPv6 server holds no ":/" */
        const char *colon = strstr(info->source, ":/");
        return colon && strcmp(colon + 1, volume_path) == 0;
    }
    /* a bind mount: its root must at least end with the volume's path, and in bind mode
     * be the volume's own directory */
    if (!ends_with(info->root, volume_path)) return false;
    return !bind_root[0] || same_directory(info, volume_path);
}

typedef struct {
    const char *volume_path;
    char (*targets)[PATH_MAX];
    uint64_t *ids;
    size_t max, n;
} serves_ctx;

static bool collect_serving(const csi_mount_info *info, void *p) {
    serves_ctx *ctx = p;
    if (csi_mount_serves(info, ctx->volume_path)) {
        if (ctx->n < ctx->max) {
            snprintf(ctx->targets[ctx->n], sizeof ctx->targets[0], "%s", info->target);
            ctx->ids[ctx->n] = info->id;
        }
        ctx->n++;
    }
    return true;
}

size_t csi_mounts_of(const char *volume_path, char (*targets)[PATH_MAX], uint64_t *ids, size_t max) {
    serves_ctx ctx = {volume_path, targets, ids, max, 0};
    csi_mount_table_each(collect_serving, &ctx);
    return ctx.n;
}
