/* ListBuckets, ListObjects and ListObjectsV2; see s3_ops.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "s3_buf.h"
#include "s3_fs.h"
#include "s3_ops.h"
#include "support.h"

#define MAX_KEYS 1000

void s3_iso_ms(char out[32], int64_t epoch_ms) {
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", gmtime_r(&secs, &tm));
    snprintf(out, 32, "%s.%03dZ", date, (int)(epoch_ms % 1000));
}

static int compare_buckets(const void *a, const void *b) {
    return strcmp(((const s3_bucket *)a)->name, ((const s3_bucket *)b)->name);
}

int s3_list_buckets(s3_request *req, s3_response *resp) {
    size_t n;
    s3_bucket *buckets = s3_access_buckets(req, &n);
    qsort(buckets, n, sizeof *buckets, compare_buckets);
    s3_buf b = {0};
    char owner[32];
    snprintf(owner, sizeof owner, "%" JSON_INTEGER_FORMAT, req->user_id);
    s3_buf_add(&b, S3_XML_HEAD "<ListAllMyBucketsResult xmlns=\"" S3_XMLNS "\"><Owner>");
    s3_xml_elem(&b, "ID", owner);
    s3_buf_add(&b, "</Owner><Buckets>");
    for (size_t i = 0; i < n; i++) {
        int64_t ms = 0;
        char created[32];
        sim_parse_iso8601(buckets[i].created, &ms);
        s3_iso_ms(created, ms);
        s3_buf_add(&b, "<Bucket>");
        s3_xml_elem(&b, "Name", buckets[i].name);
        s3_xml_elem(&b, "CreationDate", created);
        s3_buf_add(&b, "</Bucket>");
    }
    s3_buf_add(&b, "</Buckets></ListAllMyBucketsResult>");
    s3_buckets_free(buckets, n);
    return s3_xml_ok(resp, s3_buf_take(&b));
}

typedef struct {
    bool v2, url;
    const char *prefix, *delimiter;
    char *after; /* list keys after this one: marker, start-after or the token's key */
    long max_keys;
} list_params;

/* A token is the hex of the last key (or common prefix) of the page before. */
static char *token_encode(const char *key) {
    s3_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) s3_buf_addf(&b, "%02x", *p);
    return s3_buf_take(&b);
}

static char *token_decode(const char *token) {
    size_t n = strlen(token);
    if (n == 0 || n % 2 || strspn(token, "0123456789abcdef") != n) return NULL;
    char *key = sim_xmalloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        sscanf(token + 2 * i, "%2x", &v);
        key[i] = (char)v;
    }
    key[n / 2] = '\0';
    if (strlen(key) == n / 2) return key;
    free(key);
    return NULL;
}

static int read_params(s3_request *req, list_params *p, s3_response *resp) {
    const char *list_type = s3_query(req, "list-type"), *max = s3_query(req, "max-keys");
    const char *encoding = s3_query(req, "encoding-type");
    p->v2 = list_type && strcmp(list_type, "2") == 0;
    p->prefix = s3_query(req, "prefix") ? s3_query(req, "prefix") : "";
    p->delimiter = s3_query(req, "delimiter");
    if (p->delimiter && !*p->delimiter) p->delimiter = NULL;
    p->url = encoding && strcmp(encoding, "url") == 0;
    if (encoding && !p->url) return s3_error(req, resp, 400, "InvalidArgument", "Invalid Encoding Method specified in Request");
    char *end = NULL;
    p->max_keys = max ? strtol(max, &end, 10) : MAX_KEYS;
    if (max && (!*max || *end || p->max_keys < 0))
        return s3_error(req, resp, 400, "InvalidArgument", "Provided max-keys not an integer or within integer range");
    if (p->max_keys > MAX_KEYS) p->max_keys = MAX_KEYS;
    const char *token = p->v2 ? s3_query(req, "continuation-token") : NULL;
    const char *after = p->v2 ? s3_query(req, "start-after") : s3_query(req, "marker");
    if (token && !(p->after = token_decode(token)))
        return s3_error(req, resp, 400, "InvalidArgument", "The continuation token provided is incorrect");
    if (!token && after && *after) p->after = sim_strdup(after);
    return 0;
}

/* A key or prefix as it goes into the XML: URL-encoded when the client asked for it. */
static void add_name(s3_buf *b, const char *tag, const char *text, bool url) {
    char *encoded = url ? sigv4_uri_encode(text, true) : NULL;
    s3_xml_elem(b, tag, encoded ? encoded : text);
    free(encoded);
}

static void add_contents(s3_buf *b, const s3_request *req, const s3_bucket *bucket, const s3_fs_object *o, bool url) {
    char modified[32], etag[33] = "";
    int fd;
    struct stat st;
    if (s3_fs_open(req->ctx->fs_fd, bucket->path, o->key, &fd, &st) == 0) {
        s3_fs_md5_hex(fd, etag);
        close(fd);
    }
    s3_iso_ms(modified, o->mtime_ms);
    s3_buf_add(b, "<Contents>");
    add_name(b, "Key", o->key, url);
    s3_xml_elem(b, "LastModified", modified);
    s3_buf_addf(b, "<ETag>&quot;%s&quot;</ETag><Size>%llu</Size><StorageClass>STANDARD</StorageClass></Contents>", etag,
                (unsigned long long)o->size);
}

/* The listing's entries and truncation; *last is the last key or prefix given out. */
static bool add_entries(s3_buf *b, const s3_request *req, const s3_bucket *bucket, const list_params *p,
                        const s3_fs_object *objs, size_t n, size_t *count, char **last) {
    s3_buf prefixes = {0};
    char *last_prefix = NULL;
    bool truncated = false;
    size_t plen = strlen(p->prefix), dlen = p->delimiter ? strlen(p->delimiter) : 0;
    for (size_t i = 0; i < n && !truncated; i++) {
        const char *key = objs[i].key;
        if (p->after && strcmp(key, p->after) <= 0) continue;
        if (p->after && dlen && strncmp(key, p->after, strlen(p->after)) == 0 && strlen(p->after) >= dlen &&
            strcmp(p->after + strlen(p->after) - dlen, p->delimiter) == 0)
            continue; /* under the common prefix that ended the last page */
        const char *cut = dlen ? strstr(key + plen, p->delimiter) : NULL;
        char *cp = cut ? strndup(key, (size_t)(cut - key) + dlen) : NULL;
        if (cp && last_prefix && strcmp(cp, last_prefix) == 0) {
            free(cp);
            continue;
        }
        if ((long)*count == p->max_keys) {
            truncated = true;
            free(cp);
            break;
        }
        (*count)++;
        free(*last);
        *last = sim_strdup(cp ? cp : key);
        if (cp) {
            s3_buf_add(&prefixes, "<CommonPrefixes>");
            add_name(&prefixes, "Prefix", cp, p->url);
            s3_buf_add(&prefixes, "</CommonPrefixes>");
            free(last_prefix);
            last_prefix = cp;
        } else {
            add_contents(b, req, bucket, &objs[i], p->url);
        }
    }
    if (prefixes.data) s3_buf_add(b, prefixes.data);
    s3_buf_free(&prefixes);
    free(last_prefix);
    return truncated;
}

/* The elements before the entries, which S3 writes first. */
static void add_header(s3_buf *b, s3_request *req, const s3_bucket *bucket, const list_params *p) {
    s3_buf_add(b, S3_XML_HEAD "<ListBucketResult xmlns=\"" S3_XMLNS "\">");
    s3_xml_elem(b, "Name", bucket->name);
    add_name(b, "Prefix", p->prefix, p->url);
    if (p->delimiter) add_name(b, "Delimiter", p->delimiter, p->url);
    s3_buf_addf(b, "<MaxKeys>%ld</MaxKeys>", p->max_keys);
    if (p->url) s3_xml_elem(b, "EncodingType", "url");
    const char *token = s3_query(req, "continuation-token"), *start = s3_query(req, "start-after");
    const char *marker = s3_query(req, "marker");
    if (p->v2 && token) s3_xml_elem(b, "ContinuationToken", token);
    if (p->v2 && start) add_name(b, "StartAfter", start, p->url);
    if (!p->v2) add_name(b, "Marker", marker ? marker : "", p->url);
}

int s3_list_objects(s3_request *req, const s3_bucket *bucket, s3_response *resp) {
    list_params p = {0};
    if (read_params(req, &p, resp) != 0) return -1;
    s3_fs_object *objs;
    size_t n;
    int err = s3_fs_list(req->ctx->fs_fd, bucket->path, p.prefix, &objs, &n);
    if (err != 0) {
        free(p.after);
        return s3_fs_error(req, resp, err, "");
    }
    s3_buf head = {0}, body = {0};
    add_header(&head, req, bucket, &p);
    size_t count = 0;
    char *last = NULL;
    bool truncated = add_entries(&body, req, bucket, &p, objs, n, &count, &last);
    s3_buf_addf(&head, "<IsTruncated>%s</IsTruncated>", truncated ? "true" : "false");
    if (p.v2) s3_buf_addf(&head, "<KeyCount>%zu</KeyCount>", count);
    if (truncated && p.v2) {
        char *token = token_encode(last);
        s3_xml_elem(&head, "NextContinuationToken", token);
        free(token);
    } else if (truncated && p.delimiter) {
        add_name(&head, "NextMarker", last, p.url);
    }
    if (body.data) s3_buf_add(&head, body.data);
    s3_buf_add(&head, "</ListBucketResult>");
    s3_buf_free(&body);
    free(last);
    free(p.after);
    s3_fs_objects_free(objs, n);
    return s3_xml_ok(resp, s3_buf_take(&head));
}
