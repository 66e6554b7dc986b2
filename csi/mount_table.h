/* What the kernel's mount table says, read without touching any mounted file system.
 *
 * Asking about one mount (what is mounted at a path, is this mount still there) costs
 * the same on a node with 10 mounts as with 1,000: the mount id comes from statx of the
 * path's descriptor and that one mount's entry from statmount(2) (Linux 6.8,
 * csi/mount_statmount.h), so publish and unpublish do not slow down as a node fills up.
 * Where statmount is missing, or cannot tell all of an entry, that lookup parses
 * /proc/self/mountinfo once with libmount instead: the same answer, slower. Questions
 * about all mounts (which mounts serve a volume, mounts per NFS server) parse the table
 * once per question. Either way, state comes from the kernel, never from memory, so a
 * restarted plugin knows its mounts. */
#ifndef VK_CSI_MOUNT_TABLE_H
#define VK_CSI_MOUNT_TABLE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the mount table says about a mount. */
typedef struct {
    bool mounted;
    uint64_t id;          /* the kernel's mount id, as /proc/self/mountinfo numbers it */
    uint64_t unique_id;   /* the id the kernel never reuses (Linux 6.8+); 0 when unknown */
    char target[PATH_MAX];
    char source[PATH_MAX + 256]; /* "server:/export", or the device for a bind mount */
    char root[PATH_MAX];  /* the mounted directory within its file system ("/" for NFS) */
    char fstype[32];
    bool read_only;
    bool have_inode;      /* dev and ino of the mount's root are known */
    uint64_t dev, ino;
} csi_mount_info;

/* What is mounted at the path fd (an O_PATH fd, csi/node_path.h) names: mounted when fd
 * is the root of a mount (statx), and then that mount's entry, found by its id: no
 * string comparison a longer path or a suffix could fool. */
bool csi_mount_at(int fd, csi_mount_info *out);

/* True while the mount m (as csi_mount_at found it) is in the mount table: by its
 * never-reused id when known, else by its mountinfo id. */
bool csi_mount_present(const csi_mount_info *m);

/* The last entry whose mount point is exactly target (one parse). */
bool csi_mount_lookup(const char *target, csi_mount_info *out);

/* Calls fn for every mount, newest last, from one parse of the table; stops when fn
 * returns false. info is scratch space, valid during the call only. */
void csi_mount_table_each(bool (*fn)(const csi_mount_info *info, void *ctx), void *ctx);

/* Counts NFS mounts per server address on this node: count[i] for addresses[i]. */
void csi_mount_count_servers(const char *const *addresses, size_t n, int *count);

/* Tests: answer every lookup from /proc/self/mountinfo, as on a kernel without
 * statmount. */
void csi_mount_table_force_parse(bool on);

#endif
