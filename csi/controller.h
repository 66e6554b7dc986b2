/* The Controller service's pieces, shared by its files: controller.c (registration,
 * capabilities, validation helpers), volumes.c (create, delete, expand, validate, get,
 * modify), clone.c (volumes from snapshots and volumes), snapshots.c, listing.c
 * (ListVolumes, ListSnapshots) and capacity.c (GetCapacity). docs/controller.md gives
 * the order of VMS calls in each operation and why a retry after a crash converges. */
#ifndef VK_CSI_CONTROLLER_H
#define VK_CSI_CONTROLLER_H

#include "driver.h"
#include "csi_map.h"
#include "vk/vast.h"
#include "vk/vast_list.h"
#include "volume_context.h"
#include "vk/vast_params.h"
#include "vk/vast_id.h"

#include "csi.pb-c.h"
#include "vk/vms.h"
#include "vk/vms_objects.h"
#include "vk/vast_owner.h"

vk_code csi_create_volume(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_delete_volume(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_expand_volume(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_validate_volume_capabilities(vk_rpc_call *call, const ProtobufCMessage *req,
                                                  ProtobufCMessage **resp);
vk_code csi_get_volume(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_modify_volume(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_list_volumes(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_get_capacity(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_create_snapshot(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_delete_snapshot(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_list_snapshots(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);
vk_code csi_get_snapshot(vk_rpc_call *call, const ProtobufCMessage *req, ProtobufCMessage **resp);


/* ---- helpers (controller.c) ---- */

/* Checks every capability: mount access with a known access mode; block access is
 * refused with a message that says why (VAST volumes are NFS file systems). */
bool csi_check_capabilities(Csi__V1__VolumeCapability *const *caps, size_t n, vk_status *st);

/* True when every capability is a read-only access mode. */
bool csi_capabilities_read_only(Csi__V1__VolumeCapability *const *caps, size_t n);

/* A request's volume_content_source as the vast layer's; INVALID_ARGUMENT naming the
 * missing field. No source is kind VAST_SOURCE_NONE. */
bool csi_content_source(const Csi__V1__VolumeContentSource *in, vast_content_source *out, vk_status *st);


/* A snapshot entry of the vast layer (vk/vast_list.h) as CSI's, in the call's arena
 * (snapshots.c; CreateSnapshot, GetSnapshot and ListSnapshots answer with it). */
Csi__V1__Snapshot *csi_snapshot_message(vk_rpc_call *call, const vast_snapshot_entry *entry);

/* "2026-11-21T10:00:00Z" (VMS's ISO times) -> Timestamp in the call's arena; NULL if
 * unreadable. */
Google__Protobuf__Timestamp *csi_timestamp(vk_rpc_call *call, const char *iso);

#endif
