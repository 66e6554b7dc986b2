/* The S3 operations, called by the dispatch in s3_ops.c once the request is
 * authenticated and allowed; they work on the bucket's directory without the store
 * lock (what they need of the state is copied into the s3_bucket). Each returns 0 or -1
 * with the response set, like s3_error. */
#ifndef SIM_S3_OPS_H
#define SIM_S3_OPS_H

#include "s3.h"
#include "s3_access.h"

/* GET / (under the store lock: it reads the views). */
int s3_list_buckets(s3_request *req, s3_response *resp);
/* GET /bucket (ListObjects) and GET /bucket?list-type=2 (ListObjectsV2). */
int s3_list_objects(s3_request *req, const s3_bucket *bucket, s3_response *resp);
int s3_put_object(s3_request *req, const s3_bucket *bucket, const char *key, s3_response *resp);
/* GET and HEAD (the listener sends HEAD the same headers and length, no body). */
int s3_get_object(s3_request *req, const s3_bucket *bucket, const char *key, s3_response *resp);
int s3_delete_object(s3_request *req, const s3_bucket *bucket, const char *key, s3_response *resp);

/* The answer to a file-system error of s3_fs.h for key. */
int s3_fs_error(s3_request *req, s3_response *resp, int err, const char *key);
/* "2026-01-31T12:00:00.123Z", the timestamps of S3's XML. */
void s3_iso_ms(char out[32], int64_t epoch_ms);

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"
#define S3_XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

#endif
