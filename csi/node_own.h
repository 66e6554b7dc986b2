/* What at a staging or target path belongs to a volume, proven from the kernel before
 * the node unmounts or removes anything there.
 *
 * A mount is the volume's when the mount on top of the path (found by the mount id of
 * the path's resolved descriptor, csi/mounter.h) shows the volume's export, or in bind
 * mode its very directory. Anything else at the path (another volume's mount, a
 * regular file, a directory with content) is left as it is. A directory the node made
 * for a publish target carries a mark naming the volume, so a retried unpublish after a
 * crash between unmount and removal still removes it, and nothing else. */
#ifndef VK_CSI_NODE_OWN_H
#define VK_CSI_NODE_OWN_H

#include "driver.h"
#include "mounter.h"
#include "node_path.h"
#include "node_source.h"

/* Checks path's form and resolves it without links, under --kubelet-dir when set
 * (csi/node_path.h). what names the field in messages. */
bool csi_node_resolve(const csi_driver *d, const char *what, const char *path, bool make_dirs, csi_path *out,
                      vk_status *st);

/* The volume's path on VAST from its id: ours, a static PV's handle, or an inline
 * ephemeral volume this node made. False when the id names none. */
bool csi_node_own_volume_path(const csi_driver *d, const char *volume_id, char *path, size_t size);

/* Unmounts the mounts of volume_path stacked at p, top first, until the path holds no
 * mount (*count: how many). A mount that is not the volume's (or any mount when
 * volume_path is NULL) stops it: FAILED_PRECONDITION naming what is mounted there, left
 * mounted. */
bool csi_node_unmount_own(const csi_driver *d, csi_path *p, const char *volume_id, const char *volume_path,
                          int *count, vk_status *st);

/* The descriptor to mount src from: in bind mode its directory, resolved beneath
 * --bind-root without links; -1 (nothing to open) for NFS. */
bool csi_node_open_source(const csi_driver *d, const csi_node_source *src, int *fd, vk_status *st);

/* Marks a target directory the node made as the volume's. */
void csi_node_mark_target(const csi_path *p, const char *volume_id);

/* After an unpublish: removes the target when it is an empty directory and either the
 * node just unmounted the volume from it or it carries the volume's mark; never a file,
 * never recursively. */
void csi_node_remove_target(csi_path *p, const char *volume_id, bool unmounted);

#endif
