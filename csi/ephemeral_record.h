/* The node's records of the inline ephemeral volumes it made (ephemeral_record.c). */
#ifndef VK_CSI_EPHEMERAL_RECORD_H
#define VK_CSI_EPHEMERAL_RECORD_H

#include "driver.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The record's file for a volume id, in --state-dir. */
void csi_ephemeral_record_path(const csi_driver *driver, const char *volume_id, char *out, size_t size);

/* Writes the record atomically (temp file, fsync, rename), readable by root only: it
 * may hold the node-publish secret needed to delete the volume later. */
bool csi_ephemeral_record_write(const csi_driver *driver, const char *volume_id, json_t *record, vk_status *st);

/* The VAST path of an inline ephemeral volume this node made; false if it made none. */
bool csi_node_ephemeral_path(const csi_driver *driver, const char *volume_id, char *path, size_t size);

/* The target path it was published at; false if there is no record. */
bool csi_node_ephemeral_target(const csi_driver *driver, const char *volume_id, char *target, size_t size);

#endif
