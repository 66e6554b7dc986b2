/* Volumes with content: restores from a snapshot and clones of a volume, through VAST
 * global snapshot streams. The volume is reported only once its data is complete, so
 * no pod ever mounts a half-copied volume: while the stream copies, CreateVolume
 * answers ABORTED with the progress and the CO retries; the retry finds the same
 * stream (named from the destination) and picks up where it stands. */
#include "vk/vast.h"
#include "vk/names.h"

#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
    POLL_INITIAL_MS = 50,
    POLL_MAX_MS = 1000,
    /* stop waiting this long before the deadline, to answer before the CO gives up */
    ANSWER_MARGIN_MS = 1000,
    CLONE_SNAPSHOT_LIFETIME_S = 3600,
};

/* A snapshot to copy from: VAST's id, its directory and name. */
typedef struct {
    int64_t id;
    int64_t tenant_id;
    char path[VAST_PATH_MAX]; /* the volume directory it was taken of, no trailing slash */
    char name[128];
} source_snapshot;

static void strip_trailing_slash(char *path) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') path[--n] = '\0';
}

/* The source snapshot, proven this driver's (or the vendor driver's): a restore never
 * copies a directory the driver does not own into a PVC. */
static vk_code snapshot_by_id(vast_ctx *ctx, vk_strmap secrets, const char *dest_cluster,
                                       const char *snapshot_id, int64_t deadline, source_snapshot *out,
                                       vk_status *st) {
    vast_snapshot_target t;
    vk_code code = vast_snapshot_target_open(ctx, snapshot_id, secrets, deadline, &t, st);
    if (code == VK_OK && strcmp(t.ref.cluster, dest_cluster ? dest_cluster : "") != 0) {
        code = vk_status_set(st, VK_INVALID_ARGUMENT,
                             "source snapshot %s lives on cluster \"%s\" and the new volume on \"%s\": restores "
                             "copy within one VAST cluster",
                             snapshot_id, t.ref.cluster, dest_cluster ? dest_cluster : "");
    }
    if (code == VK_OK) {
        out->id = t.snap.obj.id;
        out->tenant_id = t.snap.obj.tenant_id;
        snprintf(out->path, sizeof out->path, "%s", t.snap.path);
        strip_trailing_slash(out->path);
        snprintf(out->name, sizeof out->name, "%s", t.snap.obj.name);
    }
    vast_snapshot_target_close(&t);
    return code;
}

vk_code vast_snapshot_view_path(vast_ctx *ctx, vk_strmap secrets, const char *dest_cluster,
                                        const char *snapshot_id, int64_t deadline, char *path, size_t size,
                                        int64_t *tenant_id, vk_status *st) {
    source_snapshot snap;
    vk_code code = snapshot_by_id(ctx, secrets, dest_cluster, snapshot_id, deadline, &snap, st);
    if (code != VK_OK) return code;
    snprintf(path, size, "%s/.snapshot/%s", snap.path, snap.name);
    *tenant_id = snap.tenant_id;
    return VK_OK;
}

static void iso_time_after(int64_t seconds, char *out, size_t size) {
    time_t t = time(NULL) + seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A volume's current data as a snapshot: the temporary one a volume-to-volume clone
 * copies from (it expires by itself should everything else fail). */
static vk_code snapshot_of_volume(vast_ctx *ctx, vms_client *c, const char *volume_id,
                                           vk_strmap secrets, const char *dest_cluster, const char *dest_path,
                                           int64_t deadline, source_snapshot *out, vk_status *st) {
    vast_volume_target src;
    vk_code code = vast_volume_target_open(ctx, volume_id, secrets, deadline, &src, st);
    if (code != VK_OK) {
        vast_volume_target_close(&src);
        return code == VK_NOT_FOUND
                   ? vk_status_set(st, VK_NOT_FOUND, "source volume %s does not exist", volume_id)
                   : code;
    }
    if (strcmp(src.ref.cluster, dest_cluster ? dest_cluster : "") != 0) {
        vast_volume_target_close(&src);
        return vk_status_set(st, VK_INVALID_ARGUMENT,
                             "source volume %s lives on cluster \"%s\" and the new volume on \"%s\": clones copy "
                             "within one VAST cluster",
                             volume_id, src.ref.cluster, dest_cluster ? dest_cluster : "");
    }
    if (src.kind != VAST_PATH_VOLUME) {
        vast_volume_target_close(&src);
        return vk_status_set(st, VK_INVALID_ARGUMENT,
                             "source volume %s is a read-only restore; clone its snapshot instead", volume_id);
    }
    vms_error err;
    char name[64], snap_path[VAST_PATH_MAX + 2], expires[32];
    vk_clone_snapshot_name(dest_path, name, sizeof name);
    snprintf(snap_path, sizeof snap_path, "%s/", src.path);
    iso_time_after(CLONE_SNAPSHOT_LIFETIME_S, expires, sizeof expires);
    vms_snapshot_spec spec = {.name = name, .path = snap_path, .tenant_id = src.tenant_id, .expiration_time = expires};
    vms_snapshot snap = {0};
    bool ok = vms_snapshot_create(c, &spec, &snap, deadline, &err);
    if (!ok && vms_error_is_unique_violation(&err)) {
        ok = vms_snapshot_find(c, VMS_FILTERS("name", name), &snap, deadline, &err) == VMS_FOUND;
    }
    if (ok) {
        out->id = snap.obj.id;
        out->tenant_id = src.tenant_id;
        snprintf(out->path, sizeof out->path, "%s", src.path);
        snprintf(out->name, sizeof out->name, "%s", name);
    } else {
        code = vms_fail(st, &err, "snapshotting source volume %s", volume_id);
    }
    vms_object_free(&snap.obj);
    vast_volume_target_close(&src);
    return code;
}

/* Finds or starts the stream that fills dest_path, and waits for it to finish while
 * the deadline allows. */
static vk_code run_stream(vms_client *c, const source_snapshot *src, const char *dest_path,
                                   int64_t dest_tenant, int64_t deadline, vk_status *st) {
    char name[64];
    vk_clone_stream_name(dest_path, name, sizeof name);
    vms_snapstream stream = {0};
    vms_error err;
    vms_lookup found = vms_snapstream_find(c, VMS_FILTERS("name", name), &stream, deadline, &err);
    if (found == VMS_FAILED) return vms_fail(st, &err, "looking up clone stream %s", name);
    if (found == VMS_MISSING) {
        vms_clone_spec spec = {.name = name, .loanee_root_path = dest_path, .loanee_tenant_id = dest_tenant,
                               .enabled = true};
        if (!vms_snapshot_clone(c, src->id, &spec, &stream, deadline, &err)) {
            return vms_fail(st, &err, "starting the copy of snapshot %s into %s", src->name, dest_path);
        }
        VK_LOG(VK_LOG_INFO, "clone started", "stream", name, "from", src->path, "snapshot", src->name, "into",
               dest_path);
    }
    if (vk_fault_point("controller.clone.after_start", st)) {
        vms_object_free(&stream.obj);
        return st->code;
    }
    int64_t stop_waiting = deadline == VK_DEADLINE_NONE ? VK_DEADLINE_NONE : deadline - ANSWER_MARGIN_MS;
    int64_t pause = POLL_INITIAL_MS;
    vk_code code = VK_OK;
    for (;;) {
        if (strcmp(stream.state, "FINISHED") == 0) break;
        if (strcmp(stream.state, "RUNNING") != 0 && strcmp(stream.state, "") != 0) {
            code = vk_status_set(st, VK_ABORTED,
                                 "clone stream %s into %s is %s; delete the PVC and create it again", name, dest_path,
                                 stream.state);
            break;
        }
        if (vk_now_ms() + pause >= stop_waiting) {
            code = vk_status_set(st, VK_ABORTED, "copying %s into %s: %d%% done; the CO will retry",
                                 src->name, dest_path, stream.progress);
            break;
        }
        struct timespec ts = {pause / 1000, (pause % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        pause = pause * 2 > POLL_MAX_MS ? POLL_MAX_MS : pause * 2;
        int64_t id = stream.obj.id;
        vms_object_free(&stream.obj);
        if (vms_snapstream_get(c, id, &stream, deadline, &err) != VMS_FOUND) {
            code = vms_fail(st, &err, "reading clone stream %s", name);
            break;
        }
    }
    vms_object_free(&stream.obj);
    return code;
}

vk_code vast_clone_into(vast_ctx *ctx, vms_client *c, const vast_content_source *source,
                                vk_strmap secrets, const char *dest_cluster, const char *dest_path, int64_t dest_tenant,
                                int64_t deadline, vk_status *st) {
    source_snapshot src;
    vk_code code;
    bool temporary = source->kind == VAST_SOURCE_VOLUME;
    if (source->kind == VAST_SOURCE_NONE) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "the content source names neither a snapshot nor a volume");
    }
    if (!source->id || !*source->id) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "the content source's %s id is empty",
                             temporary ? "volume" : "snapshot");
    }
    if (temporary) {
        code = snapshot_of_volume(ctx, c, source->id, secrets, dest_cluster, dest_path, deadline, &src, st);
    } else {
        code = snapshot_by_id(ctx, secrets, dest_cluster, source->id, deadline, &src, st);
    }
    if (code != VK_OK) return code;
    code = run_stream(c, &src, dest_path, dest_tenant, deadline, st);
    if (code == VK_OK && temporary) {
        /* the copy is complete: the temporary snapshot has served; if this fails it
         * expires on its own */
        vms_error err;
        if (vms_snapshot_delete(c, src.id, deadline, &err) == VMS_FAILED) {
            VK_LOG(VK_LOG_WARN, "cannot delete temporary clone snapshot; it will expire", "snapshot", src.name,
                   "error", err.message);
        }
    }
    return code;
}
