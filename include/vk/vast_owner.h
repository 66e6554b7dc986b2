/* What on VAST belongs to this driver, decided from what VAST itself holds, never from
 * what a caller wrote in an id.
 *
 * A caller can forge any volume or snapshot id (a hand-written PV or
 * VolumeSnapshotContent, a pod's inline attributes, a kubelet bug) but cannot write VAST
 * objects. So every object the driver makes carries a mark in its VAST name that only
 * its create path writes:
 *
 *   <base>~<12 hex>     base: the name the StorageClass's format gives (cut to fit 64
 *                       characters); hex: a hash of the kind, the tenant, the path and
 *                       the base.
 *
 * An object is the driver's when its name ends with the mark of its own tenant and path,
 * and its path is one the driver makes volumes at: a direct child of one of the
 * configured root exports (--root-exports). Everything else (an administrator's quota,
 * another tenant's directory, a parent of volumes, the vendor driver's objects under a
 * vk1 id) is not ours and is never written, whatever the id says.
 *
 * The vendor driver's ids ("pvc-<uuid>", VAST's numeric snapshot ids) name objects
 * without our mark; they are accepted only when the object matches the vendor driver's
 * own conventions: a quota at <root>/<id> whose name contains the id, and a snapshot of
 * such a directory whose name contains a UUID (the external-snapshotter's name).
 *
 * Pure functions: no VMS calls, so CSI, COSI and the operator share the rules and unit
 * tests pin them. docs/controller.md states them for operators. */
#ifndef VK_VAST_OWNER_H
#define VK_VAST_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VAST_NAME_MAX 64     /* VAST's limit on object names */
#define VAST_MARK_LEN 13     /* "~" + 12 hex digits */
#define VAST_PATH_MAX 1024   /* the longest VAST path the driver handles */
#define VAST_DIR_NAME_MAX 64 /* a volume's directory name */
#define VAST_ROOTS_MAX 16

typedef enum {
    VAST_OWNED_VOLUME = 'v',   /* a quota: the object a volume is found by */
    VAST_OWNED_VIEW = 'w',     /* a volume's view, named csi-view-<mark> */
    VAST_OWNED_SNAPSHOT = 's', /* a VAST snapshot of a volume */
    VAST_OWNED_BUCKET = 'b',   /* a bucket's quota (COSI) */
    VAST_OWNED_BUCKET_OWNER = 'o', /* the user a bucket view names as bucket_owner */
    VAST_OWNED_ACCESS = 'a',   /* a bucket access: its user and its S3 policy */
} vast_owned_kind;

/* The root exports volumes are made under, canonical and without duplicates. An entry
 * is a root ("/k8s") or a wildcard ("/vast-k8s/tenants/\*": every directory directly
 * below /vast-k8s/tenants whose name vast_dir_name_valid accepts is a root, so one
 * driver serves every tenant root the operator makes). */
typedef struct {
    size_t n;
    char paths[VAST_ROOTS_MAX][VAST_PATH_MAX];
} vast_roots;

/* ---- paths ---- */

/* Writes the canonical form of an absolute path: repeated and trailing '/' dropped
 * ("/k8s/" -> "/k8s", "//a//b" -> "/a/b", "/" stays "/"). False for a relative path, a
 * "." or ".." component, or a result that does not fit (out may hold a prefix then). */
bool vast_path_normalize(const char *in, char *out, size_t size);

/* True when path is already canonical (normalizing would not change it). */
bool vast_path_is_canonical(const char *path);

/* Parses "a,b,c" (spaces around entries allowed; "<parent>/\*" a wildcard). False with a
 * message in err for an empty list, a path that is not absolute, has "." or "..", a '*'
 * that is not a whole last component, too many entries, or two entries that overlap (a
 * root where another puts volumes: "/k8s,/k8s/a", "/t,/t/\*"). An exact root a
 * wildcard also admits is dropped. */
bool vast_roots_parse(const char *csv, vast_roots *out, char *err, size_t err_size);

/* The entry that makes root (canonical) a root export: root itself, or the wildcard
 * that admits it; NULL when none does. "/p/\*" itself is never a root. */
const char *vast_roots_find(const vast_roots *roots, const char *root);

/* True for a wildcard entry "<parent>/\*". */
bool vast_root_is_wildcard(const char *entry);

/* The path__startswith prefix that lists everything under an entry: "<root>/", or
 * "<parent>/" for a wildcard (classification then keeps the volumes two levels down). */
void vast_root_list_prefix(const char *entry, char *out, size_t size);

/* A directory name the driver gives volumes: 1-64 of [A-Za-z0-9._-], not "." first. */
bool vast_dir_name_valid(const char *name, size_t len);

typedef enum {
    VAST_PATH_FOREIGN = 0,   /* not a path the driver makes volumes at */
    VAST_PATH_VOLUME,        /* <root>/<dir> */
    VAST_PATH_SNAPSHOT_VIEW, /* <root>/<dir>/.snapshot/<name>: a read-only restore */
} vast_path_kind;

/* Classifies a canonical path against the roots. */
vast_path_kind vast_path_classify(const vast_roots *roots, const char *path);

/* ---- the mark ---- */

/* Writes the VAST name for an object of kind at (tenant_id, path) (path NULL and
 * tenant 0 for an object whose name alone must be unique: VAST refuses a second
 * snapshot of one name, which is how CreateSnapshot tells a retry from a clash): base cut at a
 * character boundary so that base + mark fit VAST_NAME_MAX, then the mark. A '~' in
 * base is replaced by '-' so the mark is always the name's last '~'. */
void vast_owner_name(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *base, char *out,
                     size_t size);

/* True when name carries the mark of an object of kind at (tenant_id, path). */
bool vast_owner_name_is_ours(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *name);

/* Identities (users, S3 policies) take the mark after a '-' instead of '~', the
 * characters user names allow everywhere: "<base>-<12 hex>". */
void vast_owner_identity_name(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *base,
                              char *out, size_t size);
bool vast_owner_identity_is_ours(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *name);

/* ---- the vendor driver's objects ---- */

/* A canonical lowercase UUID (8-4-4-4-12 hex) at text[0..36). */
bool vast_is_uuid(const char *text, size_t len);

/* A vendor volume id: "<prefix>-<uuid>" with prefix of [a-z0-9-] (what the
 * external-provisioner names volumes, "pvc-<uid>" by default). */
bool vast_vendor_volume_name_valid(const char *name, size_t len);

/* The vendor driver's volume: its quota is at <root>/<name> for a configured root, and
 * the quota's name contains name (its formats all carry {id}). */
bool vast_vendor_volume_is_ours(const vast_roots *roots, const char *name, const char *quota_path,
                                const char *quota_name);

/* The vendor driver's snapshot: taken of "<root>/<vendor volume>/" and named with the
 * external-snapshotter's name, which ends in a UUID. */
bool vast_vendor_snapshot_is_ours(const vast_roots *roots, const char *snapshot_path, const char *snapshot_name);

#endif
