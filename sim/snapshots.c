/* Snapshots and global snapshot streams; see snapshots.h. */
#include "snapshots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "api_actions.h"
#include "clones.h"
#include "collections.h"
#include "fsops.h"
#include "objects.h"
#include "safepath.h"
#include "store.h"
#include "support.h"
#include "tasks.h"

static const char *state_of(json_t *stream) {
    const char *state = json_string_value(json_object_get(json_object_get(stream, "status"), "state"));
    return state ? state : "";
}

static void set_status(json_t *stream, const char *state, json_int_t progress) {
    json_object_set_new(stream, "status", json_pack("{s:s, s:I}", "state", state, "progress", progress));
}

/* A snapshot that a running stream still copies from must stay. */
static bool snapshot_in_use(sim_ctx *ctx, json_int_t snapshot_id) {
    size_t i;
    json_t *stream;
    json_array_foreach(store_list(ctx->store, "globalsnapstreams"), i, stream) {
        if (json_integer_value(json_object_get(stream, "loanee_snapshot_id")) == snapshot_id &&
            strcmp(state_of(stream), "RUNNING") == 0)
            return true;
    }
    return false;
}

/* lstat of path as an errno: a link at the last component is ELOOP, not a file. */
static int stat_dir(sim_ctx *ctx, const char *path) {
    struct stat st;
    int err = safepath_stat(ctx->fs_fd, path, &st);
    if (err == 0 && S_ISLNK(st.st_mode)) return ELOOP;
    if (err == 0 && !S_ISDIR(st.st_mode)) return ENOTDIR;
    return err;
}

/* ---- snapshots ---- */

static int snapshot_validate(sim_request *req, json_t *obj, json_t *old, sim_response *resp) {
    (void)req, (void)old;
    const char *name = json_string_value(json_object_get(obj, "name"));
    if (!name || !safepath_valid_name(name, json_string_length(json_object_get(obj, "name"))))
        return sim_reply_field_error(resp, "name",
                                     "A snapshot name cannot be empty, contain \"/\" or a NUL byte, or be \".\" or \"..\".");
    if (!json_is_string(json_object_get(obj, "path")))
        return sim_reply_field_error(resp, "path", "Not a valid string.");
    json_t *expiry = json_object_get(obj, "expiration_time");
    int64_t ms;
    if (expiry && !json_is_null(expiry) && !sim_parse_iso8601(json_string_value(expiry), &ms))
        return sim_reply_field_error(resp, "expiration_time",
                                     "Datetime has wrong format. Use one of these formats instead: "
                                     "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].");
    return 0;
}

/* The copy is made before the object is stored, so an acknowledged snapshot always has
 * its data; leftovers of an interrupted earlier attempt are cleared first. */
static int snapshot_prepare(sim_request *req, json_t *obj, sim_response *resp) {
    sim_ctx *ctx = req->ctx;
    const char *path = coll_vms_path(obj, "path", resp);
    if (!path) return -1;
    int err = stat_dir(ctx, path);
    if (err != 0) return coll_fs_error(resp, "path", path, err, "Directory does not exist");
    char *copy = snapshots_copy_path(obj);
    /* Each step resolves its path afresh and refuses a link before it changes anything,
     * so a link at <path>/.snapshot or at the copy's own place leaves the tree as it was. */
    err = safepath_remove_tree(ctx->fs_fd, copy);
    int src = -1, dst = -1;
    if (err == ENOENT) err = 0;
    if (err == 0) err = safepath_open_dir(ctx->fs_fd, path, &src);
    if (err == 0) err = safepath_mkdirs(ctx->fs_fd, copy, 0755, &dst);
    int rc = 0;
    if (err != 0) {
        rc = coll_fs_error(resp, "path", copy, err, "Directory does not exist");
    } else if (fsops_copy_fd(src, dst, NULL) != 0) {
        safepath_remove_tree(ctx->fs_fd, copy);
        rc = sim_reply_detail(resp, 500, "Cannot copy %s into its snapshot", path);
    }
    if (src >= 0) close(src);
    if (dst >= 0) close(dst);
    free(copy);
    return rc;
}

static int snapshot_delete_request(sim_request *req, json_t *obj, sim_response *resp) {
    if (snapshot_in_use(req->ctx, json_integer_value(json_object_get(obj, "id"))))
        return sim_reply_detail(resp, 409, "Snapshot %s is in use by a running global snapshot stream.",
                                json_string_value(json_object_get(obj, "name")));
    return 0;
}

static void snapshot_removed(sim_ctx *ctx, json_t *obj) {
    char *copy = snapshots_copy_path(obj);
    if (!copy) return;
    safepath_remove_tree(ctx->fs_fd, copy);
    /* Drop the .snapshot directory once its last snapshot is gone (a non-empty one, or
     * a link in its place, is left alone). */
    *strrchr(copy, '/') = '\0';
    safepath_remove_if_empty(ctx->fs_fd, copy);
    free(copy);
}

index_class snapshots_expiry_key(json_t *snapshot, const char *arg, char **key) {
    (void)arg;
    int64_t expires;
    if (!sim_parse_iso8601(json_string_value(json_object_get(snapshot, "expiration_time")), &expires))
        return INDEX_NONE;
    char text[24];
    index_ms_key(expires, text);
    *key = sim_strdup(text);
    return INDEX_KEY;
}

void snapshots_expire(sim_ctx *ctx) {
    int64_t now = sim_now_ms();
    char now_key[24];
    index_ms_key(now, now_key);
    sim_ids due = {0};
    store_find(ctx->store, "snapshots", SNAPSHOTS_EXPIRY_INDEX, STORE_UPTO, now_key, false, &due);
    for (size_t i = due.n; i-- > 0;) { /* newest first, as the scan this replaces went */
        json_t *snapshot = store_get(ctx->store, "snapshots", due.v[i]);
        int64_t expires;
        if (!snapshot || !sim_parse_iso8601(json_string_value(json_object_get(snapshot, "expiration_time")), &expires))
            continue;
        if (expires <= now && !snapshot_in_use(ctx, json_integer_value(json_object_get(snapshot, "id"))))
            objects_destroy(ctx, &coll_snapshots, snapshot);
    }
    ids_free(&due);
}

static const char *const snapshot_required[] = {"name", "path", NULL};
static const char *const unique_name[] = {"name", NULL};
static const char *const snapshot_immutable[] = {"name", "path", "tenant_id", NULL};

const sim_collection coll_snapshots = {
    .name = "snapshots",
    .tenant_owned = true,
    .creatable = true,
    .writable = true,
    .required = snapshot_required,
    .unique = unique_name,
    .immutable = snapshot_immutable,
    .patch_status = 200,
    .validate = snapshot_validate,
    .prepare_create = snapshot_prepare,
    .delete_request = snapshot_delete_request,
    .removed = snapshot_removed,
};

/* ---- clone: POST snapshots/{id}/clone/ ---- */

static int clone_validate(sim_request *req, json_t *snapshot, json_t *body, sim_response *resp) {
    json_t *missing = json_object();
    static const char *const required[] = {"loanee_root_path", "name"};
    for (size_t i = 0; i < 2; i++) {
        if (!json_is_string(json_object_get(body, required[i])))
            json_object_set_new(missing, required[i], json_pack("[s]", "This field is required."));
    }
    if (json_object_size(missing) > 0) return sim_reply(resp, 400, missing);
    json_decref(missing);
    json_t *tenant = json_object_get(body, "loanee_tenant_id");
    if (!tenant || json_is_null(tenant))
        json_object_set_new(body, "loanee_tenant_id",
                            json_integer(req->scope_tenant ? req->scope_tenant
                                                           : json_integer_value(json_object_get(snapshot, "tenant_id"))));
    if (access_check_tenant_field(req, body, "loanee_tenant_id", resp) != 0) return -1;
    return coll_check_reference(req, body, "loanee_tenant_id", "tenants", false, resp);
}

/* The snapshot's copy must open cleanly and the destination must not exist; then the
 * destination is made. A link anywhere on either path is refused before any change. */
static int clone_check_dirs(sim_ctx *ctx, json_t *snapshot, const char *dst, sim_response *resp) {
    char *src = snapshots_copy_path(snapshot);
    int fd, err = src ? safepath_open_dir(ctx->fs_fd, src, &fd) : EINVAL;
    if (err == 0) close(fd);
    int rc = err == 0 ? 0 : coll_fs_error(resp, "non_field_errors", src ? src : "", err, "The snapshot's data is gone.");
    free(src);
    if (rc != 0) return rc;
    struct stat st;
    err = safepath_stat(ctx->fs_fd, dst, &st);
    if (err == 0 && !S_ISLNK(st.st_mode)) return sim_reply_field_error(resp, "loanee_root_path", "Directory already exists");
    if (err == 0) err = ELOOP;
    if (err == ENOENT) err = safepath_mkdirs(ctx->fs_fd, dst, 0755, NULL);
    return err == 0 ? 0 : coll_fs_error(resp, "loanee_root_path", dst, err, "Cannot create the destination directory");
}

int snapshots_clone(sim_request *req, json_t *snapshot, sim_response *resp) {
    if (!json_is_object(req->body)) return sim_reply_field_error(resp, "name", "This field is required.");
    if (clone_validate(req, snapshot, req->body, resp) != 0) return -1;
    json_t *stream = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "name", json_object_get(req->body, "name"),
                               "loanee_root_path", json_object_get(req->body, "loanee_root_path"),
                               "loanee_snapshot_id", json_object_get(snapshot, "id"), "loanee_snapshot",
                               json_object_get(snapshot, "name"), "source_path", json_object_get(snapshot, "path"),
                               "loanee_tenant_id", json_object_get(req->body, "loanee_tenant_id"), "tenant_id",
                               json_object_get(req->body, "loanee_tenant_id"), "enabled",
                               json_object_get(req->body, "enabled") ? json_object_get(req->body, "enabled") : json_true());
    set_status(stream, "RUNNING", 0);
    int rc = objects_check_unique(req, &coll_globalsnapstreams, stream, 0, resp);
    const char *dst = rc == 0 ? coll_vms_path(stream, "loanee_root_path", resp) : NULL;
    if (rc == 0 && !dst) rc = -1;
    if (rc == 0) rc = access_check_tree(req, dst, resp);
    if (rc == 0) rc = clone_check_dirs(req->ctx, snapshot, dst, resp);
    if (rc != 0) {
        json_decref(stream);
        return -1;
    }
    store_add(req->ctx->store, "globalsnapstreams", stream);
    clones_start(req->ctx, stream);
    return sim_ok(resp, 201, objects_render(req, &coll_globalsnapstreams, stream, true));
}

/* ---- global snapshot streams ---- */

int streams_stop(sim_request *req, json_t *stream, sim_response *resp) {
    if (strcmp(state_of(stream), "RUNNING") == 0) {
        clones_cancel(req->ctx, json_integer_value(json_object_get(stream, "id")));
        json_t *progress = json_object_get(json_object_get(stream, "status"), "progress");
        set_status(stream, "STOPPED", json_integer_value(progress));
        store_changed(req->ctx->store, "globalsnapstreams", stream);
    }
    json_t *task = tasks_start(req, "StopGlobalSnapshotStream", json_pack("{s:s}", "type", "none"));
    return tasks_reply(resp, task);
}

static int stream_delete_request(sim_request *req, json_t *stream, sim_response *resp) {
    json_int_t id = json_integer_value(json_object_get(stream, "id"));
    if (!json_is_true(json_object_get(req->body, "remove_dir"))) {
        clones_cancel(req->ctx, id);
        return 0;
    }
    const char *dst = json_string_value(json_object_get(stream, "loanee_root_path"));
    /* A link in the way is refused before the copy is stopped: nothing changes. */
    int err = dst ? stat_dir(req->ctx, dst) : ENOENT;
    if (err != 0 && err != ENOENT) return coll_fs_error(resp, "loanee_root_path", dst, err, "Directory does not exist");
    clones_cancel(req->ctx, id);
    if (err == 0) err = safepath_remove_tree(req->ctx->fs_fd, dst);
    if (err != 0 && err != ENOENT) return coll_fs_error(resp, "loanee_root_path", dst, err, "Directory does not exist");
    return 0;
}

static void stream_removed(sim_ctx *ctx, json_t *stream) {
    clones_cancel(ctx, json_integer_value(json_object_get(stream, "id")));
}

static const char *const stream_immutable[] = {"loanee_root_path", "loanee_snapshot_id", "loanee_snapshot",
                                               "source_path", "loanee_tenant_id", "tenant_id", "status", NULL};

const sim_collection coll_globalsnapstreams = {
    .name = "globalsnapstreams",
    .tenant_owned = true,
    .creatable = false,
    .writable = true,
    .unique = unique_name,
    .immutable = stream_immutable,
    .patch_status = 200,
    .delete_request = stream_delete_request,
    .removed = stream_removed,
};
