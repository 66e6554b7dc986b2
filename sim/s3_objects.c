/* PutObject, GetObject, HeadObject and DeleteObject on the bucket's directory; see
 * s3_ops.h. */
#include <errno.h>
#include <inttypes.h>
#include <nettle/base64.h>
#include <nettle/md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s3_fs.h"
#include "s3_ops.h"

int s3_fs_error(s3_request *req, s3_response *resp, int err, const char *key) {
    char message[1200];
    switch (err) {
    case ENOENT: return s3_error(req, resp, 404, "NoSuchKey", "The specified key does not exist.");
    case ELOOP:
    case EXDEV:
        snprintf(message, sizeof message, "The path of \"%s\" goes through a symbolic link or leaves the file system.",
                 key);
        return s3_error(req, resp, 403, "AccessDenied", message);
    case ENOTDIR:
    case EISDIR:
    case ENAMETOOLONG:
        snprintf(message, sizeof message,
                 "Object key \"%s\" cannot be a file here (objects are files of the view's directory: a file is "
                 "where a directory would be, or the reverse).",
                 key);
        return s3_error(req, resp, 409, "InvalidObjectState", message);
    default:
        snprintf(message, sizeof message, "File system error: %s", strerror(err));
        return s3_error(req, resp, 500, "InternalError", message);
    }
}

/* Content-MD5, when sent, is the base64 MD5 of the body (S3 refuses a mismatch). */
static int check_content_md5(s3_request *req, s3_response *resp) {
    const char *given = s3_header(req, "Content-MD5");
    if (!given) return 0;
    struct base64_decode_ctx ctx;
    uint8_t decoded[BASE64_DECODE_LENGTH(32)];
    size_t n = sizeof decoded;
    base64_decode_init(&ctx);
    if (strlen(given) > 32 || !base64_decode_update(&ctx, &n, decoded, strlen(given), given) ||
        !base64_decode_final(&ctx) || n != MD5_DIGEST_SIZE)
        return s3_error(req, resp, 400, "InvalidDigest", "The Content-MD5 you specified is not valid.");
    struct md5_ctx md5;
    uint8_t digest[MD5_DIGEST_SIZE];
    md5_init(&md5);
    md5_update(&md5, req->body_len, (const uint8_t *)(req->body ? req->body : ""));
    md5_digest(&md5, sizeof digest, digest);
    if (memcmp(digest, decoded, sizeof digest) == 0) return 0;
    return s3_error(req, resp, 400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
}

int s3_put_object(s3_request *req, const s3_bucket *bucket, const char *key, s3_response *resp) {
    if (!s3_fs_valid_key(key))
        return s3_error(req, resp, 400, "InvalidArgument",
                        "vms-sim stores an object as a file: its key needs 1 to 1024 bytes, no empty, \".\", \"..\" "
                        "or .snapshot components and no leading or trailing '/'.");
    if (check_content_md5(req, resp) != 0) return -1;
    int err = s3_fs_write(req->ctx->fs_fd, bucket->path, key, req->body ? req->body : "", req->body_len);
    if (err != 0) return s3_fs_error(req, resp, err, key);
    struct md5_ctx md5;
    uint8_t digest[MD5_DIGEST_SIZE];
    md5_init(&md5);
    md5_update(&md5, req->body_len, (const uint8_t *)(req->body ? req->body : ""));
    md5_digest(&md5, sizeof digest, digest);
    char etag[33];
    for (size_t i = 0; i < sizeof digest; i++) snprintf(etag + 2 * i, 3, "%02x", digest[i]);
    s3_set_header(resp, "ETag", "\"%s\"", etag);
    resp->status = 200;
    return 0;
}

/* Range: bytes=A-B | bytes=A- | bytes=-N (one range; anything else is ignored, as S3
 * ignores a header it cannot read). 1 = a range, 0 = the whole object, -1 = none of it
 * lies in the object (416). */
static int parse_range(const char *text, uint64_t size, uint64_t *start, uint64_t *length) {
    if (!text || strncmp(text, "bytes=", 6) != 0 || strchr(text, ',')) return 0;
    const char *p = text + 6;
    char *end;
    if (*p == '-') {
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (end == p + 1 || *end) return 0;
        if (n == 0) return -1;
        *length = n < size ? n : size;
        *start = size - *length;
        return size == 0 ? -1 : 1;
    }
    unsigned long long a = strtoull(p, &end, 10);
    if (end == p || *end != '-') return 0;
    const char *b_text = end + 1;
    unsigned long long b = *b_text ? strtoull(b_text, &end, 10) : size - 1;
    if ((*b_text && *end) || b < a) return 0;
    if (a >= size) return -1;
    if (b >= size) b = size - 1;
    *start = a;
    *length = b - a + 1;
    return 1;
}

int s3_get_object(s3_request *req, const s3_bucket *bucket, const char *key, s3_response *resp) {
    int fd;
    struct stat st;
    int err = s3_fs_valid_key(key) ? s3_fs_open(req->ctx->fs_fd, bucket->path, key, &fd, &st) : ENOENT;
    if (err != 0) return s3_fs_error(req, resp, err, key);
    char etag[33] = "", modified[40];
    if ((err = s3_fs_md5_hex(fd, etag)) != 0) {
        close(fd);
        return s3_fs_error(req, resp, err, key);
    }
    uint64_t size = (uint64_t)st.st_size, start = 0, length = size;
    int range = parse_range(s3_header(req, "Range"), size, &start, &length);
    if (range < 0) {
        close(fd);
        return s3_error(req, resp, 416, "InvalidRange", "The requested range is not satisfiable");
    }
    struct tm tm;
    strftime(modified, sizeof modified, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&st.st_mtim.tv_sec, &tm));
    s3_set_header(resp, "ETag", "\"%s\"", etag);
    s3_set_header(resp, "Last-Modified", "%s", modified);
    s3_set_header(resp, "Content-Type", "binary/octet-stream");
    s3_set_header(resp, "Accept-Ranges", "bytes");
    if (range > 0) s3_set_header(resp, "Content-Range", "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start,
                                 start + length - 1, size);
    resp->status = range > 0 ? 206 : 200;
    resp->fd = fd;
    resp->offset = start;
    resp->length = length;
    return 0;
}

int s3_delete_object(s3_request *req, const s3_bucket *bucket, const char *key, s3_response *resp) {
    int err = s3_fs_valid_key(key) ? s3_fs_remove(req->ctx->fs_fd, bucket->path, key) : 0;
    if (err != 0) return s3_fs_error(req, resp, err, key);
    resp->status = 204;
    return 0;
}
