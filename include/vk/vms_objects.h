/* Typed VMS operations for the CSI controller (volumes = directory + quota + view,
 * snapshots, clones, capacity) and the tenant operator (tenants, view policies, VIP
 * pools, QoS policies, users, S3 keys).
 *
 * Each object type is a small struct: a vms_object header (id, name, tenant, and the
 * raw JSON for every field not lifted out) followed by the fields callers need.
 * Strings point into `raw` ("" when VMS left them out, never NULL) and live as long as
 * the struct; release it with vms_object_free(&x.obj). Decoding never fails: absent
 * numbers read 0.
 *
 * Operations come in the same shapes for every type:
 *   vms_<type>_get(c, id, &out, deadline, &err)          -> VMS_FOUND / VMS_MISSING / VMS_FAILED
 *   vms_<type>_find(c, filters, &out, deadline, &err)    -> exactly one match by natural key:
 *        none is VMS_MISSING (not an error), more than one is VMS_FAILED (VMS_ERR_AMBIGUOUS)
 *   vms_<type>_create(c, spec-or-body, &out, ...)        -> bool; out may be NULL
 *   vms_<type>_update(c, id, changes, &out, ...)         -> bool; PATCH with absolute values
 *        (retried as idempotent); out may be NULL (VIP pools answer 204: re-read when asked)
 *   vms_<type>_delete(c, id, ...)                        -> VMS_FOUND when deleted, VMS_MISSING
 *        when it was already gone (idempotent); waits for VMS's async task where there is one
 * Lists: vms_list()/vms_list_each() with the collection name (VMS_VIEWS, ...) and
 * vms_<type>_from_json() on each item. Every failure names the object in err->object. */
#ifndef VK_VMS_OBJECTS_H
#define VK_VMS_OBJECTS_H

#include "vk/vms.h"
#include "vk/vms_list.h"

#include <stddef.h>

typedef enum {
    VMS_FAILED = -1,
    VMS_MISSING = 0,
    VMS_FOUND = 1,
} vms_lookup;

/* Collection paths, for vms_list() and friends. */
#define VMS_TENANTS "tenants/"
#define VMS_VIEWPOLICIES "viewpolicies/"
#define VMS_QOSPOLICIES "qospolicies/"
#define VMS_VIPPOOLS "vippools/"
#define VMS_VIEWS "views/"
#define VMS_QUOTAS "quotas/"
#define VMS_SNAPSHOTS "snapshots/"
#define VMS_SNAPSTREAMS "globalsnapstreams/"
#define VMS_USERS "users/"
#define VMS_MANAGERS "managers/" /* VMS logins: cluster and tenant admins */
#define VMS_S3POLICIES "s3policies/"

typedef struct {
    json_t *raw;             /* the object as VMS returned it (owned reference) */
    int64_t id;
    const char *name;
    const char *guid;
    int64_t tenant_id;       /* 0 when the object has none */
    const char *tenant_name;
} vms_object;

/* Drops the raw reference and zeroes the header; safe on a zeroed struct. */
void vms_object_free(vms_object *obj);

typedef struct {
    vms_object obj;
    int64_t capacity_soft_limit; /* capacity_rules: the tenant-wide quota, 0 = none */
    int64_t capacity_hard_limit;
    int64_t local_provider_id;   /* where the tenant's local users live (0: the built-in one) */
} vms_tenant;

typedef struct {
    vms_object obj;
    const char *flavor; /* NFS, S3_NATIVE, SMB, MIXED_LAST_WINS, ... */
} vms_viewpolicy;

typedef struct {
    vms_object obj;
    const char *mode;        /* STATIC, USED_CAPACITY, PROVISIONED_CAPACITY */
    const char *policy_type; /* VIEW, USER, VOLUME */
} vms_qospolicy;

/* One entry of a pool's ip_ranges: [start, end], or a lone address (start == end). */
typedef struct {
    const char *start, *end;
} vms_ip_range;

/* The first VMS_IP_RANGES_MAX entries of ip_ranges; more would not fit a volume
 * context's vip_pool_ranges anyway (1 KiB). Entries of another shape are skipped. */
#define VMS_IP_RANGES_MAX 64
typedef struct {
    size_t n;
    vms_ip_range at[VMS_IP_RANGES_MAX];
} vms_ip_ranges;

typedef struct {
    vms_object obj;
    const char *role;        /* PROTOCOLS, REPLICATION */
    const char *domain_name; /* VAST-DNS label, "" when unset */
    int64_t subnet_cidr;
    vms_ip_ranges ip_ranges;
} vms_vippool;

typedef struct {
    vms_object obj;
    const char *path;
    const char *alias;
    const char *bucket;
    const char *bucket_owner;
    const char *policy;       /* the view policy's name */
    int64_t policy_id;
    int64_t qos_policy_id;    /* 0 = none */
    int64_t logical_capacity; /* bytes under the path */
} vms_view;

typedef struct {
    vms_object obj;
    const char *path;
    int64_t hard_limit; /* bytes, 0 = none */
    int64_t soft_limit;
    int64_t used_capacity;
    int64_t used_inodes;
    const char *state; /* OK, SOFT_EXCEEDED, HARD_EXCEEDED, ... ("" when unset) */
} vms_quota;

typedef struct {
    vms_object obj;
    const char *path;
    const char *created;         /* ISO 8601 UTC */
    const char *expiration_time; /* "" = never */
} vms_snapshot;

/* A global snapshot stream: the data copy behind a clone. */
typedef struct {
    vms_object obj;
    const char *state;            /* status.state: RUNNING, FINISHED, STOPPED, ... */
    int progress;                 /* status.progress, 0-100 */
    const char *loanee_root_path; /* the clone's directory */
    int64_t loanee_snapshot_id;   /* the snapshot it copies */
    const char *source_path;
} vms_snapstream;

typedef struct {
    vms_object obj;
    int64_t uid;
    int64_t local_provider_id; /* local_provider.id */
} vms_user;

/* An S3 identity policy: an IAM-style document (as a string) attached to users by
 * their s3_policies_ids. */
typedef struct {
    vms_object obj;
    const char *policy;
} vms_s3policy;

typedef struct {
    vms_object obj;
    const char *sw_version;
    const char *state; /* ONLINE, ... */
    int64_t usable_capacity_bytes;
    int64_t free_usable_capacity;
    int64_t logical_space;
    int64_t logical_space_in_use;
    int64_t physical_space;
    int64_t physical_space_in_use;
} vms_cluster;

/* ---- Decoding (new reference to json; release with vms_object_free) ---- */
void vms_tenant_from_json(json_t *json, vms_tenant *out);
void vms_viewpolicy_from_json(json_t *json, vms_viewpolicy *out);
void vms_qospolicy_from_json(json_t *json, vms_qospolicy *out);
void vms_vippool_from_json(json_t *json, vms_vippool *out);
void vms_view_from_json(json_t *json, vms_view *out);
void vms_quota_from_json(json_t *json, vms_quota *out);
void vms_snapshot_from_json(json_t *json, vms_snapshot *out);
void vms_snapstream_from_json(json_t *json, vms_snapstream *out);
void vms_user_from_json(json_t *json, vms_user *out);
void vms_s3policy_from_json(json_t *json, vms_s3policy *out);

/* ---- Lists ----
 * Every object of the collection matching filters (as for vms_list), decoded and
 * appended to *items (an array of *n; start from NULL, 0): a second call adds the
 * next filter's matches, e.g. one per root export. Release with
 * vms_<type>_list_free(items, n); on failure the array holds what was read before. */
bool vms_tenant_list(vms_client *c, const char *const *filters, vms_tenant **items, size_t *n, int64_t deadline,
                     vms_error *err);
bool vms_viewpolicy_list(vms_client *c, const char *const *filters, vms_viewpolicy **items, size_t *n,
                         int64_t deadline, vms_error *err);
bool vms_qospolicy_list(vms_client *c, const char *const *filters, vms_qospolicy **items, size_t *n,
                        int64_t deadline, vms_error *err);
bool vms_vippool_list(vms_client *c, const char *const *filters, vms_vippool **items, size_t *n, int64_t deadline,
                      vms_error *err);
bool vms_view_list(vms_client *c, const char *const *filters, vms_view **items, size_t *n, int64_t deadline,
                   vms_error *err);
bool vms_quota_list(vms_client *c, const char *const *filters, vms_quota **items, size_t *n, int64_t deadline,
                    vms_error *err);
bool vms_snapshot_list(vms_client *c, const char *const *filters, vms_snapshot **items, size_t *n,
                       int64_t deadline, vms_error *err);
bool vms_snapstream_list(vms_client *c, const char *const *filters, vms_snapstream **items, size_t *n,
                         int64_t deadline, vms_error *err);
bool vms_user_list(vms_client *c, const char *const *filters, vms_user **items, size_t *n, int64_t deadline,
                   vms_error *err);
bool vms_s3policy_list(vms_client *c, const char *const *filters, vms_s3policy **items, size_t *n,
                       int64_t deadline, vms_error *err);
/* The same, from a first page sent with other requests (vk/vms_list.h: its call is
 * consumed; further pages are fetched here). */
bool vms_tenant_list_from(vms_client *c, vms_call *first, vms_tenant **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_viewpolicy_list_from(vms_client *c, vms_call *first, vms_viewpolicy **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_qospolicy_list_from(vms_client *c, vms_call *first, vms_qospolicy **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_vippool_list_from(vms_client *c, vms_call *first, vms_vippool **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_view_list_from(vms_client *c, vms_call *first, vms_view **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_quota_list_from(vms_client *c, vms_call *first, vms_quota **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_snapshot_list_from(vms_client *c, vms_call *first, vms_snapshot **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_snapstream_list_from(vms_client *c, vms_call *first, vms_snapstream **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_user_list_from(vms_client *c, vms_call *first, vms_user **items, size_t *n, int64_t deadline,
    vms_error *err);
bool vms_s3policy_list_from(vms_client *c, vms_call *first, vms_s3policy **items, size_t *n, int64_t deadline,
    vms_error *err);
void vms_tenant_list_free(vms_tenant *items, size_t n);
void vms_viewpolicy_list_free(vms_viewpolicy *items, size_t n);
void vms_qospolicy_list_free(vms_qospolicy *items, size_t n);
void vms_vippool_list_free(vms_vippool *items, size_t n);
void vms_view_list_free(vms_view *items, size_t n);
void vms_quota_list_free(vms_quota *items, size_t n);
void vms_snapshot_list_free(vms_snapshot *items, size_t n);
void vms_snapstream_list_free(vms_snapstream *items, size_t n);
void vms_user_list_free(vms_user *items, size_t n);
void vms_s3policy_list_free(vms_s3policy *items, size_t n);

/* ---- Get by id / find by natural key ---- */
vms_lookup vms_tenant_get(vms_client *c, int64_t id, vms_tenant *out, int64_t deadline, vms_error *err);
vms_lookup vms_viewpolicy_get(vms_client *c, int64_t id, vms_viewpolicy *out, int64_t deadline, vms_error *err);
vms_lookup vms_qospolicy_get(vms_client *c, int64_t id, vms_qospolicy *out, int64_t deadline, vms_error *err);
vms_lookup vms_vippool_get(vms_client *c, int64_t id, vms_vippool *out, int64_t deadline, vms_error *err);
vms_lookup vms_view_get(vms_client *c, int64_t id, vms_view *out, int64_t deadline, vms_error *err);
vms_lookup vms_quota_get(vms_client *c, int64_t id, vms_quota *out, int64_t deadline, vms_error *err);
vms_lookup vms_snapshot_get(vms_client *c, int64_t id, vms_snapshot *out, int64_t deadline, vms_error *err);
vms_lookup vms_snapstream_get(vms_client *c, int64_t id, vms_snapstream *out, int64_t deadline, vms_error *err);
vms_lookup vms_user_get(vms_client *c, int64_t id, vms_user *out, int64_t deadline, vms_error *err);
vms_lookup vms_s3policy_get(vms_client *c, int64_t id, vms_s3policy *out, int64_t deadline, vms_error *err);

/* filters as for vms_list, e.g. VMS_FILTERS("name", "vast-k8s-nfs"). */
vms_lookup vms_tenant_find(vms_client *c, const char *const *filters, vms_tenant *out, int64_t deadline,
                           vms_error *err);
vms_lookup vms_viewpolicy_find(vms_client *c, const char *const *filters, vms_viewpolicy *out, int64_t deadline,
                               vms_error *err);
vms_lookup vms_qospolicy_find(vms_client *c, const char *const *filters, vms_qospolicy *out, int64_t deadline,
                              vms_error *err);
vms_lookup vms_vippool_find(vms_client *c, const char *const *filters, vms_vippool *out, int64_t deadline,
                            vms_error *err);
vms_lookup vms_view_find(vms_client *c, const char *const *filters, vms_view *out, int64_t deadline, vms_error *err);
vms_lookup vms_quota_find(vms_client *c, const char *const *filters, vms_quota *out, int64_t deadline,
                          vms_error *err);
vms_lookup vms_snapshot_find(vms_client *c, const char *const *filters, vms_snapshot *out, int64_t deadline,
                             vms_error *err);
vms_lookup vms_snapstream_find(vms_client *c, const char *const *filters, vms_snapstream *out, int64_t deadline,
                               vms_error *err);
vms_lookup vms_user_find(vms_client *c, const char *const *filters, vms_user *out, int64_t deadline, vms_error *err);
vms_lookup vms_s3policy_find(vms_client *c, const char *const *filters, vms_s3policy *out, int64_t deadline,
                              vms_error *err);

/* A volume's view / quota by directory; tenant_id 0 = any tenant (the request's scope). */
vms_lookup vms_view_find_by_path(vms_client *c, const char *path, int64_t tenant_id, vms_view *out, int64_t deadline,
                                 vms_error *err);
vms_lookup vms_quota_find_by_path(vms_client *c, const char *path, int64_t tenant_id, vms_quota *out,
                                  int64_t deadline, vms_error *err);

/* ---- Create ----
 * The CSI objects take a spec: zero/NULL fields are left out of the request, and
 * `extra` (borrowed, may be NULL) adds any other VMS field (e.g. BucketClass keys). */
typedef struct {
    const char *path;
    const char *name; /* NULL: VMS names it view-<id> */
    int64_t policy_id;
    const char *const *protocols; /* NULL-terminated; NULL means {"NFS"} */
    bool create_dir;
    int64_t tenant_id;
    int64_t qos_policy_id;
    const char *alias;
    const char *bucket;
    const char *bucket_owner;
    json_t *extra;
} vms_view_spec;

typedef struct {
    const char *name;
    const char *path;
    int64_t tenant_id;
    int64_t hard_limit; /* bytes; 0 = no limit (left out, as VMS wants) */
    int64_t soft_limit;
    bool create_dir;
    json_t *extra;
} vms_quota_spec;

typedef struct {
    const char *name;
    const char *path;
    int64_t tenant_id;
    const char *expiration_time; /* ISO 8601 UTC, NULL = never */
    json_t *extra;
} vms_snapshot_spec;

typedef struct {
    const char *name;
    int64_t uid;
    int64_t local_provider_id;
    bool allow_create_bucket;
    bool allow_delete_bucket;
    json_t *extra;
} vms_user_spec;

/* The POST bodies of the creates below (new references), for a create sent with other
 * requests (vms_request_all); vms_created reads its answer. */
json_t *vms_view_create_body(const vms_view_spec *spec);
json_t *vms_quota_create_body(const vms_quota_spec *spec);
/* The object a create call made (decoded into out, which may be NULL), or false with
 * err naming the object (label, e.g. "quota path=/k8s/pvc-1") and what VMS said. */
bool vms_view_created(vms_client *c, const vms_call *k, const char *label, vms_view *out, vms_error *err);
bool vms_quota_created(vms_client *c, const vms_call *k, const char *label, vms_quota *out, vms_error *err);
/* A DELETE call's outcome as the typed deletes give it: FOUND (done; an async task it
 * started is awaited), MISSING (already gone), FAILED with err. */
vms_lookup vms_deleted(vms_client *c, const vms_call *k, const char *label, int64_t deadline, vms_error *err);

bool vms_view_create(vms_client *c, const vms_view_spec *spec, vms_view *out, int64_t deadline, vms_error *err);
bool vms_quota_create(vms_client *c, const vms_quota_spec *spec, vms_quota *out, int64_t deadline, vms_error *err);
bool vms_snapshot_create(vms_client *c, const vms_snapshot_spec *spec, vms_snapshot *out, int64_t deadline,
                         vms_error *err);
bool vms_user_create(vms_client *c, const vms_user_spec *spec, vms_user *out, int64_t deadline, vms_error *err);

/* The operator's objects take the JSON body it reconciles from its custom resource
 * (borrowed), e.g. {"name": "t1", "client_ip_ranges": [["10.0.0.1", "10.0.0.9"]]}. */
bool vms_tenant_create(vms_client *c, json_t *body, vms_tenant *out, int64_t deadline, vms_error *err);
bool vms_viewpolicy_create(vms_client *c, json_t *body, vms_viewpolicy *out, int64_t deadline, vms_error *err);
bool vms_qospolicy_create(vms_client *c, json_t *body, vms_qospolicy *out, int64_t deadline, vms_error *err);
bool vms_vippool_create(vms_client *c, json_t *body, vms_vippool *out, int64_t deadline, vms_error *err);
bool vms_s3policy_create(vms_client *c, json_t *body, vms_s3policy *out, int64_t deadline, vms_error *err);

/* ---- Update (PATCH, changes borrowed) ---- */
bool vms_tenant_update(vms_client *c, int64_t id, json_t *changes, vms_tenant *out, int64_t deadline,
                       vms_error *err);
bool vms_viewpolicy_update(vms_client *c, int64_t id, json_t *changes, vms_viewpolicy *out, int64_t deadline,
                           vms_error *err);
bool vms_qospolicy_update(vms_client *c, int64_t id, json_t *changes, vms_qospolicy *out, int64_t deadline,
                          vms_error *err);
bool vms_vippool_update(vms_client *c, int64_t id, json_t *changes, vms_vippool *out, int64_t deadline,
                        vms_error *err);
bool vms_view_update(vms_client *c, int64_t id, json_t *changes, vms_view *out, int64_t deadline, vms_error *err);
bool vms_quota_update(vms_client *c, int64_t id, json_t *changes, vms_quota *out, int64_t deadline, vms_error *err);
bool vms_user_update(vms_client *c, int64_t id, json_t *changes, vms_user *out, int64_t deadline, vms_error *err);
bool vms_s3policy_update(vms_client *c, int64_t id, json_t *changes, vms_s3policy *out, int64_t deadline,
                         vms_error *err);

/* ControllerExpandVolume: PATCH {"hard_limit": bytes}. */
bool vms_quota_set_hard_limit(vms_client *c, int64_t id, int64_t hard_limit, vms_quota *out, int64_t deadline,
                              vms_error *err);

/* ---- Delete ---- */
vms_lookup vms_viewpolicy_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
vms_lookup vms_qospolicy_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
vms_lookup vms_vippool_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
vms_lookup vms_view_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
vms_lookup vms_quota_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
vms_lookup vms_snapshot_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
vms_lookup vms_user_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
vms_lookup vms_s3policy_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
/* force_remove: delete even while the tenant owns objects (VMS refuses with 409 otherwise). */
vms_lookup vms_tenant_delete(vms_client *c, int64_t id, bool force_remove, int64_t deadline, vms_error *err);

/* ---- Clones: snapshot -> global snapshot stream ---- */
typedef struct {
    const char *name;             /* the stream's name, e.g. "strm-<volume>" */
    const char *loanee_root_path; /* the clone's directory; must not exist yet */
    int64_t loanee_tenant_id;     /* 0 = the snapshot's tenant */
    bool enabled;
} vms_clone_spec;

bool vms_snapshot_clone(vms_client *c, int64_t snapshot_id, const vms_clone_spec *spec, vms_snapstream *out,
                        int64_t deadline, vms_error *err);
/* Stops the copy (PATCH .../stop/) and waits for VMS's task. */
bool vms_snapstream_stop(vms_client *c, int64_t id, int64_t deadline, vms_error *err);
/* remove_dir: also remove the clone's directory. */
vms_lookup vms_snapstream_delete(vms_client *c, int64_t id, bool remove_dir, int64_t deadline, vms_error *err);

/* ---- S3 access keys of a local user ---- */
typedef struct {
    char access_key[128];
    char secret_key[128]; /* only ever returned at creation; wipe with vms_access_key_clear */
} vms_access_key;

/* POST users/{id}/access_keys/ {tenant_id} (tenant_id 0 = left out). Not idempotent:
 * every call makes a new key. */
bool vms_access_key_create(vms_client *c, int64_t user_id, int64_t tenant_id, vms_access_key *out, int64_t deadline,
                           vms_error *err);
vms_lookup vms_access_key_delete(vms_client *c, int64_t user_id, const char *access_key, int64_t deadline,
                                 vms_error *err);
void vms_access_key_clear(vms_access_key *key);

/* The access keys a user object lists (never secrets) in tenant_id (0: any tenant):
 * up to max of them into keys (pointers into user's raw JSON); returns how many there
 * are in all. */
size_t vms_user_access_keys(const vms_user *user, int64_t tenant_id, const char **keys, size_t max);

/* True when the user's s3_policies_ids holds policy_id. */
bool vms_user_has_s3_policy(const vms_user *user, int64_t policy_id);

/* ---- Directories (the trash API, VAST >= 4.7) ---- */
/* Deletes the tree at path. VMS_MISSING when there was no such directory. */
/* vms_folder_delete as a call to send with others: body (a new reference) for
 * DELETE folders/delete_folder/, and its outcome (MISSING: no such directory). */
json_t *vms_folder_delete_body(const char *path, int64_t tenant_id);
vms_lookup vms_folder_deleted(vms_client *c, const vms_call *k, const char *path, int64_t deadline, vms_error *err);
vms_lookup vms_folder_delete(vms_client *c, const char *path, int64_t tenant_id, int64_t deadline, vms_error *err);

/* ---- Cluster facts ---- */
typedef struct {
    char sys_version[64]; /* "5.3.0" or "5.3.0.123" */
    int major, minor, patch;
} vms_version;

/* The newest successful entry of versions/ (status=success). */
bool vms_version_get(vms_client *c, vms_version *out, int64_t deadline, vms_error *err);
/* "5.3.0[.123]" into out (numbers VAST left out read 0). */
void vms_version_parse(const char *sys_version, vms_version *out);
bool vms_version_at_least(const vms_version *v, int major, int minor, int patch);

/* The first (only) entry of clusters/: version, state and capacity for GetCapacity. */
bool vms_cluster_get(vms_client *c, vms_cluster *out, int64_t deadline, vms_error *err);

/* ---- Small helpers on decoded objects ---- */
bool vms_view_has_protocol(const vms_view *view, const char *protocol);
/* The pool's addresses, counted over its ip_ranges [[start, end], ...] (IPv4 ranges;
 * an IPv6 entry counts when start == end). */
size_t vms_vippool_ip_count(const vms_vippool *pool);
/* The index-th address (0-based) into buf; false when index is out of range. */
bool vms_vippool_ip_at(const vms_vippool *pool, size_t index, char *buf, size_t size);
/* The pool's ranges as "start-end,start-end" (a lone address as "a-a"), for a volume
 * context: the node picks its VIP from them without asking VMS. Cut at the last range
 * that fits. */
void vms_vippool_ranges_text(const vms_vippool *pool, char *out, size_t size);

#endif
