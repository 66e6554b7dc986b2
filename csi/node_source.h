/* Where a node mounts a volume from: the export path, the server address and the file
 * system type, from the volume context CreateVolume returned (or a static PV's handle).
 *
 * The server is, in order: --local-nfs-address; a DNS name under vip_pool_fqdn, with a
 * random prefix (the vendor's way, so VAST's DNS spreads volumes over VIPs); or a VIP of
 * the pool's ranges: the one this node has the fewest NFS mounts from, ties broken by
 * a hash of the volume, so a node's mounts spread over the pool instead of landing on
 * one address by chance. */
#ifndef VK_CSI_NODE_SOURCE_H
#define VK_CSI_NODE_SOURCE_H

#include "options.h"
#include "vk/vast_params.h"
#include "csi_map.h"

#include "vk/status.h"

typedef struct {
    char export_path[1024];
    char server[256];     /* "" in bind mode */
    char fstype[8];       /* "nfs", "nfs4" or "bind" */
    char source[2400];    /* what to mount: "server:/export", or the local directory */
    char options[1024];   /* mount options (NFS only) */
    const char *server_choice; /* why this server: "local", "fqdn", "least-used VIP" */
    /* a deferred resolve (csi_node_source_resolve_deferred): the pool ranges and the volume
     * id the VIP is still to be chosen from and for; "" once server and source are set */
    char pending_ranges[1024];
    char pending_for[1280];
} csi_node_source;

/* mount_flags are the capability's flags (the StorageClass's mountOptions). vip_ranges,
 * when not NULL, stands in for the context's vip_pool_ranges (a static PV names only its
 * pool, and the node looked the pool up). */
bool csi_node_source_resolve(const csi_options *o, const char *volume_id, vk_strmap context,
                             char *const *mount_flags, size_t n_mount_flags, const char *vip_ranges,
                             csi_node_source *out, vk_status *st);

/* As csi_node_source_resolve, but a VIP of the pool's ranges is not chosen yet (server
 * and source stay "" and pending_ranges holds the ranges): choosing counts this node's
 * NFS mounts per address, a parse of the whole mount table, which only a call that
 * mounts needs, and NodePublishVolume binds from the staging mount. The ranges are
 * checked now, so the answers are those of csi_node_source_resolve. */
bool csi_node_source_resolve_deferred(const csi_options *o, const char *volume_id, vk_strmap context,
                                      char *const *mount_flags, size_t n_mount_flags, const char *vip_ranges,
                                      csi_node_source *out, vk_status *st);

/* Chooses the VIP a deferred resolve left open and fills server and source (nothing to
 * do otherwise): call it right before mounting src. */
void csi_node_source_choose_server(csi_node_source *src);

/* The volume's path on VAST from its id: ours, or a static PV's absolute handle. */
bool csi_node_volume_path(const char *volume_id, char *path, size_t size);

/* Picks from "start-end,start-end" the address with the fewest mounts (count from the
 * mount table), ties by hash of volume_id. Exposed for tests. */
bool csi_pick_vip(const char *ranges, const char *volume_id, char *out, size_t size);

#endif
