#include "vk/names.h"

#include "vk/hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { DIR_NAME_MAX = 64 };

uint64_t vk_name_hash(const char *text) { return vk_fnv1a64(VK_FNV1A64_INIT, text, strlen(text)); }

void vk_name_shorten(char *text, size_t max) {
    size_t n = strlen(text);
    if (n <= max || max < 18) return;
    uint64_t h = vk_name_hash(text);
    snprintf(text + max - 17, 18, "-%016" PRIx64, h);
}

void vk_name_snapshot_safe(char *text) {
    for (char *p = text; *p; p++) {
        if (*p == ':' || *p == '/') *p = '-';
    }
}

static bool append(char *out, size_t size, size_t *len, const char *s) {
    size_t n = strlen(s);
    if (*len + n >= size) return false;
    memcpy(out + *len, s, n + 1);
    *len += n;
    return true;
}

bool vk_name_format(const char *format, const char *name, const char *ns, const char *id, char *out,
                     size_t out_size, char *err, size_t err_size) {
    name = name ? name : "";
    ns = ns ? ns : "";
    id = id ? id : "";
    if (!*name && !*ns) {
        /* no PVC metadata (CO without --extra-create-metadata): the id alone */
        int n = snprintf(out, out_size, "csi-%s", id);
        if (n < 0 || (size_t)n >= out_size) snprintf(err, err_size, "volume name too long");
        return n >= 0 && (size_t)n < out_size;
    }
    if (!format || !*format) format = CSI_DEFAULT_NAME_FORMAT;
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = format; *p;) {
        if (*p != '{') {
            char one[2] = {*p++, '\0'};
            if (!append(out, out_size, &len, one)) goto too_long;
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) {
            snprintf(err, err_size, "name format \"%s\" has an unclosed '{'", format);
            return false;
        }
        size_t key_len = (size_t)(close - p - 1);
        const char *value = NULL;
        if (key_len == 4 && strncmp(p + 1, "name", 4) == 0) value = name;
        if (key_len == 9 && strncmp(p + 1, "namespace", 9) == 0) value = ns;
        if (key_len == 2 && strncmp(p + 1, "id", 2) == 0) value = id;
        if (!value) {
            snprintf(err, err_size, "name format \"%s\": unknown placeholder {%.*s}; use {name}, {namespace}, {id}",
                     format, (int)key_len, p + 1);
            return false;
        }
        if (!append(out, out_size, &len, value)) goto too_long;
        p = close + 1;
    }
    return true;
too_long:
    snprintf(err, err_size, "name format \"%s\" gives a name longer than %zu characters", format, out_size - 1);
    return false;
}

static bool plain_name(const char *name) {
    if (!*name || strlen(name) > DIR_NAME_MAX) return false;
    if (name[0] == '.') return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.')) {
            return false;
        }
    }
    return true;
}

void vk_volume_dir_name(const char *name, char *out, size_t out_size) {
    if (plain_name(name)) {
        snprintf(out, out_size, "%s", name);
        return;
    }
    /* keep the readable part (safe characters only), then the hash of the whole name */
    char readable[DIR_NAME_MAX + 1];
    size_t n = 0;
    for (const char *p = name; *p && n < DIR_NAME_MAX - 17; p++) {
        char c = *p;
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_';
        readable[n++] = safe ? c : '_';
    }
    readable[n] = '\0';
    snprintf(out, out_size, "%s-%016" PRIx64, readable, vk_name_hash(name));
}

void vk_clone_stream_name(const char *dest_path, char *out, size_t out_size) {
    snprintf(out, out_size, CSI_CLONE_PREFIX "%016" PRIx64, vk_name_hash(dest_path));
}

void vk_clone_snapshot_name(const char *dest_path, char *out, size_t out_size) {
    snprintf(out, out_size, CSI_CLONE_PREFIX "src-%016" PRIx64, vk_name_hash(dest_path));
}
