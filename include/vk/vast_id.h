/* Volume and snapshot ids: everything later calls need, so Delete, Expand, Get and
 * List find their objects without a search.
 *
 *   volume:   vk1:<cluster>:<tenant_id>:<path>      e.g. vk1::3:/k8s/pvc-4f2a...
 *   snapshot: vk1s:<cluster>:<tenant_id>:<snapshot_id>:<volume path>
 *
 * <cluster> is the cluster_name of a multi-cluster secret, empty otherwise. A volume
 * path that contains "/.snapshot/" is a read-only restore served straight from a
 * snapshot: nothing on VAST belongs to it.
 *
 * Ids from the vendor's driver are understood too: a bare name ("pvc-<uid>", found by
 * its quota's path) and "pvc-<uid>@<cluster>"; its snapshot ids are VAST's numeric ids
 * ("<n>" or "<n>@<cluster>"). */
#ifndef VK_VAST_ID_H
#define VK_VAST_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VAST_ID_MAX 128 /* the CSI spec's limit on id strings, kept for every id */
#define VAST_PATH_MAX 1024
#define VAST_CLUSTER_NAME_MAX 64

typedef struct {
    char cluster[VAST_CLUSTER_NAME_MAX];
    int64_t tenant_id; /* 0 for a vendor id: unknown until looked up */
    char path[VAST_PATH_MAX];
    /* vendor form: the bare name, path empty */
    bool legacy;
    char legacy_name[VAST_ID_MAX + 1];
} vast_volume_ref;

typedef struct {
    char cluster[VAST_CLUSTER_NAME_MAX];
    int64_t tenant_id;
    int64_t snapshot_id;
    char volume_path[VAST_PATH_MAX]; /* "" for a vendor id */
} vast_snapshot_ref;

/* Both return false when the text is not an id of this driver or the vendor's. */
bool vast_volume_id_parse(const char *text, vast_volume_ref *out);
bool vast_snapshot_id_parse(const char *text, vast_snapshot_ref *out);

/* Format into buf; false when the id would exceed VAST_ID_MAX (a path too long). */
bool vast_volume_id_format(const char *cluster, int64_t tenant_id, const char *path, char *buf, size_t size);
bool vast_snapshot_id_format(const char *cluster, int64_t tenant_id, int64_t snapshot_id, const char *volume_path,
                            char *buf, size_t size);

/* An absolute path without empty, "." or ".." components. */
bool vast_path_is_clean(const char *path);

/* True for a read-only restore volume (a path inside a snapshot directory). */
bool vast_volume_is_snapshot_view(const vast_volume_ref *ref);

#endif
