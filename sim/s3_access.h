/* Which buckets an S3 request may use, and for what. A bucket is a view with S3 in its
 * protocols; a key works only for buckets of its own tenant. Its user may act on a bucket
 * when it is the bucket_owner (a user of the local provider of the bucket's tenant) or
 * an s3_superuser, or when an enabled S3 policy of that tenant attached to it (its
 * s3_policies_ids) allows the action on arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/KEY;
 * a Deny in any of those policies wins, over ownership too. Runs under the store lock. */
#ifndef SIM_S3_ACCESS_H
#define SIM_S3_ACCESS_H

#include "s3.h"
#include "support.h"

typedef struct {
    char *name;
    char *path; /* the view's VMS path, whose directory holds the objects */
    char created[SIM_ISO_MAX];
} s3_bucket;

/* Finds the bucket and checks that the user may do action ("s3:GetObject") on it, or on
 * its object key when key is not NULL. 404 NoSuchBucket, 403 AccessDenied. */
int s3_access_check(s3_request *req, const char *bucket, const char *action, const char *key, s3_bucket *out,
                    s3_response *resp);
/* The buckets of the key's tenant that the user owns or that its policies let it use at
 * all (some action on the bucket or on some of its objects); an array of s3_bucket
 * (*n of them, malloc'd; free with s3_buckets_free). */
s3_bucket *s3_access_buckets(s3_request *req, size_t *n);
void s3_buckets_free(s3_bucket *buckets, size_t n);

#endif
