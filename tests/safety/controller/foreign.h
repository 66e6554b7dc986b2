/* What an administrator made on VAST outside the driver, and proof that it stays as it
 * was.
 *
 * foreign_create() makes, through the VMS REST API as the administrator (plain HTTP to
 * the simulator) and by writing files into the simulator's data directory:
 *
 *   tenant vast-k8s (the StorageClass's, seeded):
 *     /data/team             files, quota "team-quota", an NFS view, and the daily
 *                            protection snapshot "daily-2026-12-01" of "/data/team/"
 *     /k8s/admin-dir         under the root export: files, quota "csi-admin-dir", a view
 *     /k8s/admin-vendor      files, quota "csi:ns:name:pvc-<uuid_b>" (the vendor driver's
 *                            name format, no mark, not at /k8s/pvc-<uuid_b>), and a
 *                            snapshot "snapshot-<uuid>" as the external-snapshotter
 *                            names them
 *     /k8s/forged-mark       quota "csi-forged~0123456789ab": a mark that is not the one
 *                            of its tenant and path
 *     /data/pvc-<uuid_e>     a directory outside every root export, no quota
 *     /k8s/admin-nest/pvc-<uuid_i>  quota "csi:ns:n:pvc-<uuid_i>": vendor-named, but not
 *                            directly under the root
 *     /k8s/pvc-<uuid_f>      the vendor driver's volume (quota "csi:ns:claim:pvc-<uuid_f>",
 *                            a view) and its snapshot "snapshot-<uuid_g>": not foreign by
 *                            the rules (R2, R5), the vendor positive control
 *     /vast-k8s/tenants/vk-x a tenant root of the wildcard root export (the operator's):
 *                            files, quota "vk-x", and a snapshot "snapshot-<uuid>" of it
 *     /vast-k8s/tenants/marked  quota "csi-marked~<its genuine mark>": directly under the
 *                            wildcard's parent, no tenant directory between
 *     /vast-k8s/tenants/a/b/c   quota "csi-deep~<its genuine mark>" and a snapshot with a
 *                            genuine snapshot mark: deeper than a volume
 *     /vast-k8s/tenants/pvc-<uuid_j>  quota "csi:ns:t:pvc-<uuid_j>": the vendor's name,
 *                            directly under the wildcard's parent
 *   tenant team-b (made here, with its view policy "team-b-nfs"):
 *     /k8s/pvc-<uuid_c>      vendor-style path under the root, quota "team-b-scratch", a view,
 *                            and a snapshot named like the external-snapshotter's
 *     /data/other/pvc-<uuid_d>   quota "csi:ns:x:pvc-<uuid_d>", outside every root
 *     /data/other/pvc-1234abcd   quota "csi:ns:y:pvc-1234abcd", outside every root
 *
 * A fingerprint is the state of the whole simulator as sorted text lines: every object
 * of /_sim/inventory (all tenants), each foreign object as GET by id answers it (with
 * its measured usage), and every entry under the data directory (type, mode, size,
 * FNV-1a of the contents, link target). During hostile calls nothing may change at all:
 * not the foreign objects and not the driver's own volumes. */
#ifndef VK_TESTS_SAFETY_FOREIGN_H
#define VK_TESTS_SAFETY_FOREIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t tenant;       /* vast-k8s */
    int64_t other_tenant; /* team-b */
    int64_t daily_snapshot;
    int64_t vendor_like_snapshot;  /* of /k8s/admin-vendor/ */
    int64_t other_tenant_snapshot; /* of team-b's /k8s/pvc-<uuid_c>/ */
    int64_t vendor_snapshot;       /* of the vendor volume /k8s/pvc-<uuid_f>/ */
    int64_t tenant_root_snapshot;  /* of the tenant root /vast-k8s/tenants/vk-x/ */
    int64_t deep_snapshot;         /* marked, of /vast-k8s/tenants/a/b/c/ */
    char daily_name[64];
    char tenant_root_snapshot_name[64];
    char uuid_b[40], uuid_c[40], uuid_d[40], uuid_e[40], uuid_f[40], uuid_i[40], uuid_j[40];
} foreign_objects;

extern foreign_objects foreign;

/* Makes every object above; fails the caller on error. */
void foreign_create(void);

/* Takes the baseline fingerprint the checks compare with; the first one is also kept
 * as the state at the start of the run. */
void foreign_baseline(void);
/* Compares the simulator's state with the baseline; a difference is a recorded failure
 * (safety_failf) listing the lines that changed, after `what`. The baseline then becomes
 * the new state, so a later case reports only what it changed itself. */
bool foreign_unchanged(const char *what);

/* The state now against the start of the run, ignoring every line that contains one
 * of `ignore` (NULL-terminated: the objects the positive controls change); a
 * difference is a recorded failure. */
bool foreign_intact_since_start(const char *what, const char *const *ignore);

/* A foreign object's JSON as GET by id answers it ("quotas/5/"), NULL when it is gone. */
json_t *foreign_get(const char *path);

/* The objects of a collection in /_sim/inventory whose `field` equals value (a new
 * JSON array). */
json_t *foreign_find(const char *collection, const char *field, const char *value);

/* Undoes a CreateVolume that adopted a foreign directory at path: deletes, as the
 * administrator, the views and quotas at path in the StorageClass's tenant that
 * foreign_create did not make. Data is not touched (the directory was there before). */
void foreign_remove_adopted(const char *path);

/* Frees the baseline and the administrator's client (group teardown). */
void foreign_close(void);

#endif
