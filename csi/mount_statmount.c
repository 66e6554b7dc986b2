/* statmount(2) through syscall(2): see mount_statmount.h. */
#include "mount_statmount.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_statmount
#define __NR_statmount 457 /* x86_64 and the generic table (arm64) alike */
#endif

/* The kernel's struct mnt_id_req as first published (MNT_ID_REQ_SIZE_VER0). */
struct csi_mnt_id_req {
    uint32_t size;
    uint32_t spare;
    uint64_t mnt_id;
    uint64_t param; /* the STATMOUNT_* fields wanted */
};

/* The kernel's struct statmount up to sb_source; the header is 512 bytes in every
 * version (later fields take spare space), strings follow it, fields give offsets into
 * str. */
struct csi_statmount {
    uint32_t size;
    uint32_t mnt_opts;
    uint64_t mask;
    uint32_t sb_dev_major, sb_dev_minor;
    uint64_t sb_magic;
    uint32_t sb_flags;
    uint32_t fs_type;
    uint64_t mnt_id;
    uint64_t mnt_parent_id;
    uint32_t mnt_id_old;
    uint32_t mnt_parent_id_old;
    uint64_t mnt_attr;
    uint64_t mnt_propagation;
    uint64_t mnt_peer_group;
    uint64_t mnt_master;
    uint64_t propagate_from;
    uint32_t mnt_root;
    uint32_t mnt_point;
    uint64_t mnt_ns_id;
    uint32_t fs_subtype;
    uint32_t sb_source;
    uint64_t spare[48];
    char str[];
};

_Static_assert(sizeof(struct csi_mnt_id_req) == 24, "struct mnt_id_req, version 0, is 24 bytes");
_Static_assert(sizeof(struct csi_statmount) == 512, "struct statmount's header is 512 bytes");

enum {
    SM_MNT_BASIC = 0x2,
    SM_MNT_ROOT = 0x8,
    SM_MNT_POINT = 0x10,
    SM_FS_TYPE = 0x20,
    SM_FS_SUBTYPE = 0x100,
    SM_SB_SOURCE = 0x200,
    SM_ATTR_RDONLY = 0x1, /* MOUNT_ATTR_RDONLY: the mount's own read-only flag */
};

/* Fields the node's proofs read: without any of them the entry is not told. */
static const uint64_t needed = SM_MNT_BASIC | SM_MNT_ROOT | SM_MNT_POINT | SM_FS_TYPE | SM_SB_SOURCE;

/* Room for a mount point, a root and a source of PATH_MAX each; grown on EOVERFLOW. */
enum { FIRST_SIZE = 512 + 3 * PATH_MAX + 1024, MAX_SIZE = 1 << 20 };

/* One statmount call into a buffer it grows until the entry fits: 0 or an errno, and the
 * buffer (free it) in *out. */
static int query(uint64_t unique_id, uint64_t mask, struct csi_statmount **out) {
    *out = NULL;
    struct csi_mnt_id_req req = {.size = sizeof req, .mnt_id = unique_id, .param = mask};
    for (size_t size = mask == SM_MNT_BASIC ? sizeof(struct csi_statmount) : FIRST_SIZE; size <= MAX_SIZE;
         size *= 2) {
        struct csi_statmount *buf = malloc(size);
        if (!buf) abort();
        if (syscall(__NR_statmount, &req, buf, size, 0) == 0) {
            *out = buf;
            return 0;
        }
        int e = errno;
        free(buf);
        if (e != EOVERFLOW) return e;
    }
    return EOVERFLOW;
}

static void copy_field(char *dst, size_t size, const struct csi_statmount *sm, uint32_t offset) {
    snprintf(dst, size, "%s", sm->str + offset);
}

int csi_statmount(uint64_t unique_id, csi_mount_info *out) {
    memset(out, 0, sizeof *out);
    struct csi_statmount *sm;
    int e = query(unique_id, needed | SM_FS_SUBTYPE, &sm);
    if (e != 0) return e;
    if ((sm->mask & needed) != needed) {
        free(sm);
        return EOPNOTSUPP;
    }
    out->mounted = true;
    out->id = sm->mnt_id_old;
    out->unique_id = sm->mnt_id;
    copy_field(out->target, sizeof out->target, sm, sm->mnt_point);
    copy_field(out->root, sizeof out->root, sm, sm->mnt_root);
    copy_field(out->source, sizeof out->source, sm, sm->sb_source);
    /* mountinfo shows a mount made without a source as "none" */
    if (!out->source[0]) snprintf(out->source, sizeof out->source, "none");
    /* mountinfo's type is "type.subtype" when the file system has a subtype */
    if ((sm->mask & SM_FS_SUBTYPE) && sm->str[sm->fs_subtype]) {
        snprintf(out->fstype, sizeof out->fstype, "%s.%s", sm->str + sm->fs_type, sm->str + sm->fs_subtype);
    } else {
        copy_field(out->fstype, sizeof out->fstype, sm, sm->fs_type);
    }
    out->read_only = (sm->mnt_attr & SM_ATTR_RDONLY) != 0;
    free(sm);
    return 0;
}

int csi_statmount_present(uint64_t unique_id) {
    struct csi_statmount *sm;
    int e = query(unique_id, SM_MNT_BASIC, &sm);
    if (e == 0 && !(sm->mask & SM_MNT_BASIC)) e = EOPNOTSUPP;
    free(sm);
    return e;
}
