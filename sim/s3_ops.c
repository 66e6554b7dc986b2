/* The S3 dispatch: authenticate, find the operation and the permission it needs, check
 * it under the store lock, then do the work on the bucket's directory without it. */
#include <stdlib.h>
#include <string.h>

#include "s3_auth.h"
#include "s3_ops.h"
#include "store.h"
#include "support.h"

typedef enum { OP_NONE, OP_LIST_BUCKETS, OP_HEAD_BUCKET, OP_LOCATION, OP_LIST, OP_PUT, OP_GET, OP_DELETE } s3_op;

/* Query keys that are parameters of the operations served (any other names a
 * sub-resource such as ?acl or ?uploads, which vms-sim does not implement). */
static const char *const list_keys[] = {"list-type", "prefix", "delimiter", "max-keys", "marker",
                                        "continuation-token", "start-after", "fetch-owner", "encoding-type",
                                        "x-id", NULL};

static bool only_keys(const s3_request *req, const char *const *allowed, bool response_overrides) {
    for (size_t i = 0; i < req->n_query; i++) {
        bool ok = (response_overrides && strncmp(req->query[i].key, "response-", 9) == 0) ||
                  strcmp(req->query[i].key, "x-id") == 0;
        for (size_t k = 0; !ok && allowed && allowed[k]; k++) ok = strcmp(req->query[i].key, allowed[k]) == 0;
        if (!ok) return false;
    }
    return true;
}

static bool is(const s3_request *req, const char *method) { return strcmp(req->method, method) == 0; }

/* Which operation the request is, and the action it needs; OP_NONE with the answer set. */
static s3_op classify(s3_request *req, const char *key, const char **action, s3_response *resp) {
    static const char *const location[] = {"location", NULL};
    if (!key) {
        if (is(req, "HEAD") && req->n_query == 0) return *action = "s3:ListBucket", OP_HEAD_BUCKET;
        if (is(req, "GET") && s3_query(req, "location") && only_keys(req, location, false))
            return *action = "s3:ListBucket", OP_LOCATION;
        if (is(req, "GET") && only_keys(req, list_keys, false)) return *action = "s3:ListBucket", OP_LIST;
    } else if (!s3_header(req, "x-amz-copy-source")) {
        bool reading = is(req, "GET") || is(req, "HEAD");
        if (reading && only_keys(req, NULL, true)) return *action = "s3:GetObject", OP_GET;
        if (is(req, "PUT") && only_keys(req, NULL, false)) return *action = "s3:PutObject", OP_PUT;
        if (is(req, "DELETE") && only_keys(req, NULL, false)) return *action = "s3:DeleteObject", OP_DELETE;
    }
    if (!is(req, "GET") && !is(req, "HEAD") && !is(req, "PUT") && !is(req, "DELETE") && !is(req, "POST")) {
        s3_error(req, resp, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
        return OP_NONE;
    }
    s3_error(req, resp, 501, "NotImplemented",
             "vms-sim implements ListBuckets, HeadBucket, GetBucketLocation, ListObjects(V2), PutObject, GetObject, "
             "HeadObject and DeleteObject; buckets are made and removed through VMS (views/).");
    return OP_NONE;
}

/* Splits "/bucket/key" (key NULL for "/bucket" or "/bucket/"); false for "/". */
static bool split_path(const char *path, char **bucket, const char **key) {
    const char *p = path + strspn(path, "/");
    if (!*p) return false;
    size_t n = strcspn(p, "/");
    *bucket = strndup(p, n);
    *key = p[n] == '/' && p[n + 1] ? p + n + 1 : NULL;
    return true;
}

/* Authentication and the permission check, under the store lock. */
static s3_op admit(s3_request *req, const char *bucket_name, const char *key, s3_bucket *bucket, s3_response *resp) {
    store_lock(req->ctx->store);
    s3_op op = OP_NONE;
    const char *action = NULL;
    if (s3_authenticate(req, resp) != 0) {
        op = OP_NONE;
    } else if (!bucket_name) {
        if (is(req, "GET")) s3_list_buckets(req, resp);
        else s3_error(req, resp, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    } else if ((op = classify(req, key, &action, resp)) != OP_NONE &&
               s3_access_check(req, bucket_name, action, key, bucket, resp) != 0) {
        op = OP_NONE;
    }
    store_unlock(req->ctx->store);
    return op;
}

void s3_serve(s3_request *req, s3_response *resp) {
    resp->fd = -1;
    resp->status = 200;
    if (req->too_large) {
        s3_error(req, resp, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size (64 MiB here).");
        return;
    }
    char *bucket_name = NULL;
    const char *key = NULL;
    if (!split_path(req->path, &bucket_name, &key)) bucket_name = NULL;
    s3_bucket bucket = {0};
    switch (admit(req, bucket_name, key, &bucket, resp)) {
    case OP_NONE:
    case OP_LIST_BUCKETS: break;
    case OP_HEAD_BUCKET: s3_set_header(resp, "x-amz-bucket-region", "us-east-1"); break;
    case OP_LOCATION:
        s3_xml_ok(resp, sim_strdup(S3_XML_HEAD "<LocationConstraint xmlns=\"" S3_XMLNS "\"></LocationConstraint>"));
        break;
    case OP_LIST: s3_list_objects(req, &bucket, resp); break;
    case OP_PUT: s3_put_object(req, &bucket, key, resp); break;
    case OP_GET: s3_get_object(req, &bucket, key, resp); break;
    case OP_DELETE: s3_delete_object(req, &bucket, key, resp); break;
    }
    free(bucket.name);
    free(bucket.path);
    free(bucket_name);
}
