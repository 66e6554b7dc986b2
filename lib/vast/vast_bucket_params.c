/* BucketClass and BucketAccessClass parameters, S3 bucket names from COSI names, and
 * bucket ids: the text a bucket is known by. See vk/vast_bucket.h. */
#include "vk/vast_bucket.h"

#include "vk/hash.h"
#include "vk/parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool bad_param(vk_status *st, const char *cls, const char *key, const char *value, const char *why) {
    vk_status_set(st, VK_INVALID_ARGUMENT, "%s parameter %s=\"%s\": %s", cls, key, value, why);
    return false;
}

/* [A-Za-z0-9._-]{1,max}: names of pools and clusters, regions. */
static bool plain_token(const char *v, size_t max) {
    size_t n = strlen(v);
    if (n == 0 || n > max) return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)v[i]) && v[i] != '.' && v[i] != '_' && v[i] != '-') return false;
    }
    return true;
}

/* An endpoint URL a pod can use as given: http(s)://, printable, none of the
 * characters that separate a bucket id's settings. */
static bool endpoint_url_valid(const char *v) {
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) return false;
    if (strlen(v) >= 400) return false;
    for (const char *p = v; *p; p++) {
        if (*p <= ' ' || *p > '~' || *p == '&' || *p == '?' || *p == '#') return false;
    }
    return true;
}

static bool parse_port(const char *v, int *out) {
    char *end;
    errno = 0;
    long port = strtol(v, &end, 10);
    if (!*v || *end || errno || port < 1 || port > 65535) return false;
    *out = (int)port;
    return true;
}

#define BUCKET_CLASS "BucketClass"

bool vast_bucket_params_parse(vk_strmap map, vast_bucket_params *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    out->view_policy = VAST_DEFAULT_S3_VIEW_POLICY;
    out->scheme = "https";
    out->region = VAST_DEFAULT_S3_REGION;
    for (size_t i = 0; i < map.n; i++) {
        vk_strpair e = vk_strmap_at(map, i);
        const char *k = e.key ? e.key : "", *v = e.value ? e.value : "";
        if (strcmp(k, "root_export") == 0) {
            if (v[0] != '/') return bad_param(st, BUCKET_CLASS, k, v, "must be an absolute path on VAST, e.g. /k8s");
            out->root_export = v;
        } else if (strcmp(k, "view_policy") == 0) {
            if (!*v) return bad_param(st, BUCKET_CLASS, k, v, "must name an S3 view policy");
            out->view_policy = v;
        } else if (strcmp(k, "vip_pool_name") == 0) {
            if (!plain_token(v, VAST_NAME_MAX)) return bad_param(st, BUCKET_CLASS, k, v, "must name a VIP pool");
            out->vip_pool_name = v;
        } else if (strcmp(k, "s3_endpoint") == 0) {
            if (!endpoint_url_valid(v)) {
                return bad_param(st, BUCKET_CLASS, k, v, "must be an http:// or https:// URL without ?, & or #");
            }
            out->s3_endpoint = v;
        } else if (strcmp(k, "scheme") == 0) {
            if (strcmp(v, "http") != 0 && strcmp(v, "https") != 0) {
                return bad_param(st, BUCKET_CLASS, k, v, "use http or https");
            }
            out->scheme = v;
        } else if (strcmp(k, "s3_port") == 0) {
            if (!parse_port(v, &out->s3_port)) return bad_param(st, BUCKET_CLASS, k, v, "must be a port, 1-65535");
        } else if (strcmp(k, "region") == 0) {
            if (!plain_token(v, 63)) return bad_param(st, BUCKET_CLASS, k, v, "must be a region name, e.g. us-east-1");
            out->region = v;
        } else if (strcmp(k, "cluster_name") == 0) {
            if (*v && !plain_token(v, VAST_CLUSTER_NAME_MAX - 1)) {
                return bad_param(st, BUCKET_CLASS, k, v, "must be a cluster name of [A-Za-z0-9._-]");
            }
            out->cluster_name = *v ? v : NULL;
        } else if (strcmp(k, "quota") == 0) {
            if (!vk_parse_quantity(v, &out->quota)) {
                return bad_param(st, BUCKET_CLASS, k, v, "must be a quantity such as 100Gi or 10Ti");
            }
        } else {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "unknown BucketClass parameter \"%s\"; known: root_export, view_policy, vip_pool_name, "
                          "s3_endpoint, scheme, s3_port, region, cluster_name, quota",
                          k);
            return false;
        }
    }
    if (!out->root_export) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "BucketClass parameter root_export is required (e.g. /k8s)");
        return false;
    }
    if (!out->vip_pool_name == !out->s3_endpoint) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "set exactly one of the BucketClass parameters vip_pool_name (the endpoint is a VIP of "
                      "that pool) and s3_endpoint (a fixed URL)");
        return false;
    }
    return true;
}

bool vast_access_params_parse(vk_strmap map, vast_access_params *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < map.n; i++) {
        vk_strpair e = vk_strmap_at(map, i);
        const char *k = e.key ? e.key : "", *v = e.value ? e.value : "";
        if (strcmp(k, "access_mode") == 0) {
            if (strcmp(v, "ReadWrite") == 0) {
                out->read_only = false;
            } else if (strcmp(v, "ReadOnly") == 0) {
                out->read_only = true;
            } else {
                return bad_param(st, "BucketAccessClass", k, v, "use ReadWrite or ReadOnly");
            }
        } else {
            vk_status_set(st, VK_INVALID_ARGUMENT, "unknown BucketAccessClass parameter \"%s\"; known: access_mode",
                          k);
            return false;
        }
    }
    return true;
}

/* ---- S3 bucket names ---- */

static bool s3_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'; }
static bool s3_end_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool vast_bucket_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n < 3 || n > VAST_BUCKET_NAME_MAX || !s3_end_char(name[0]) || !s3_end_char(name[n - 1])) return false;
    for (size_t i = 0; i < n; i++) {
        if (!s3_char(name[i]) || (name[i] == '.' && name[i + 1] == '.')) return false;
    }
    struct in_addr addr;
    return inet_pton(AF_INET, name, &addr) != 1;
}

bool vast_bucket_name_from_cosi(const char *cosi_name, char *out, size_t size) {
    if (!cosi_name || !*cosi_name || size < VAST_BUCKET_NAME_MAX + 1) return false;
    if (vast_bucket_name_valid(cosi_name)) {
        snprintf(out, size, "%s", cosi_name);
        return true;
    }
    /* A readable cut of the name, then a hash of all of it: two names that differ only
     * past the cut (or in case) still get two buckets. */
    enum { CUT = VAST_BUCKET_NAME_MAX - 13 };
    char cut[CUT + 1];
    size_t n = 0;
    for (const char *p = cosi_name; *p && n < CUT; p++) {
        char c = (char)tolower((unsigned char)*p);
        bool doubled_dot = c == '.' && n > 0 && cut[n - 1] == '.';
        cut[n] = s3_char(c) && !doubled_dot ? c : '-';
        n++;
    }
    while (n > 0 && !s3_end_char(cut[n - 1])) n--;
    size_t start = 0;
    while (start < n && !s3_end_char(cut[start])) start++;
    cut[n] = '\0';
    uint64_t h = vk_fnv1a64(VK_FNV1A64_INIT, cosi_name, strlen(cosi_name));
    snprintf(out, size, "%s-%012" PRIx64, start < n ? cut + start : "b", (uint64_t)(h & 0xffffffffffffULL));
    return vast_bucket_name_valid(out);
}

/* ---- bucket ids ---- */

static bool append(char *buf, size_t size, size_t *used, const char *fmt, const char *a, const char *b) {
    int n = snprintf(buf + *used, size - *used, fmt, a, b);
    if (n < 0 || (size_t)n >= size - *used) return false;
    *used += (size_t)n;
    return true;
}

bool vast_bucket_id_format(const vast_bucket_ref *ref, char *buf, size_t size) {
    char tenant[24], port[8];
    snprintf(tenant, sizeof tenant, "%" PRId64, ref->tenant_id);
    size_t used = 0;
    if (!append(buf, size, &used, "vb1:%s:%s", ref->cluster, tenant) ||
        !append(buf, size, &used, ":%s%s", ref->path, "?")) {
        return false;
    }
    if (ref->url[0]) {
        if (!append(buf, size, &used, "%s%s", "url=", ref->url)) return false;
    } else {
        snprintf(port, sizeof port, "%d", ref->port);
        if (!append(buf, size, &used, "pool=%s&scheme=%s", ref->pool, ref->scheme) ||
            (ref->port && !append(buf, size, &used, "&port=%s%s", port, ""))) {
            return false;
        }
    }
    return append(buf, size, &used, "&region=%s%s", ref->region, "");
}

/* One "key=value" of the settings into ref; false for an unknown key or a bad value. */
static bool read_setting(const char *key, size_t key_len, const char *value, vast_bucket_ref *ref) {
#define IS(k) (key_len == strlen(k) && strncmp(key, k, key_len) == 0)
    if (IS("pool") && plain_token(value, VAST_NAME_MAX)) {
        snprintf(ref->pool, sizeof ref->pool, "%s", value);
    } else if (IS("url") && endpoint_url_valid(value)) {
        snprintf(ref->url, sizeof ref->url, "%s", value);
    } else if (IS("scheme") && (strcmp(value, "http") == 0 || strcmp(value, "https") == 0)) {
        snprintf(ref->scheme, sizeof ref->scheme, "%s", value);
    } else if (IS("port") && parse_port(value, &ref->port)) {
    } else if (IS("region") && plain_token(value, 63)) {
        snprintf(ref->region, sizeof ref->region, "%s", value);
    } else {
        return false;
    }
    return true;
#undef IS
}

static bool read_settings(const char *text, vast_bucket_ref *ref) {
    char copy[VAST_BUCKET_ID_MAX + 1];
    if (strlen(text) >= sizeof copy) return false;
    snprintf(copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *item = strtok_r(copy, "&", &save); item; item = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || !read_setting(item, (size_t)(eq - item), eq + 1, ref)) return false;
    }
    /* where the endpoint comes from, and a region: a grant needs all of it */
    return (ref->pool[0] || ref->url[0]) && !(ref->pool[0] && ref->url[0]) && ref->region[0] &&
           (ref->url[0] || ref->scheme[0]);
}

bool vast_bucket_id_parse(const char *text, vast_bucket_ref *out) {
    memset(out, 0, sizeof *out);
    if (!text || strncmp(text, "vb1:", 4) != 0 || strlen(text) > VAST_BUCKET_ID_MAX) return false;
    const char *cluster = text + 4, *colon = strchr(cluster, ':');
    if (!colon || (size_t)(colon - cluster) >= sizeof out->cluster) return false;
    memcpy(out->cluster, cluster, (size_t)(colon - cluster));
    if (out->cluster[0] && !plain_token(out->cluster, sizeof out->cluster - 1)) return false;
    const char *tenant = colon + 1;
    char *end;
    errno = 0;
    long long t = strtoll(tenant, &end, 10);
    if (end == tenant || *end != ':' || errno || t <= 0 || tenant[0] == '0' || tenant[0] == '+') return false;
    out->tenant_id = t;
    const char *path = end + 1, *query = strchr(path, '?');
    if (!query || (size_t)(query - path) >= sizeof out->path) return false;
    memcpy(out->path, path, (size_t)(query - path));
    if (!vast_path_is_canonical(out->path) || !vast_path_is_clean(out->path)) return false;
    const char *slash = strrchr(out->path, '/');
    if (!slash || !vast_bucket_name_valid(slash + 1)) return false;
    snprintf(out->bucket, sizeof out->bucket, "%s", slash + 1);
    return read_settings(query + 1, out);
}
