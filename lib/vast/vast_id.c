#include "vk/vast_id.h"

#include "vk/vast_owner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a decimal int64 that ends at `end` (exclusive); false if anything else. */
static bool parse_i64(const char *start, const char *end, int64_t *out) {
    /* digits only: strtoll alone would also take " 12" or "+12", and an id must have
     * one spelling */
    if (start == end || end - start > 19 || *start < '0' || *start > '9') return false;
    if (*start == '0' && end - start > 1) return false; /* "007" would be a second spelling of 7 */
    char buf[24];
    memcpy(buf, start, (size_t)(end - start));
    buf[end - start] = '\0';
    char *stop;
    errno = 0;
    long long v = strtoll(buf, &stop, 10);
    if (*stop || errno || v < 0) return false;
    *out = v;
    return true;
}

static bool copy_field(char *dst, size_t size, const char *start, const char *end) {
    size_t n = (size_t)(end - start);
    if (n >= size) return false;

    memcpy(dst, start, n);
    dst[n] = '\0';
    return true;
}

/* A cluster name as ids carry it: a key of the multi-cluster secret, of a plain
 * spelling, so that one cluster has one id form. */
static bool copy_cluster(char *dst, size_t size, const char *start, const char *end) {
    for (const char *p = start; p < end; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.')) {
            return false;
        }
    }
    return copy_field(dst, size, start, end);
}

/* An absolute path with no empty, "." or ".." component: an id can never point
 * outside the directory it names. */
bool vast_path_is_clean(const char *path) {
    if (path[0] != '/') return false;
    for (const char *p = path + 1;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return false;
        if (!slash) return true;
        p = slash + 1;
    }
}

/* Splits "a:b:c:rest" at the first n colons into fields[0..n-1] (end pointers) and rest. */
static bool split_colons(const char *text, int n, const char **ends, const char **rest) {
    const char *p = text;
    for (int i = 0; i < n; i++) {
        const char *colon = strchr(p, ':');
        if (!colon) return false;
        ends[i] = colon;
        p = colon + 1;
    }
    *rest = p;
    return true;
}

bool vast_volume_id_parse(const char *text, vast_volume_ref *out) {
    memset(out, 0, sizeof *out);
    if (!text || strlen(text) > VAST_ID_MAX) return false;
    if (strncmp(text, "vk1:", 4) == 0) {
        const char *ends[2], *rest;
        const char *body = text + 4;
        if (!split_colons(body, 2, ends, &rest)) return false;
        if (!copy_cluster(out->cluster, sizeof out->cluster, body, ends[0])) return false;
        if (!parse_i64(ends[0] + 1, ends[1], &out->tenant_id)) return false;
        if (!vast_path_is_clean(rest)) return false;
        return copy_field(out->path, sizeof out->path, rest, rest + strlen(rest));
    }
    /* vendor: "pvc-<uid>" or "pvc-<uid>@<cluster>" */
    const char *at = strchr(text, '@');
    size_t name_len = at ? (size_t)(at - text) : strlen(text);
    if (!vast_vendor_volume_name_valid(text, name_len)) return false;
    if (at && !copy_cluster(out->cluster, sizeof out->cluster, at + 1, at + 1 + strlen(at + 1))) return false;
    out->legacy = true;
    memcpy(out->legacy_name, text, name_len);
    out->legacy_name[name_len] = '\0';
    return true;
}

bool vast_snapshot_id_parse(const char *text, vast_snapshot_ref *out) {
    memset(out, 0, sizeof *out);
    if (!text || strlen(text) > VAST_ID_MAX) return false;
    if (strncmp(text, "vk1s:", 5) == 0) {
        const char *ends[3], *rest;
        const char *body = text + 5;
        if (!split_colons(body, 3, ends, &rest)) return false;
        if (!copy_cluster(out->cluster, sizeof out->cluster, body, ends[0])) return false;
        if (!parse_i64(ends[0] + 1, ends[1], &out->tenant_id)) return false;
        if (!parse_i64(ends[1] + 1, ends[2], &out->snapshot_id) || out->snapshot_id == 0) return false;
        if (!vast_path_is_clean(rest)) return false;
        return copy_field(out->volume_path, sizeof out->volume_path, rest, rest + strlen(rest));
    }
    /* vendor: VAST's numeric snapshot id, optionally "@<cluster>" */
    const char *at = strchr(text, '@');
    const char *end = at ? at : text + strlen(text);
    if (!parse_i64(text, end, &out->snapshot_id) || out->snapshot_id == 0) return false;
    if (at && !copy_cluster(out->cluster, sizeof out->cluster, at + 1, at + 1 + strlen(at + 1))) return false;
    return true;
}

bool vast_volume_id_format(const char *cluster, int64_t tenant_id, const char *path, char *buf, size_t size) {
    int n = snprintf(buf, size, "vk1:%s:%lld:%s", cluster ? cluster : "", (long long)tenant_id, path);
    return n > 0 && (size_t)n < size && n <= VAST_ID_MAX;
}

bool vast_snapshot_id_format(const char *cluster, int64_t tenant_id, int64_t snapshot_id, const char *volume_path,
                            char *buf, size_t size) {
    int n = snprintf(buf, size, "vk1s:%s:%lld:%lld:%s", cluster ? cluster : "", (long long)tenant_id,
                     (long long)snapshot_id, volume_path);
    return n > 0 && (size_t)n < size && n <= VAST_ID_MAX;
}

bool vast_volume_is_snapshot_view(const vast_volume_ref *ref) {
    return !ref->legacy && strstr(ref->path, "/.snapshot/") != NULL;
}
