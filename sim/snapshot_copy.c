/* Where a snapshot's point-in-time copy lives, and how a stream opens its two ends:
 * shared by the snapshot collection (snapshots.c) and the background copies
 * (clones.c), so neither reaches into the other. */
#include "snapshot_copy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsops.h"
#include "safepath.h"
#include "store.h"
#include "support.h"

char *snapshots_copy_path(json_t *snapshot) {
    json_t *path = json_object_get(snapshot, "path"), *name = json_object_get(snapshot, "name");
    if (!json_is_string(path) || !safepath_valid(json_string_value(path), json_string_length(path)) ||
        !json_is_string(name) || !safepath_valid_name(json_string_value(name), json_string_length(name)))
        return NULL;
    const char *dir = json_string_value(path);
    size_t n = strlen(dir);
    while (n > 0 && dir[n - 1] == '/') n--; /* "/" and "/v/" join as "" and "/v" */
    return sim_printf("%.*s/%s/%s", (int)n, dir, FSOPS_SNAPSHOT_DIR, json_string_value(name));
}

int snapshots_stream_open(sim_ctx *ctx, json_t *stream, int *src_fd, int *dst_fd) {
    json_t *snapshot = store_get(ctx->store, "snapshots", json_integer_value(json_object_get(stream, "loanee_snapshot_id")));
    json_t *dst = json_object_get(stream, "loanee_root_path");
    char *src = snapshot ? snapshots_copy_path(snapshot) : NULL;
    int err = !src || !json_is_string(dst) || !safepath_valid(json_string_value(dst), json_string_length(dst)) ? EINVAL : 0;
    if (err == 0) err = safepath_open_dir(ctx->fs_fd, src, src_fd);
    if (err == 0 && (err = safepath_mkdirs(ctx->fs_fd, json_string_value(dst), 0755, dst_fd)) != 0) close(*src_fd);
    free(src);
    return err;
}

