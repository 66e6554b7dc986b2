/* The storage operations on VAST, as plain C: what a PVC, an inline volume, a bucket
 * or a tenant needs done on a cluster, without protobuf or gRPC. The CSI services are
 * adapters over these (csi/); COSI and the operator call them the same way. Every
 * operation converges when retried after a crash at any point, and touches only what
 * it can prove is this driver's (vk/vast_owner.h): docs/controller.md gives the order
 * of VMS calls in each and why a retry is safe.
 *
 * Volumes: a directory <root_export>/<name>, a quota on it (hard_limit = capacity)
 * and a view exporting it over NFS, in the tenant of the StorageClass's view policy. */
#ifndef VK_VAST_H
#define VK_VAST_H

#include "vk/keylock.h"
#include "vk/status.h"
#include "vk/strmap.h"
#include "vk/vast_id.h"
#include "vk/vast_owner.h"
#include "vk/vast_params.h"
#include "vk/vms.h"
#include "vk/vms_clusters.h"
#include "vk/vms_objects.h"

#include <stdbool.h>
#include <stdint.h>

/* What the operations share in one process: the clusters (clients and cached
 * look-ups), one operation at a time per volume or snapshot, and the root exports
 * volumes live under. Borrowed: the caller owns all three. */
typedef struct {
    vms_clusters *clusters;
    vk_keylock *locks;
    const vast_roots *roots;
} vast_ctx;

/* Where a new volume's data comes from. */
typedef enum {
    VAST_SOURCE_NONE = 0,
    VAST_SOURCE_SNAPSHOT, /* id: a snapshot id (this driver's or the vendor's) */
    VAST_SOURCE_VOLUME,   /* id: a volume id */
} vast_source_kind;

typedef struct {
    vast_source_kind kind;
    const char *id;
} vast_content_source;

/* ---- volumes (vast_volume_create.c, vast_volume_delete.c) ---- */

typedef struct {
    const char *name;          /* the CSI name: the directory and {id} */
    const vast_volume_params *params;
    const char *name_format;   /* quota name format (volume_name_fmt or eph_volume_name_fmt) */
    const char *meta_name;     /* {name}: the PVC's (or pod's) name */
    const char *meta_namespace;
    int64_t size;              /* bytes, 0 = no limit */
    vast_content_source source; /* kind NONE: an empty volume */
    bool read_only;            /* every requested access mode is read-only */
    vk_strmap secrets;    /* for the content source's cluster */
    /* where the parameters came from, for messages: "the StorageClass" by default; the
     * QoS policy may come from a VolumeAttributesClass instead */
    const char *params_origin;
    const char *qos_origin;
} vast_volume_spec;

/* A policy, pool or class a parameter names that VAST does not have is the parameter's
 * fault: NOT_FOUND from the lookup becomes INVALID_ARGUMENT (what the CSI spec names for
 * bad parameters, in CreateVolume and ControllerModifyVolume alike), prefixed with
 * where the value came from. Other codes pass through. Returns st->code. */
vk_code vast_bad_reference(vk_status *st, const char *origin, const char *key);

typedef struct {
    char volume_id[VAST_ID_MAX + 1];
    char path[VAST_PATH_MAX];
    int64_t tenant_id;
    char vip_ranges[1024];
    bool snapshot_view; /* a read-only restore served from the snapshot directory */
    char cluster_endpoint[256]; /* the VMS it was made on, for logs */
} vast_volume_result;

/* The directory a volume named `name` gets under root_export (the lock key too); false
 * when it does not fit in size. */
bool vast_volume_path(const char *root_export, const char *name, char *out, size_t size);

/* Makes the volume, or finds the one an earlier call made: root export checked, the
 * cluster from the secrets, under the volume's lock. */
vk_code vast_volume_create(vast_ctx *ctx, const vast_volume_spec *spec, int64_t deadline, vast_volume_result *out,
                           vk_status *st);

/* Deletes the volume named by id when it is this driver's; OK when it is not or is gone
 * (and for a read-only restore, which owns nothing), FAILED_PRECONDITION when the id's
 * cluster is not in the secret (nobody can tell whether it is gone). */
vk_code vast_volume_delete(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline, vk_status *st);

/* vast_volume_create's work on a given client; the caller holds the lock ("vol:<path>"). */
vk_code vast_volume_create_locked(vast_ctx *ctx, vms_client *c, const vast_volume_spec *spec,
                                        int64_t deadline, vast_volume_result *out, vk_status *st);

/* Removes the volume at path: clone stream, (refusal while snapshots exist), view,
 * data, quota; "already gone" is done at every step. The caller holds its lock. */
vk_code vast_volume_delete_locked(vast_ctx *ctx, vms_client *c, const char *path, int64_t tenant_id,
                                        int64_t deadline, vk_status *st);

/* ---- volumes with content (vast_clone.c) ---- */

/* Fills dest_path with the content source's data through a clone stream (the
 * directory exists afterwards, before the quota does). The source must be this
 * driver's and on dest_cluster. */
vk_code vast_clone_into(vast_ctx *ctx, vms_client *c, const vast_content_source *source,
                                vk_strmap secrets, const char *dest_cluster, const char *dest_path,
                                int64_t dest_tenant, int64_t deadline, vk_status *st);

/* A read-only restore served from the snapshot directory: its path and tenant. */
vk_code vast_snapshot_view_path(vast_ctx *ctx, vk_strmap secrets, const char *dest_cluster,
                                        const char *snapshot_id, int64_t deadline, char *path, size_t size,
                                        int64_t *tenant_id, vk_status *st);

/* ---- ownership (vast_targets.c; the rules are vk/vast_owner.h's) ---- */

/* A volume of this driver on VAST, resolved from its id: the client, its tenant and
 * path, and its own quota. */
typedef struct {
    vast_volume_ref ref;
    vms_client *client;  /* owned reference */
    int64_t tenant_id;
    const char *path;    /* into ref, or into resolved_path for a vendor id */
    char resolved_path[VAST_PATH_MAX];
    vast_path_kind kind; /* VAST_PATH_VOLUME, or VAST_PATH_SNAPSHOT_VIEW (owns nothing) */
    vms_quota quota;     /* the volume's quota (kind VAST_PATH_VOLUME), owned */
    /* why the open answered NOT_FOUND: nothing at all is at the path (a restore still
     * copying may be, see DeleteVolume), or the id's cluster is not in the secret */
    bool absent;
    bool unreachable;
} vast_volume_target;

/* Parses id, opens its cluster with the request's secrets and proves the volume is
 * this driver's: OK only then. NOT_FOUND for an id that is not ours, a path outside
 * the root exports, a cluster the secret does not hold, no quota at the path, or a
 * quota without the driver's mark (nothing is written in any of these cases). Close
 * the target whatever the answer. */
vk_code vast_volume_target_open(vast_ctx *ctx, const char *id, vk_strmap secrets,
                                        int64_t deadline, vast_volume_target *out, vk_status *st);
/* As vast_volume_target_open, but for an ordinary volume path (not a vendor id, not a
 * read-only restore) nothing is read: OK with the client, path and tenant, and the
 * caller proves ownership itself (DeleteVolume reads the quota together with the rest). */
vk_code vast_volume_target_locate(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline,
                                  vast_volume_target *out, vk_status *st);
void vast_volume_target_close(vast_volume_target *t);

/* A snapshot of this driver on VAST, resolved from its id. */
typedef struct {
    vast_snapshot_ref ref;
    vms_client *client; /* owned reference */
    vms_snapshot snap;  /* owned */
    bool absent;
    bool unreachable;
} vast_snapshot_target;

/* As vast_volume_target_open, for snapshots: OK only when VAST's snapshot of that id
 * has the path, tenant and mark the id promises (or is the vendor driver's). */
vk_code vast_snapshot_target_open(vast_ctx *ctx, const char *id, vk_strmap secrets,
                                          int64_t deadline, vast_snapshot_target *out, vk_status *st);
void vast_snapshot_target_close(vast_snapshot_target *t);

/* The ownership test of vast_snapshot_target_open on an object at hand (listing). */
bool vast_snapshot_is_ours(const vast_ctx *ctx, const vast_snapshot_ref *ref, const vms_snapshot *snap);

/* A vendor snapshot's directory is the vendor driver's volume (its quota's name holds
 * the directory's name): VMS_FOUND, VMS_MISSING, or VMS_FAILED with st filled. */
vms_lookup vast_vendor_snapshot_volume_is_ours(vast_ctx *ctx, vms_client *c, const vms_snapshot *snap,
                                              int64_t deadline, vk_status *st);

/* Canonical form of a StorageClass's root_export into out; INVALID_ARGUMENT when it
 * is not an absolute path or not one of --root-exports. */
bool vast_root_export_resolve(const vast_ctx *ctx, const char *root_export, char *out, size_t size,
                             vk_status *st);

/* The NFS protocol a StorageClass's mount options ask for: "NFS4" when they name
 * vers=4 or nfsvers=4 (any minor), else "NFS". */
const char *vast_nfs_protocol(const char *mount_options);

/* ---- opening under the lock, growing (vast_volume_expand.c) ---- */

/* Opens the volume named by id under its lock ("vol:<path>", into lock_key); on failure
 * fills st (NOT_FOUND for an id that is not this driver's, ABORTED while another
 * operation holds it). Close with vast_volume_close_locked whatever the answer. */
vk_code vast_volume_open_locked(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline,
                                vast_volume_target *t, char *lock_key, size_t lock_size, vk_status *st);
void vast_volume_close_locked(vast_ctx *ctx, vast_volume_target *t, const char *lock_key);

/* The volume's quota, as the open read (and proved) it: a reference of the caller's. */
vk_code vast_volume_quota(const vast_volume_target *t, int64_t deadline, vms_quota *quota, vk_status *st);

/* Raises the volume's hard limit to size (never lowers it) under its lock; capacity is
 * the limit afterwards. FAILED_PRECONDITION for a read-only restore. */
vk_code vast_volume_expand(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t size, int64_t deadline,
                           int64_t *capacity, vk_status *st);

/* ---- snapshots (vast_snapshot.c) ---- */

typedef struct {
    const char *name; /* the CO's name: the idempotency key */
    const vast_snapshot_params *params;
    const char *source_volume_id;
    vk_strmap secrets;
} vast_snapshot_spec;

typedef struct {
    vms_snapshot snap; /* owned: vast_snapshot_result_free */
    char cluster[VAST_CLUSTER_NAME_MAX];
    int64_t size_bytes; /* the source's capacity: the least a restore may ask for */
    bool vendor_source; /* the source id is the vendor driver's (answer it back as given) */
} vast_snapshot_result;

/* Snapshots the source volume (proven this driver's) under the name's lock; a second
 * call finds the first's snapshot. ALREADY_EXISTS when the name is taken by a snapshot
 * of another volume. */
vk_code vast_snapshot_create(vast_ctx *ctx, const vast_snapshot_spec *spec, int64_t deadline,
                             vast_snapshot_result *out, vk_status *st);
void vast_snapshot_result_free(vast_snapshot_result *r);

/* Deletes the snapshot named by id when it is this driver's; OK when it is not (or is
 * gone), FAILED_PRECONDITION when its cluster is out of reach or VAST refuses (in use). */
vk_code vast_snapshot_delete(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline, vk_status *st);

#endif
