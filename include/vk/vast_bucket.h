/* Buckets and bucket accesses on VAST, as plain C: what COSI asks for, without
 * protobuf or gRPC (csi/cosi*.c adapts the v1alpha1 services over these; a v1alpha2
 * service would adapt the same calls).
 *
 * A bucket is a volume that speaks S3: a directory <root_export>/<bucket>, a quota on
 * it carrying the driver's bucket mark (kind VAST_OWNED_BUCKET; hard limit from the
 * BucketClass, or none), an owner user, and a view with protocols [S3], bucket and
 * bucket_owner, in the tenant of the BucketClass's view policy.
 *
 * An access is an identity that reaches that bucket only: an S3 identity policy
 * allowing the bucket's actions (all, or the read-only ones), a local user holding
 * that policy and nothing else, and one S3 key of that user in the bucket's tenant.
 *
 * Every VAST name is derived from the COSI names, so a retry finds what an earlier
 * call made (look up before create), and every name carries a mark of the object's
 * kind, tenant and bucket path (vk/vast_owner.h), so a forged bucket id or account id
 * names nothing of ours and nothing is touched.
 *
 * Ids (carry no address, so a VIP pool change breaks no grant):
 *   bucket_id:  vb1:<cluster>:<tenant_id>:<path>?<endpoint settings>
 *               e.g. vb1::3:/k8s/bucket-4f2a...?pool=s3pool&scheme=https&region=us-east-1
 *               endpoint settings (keys pool, url, scheme, port, region) say where grants
 *               find the S3 endpoint: the VIPs of pool at grant time, or a fixed url.
 *   account_id: the access user's name, e.g. ba-5c1d...-0123456789ab */
#ifndef VK_VAST_BUCKET_H
#define VK_VAST_BUCKET_H

#include "vk/vast.h"

#include <stdbool.h>
#include <stdint.h>

#define VAST_BUCKET_ID_MAX 2048
#define VAST_BUCKET_NAME_MAX 63 /* S3's limit */
#define VAST_DEFAULT_S3_VIEW_POLICY "s3_default_policy"
#define VAST_DEFAULT_S3_REGION "us-east-1"

/* BucketClass parameters: the vendor driver's names (root_export, vip_pool_name,
 * scheme, view_policy) plus cluster_name, quota, region, s3_endpoint and s3_port.
 * Strings point into the request. */
typedef struct {
    const char *root_export;   /* required */
    const char *view_policy;   /* default VAST_DEFAULT_S3_VIEW_POLICY: its tenant is the bucket's */
    const char *vip_pool_name; /* the endpoint's addresses, looked up at grant time */
    const char *s3_endpoint;   /* or a fixed endpoint URL (a load balancer, a DNS name) */
    const char *scheme;        /* http | https (default https) */
    int s3_port;               /* 0 = the scheme's default */
    const char *region;        /* default VAST_DEFAULT_S3_REGION */
    const char *cluster_name;  /* an entry of the driver's multi-cluster secret */
    int64_t quota;             /* hard limit in bytes (parameter "quota", a quantity), 0 = none */
} vast_bucket_params;

/* INVALID_ARGUMENT naming the parameter for an unknown key, a malformed value, or
 * neither vip_pool_name nor s3_endpoint. */
bool vast_bucket_params_parse(vk_strmap map, vast_bucket_params *out, vk_status *st);

/* The S3 bucket name for a COSI bucket name: the name itself when it is a valid S3
 * name (3-63 of [a-z0-9.-], letter or digit at both ends, no "..", not an address),
 * else a deterministic cut plus 12 hex digits of its hash (no two COSI names share
 * one). False when nothing usable can be made (an empty name). */
bool vast_bucket_name_from_cosi(const char *cosi_name, char *out, size_t size);

/* True for a name S3 accepts for a bucket: 3-63 of [a-z0-9.-], a letter or digit at
 * both ends, no "..", not an IPv4 address. */
bool vast_bucket_name_valid(const char *name);

/* A bucket id, parsed: where the bucket is, and where grants find its endpoint. */
typedef struct {
    char cluster[VAST_CLUSTER_NAME_MAX];
    int64_t tenant_id;
    char path[VAST_PATH_MAX];               /* <root>/<bucket> */
    char bucket[VAST_BUCKET_NAME_MAX + 1];  /* the path's last component */
    char pool[VAST_NAME_MAX + 1];           /* the VIP pool, or */
    char url[512];                          /* a fixed endpoint */
    char scheme[8];                         /* with pool: http | https */
    int port;                               /* with pool: 0 = the scheme's default */
    char region[64];
} vast_bucket_ref;

/* False for text that is not a well-formed id of this driver (nothing of ours has it). */
bool vast_bucket_id_parse(const char *text, vast_bucket_ref *out);
/* False when it does not fit. */
bool vast_bucket_id_format(const vast_bucket_ref *ref, char *buf, size_t size);

typedef struct {
    char bucket_id[VAST_BUCKET_ID_MAX + 1];
    char bucket[VAST_BUCKET_NAME_MAX + 1]; /* the S3 bucket name */
    char region[64];
} vast_bucket_result;

/* Makes the bucket for COSI name `name`, or finds the one an earlier call made with
 * the same parameters (OK, same answer). ALREADY_EXISTS when the S3 bucket name or its
 * directory is taken by something else, or an earlier bucket of that name has other
 * parameters (path, tenant, quota). secrets: the driver's (COSI calls carry none). */
vk_code vast_bucket_create(vast_ctx *ctx, const char *name, vk_strmap params, vk_strmap secrets, int64_t deadline,
                           vast_bucket_result *out, vk_status *st);

/* Deletes the bucket (view, data, quota, owner user) when it is this driver's; OK when
 * it is not, or is already gone. FAILED_PRECONDITION when the id's cluster is not
 * reachable with the driver's secret. */
vk_code vast_bucket_delete(vast_ctx *ctx, const char *bucket_id, vk_strmap secrets, int64_t deadline, vk_status *st);

/* BucketAccessClass parameters: access_mode ReadWrite (default) | ReadOnly. */
typedef struct {
    bool read_only;
} vast_access_params;

bool vast_access_params_parse(vk_strmap map, vast_access_params *out, vk_status *st);

/* Credentials of one grant: wipe with vast_access_result_clear. */
typedef struct {
    char account_id[VAST_NAME_MAX + 1];
    char access_key[128];
    char secret_key[128];
    char endpoint[512]; /* scheme://address[:port] */
    char region[64];
} vast_access_result;

/* Grants account `name` access to the bucket (proven this driver's: NOT_FOUND
 * otherwise). A replay converges on the same user and policy and returns a fresh key,
 * deleting the user's earlier keys first, so at most one key is ever active (VAST
 * returns a secret only once: a lost answer cannot be repeated). ALREADY_EXISTS when
 * the account exists with another access mode. */
vk_code vast_access_grant(vast_ctx *ctx, const char *bucket_id, const char *name, vk_strmap params,
                          vk_strmap secrets, int64_t deadline, vast_access_result *out, vk_status *st);

/* Removes the account's user (and with it its keys) and its policy; OK when they are
 * gone or account_id is not an account of this bucket made by this driver. */
vk_code vast_access_revoke(vast_ctx *ctx, const char *bucket_id, const char *account_id, vk_strmap secrets,
                           int64_t deadline, vk_status *st);

void vast_access_result_clear(vast_access_result *r);

#endif
