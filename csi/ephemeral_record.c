/* The records of inline ephemeral volumes this node made, one JSON file each in
 * --state-dir: what NodeUnpublishVolume needs to delete the volume (its VAST path, the
 * target, the secret) once the pod's attributes are gone. */
#include "ephemeral_record.h"

#include "vk/names.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void csi_ephemeral_record_path(const csi_driver *d, const char *volume_id, char *out, size_t size) {
    snprintf(out, size, "%s/ephemeral-%016" PRIx64 ".json", d->options.state_dir, vk_name_hash(volume_id));
}

/* Writes the record atomically (temp file, fsync, rename), readable by root only: it
 * may hold the node-publish secret needed to delete the volume later. */
bool csi_ephemeral_record_write(const csi_driver *d, const char *volume_id, json_t *record, vk_status *st) {
    char path[1200], tmp[1300];
    csi_ephemeral_record_path(d, volume_id, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    mkdir(d->options.state_dir, 0700);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && json_dumpfd(record, fd, JSON_COMPACT) == 0 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        vk_status_set(st, VK_INTERNAL, "cannot record ephemeral volume %s in %s: %s", volume_id,
                      d->options.state_dir, strerror(errno));
        unlink(tmp);
    }
    return ok;
}

/* A field of the volume's record; false when there is no record or no such field. */
static bool record_field(const csi_driver *d, const char *volume_id, const char *field, char *out, size_t size) {
    char file[1200];
    csi_ephemeral_record_path(d, volume_id, file, sizeof file);
    json_error_t jerr;
    json_t *record = json_load_file(file, 0, &jerr);
    const char *p = record ? json_string_value(json_object_get(record, field)) : NULL;
    if (p) snprintf(out, size, "%s", p);
    json_decref(record);
    return p != NULL;
}

bool csi_node_ephemeral_path(const csi_driver *d, const char *volume_id, char *path, size_t size) {
    return record_field(d, volume_id, "path", path, size);
}

bool csi_node_ephemeral_target(const csi_driver *d, const char *volume_id, char *target, size_t size) {
    return record_field(d, volume_id, "target", target, size);
}
