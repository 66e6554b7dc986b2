#include "vk/vast_owner.h"

#include "vk/hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---------- paths ---------- */

bool vast_path_normalize(const char *in, char *out, size_t size) {
    if (!in || in[0] != '/' || size < 2) return false;
    size_t n = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) return false;
        if (n + 1 + len + 1 > size) return false;
        out[n++] = '/';
        memcpy(out + n, p, len);
        n += len;
        p += len;
    }
    if (n == 0) out[n++] = '/';
    out[n] = '\0';
    return true;
}

bool vast_path_is_canonical(const char *path) {
    char buf[VAST_PATH_MAX];
    return path && strlen(path) < sizeof buf && vast_path_normalize(path, buf, sizeof buf) && strcmp(buf, path) == 0;
}

static bool dir_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

bool vast_dir_name_valid(const char *name, size_t len) {
    if (len == 0 || len > VAST_DIR_NAME_MAX || name[0] == '.') return false;
    for (size_t i = 0; i < len; i++) {
        if (!dir_char(name[i])) return false;
    }
    return true;
}

bool vast_root_is_wildcard(const char *entry) {
    size_t len = strlen(entry);
    return len >= 2 && strcmp(entry + len - 2, "/*") == 0;
}

/* The wildcard "<parent>/\*" admits root when root is <parent>/<one valid name>. */
static bool wildcard_admits(const char *entry, const char *root) {
    size_t parent_len = strlen(entry) - 1; /* with its '/' ("/" for "/\*") */
    if (strncmp(root, entry, parent_len) != 0) return false;
    const char *name = root + parent_len;
    return !strchr(name, '/') && vast_dir_name_valid(name, strlen(name));
}

const char *vast_roots_find(const vast_roots *roots, const char *root) {
    for (size_t i = 0; i < roots->n; i++) {
        const char *entry = roots->paths[i];
        /* an exact root never matches a wildcard's own spelling: "/p/\*" is no root */
        bool match = vast_root_is_wildcard(entry) ? wildcard_admits(entry, root)
                                                  : strcmp(entry, root) == 0;
        if (match) return entry;
    }
    return NULL;
}

void vast_root_list_prefix(const char *entry, char *out, size_t size) {
    /* the children, with the '/': "/k8s/" does not match a sibling "/k8s-other/..." */
    if (vast_root_is_wildcard(entry)) {
        snprintf(out, size, "%.*s", (int)(strlen(entry) - 1), entry);
    } else {
        snprintf(out, size, "%s/", strcmp(entry, "/") == 0 ? "" : entry);
    }
}

static bool roots_hold(const vast_roots *roots, const char *entry) {
    for (size_t i = 0; i < roots->n; i++) {
        if (strcmp(roots->paths[i], entry) == 0) return true;
    }
    return false;
}

/* One entry, canonical: "/a/b" or "/a/\*". A '*' anywhere else is refused rather than
 * taken for a directory's name, so a typo like "/tenants*" cannot mean a literal root. */
static bool root_entry_canonical(const char *entry, char *out, char *err, size_t err_size) {
    if (!vast_path_normalize(entry, out, VAST_PATH_MAX)) {
        snprintf(err, err_size, "root export \"%s\" must be an absolute path without \".\" or \"..\"", entry);
        return false;
    }
    const char *star = strchr(out, '*');
    if (star && !(vast_root_is_wildcard(out) && star == out + strlen(out) - 1)) {
        snprintf(err, err_size,
                 "root export \"%s\": '*' is allowed only as the whole last component (\"/parent/*\": every "
                 "directory directly below /parent is a root export)",
                 entry);
        return false;
    }
    return true;
}

/* Drops the exact entries a wildcard also admits: they add nothing, and listing both
 * would list their volumes twice. */
static void roots_fold(vast_roots *roots) {
    size_t kept = 0;
    for (size_t i = 0; i < roots->n; i++) {
        const char *entry = roots->paths[i];
        bool admitted = false;
        for (size_t w = 0; w < roots->n && !vast_root_is_wildcard(entry) && !admitted; w++) {
            admitted = vast_root_is_wildcard(roots->paths[w]) && wildcard_admits(roots->paths[w], entry);
        }
        if (admitted) continue;
        if (kept != i) memcpy(roots->paths[kept], entry, strlen(entry) + 1);
        kept++;
    }
    roots->n = kept;
}

/* A root that is a volume's place under another root would make one directory both a
 * volume (deleted with everything in it) and the parent of volumes: refused. The roots
 * "<parent>/\*" admits are volumes' places when <parent> is itself a root; an exact root
 * is one when the directory above it is a root and its name a volume's. */
static bool roots_disjoint(const vast_roots *roots, char *err, size_t err_size) {
    for (size_t i = 0; i < roots->n; i++) {
        const char *entry = roots->paths[i];
        bool wildcard = vast_root_is_wildcard(entry);
        if (!wildcard && vast_path_classify(roots, entry) != VAST_PATH_VOLUME) continue;
        char above[VAST_PATH_MAX];
        size_t len = (size_t)(strrchr(entry, '/') - entry);
        if (len == 0) len = 1; /* "/k8s" and "/\*" sit below "/" */
        snprintf(above, sizeof above, "%.*s", (int)len, entry);
        const char *other = vast_roots_find(roots, above);
        if (!other) continue;
        snprintf(err, err_size,
                 "root export \"%s\" overlaps root export \"%s\": a directory would be both a volume and the "
                 "parent of volumes",
                 entry, other);
        return false;
    }
    return true;
}

bool vast_roots_parse(const char *csv, vast_roots *out, char *err, size_t err_size) {
    memset(out, 0, sizeof *out);
    const char *p = csv ? csv : "";
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *end = p;
        while (*end && *end != ',') end++;
        size_t len = (size_t)(end - p);
        while (len > 0 && p[len - 1] == ' ') len--;
        char entry[VAST_PATH_MAX];
        if (len >= sizeof entry) {
            snprintf(err, err_size, "root export \"%.40s...\" is longer than %d bytes", p, VAST_PATH_MAX - 1);
            return false;
        }
        memcpy(entry, p, len);
        entry[len] = '\0';
        char canonical[VAST_PATH_MAX];
        if (!root_entry_canonical(entry, canonical, err, err_size)) return false;
        if (!roots_hold(out, canonical)) {
            if (out->n == VAST_ROOTS_MAX) {
                snprintf(err, err_size, "at most %d root exports", VAST_ROOTS_MAX);
                return false;
            }
            snprintf(out->paths[out->n++], VAST_PATH_MAX, "%s", canonical);
        }
        p = end;
    }
    if (out->n == 0) {
        snprintf(err, err_size, "at least one root export is needed");
        return false;
    }
    roots_fold(out);
    return roots_disjoint(out, err, err_size);
}

/* The root path ends before the last (or second-to-last) component; a volume lives
 * exactly one level below a configured root (for "<parent>/\*", two below <parent>), so
 * the root is found by cutting. */
static bool is_root_prefix(const vast_roots *roots, const char *path, size_t len) {
    char root[VAST_PATH_MAX];
    if (len == 0) return vast_roots_find(roots, "/") != NULL;
    if (len >= sizeof root) return false;
    memcpy(root, path, len);
    root[len] = '\0';
    return vast_roots_find(roots, root) != NULL;
}

vast_path_kind vast_path_classify(const vast_roots *roots, const char *path) {
    if (!path || !vast_path_is_canonical(path) || strcmp(path, "/") == 0) return VAST_PATH_FOREIGN;
    static const char marker[] = "/.snapshot/";
    const char *snap = strstr(path, marker);
    const char *volume_end = snap ? snap : path + strlen(path);
    if (snap) {
        /* exactly one component after the marker, and no second marker */
        const char *name = snap + strlen(marker);
        if (!*name || strchr(name, '/')) return VAST_PATH_FOREIGN;
    }
    /* the volume's directory: the last component before volume_end */
    const char *dir = volume_end;
    while (dir > path && dir[-1] != '/') dir--;
    size_t dir_len = (size_t)(volume_end - dir);
    if (!vast_dir_name_valid(dir, dir_len)) return VAST_PATH_FOREIGN;
    size_t root_len = (size_t)(dir - path) - 1; /* without the '/' before dir */
    if (!is_root_prefix(roots, path, root_len)) return VAST_PATH_FOREIGN;
    return snap ? VAST_PATH_SNAPSHOT_VIEW : VAST_PATH_VOLUME;
}

/* ---------- the mark ---------- */

static uint64_t mark_hash(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *base, size_t base_len) {
    /* a version tag and NUL separators: no two different inputs concatenate alike */
    static const char tag[] = "vast-k8s-owner-1";
    char head[48];
    int n = snprintf(head, sizeof head, "%c:%" PRId64, (char)kind, tenant_id);
    uint64_t h = vk_fnv1a64(VK_FNV1A64_INIT, tag, sizeof tag);
    if (!path) path = ""; /* an object whose name alone is unique (snapshots) */
    h = vk_fnv1a64(h, head, (size_t)n + 1);
    h = vk_fnv1a64(h, path, strlen(path) + 1);
    return vk_fnv1a64(h, base, base_len);
}

static void format_mark(uint64_t h, char out[VAST_MARK_LEN + 1]) {
    snprintf(out, VAST_MARK_LEN + 1, "~%012" PRIx64, h >> 16);
}

/* Length of the longest prefix of s (at most max bytes) that ends on a UTF-8
 * character boundary. */
static size_t utf8_cut(const char *s, size_t max) {
    size_t len = strlen(s);
    if (len <= max) return len;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
    return cut;
}

void vast_owner_name(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *base, char *out,
                     size_t size) {
    char cut[VAST_NAME_MAX + 1];
    size_t len = utf8_cut(base ? base : "", VAST_NAME_MAX - VAST_MARK_LEN);
    memcpy(cut, base ? base : "", len);
    cut[len] = '\0';
    for (char *p = cut; *p; p++) {
        if (*p == '~') *p = '-';
    }
    char mark[VAST_MARK_LEN + 1];
    format_mark(mark_hash(kind, tenant_id, path, cut, len), mark);
    snprintf(out, size, "%s%s", cut, mark);
}

bool vast_owner_name_is_ours(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *name) {
    if (!name) return false;
    const char *tilde = strrchr(name, '~');
    if (!tilde || strlen(tilde) != VAST_MARK_LEN) return false;
    char mark[VAST_MARK_LEN + 1];
    format_mark(mark_hash(kind, tenant_id, path, name, (size_t)(tilde - name)), mark);
    return strcmp(mark, tilde) == 0;
}

void vast_owner_identity_name(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *base,
                              char *out, size_t size) {
    vast_owner_name(kind, tenant_id, path, base, out, size);
    char *tilde = strrchr(out, '~');
    if (tilde) *tilde = '-';
}

bool vast_owner_identity_is_ours(vast_owned_kind kind, int64_t tenant_id, const char *path, const char *name) {
    char copy[VAST_NAME_MAX + 1];
    if (!name || strlen(name) > VAST_NAME_MAX || strchr(name, '~')) return false;
    snprintf(copy, sizeof copy, "%s", name);
    char *dash = strrchr(copy, '-');
    if (!dash) return false;
    *dash = '~';
    return vast_owner_name_is_ours(kind, tenant_id, path, copy);
}

/* ---------- the vendor driver's objects ---------- */

static bool hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool vast_is_uuid(const char *text, size_t len) {
    if (len < 36) return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !hex_lower(text[i])) return false;
    }
    return true;
}

bool vast_vendor_volume_name_valid(const char *name, size_t len) {
    if (len < 38 || len > VAST_DIR_NAME_MAX) return false;
    size_t prefix = len - 37; /* "<prefix>-" then 36 characters */
    if (name[prefix] != '-' || !vast_is_uuid(name + prefix + 1, 36)) return false;
    for (size_t i = 0; i < prefix; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return name[0] != '-';
}

bool vast_vendor_volume_is_ours(const vast_roots *roots, const char *name, const char *quota_path,
                                const char *quota_name) {
    if (!name || !quota_path || !quota_name) return false;
    size_t len = strlen(name);
    if (!vast_vendor_volume_name_valid(name, len)) return false;
    if (vast_path_classify(roots, quota_path) != VAST_PATH_VOLUME) return false;
    const char *last = strrchr(quota_path, '/');
    return strcmp(last + 1, name) == 0 && strstr(quota_name, name) != NULL;
}

bool vast_vendor_snapshot_is_ours(const vast_roots *roots, const char *snapshot_path, const char *snapshot_name) {
    if (!snapshot_path || !snapshot_name) return false;
    size_t len = strlen(snapshot_path);
    if (len < 2 || snapshot_path[len - 1] != '/' || len >= VAST_PATH_MAX) return false;
    char dir[VAST_PATH_MAX];
    memcpy(dir, snapshot_path, len - 1);
    dir[len - 1] = '\0';
    if (vast_path_classify(roots, dir) != VAST_PATH_VOLUME) return false;
    const char *base = strrchr(dir, '/') + 1;
    if (!vast_vendor_volume_name_valid(base, strlen(base))) return false;
    for (const char *p = snapshot_name; strlen(p) >= 36; p++) {
        if (vast_is_uuid(p, 36)) return true;
    }
    return false;
}
