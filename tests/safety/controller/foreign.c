/* The administrator's objects and the fingerprints that prove them unchanged: see
 * foreign.h. */
#include "foreign.h"

#include "harness.h"
#include "vk/deadline.h"
#include "vk/hash.h"
#include "vk/vast_owner.h"
#include "vk/vms.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

foreign_objects foreign;

enum { MAX_OBJECTS = 64, MAX_DIFF_LINES = 24 };

static vms_client *admin;
static const char *objects[MAX_OBJECTS]; /* "quotas/5/ [PATH]": what GET by id must keep answering */
static size_t n_objects;

typedef struct {
    char **lines;
    size_t n, cap;
} fingerprint;

static fingerprint baseline;
static fingerprint initial; /* the first baseline */

/* ---- the administrator's calls ---- */

static vms_client *admin_client(void) {
    if (!admin) {
        vms_config cfg = sim_client_config(&safety.sim);
        admin = sim_client(&cfg);
    }
    return admin;
}

/* POST collection/ body (consumed); returns the new object's id, remembered for the
 * fingerprint. */
static int64_t admin_post(const char *collection, json_t *body) {
    json_t *out = NULL;
    vms_error err;
    bool ok = vms_post(admin_client(), collection, body, 0, vk_deadline_in(20000), &out, &err);
    char *text = json_dumps(body, JSON_COMPACT);
    if (!ok) fail_msg("administrator's POST %s %s: %s", collection, text ? text : "?", err.message);
    free(text);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    if (id <= 0) fail_msg("administrator's POST %s answered no id", collection);
    if (n_objects == MAX_OBJECTS) fail_msg("too many foreign objects");
    /* labelled with its path (or name): a line stays recognisable when the object is gone */
    json_t *label = json_object_get(body, "path");
    if (!label) label = json_object_get(body, "name");
    objects[n_objects++] = safety_fmt("%s%lld/ [%s]", collection, (long long)id, json_string_value(label));
    json_decref(body);
    return id;
}

json_t *foreign_get(const char *path) {
    json_t *out = NULL;
    vms_error err;
    if (vms_get(admin_client(), path, vk_deadline_in(20000), &out, &err)) return out;
    if (!vms_error_is_not_found(&err)) fail_msg("administrator's GET %s: %s", path, err.message);
    return NULL;
}

static int64_t lookup_id(const char *collection, const char *name) {
    json_t *list = foreign_find(collection, "name", name);
    int64_t id = json_integer_value(json_object_get(json_array_get(list, 0), "id"));
    json_decref(list);
    if (id <= 0) fail_msg("no %s named %s on the simulator", collection, name);
    return id;
}

json_t *foreign_find(const char *collection, const char *field, const char *value) {
    json_t *inventory = sim_admin(&safety.sim, "GET", "/_sim/inventory", NULL);
    json_t *found = json_array();
    size_t i;
    json_t *obj;
    json_array_foreach(json_object_get(inventory, collection), i, obj) {
        const char *v = json_string_value(json_object_get(obj, field));
        if (v && strcmp(v, value) == 0) json_array_append(found, obj);
    }
    json_decref(inventory);
    return found;
}

/* ---- files ---- */

static void mkdirs(const char *vms_path) {
    char path[1024];
    snprintf(path, sizeof path, "%s%s", safety.fs, vms_path);
    for (char *p = path + strlen(safety.fs) + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) fail_msg("mkdir %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void write_data(const char *vms_path, const char *text, mode_t mode) {
    char path[1024];
    snprintf(path, sizeof path, "%s%s", safety.fs, vms_path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) fail_msg("open %s: %s", path, strerror(errno));
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) fail_msg("write %s: %s", path, strerror(errno));
    if (fchmod(fd, mode) != 0) fail_msg("chmod %s: %s", path, strerror(errno));
    close(fd);
}

/* A small tree that a delete, a copy or a chmod would change: files of several modes,
 * a hidden one, a subdirectory, a symbolic link. */
static void fill_tree(const char *vms_dir, const char *owner) {
    write_data(safety_fmt("%s/README", vms_dir), safety_fmt("%s: keep out, not a volume\n", owner), 0644);
    write_data(safety_fmt("%s/.hidden", vms_dir), "dotfile\n", 0600);
    write_data(safety_fmt("%s/run.sh", vms_dir), "#!/bin/sh\necho hello\n", 0755);
    mkdirs(safety_fmt("%s/sub/deeper", vms_dir));
    write_data(safety_fmt("%s/sub/deeper/data.bin", vms_dir), safety_fmt("%s %s %s\n", owner, owner, owner), 0640);
    char link[1024];
    snprintf(link, sizeof link, "%s%s/latest", safety.fs, vms_dir);
    if (symlink("sub/deeper/data.bin", link) != 0) fail_msg("symlink %s: %s", link, strerror(errno));
}

static void random_uuid(char out[40]) {
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) fail_msg("getrandom");
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* ---- the objects ---- */

static void quota(const char *name, const char *path, int64_t tenant, json_int_t hard_limit) {
    admin_post("quotas/", json_pack("{s:s, s:s, s:I, s:I, s:b}", "name", name, "path", path, "tenant_id",
                                    (json_int_t)tenant, "hard_limit", hard_limit, "create_dir", 1));
}

static void view(const char *path, int64_t tenant, int64_t policy) {
    admin_post("views/", json_pack("{s:s, s:I, s:I, s:[s]}", "path", path, "tenant_id", (json_int_t)tenant,
                                   "policy_id", (json_int_t)policy, "protocols", "NFS"));
}

void foreign_create(void) {
    random_uuid(foreign.uuid_b);
    random_uuid(foreign.uuid_c);
    random_uuid(foreign.uuid_d);
    random_uuid(foreign.uuid_e);
    random_uuid(foreign.uuid_f);
    random_uuid(foreign.uuid_i);
    random_uuid(foreign.uuid_j);
    char uuid[40];
    foreign.tenant = lookup_id("tenants", "vast-k8s");
    int64_t policy = lookup_id("viewpolicies", SAFETY_VIEW_POLICY);
    const json_int_t gib = (json_int_t)1 << 30;

    /* the team's share, its quota and view, files, and its daily protection snapshot */
    quota("team-quota", "/data/team", foreign.tenant, 10 * gib);
    view("/data/team", foreign.tenant, policy);
    fill_tree("/data/team", "team");
    snprintf(foreign.daily_name, sizeof foreign.daily_name, "daily-2026-12-01");
    foreign.daily_snapshot =
        admin_post("snapshots/", json_pack("{s:s, s:s, s:I, s:s}", "name", foreign.daily_name, "path", "/data/team/",
                                           "tenant_id", (json_int_t)foreign.tenant, "expiration_time",
                                           "2099-01-01T00:00:00Z"));

    /* directories under the driver's root export that the driver did not make */
    quota("csi-admin-dir", "/k8s/admin-dir", foreign.tenant, 5 * gib);
    view("/k8s/admin-dir", foreign.tenant, policy);
    fill_tree("/k8s/admin-dir", "admin-dir");
    quota(safety_fmt("csi:ns:name:pvc-%s", foreign.uuid_b), "/k8s/admin-vendor", foreign.tenant, 3 * gib);
    fill_tree("/k8s/admin-vendor", "admin-vendor");
    /* (in a directory of its own: a quota beneath admin-dir would make even a careless
     * DeleteVolume of admin-dir refuse, hiding the case) */
    quota(safety_fmt("csi:ns:n:pvc-%s", foreign.uuid_i), safety_fmt("/k8s/admin-nest/pvc-%s", foreign.uuid_i),
          foreign.tenant, gib);
    foreign.vendor_like_snapshot = admin_post(
        "snapshots/", json_pack("{s:s, s:s, s:I}", "name", safety_fmt("snapshot-%s", foreign.uuid_e), "path",
                                "/k8s/admin-vendor/", "tenant_id", (json_int_t)foreign.tenant));
    quota("csi-forged~0123456789ab", "/k8s/forged-mark", foreign.tenant, 2 * gib);
    fill_tree("/k8s/forged-mark", "forged-mark");

    /* a directory outside every root export named like a vendor volume, no quota */
    mkdirs(safety_fmt("/data/pvc-%s", foreign.uuid_e));
    fill_tree(safety_fmt("/data/pvc-%s", foreign.uuid_e), "loose");

    /* the vendor driver's volume and snapshot, as it names them */
    const char *f_path = safety_fmt("/k8s/pvc-%s", foreign.uuid_f);
    quota(safety_fmt("csi:ns:claim:pvc-%s", foreign.uuid_f), f_path, foreign.tenant, 5 * gib);
    view(f_path, foreign.tenant, policy);
    fill_tree(f_path, "vendor");
    random_uuid(uuid);
    foreign.vendor_snapshot =
        admin_post("snapshots/", json_pack("{s:s, s:s, s:I}", "name", safety_fmt("snapshot-%s", uuid), "path",
                                           safety_fmt("%s/", f_path), "tenant_id", (json_int_t)foreign.tenant));

    /* the wildcard root export's parent: a tenant root as the operator makes it, and
     * quotas with genuine marks or the vendor's name where no volume can be */
    quota("vk-x", SAFETY_TENANT_ROOT, foreign.tenant, 100 * gib);
    fill_tree(SAFETY_TENANT_ROOT, "tenant-root");
    random_uuid(uuid);
    snprintf(foreign.tenant_root_snapshot_name, sizeof foreign.tenant_root_snapshot_name, "snapshot-%s", uuid);
    foreign.tenant_root_snapshot =
        admin_post("snapshots/", json_pack("{s:s, s:s, s:I}", "name", foreign.tenant_root_snapshot_name, "path",
                                           SAFETY_TENANT_ROOT "/", "tenant_id", (json_int_t)foreign.tenant));
    static const char *const marked[][2] = {{SAFETY_TENANTS "/marked", "csi-marked"},
                                            {SAFETY_TENANTS "/a/b/c", "csi-deep"}};
    for (size_t i = 0; i < 2; i++) {
        char name[VAST_NAME_MAX + 1];
        vast_owner_name(VAST_OWNED_VOLUME, foreign.tenant, marked[i][0], marked[i][1], name, sizeof name);
        quota(name, marked[i][0], foreign.tenant, gib);
        fill_tree(marked[i][0], marked[i][1]);
    }
    char snap_name[VAST_NAME_MAX + 1];
    vast_owner_name(VAST_OWNED_SNAPSHOT, 0, NULL, "csi-deep-snap", snap_name, sizeof snap_name);
    foreign.deep_snapshot =
        admin_post("snapshots/", json_pack("{s:s, s:s, s:I}", "name", snap_name, "path", SAFETY_TENANTS "/a/b/c/",
                                           "tenant_id", (json_int_t)foreign.tenant));
    const char *j_path = safety_fmt(SAFETY_TENANTS "/pvc-%s", foreign.uuid_j);
    quota(safety_fmt("csi:ns:t:pvc-%s", foreign.uuid_j), j_path, foreign.tenant, gib);
    fill_tree(j_path, "tenants-vendor");

    /* another tenant: its view policy, a vendor-style path under the root, and
     * vendor-named quotas outside every root */
    foreign.other_tenant = admin_post("tenants/", json_pack("{s:s}", "name", "team-b"));
    int64_t other_policy = admin_post(
        "viewpolicies/", json_pack("{s:s, s:I, s:s, s:[s]}", "name", "team-b-nfs", "tenant_id",
                                   (json_int_t)foreign.other_tenant, "flavor", "NFS", "nfs_read_write", "*"));
    const char *c_path = safety_fmt("/k8s/pvc-%s", foreign.uuid_c);
    quota("team-b-scratch", c_path, foreign.other_tenant, 7 * gib);
    view(c_path, foreign.other_tenant, other_policy);
    fill_tree(c_path, "team-b");
    random_uuid(uuid);
    foreign.other_tenant_snapshot = admin_post(
        "snapshots/", json_pack("{s:s, s:s, s:I}", "name", safety_fmt("snapshot-%s", uuid), "path",
                                safety_fmt("%s/", c_path), "tenant_id", (json_int_t)foreign.other_tenant));
    const char *d_path = safety_fmt("/data/other/pvc-%s", foreign.uuid_d);
    quota(safety_fmt("csi:ns:x:pvc-%s", foreign.uuid_d), d_path, foreign.other_tenant, 4 * gib);
    fill_tree(d_path, "team-b-d");
    quota("csi:ns:y:pvc-1234abcd", "/data/other/pvc-1234abcd", foreign.other_tenant, 4 * gib);
    fill_tree("/data/other/pvc-1234abcd", "team-b-short");
}

/* ---- fingerprints ---- */

static fingerprint *walking; /* nftw has no user pointer */

static void add_line(fingerprint *fp, char *line) {
    if (!line) abort();
    if (fp->n == fp->cap) {
        fp->cap = fp->cap ? fp->cap * 2 : 256;
        fp->lines = realloc(fp->lines, fp->cap * sizeof *fp->lines);
        if (!fp->lines) abort();
    }
    fp->lines[fp->n++] = line;
}

static char *printf_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *printf_line(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

static uint64_t hash_file(const char *path) {
    uint64_t h = VK_FNV1A64_INIT;
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    if (fd < 0) return 0;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) h = vk_fnv1a64(h, buf, (size_t)n);
    close(fd);
    return h;
}

static int walk_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)flag, (void)ftw;
    const char *rel = path + strlen(safety.fs);
    if (!*rel) rel = "/";
    if (S_ISDIR(st->st_mode)) {
        add_line(walking, printf_line("fs %s dir %04o", rel, (unsigned)(st->st_mode & 07777)));
    } else if (S_ISLNK(st->st_mode)) {
        char target[1024];
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        add_line(walking, printf_line("fs %s link -> %s", rel, target));
    } else {
        add_line(walking, printf_line("fs %s file %04o %lld %016llx", rel, (unsigned)(st->st_mode & 07777),
                                      (long long)st->st_size, (unsigned long long)hash_file(path)));
    }
    return 0;
}

static int compare_lines(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void take(fingerprint *fp) {
    memset(fp, 0, sizeof *fp);
    json_t *inventory = sim_admin(&safety.sim, "GET", "/_sim/inventory", NULL);
    const char *collection;
    json_t *list;
    json_object_foreach(inventory, collection, list) {
        size_t i;
        json_t *obj;
        json_array_foreach(list, i, obj) {
            /* derived from the views that use it: the driver's own come and go */
            if (strcmp(collection, "viewpolicies") == 0) json_object_del(obj, "count_views");
            char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
            add_line(fp, printf_line("inventory %s %s", collection, text));
            free(text);
        }
    }
    json_decref(inventory);
    for (size_t i = 0; i < n_objects; i++) {
        char path[128];
        snprintf(path, sizeof path, "%.*s", (int)strcspn(objects[i], " "), objects[i]);
        json_t *obj = foreign_get(path);
        char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        add_line(fp, printf_line("api %s %s", objects[i], text ? text : "GONE (404)"));
        free(text);
        json_decref(obj);
    }
    walking = fp;
    if (nftw(safety.fs, walk_entry, 32, FTW_PHYS) != 0) fail_msg("walking %s: %s", safety.fs, strerror(errno));
    walking = NULL;
    qsort(fp->lines, fp->n, sizeof *fp->lines, compare_lines);
}

static void release(fingerprint *fp) {
    for (size_t i = 0; i < fp->n; i++) free(fp->lines[i]);
    free(fp->lines);
    memset(fp, 0, sizeof *fp);
}

void foreign_baseline(void) {
    release(&baseline);
    take(&baseline);
    if (!initial.lines) take(&initial);
}

/* Lines are long JSON: show enough to tell which object and what changed. */
static void print_diff_line(char sign, const char *line) { print_error("    %c %.600s\n", sign, line); }

/* Prints the lines that differ between two sorted fingerprints (skipping lines that
 * contain one of ignore, NULL-terminated, when set) and returns how many there are. */
static bool ignored(const char *line, const char *const *ignore) {
    for (; ignore && *ignore; ignore++) {
        if (strstr(line, *ignore)) return true;
    }
    return false;
}

static size_t diff(const fingerprint *before, const fingerprint *after, const char *what,
                   const char *const *ignore) {
    size_t i = 0, j = 0, shown = 0, changes = 0;
    while (i < before->n || j < after->n) {
        if (i < before->n && ignored(before->lines[i], ignore)) {
            i++;
            continue;
        }
        if (j < after->n && ignored(after->lines[j], ignore)) {
            j++;
            continue;
        }
        int c = i == before->n ? 1 : j == after->n ? -1 : strcmp(before->lines[i], after->lines[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        if (changes++ == 0) safety_failf("%s: the simulator's state changed (- before, + after):", what);
        if (shown++ < MAX_DIFF_LINES) print_diff_line(c < 0 ? '-' : '+', c < 0 ? before->lines[i] : after->lines[j]);
        if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    if (shown < changes) print_error("    ... %zu more changed line(s)\n", changes - shown);
    return changes;
}

bool foreign_unchanged(const char *what) {
    fingerprint now;
    take(&now);
    size_t changes = diff(&baseline, &now, what, NULL);
    release(&baseline);
    baseline = now;
    return changes == 0;
}

bool foreign_intact_since_start(const char *what, const char *const *ignore) {
    fingerprint now;
    take(&now);
    size_t changes = diff(&initial, &now, what, ignore);
    release(&now);
    return changes == 0;
}

static bool made_here(const char *collection, int64_t id) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s/%lld/ ", collection, (long long)id);
    for (size_t i = 0; i < n_objects; i++) {
        if (strncmp(objects[i], prefix, strlen(prefix)) == 0) return true;
    }
    return false;
}

void foreign_remove_adopted(const char *path) {
    static const char *const collections[] = {"views", "quotas"}; /* the view first, as a delete does */
    for (size_t c = 0; c < 2; c++) {
        json_t *found = foreign_find(collections[c], "path", path);
        size_t i;
        json_t *obj;
        json_array_foreach(found, i, obj) {
            int64_t id = json_integer_value(json_object_get(obj, "id"));
            if (json_integer_value(json_object_get(obj, "tenant_id")) != foreign.tenant ||
                made_here(collections[c], id)) {
                continue;
            }
            vms_error err;
            json_t *out = NULL;
            const char *what = safety_fmt("%s/%lld/", collections[c], (long long)id);
            if (!vms_delete(admin_client(), what, NULL, 0, vk_deadline_in(20000), &out, &err)) {
                fail_msg("administrator's DELETE %s: %s", what, err.message);
            }
            json_decref(out);
        }
        json_decref(found);
    }
}

void foreign_close(void) {
    release(&baseline);
    release(&initial);
    n_objects = 0;
    if (admin) vms_client_free(admin);
    admin = NULL;
}
