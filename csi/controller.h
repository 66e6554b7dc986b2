/* The Controller service's pieces, shared by its files: controller.c (registration,
 * capabilities, validation helpers), volumes.c (create, delete, expand, validate, get,
 * modify), clone.c (volumes from snapshots and volumes), snapshots.c, listing.c
 * (ListVolumes, ListSnapshots) and capacity.c (GetCapacity). docs/controller.md gives
 * the order of VMS calls in each operation and why a retry after a crash converges. */
#ifndef VK_CSI_CONTROLLER_H
#define VK_CSI_CONTROLLER_H

#include "driver.h"
#include "csi_map.h"
#include "vk/vast_params.h"
#include "volume_id.h"

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

/* ---- the work of CreateVolume and DeleteVolume, shared with inline ephemeral volumes ---- */

typedef struct {
    const char *name;          /* the CSI name: the directory and {id} */
    const vast_volume_params *params;
    const char *name_format;   /* quota name format (volume_name_fmt or eph_volume_name_fmt) */
    const char *meta_name;     /* {name}: the PVC's (or pod's) name */
    const char *meta_namespace;
    int64_t size;              /* bytes, 0 = no limit */
    const Csi__V1__VolumeContentSource *source;
    bool read_only;            /* every requested access mode is read-only */
    vk_strmap secrets;    /* for the content source's cluster */
    /* where the parameters came from, for messages: "the StorageClass" by default; the
     * QoS policy may come from a VolumeAttributesClass instead */
    const char *params_origin;
    const char *qos_origin;
} csi_volume_spec;

/* A policy, pool or class a parameter names that VAST does not have is the parameter's
 * fault: NOT_FOUND from the lookup becomes INVALID_ARGUMENT (what the CSI spec names for
 * bad parameters, in CreateVolume and ControllerModifyVolume alike), prefixed with
 * where the value came from. Other codes pass through. Returns st->code. */
vk_code csi_bad_reference(vk_status *st, const char *origin, const char *key);

typedef struct {
    char volume_id[CSI_ID_MAX + 1];
    char path[CSI_PATH_MAX];
    int64_t tenant_id;
    char vip_ranges[1024];
    bool snapshot_view; /* a read-only restore served from the snapshot directory */
} csi_volume_result;

/* The directory a volume named `name` gets under root_export (the lock key too). */
void csi_volume_path(const char *root_export, const char *name, char *out, size_t size);

/* Makes (or finds) the volume; the caller holds its lock ("vol:<path>"). */
vk_code csi_volume_create_core(csi_driver *driver, vms_client *c, const csi_volume_spec *spec,
                                        int64_t deadline, csi_volume_result *out, vk_status *st);

/* Removes the volume at path: clone stream, (refusal while snapshots exist), view,
 * data, quota; "already gone" is done at every step. The caller holds its lock. */
vk_code csi_volume_delete_core(csi_driver *driver, vms_client *c, const char *path, int64_t tenant_id,
                                        int64_t deadline, vk_status *st);

/* ---- volumes with content (clone.c) ---- */

/* Fills dest_path with the content source's data through a clone stream (the
 * directory exists afterwards, before the quota does). The source must be this
 * driver's and on dest_cluster. */
vk_code csi_clone_into(csi_driver *driver, vms_client *c, const Csi__V1__VolumeContentSource *source,
                                vk_strmap secrets, const char *dest_cluster, const char *dest_path,
                                int64_t dest_tenant, int64_t deadline, vk_status *st);

/* A read-only restore served from the snapshot directory: its path and tenant. */
vk_code csi_snapshot_view_path(csi_driver *driver, vk_strmap secrets, const char *dest_cluster,
                                        const char *snapshot_id, int64_t deadline, char *path, size_t size,
                                        int64_t *tenant_id, vk_status *st);

/* The volume context CreateVolume returns, as map entries in the call's arena. */
void **csi_volume_context(vk_rpc_call *call, const vast_volume_params *p, const csi_volume_result *v, size_t *n);

/* ---- helpers (controller.c) ---- */

/* Checks every capability: mount access with a known access mode; block access is
 * refused with a message that says why (VAST volumes are NFS file systems). */
bool csi_check_capabilities(Csi__V1__VolumeCapability *const *caps, size_t n, vk_status *st);

/* True when every capability is a read-only access mode. */
bool csi_capabilities_read_only(Csi__V1__VolumeCapability *const *caps, size_t n);

/* ---- ownership (ownership.c; the rules are include/vk/vast_owner.h's) ---- */

/* A volume of this driver on VAST, resolved from its id: the client, its tenant and
 * path, and its own quota. */
typedef struct {
    csi_volume_ref ref;
    vms_client *client;  /* owned reference */
    int64_t tenant_id;
    const char *path;    /* into ref, or into resolved_path for a vendor id */
    char resolved_path[CSI_PATH_MAX];
    vast_path_kind kind; /* VAST_PATH_VOLUME, or VAST_PATH_SNAPSHOT_VIEW (owns nothing) */
    vms_quota quota;     /* the volume's quota (kind VAST_PATH_VOLUME), owned */
    /* why the open answered NOT_FOUND: nothing at all is at the path (a restore still
     * copying may be, see DeleteVolume), or the id's cluster is not in the secret */
    bool absent;
    bool unreachable;
} csi_volume_target;

/* Parses id, opens its cluster with the request's secrets and proves the volume is
 * this driver's: OK only then. NOT_FOUND for an id that is not ours, a path outside
 * the root exports, a cluster the secret does not hold, no quota at the path, or a
 * quota without the driver's mark (nothing is written in any of these cases). Close
 * the target whatever the answer. */
vk_code csi_volume_target_open(csi_driver *driver, const char *id, vk_strmap secrets,
                                        int64_t deadline, csi_volume_target *out, vk_status *st);
void csi_volume_target_close(csi_volume_target *t);

/* A snapshot of this driver on VAST, resolved from its id. */
typedef struct {
    csi_snapshot_ref ref;
    vms_client *client; /* owned reference */
    vms_snapshot snap;  /* owned */
    bool absent;
    bool unreachable;
} csi_snapshot_target;

/* As csi_volume_target_open, for snapshots: OK only when VAST's snapshot of that id
 * has the path, tenant and mark the id promises (or is the vendor driver's). */
vk_code csi_snapshot_target_open(csi_driver *driver, const char *id, vk_strmap secrets,
                                          int64_t deadline, csi_snapshot_target *out, vk_status *st);
void csi_snapshot_target_close(csi_snapshot_target *t);

/* The ownership test of csi_snapshot_target_open on an object at hand (listing). */
bool csi_snapshot_is_ours(const csi_driver *driver, const csi_snapshot_ref *ref, const vms_snapshot *snap);

/* A vendor snapshot's directory is the vendor driver's volume (its quota's name holds
 * the directory's name): VMS_FOUND, VMS_MISSING, or VMS_FAILED with st filled. */
vms_lookup csi_vendor_snapshot_volume_is_ours(csi_driver *driver, vms_client *c, const vms_snapshot *snap,
                                              int64_t deadline, vk_status *st);

/* Canonical form of a StorageClass's root_export into out; INVALID_ARGUMENT when it
 * is not an absolute path or not one of --root-exports. */
bool csi_root_export_resolve(const csi_driver *driver, const char *root_export, char *out, size_t size,
                             vk_status *st);

/* The NFS protocol a StorageClass's mount options ask for: "NFS4" when they name
 * vers=4 or nfsvers=4 (any minor), else "NFS". */
const char *csi_nfs_protocol(const char *mount_options);

/* Builds a map<string,string> response field from key/value pairs in the call's arena.
 * desc is the map entry's descriptor; NULL values are left out. */
void **csi_build_map(vk_rpc_call *call, const ProtobufCMessageDescriptor *desc, size_t *n, const char *const *kv);

/* "2026-11-21T10:00:00Z" (VMS's ISO times) -> Timestamp in the call's arena; NULL if
 * unreadable. */
Google__Protobuf__Timestamp *csi_timestamp(vk_rpc_call *call, const char *iso);

#endif
