/* node_publish: NodePublishVolume and NodeUnpublishVolume latency for an already staged
 * volume against a running vast-csi (node service), at each of several sizes of the
 * node's mount table, and what the calls leave in it. Prints a readable report, then one
 * JSON line.
 *
 *   node_publish --endpoint unix:///tmp/csi.sock --volume-id vk1::2:/k8s/pvc-1 \
 *                --context export_path=/k8s/pvc-1 [--context K=V]... \
 *                --staging DIR --targets-dir DIR [--publishes 200] [--concurrency 1] \
 *                --export /k8s/pvc-1 [--bind-root DIR] [--mode MULTI_NODE_MULTI_WRITER] [--timeout MS] \
 *                [--existing 10,1000 --existing-dir DIR]
 *
 * One NodeStageVolume of the volume at --staging (timed, once), then one round per
 * --existing level: the bench first grows its own extra bind mounts (DIR/src bound onto
 * DIR/m-<i>, local directories: nothing can hang) to that many, so they are in the node's
 * mount table while the round's calls run, then N times a NodePublishVolume to target
 * TARGETS/pod-<i>/mount (the bench makes TARGETS/pod-<i>, as kubelet makes a pod's
 * directory; the driver makes the target) followed by the NodeUnpublishVolume of that
 * target, each call timed on its own. Publishing and unpublishing in pairs keeps the mount
 * table at the level's size (plus the node's own mounts, the staging mount and the
 * targets in flight) through the whole round, instead of growing it by N. C threads (one
 * gRPC client each) take the next pair until all N are done. Then NodeUnstageVolume, and
 * the bench detaches every extra mount it made. Without --existing, one round with no
 * extra mounts.
 *
 * Mounts of the export are counted from /proc/self/mountinfo after staging (1), after each
 * round (1: the staging mount) and after the unstage (0): with --bind-root, bind mounts of
 * DIR<export> (the driver's bind mode); without, NFS mounts whose source ends in
 * ":<export>". The ratios compare the last level's p50 and p99 with the first's.
 *
 * Percentiles are nearest-rank over successful calls; errors are counted, the first one
 * printed on stderr. Exits 1 when any call (or an extra mount) failed, 64 on a usage
 * error. A benchmark: it never judges the figures. */
#include "bench_calls.h"
#include "vk/endpoint.h"
#include "vk/rpc_client.h"
#include "vk/status.h"

#include "csi.pb-c.h"

#include <errno.h>
#include <getopt.h>
#include <grpc/grpc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

enum { EXIT_USAGE = 64, MAX_PAIRS = 64, MAX_LEVELS = 8 };

typedef struct {
    vk_endpoint endpoint;
    const char *volume_id, *staging, *targets_dir, *export_path, *bind_root, *existing_dir;
    int mode;
    long publishes, concurrency, timeout_ms;
    long levels[MAX_LEVELS]; /* extra mounts present during each round */
    size_t n_levels;
    Csi__V1__NodePublishVolumeRequest__VolumeContextEntry publish_ctx[MAX_PAIRS];
    Csi__V1__NodeStageVolumeRequest__VolumeContextEntry stage_ctx[MAX_PAIRS];
    size_t n_ctx;
} options;

static void target_of(const options *o, long i, char *out, size_t size) {
    snprintf(out, size, "%s/pod-%ld/mount", o->targets_dir, i);
}

static void mkdir_p(const char *path) {
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s", path);
    if (n < 0 || (size_t)n >= sizeof buf) return; /* the bench's paths are short */
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(buf, 0755);
        *p = '/';
    }
    mkdir(buf, 0755);
}

/* ---------- calls ---------- */

static void fill_capability(const options *o, Csi__V1__VolumeCapability *cap, Csi__V1__VolumeCapability__MountVolume *mount,
                            Csi__V1__VolumeCapability__AccessMode *mode) {
    *mount = (Csi__V1__VolumeCapability__MountVolume)CSI__V1__VOLUME_CAPABILITY__MOUNT_VOLUME__INIT;
    *mode = (Csi__V1__VolumeCapability__AccessMode)CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__INIT;
    mode->mode = o->mode;
    *cap = (Csi__V1__VolumeCapability)CSI__V1__VOLUME_CAPABILITY__INIT;
    cap->access_type_case = CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_MOUNT;
    cap->mount = mount;
    cap->access_mode = mode;
}

static vk_code publish_one(vk_rpc_client *client, const options *o, long i, vk_status *st) {
    char target[4200];
    target_of(o, i, target, sizeof target);
    Csi__V1__VolumeCapability cap;
    Csi__V1__VolumeCapability__MountVolume mount;
    Csi__V1__VolumeCapability__AccessMode mode;
    fill_capability(o, &cap, &mount, &mode);
    Csi__V1__NodePublishVolumeRequest__VolumeContextEntry *ctx[MAX_PAIRS];
    for (size_t k = 0; k < o->n_ctx; k++) ctx[k] = (Csi__V1__NodePublishVolumeRequest__VolumeContextEntry *)&o->publish_ctx[k];
    Csi__V1__NodePublishVolumeRequest req = CSI__V1__NODE_PUBLISH_VOLUME_REQUEST__INIT;
    req.volume_id = (char *)o->volume_id;
    req.staging_target_path = (char *)o->staging;
    req.target_path = target;
    req.volume_capability = &cap;
    req.volume_context = ctx;
    req.n_volume_context = o->n_ctx;
    return vk_rpc_client_call(client, "/csi.v1.Node/NodePublishVolume", &req.base, NULL, o->timeout_ms, NULL, st);
}

static vk_code unpublish_one(vk_rpc_client *client, const options *o, long i, vk_status *st) {
    char target[4200];
    target_of(o, i, target, sizeof target);
    Csi__V1__NodeUnpublishVolumeRequest req = CSI__V1__NODE_UNPUBLISH_VOLUME_REQUEST__INIT;
    req.volume_id = (char *)o->volume_id;
    req.target_path = target;
    return vk_rpc_client_call(client, "/csi.v1.Node/NodeUnpublishVolume", &req.base, NULL, o->timeout_ms, NULL, st);
}

static vk_code stage(vk_rpc_client *client, const options *o, vk_status *st) {
    Csi__V1__VolumeCapability cap;
    Csi__V1__VolumeCapability__MountVolume mount;
    Csi__V1__VolumeCapability__AccessMode mode;
    fill_capability(o, &cap, &mount, &mode);
    Csi__V1__NodeStageVolumeRequest__VolumeContextEntry *ctx[MAX_PAIRS];
    for (size_t k = 0; k < o->n_ctx; k++) ctx[k] = (Csi__V1__NodeStageVolumeRequest__VolumeContextEntry *)&o->stage_ctx[k];
    Csi__V1__NodeStageVolumeRequest req = CSI__V1__NODE_STAGE_VOLUME_REQUEST__INIT;
    req.volume_id = (char *)o->volume_id;
    req.staging_target_path = (char *)o->staging;
    req.volume_capability = &cap;
    req.volume_context = ctx;
    req.n_volume_context = o->n_ctx;
    return vk_rpc_client_call(client, "/csi.v1.Node/NodeStageVolume", &req.base, NULL, o->timeout_ms, NULL, st);
}

static vk_code unstage(vk_rpc_client *client, const options *o, vk_status *st) {
    Csi__V1__NodeUnstageVolumeRequest req = CSI__V1__NODE_UNSTAGE_VOLUME_REQUEST__INIT;
    req.volume_id = (char *)o->volume_id;
    req.staging_target_path = (char *)o->staging;
    return vk_rpc_client_call(client, "/csi.v1.Node/NodeUnstageVolume", &req.base, NULL, o->timeout_ms, NULL, st);
}

/* ---------- the mount table ---------- */

/* Mounts of the export: bind mounts of bind_root+export (same device, root a tail of that
 * directory), or NFS mounts of "<server>:<export>". */
static long count_export_mounts(const options *o) {
    char source[4200] = "";
    dev_t dev = 0;
    if (o->bind_root) {
        snprintf(source, sizeof source, "%s%s", o->bind_root, o->export_path);
        struct stat sb;
        if (stat(source, &sb) != 0) return -1;
        dev = sb.st_dev;
    }
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) return -1;
    char line[8192];
    long n = 0;
    size_t export_len = strlen(o->export_path);
    while (fgets(line, sizeof line, f)) {
        char devnum[64], root[4096], point[4096];
        unsigned major_n, minor_n;
        if (sscanf(line, "%*s %*s %63s %4095s %4095s", devnum, root, point) != 3) continue;
        if (o->bind_root) {
            if (sscanf(devnum, "%u:%u", &major_n, &minor_n) != 2) continue;
            if (makedev(major_n, minor_n) != dev || strcmp(root, "/") == 0) continue;
            size_t sl = strlen(source), rl = strlen(root);
            if (rl <= sl && strcmp(source + sl - rl, root) == 0) n++;
        } else {
            const char *dash = strstr(line, " - ");
            char fstype[64], src[4096];
            if (!dash || sscanf(dash + 3, "%63s %4095s", fstype, src) != 2 || strncmp(fstype, "nfs", 3) != 0) continue;
            size_t sl = strlen(src);
            if (sl > export_len && src[sl - export_len - 1] == ':' && strcmp(src + sl - export_len, o->export_path) == 0) n++;
        }
    }
    fclose(f);
    return n;
}

/* Entries in the node's mount table (this process shares the plugin's namespace). */
static long count_table_entries(void) {
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) return -1;
    long n = 0;
    for (int c; (c = fgetc(f)) != EOF;) n += c == '\n';
    fclose(f);
    return n;
}

/* ---------- extra mounts ---------- */

/* The bench's own bind mounts, which stand for other pods' volumes on a busy node. */
typedef struct {
    const char *dir;
    long made;
} extra_mounts;

static void extra_point(const extra_mounts *x, long i, char *out, size_t size) {
    snprintf(out, size, "%s/m-%ld", x->dir, i);
}

/* Grows the extra mounts to want; false (saying why) when a mount fails. */
static bool extra_grow(extra_mounts *x, long want) {
    char src[4200], point[4200];
    snprintf(src, sizeof src, "%s/src", x->dir);
    mkdir_p(src);
    for (; x->made < want; x->made++) {
        extra_point(x, x->made, point, sizeof point);
        mkdir_p(point);
        if (mount(src, point, NULL, MS_BIND, NULL) != 0) {
            fprintf(stderr, "node_publish: bind mount of %s on %s: %s\n", src, point, strerror(errno));
            return false;
        }
    }
    return true;
}

/* Detaches every extra mount, newest first (each is a plain bind of a local directory). */
static void extra_detach(extra_mounts *x) {
    char point[4200];
    for (; x->made > 0; x->made--) {
        extra_point(x, x->made - 1, point, sizeof point);
        if (umount2(point, MNT_DETACH) != 0) fprintf(stderr, "node_publish: umount %s: %s\n", point, strerror(errno));
    }
}

/* ---------- rounds ---------- */

/* One round: pair i publishes target i, then unpublishes it; each call timed alone. */
typedef struct {
    const options *o;
    uint64_t *publish_ns, *unpublish_ns; /* by pair; UINT64_MAX for a failed call */
    atomic_long publish_errors, unpublish_errors;
} round_state;

static void note_failure(vk_status *st, vk_code code, const char *what, long i) {
    char inner[VK_STATUS_MESSAGE_MAX];
    snprintf(inner, sizeof inner, "%s", st->message);
    vk_status_set(st, code, "%s of target %ld: %s", what, i, inner);
}

static vk_code call_pair(vk_rpc_client *client, void *ctx, long i, vk_status *st) {
    round_state *r = ctx;
    uint64_t began = bench_monotonic_ns();
    vk_code published = publish_one(client, r->o, i, st);
    uint64_t middle = bench_monotonic_ns();
    r->publish_ns[i] = published == VK_OK ? middle - began : UINT64_MAX;
    if (published != VK_OK) {
        atomic_fetch_add(&r->publish_errors, 1);
        note_failure(st, published, "NodePublishVolume", i);
    }
    /* unpublished even after a failed publish: a half-made target goes too */
    vk_status unpublish_st = {0};
    vk_code unpublished = unpublish_one(client, r->o, i, &unpublish_st);
    r->unpublish_ns[i] = unpublished == VK_OK ? bench_monotonic_ns() - middle : UINT64_MAX;
    if (unpublished != VK_OK) {
        atomic_fetch_add(&r->unpublish_errors, 1);
        if (published == VK_OK) {
            *st = unpublish_st;
            note_failure(st, unpublished, "NodeUnpublishVolume", i);
        }
    }
    return published != VK_OK ? published : unpublished;
}

typedef struct {
    long existing;        /* the bench's extra mounts during the round */
    long table_entries;   /* the whole mount table just before the round */
    bench_figures publish, unpublish;
    long export_mounts;   /* after the round: the staging mount only, expected 1 */
} round_figures;

static round_figures run_round(const options *o, long existing) {
    long n = o->publishes;
    round_state r = {.o = o, .publish_ns = calloc((size_t)n, sizeof(uint64_t)),
                     .unpublish_ns = calloc((size_t)n, sizeof(uint64_t))};
    if (!r.publish_ns || !r.unpublish_ns) {
        fprintf(stderr, "node_publish: out of memory\n");
        exit(1);
    }
    atomic_init(&r.publish_errors, 0);
    atomic_init(&r.unpublish_errors, 0);
    round_figures f = {.existing = existing, .table_entries = count_table_entries()};
    bench_calls calls = {.tool = "node_publish", .endpoint = &o->endpoint, .n = n, .concurrency = o->concurrency,
                         .call = call_pair, .ctx = &r};
    bench_figures pairs = bench_calls_run(&calls, NULL);
    /* each kind's rate over the round's wall time, which both share */
    f.publish = bench_figures_of(r.publish_ns, n, atomic_load(&r.publish_errors), pairs.seconds);
    f.unpublish = bench_figures_of(r.unpublish_ns, n, atomic_load(&r.unpublish_errors), pairs.seconds);
    f.export_mounts = count_export_mounts(o);
    free(r.publish_ns);
    free(r.unpublish_ns);
    return f;
}

/* ---------- options ---------- */

static void usage(FILE *out) {
    fprintf(out,
            "usage: node_publish --endpoint ADDR --volume-id ID --staging DIR --targets-dir DIR --export PATH\n"
            "                    [--context K=V]... [--bind-root DIR] [--publishes N] [--concurrency C]\n"
            "                    [--mode ACCESS_MODE] [--timeout MS] [--existing N,N... --existing-dir DIR]\n\n"
            "Stages the volume once at DIR, then for each --existing level grows its own extra bind\n"
            "mounts under --existing-dir to that many and runs N pairs (default 200) of\n"
            "NodePublishVolume to DIR/pod-<i>/mount and NodeUnpublishVolume of it, with C threads\n"
            "(default 1); then NodeUnstageVolume, and detaches its extra mounts. Prints p50/p90/p99\n"
            "of publish and unpublish per level, the ratios last level / first level, and the\n"
            "mounts of the export, as text and as one JSON line. The access mode is a CSI name\n"
            "(default MULTI_NODE_MULTI_WRITER); each call's deadline MS (default 60000).\n"
            "Exits 1 if any call failed.\n");
}

static bool add_context(options *o, const char *text) {
    const char *eq = strchr(text, '=');
    if (!eq || eq == text || o->n_ctx == MAX_PAIRS) return false;
    char *key = strndup(text, (size_t)(eq - text)), *value = strdup(eq + 1);
    o->publish_ctx[o->n_ctx] =
        (Csi__V1__NodePublishVolumeRequest__VolumeContextEntry)CSI__V1__NODE_PUBLISH_VOLUME_REQUEST__VOLUME_CONTEXT_ENTRY__INIT;
    o->publish_ctx[o->n_ctx].key = key;
    o->publish_ctx[o->n_ctx].value = value;
    o->stage_ctx[o->n_ctx] =
        (Csi__V1__NodeStageVolumeRequest__VolumeContextEntry)CSI__V1__NODE_STAGE_VOLUME_REQUEST__VOLUME_CONTEXT_ENTRY__INIT;
    o->stage_ctx[o->n_ctx].key = key;
    o->stage_ctx[o->n_ctx].value = value;
    o->n_ctx++;
    return true;
}

/* "10,1000": ascending counts of extra mounts, at most MAX_LEVELS. */
static bool parse_levels(const char *text, options *o) {
    char copy[256];
    if (snprintf(copy, sizeof copy, "%s", text) >= (int)sizeof copy) return false;
    o->n_levels = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        long v;
        if (o->n_levels == MAX_LEVELS || !bench_parse_long(t, 0, &v)) return false;
        if (o->n_levels > 0 && v < o->levels[o->n_levels - 1]) return false; /* mounts are only added */
        o->levels[o->n_levels++] = v;
    }
    return o->n_levels > 0;
}

static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.publishes = 200, .concurrency = 1, .timeout_ms = 60000, .n_levels = 1,
                   .mode = CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER};
    const char *endpoint = NULL;
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},    {"volume-id", required_argument, NULL, 'v'},
        {"context", required_argument, NULL, 'x'},     {"staging", required_argument, NULL, 's'},
        {"targets-dir", required_argument, NULL, 'd'}, {"export", required_argument, NULL, 'p'},
        {"bind-root", required_argument, NULL, 'b'},   {"publishes", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'}, {"mode", required_argument, NULL, 'm'},
        {"timeout", required_argument, NULL, 'T'},     {"existing", required_argument, NULL, 'X'},
        {"existing-dir", required_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    for (int c; (c = getopt_long(argc, argv, "e:v:x:s:d:p:b:n:c:m:T:X:D:h", longopts, NULL)) != -1;) {
        bool ok = true;
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 'v': o->volume_id = optarg; break;
        case 'x': ok = add_context(o, optarg); break;
        case 's': o->staging = optarg; break;
        case 'd': o->targets_dir = optarg; break;
        case 'p': o->export_path = optarg; break;
        case 'b': o->bind_root = optarg; break;
        case 'n': ok = bench_parse_long(optarg, 1, &o->publishes); break;
        case 'c': ok = bench_parse_long(optarg, 1, &o->concurrency) && o->concurrency <= 1024; break;
        case 'm': {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(
                &csi__v1__volume_capability__access_mode__mode__descriptor, optarg);
            ok = v != NULL;
            if (v) o->mode = v->value;
            break;
        }
        case 'T': ok = bench_parse_long(optarg, 1, &o->timeout_ms); break;
        case 'X': ok = parse_levels(optarg, o); break;
        case 'D': o->existing_dir = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "node_publish: bad value \"%s\" for an option (see --help)\n", optarg);
            return EXIT_USAGE;
        }
    }
    bool extra = o->n_levels > 1 || o->levels[0] > 0;
    if (!endpoint || !o->volume_id || !o->staging || !o->targets_dir || !o->export_path || optind < argc ||
        (extra && !o->existing_dir)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    vk_status st;
    if (!vk_endpoint_parse(endpoint, &o->endpoint, &st)) {
        fprintf(stderr, "node_publish: %s\n", st.message);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---------- report ---------- */

static void print_text(const char *what, const bench_figures *a) {
    printf("    %-19s %5ld calls: p50 %6.2f ms, p90 %6.2f ms, p99 %6.2f ms, mean %6.2f ms, max %7.2f ms; errors %ld\n",
           what, a->calls, a->ms.p50, a->ms.p90, a->ms.p99, a->ms.mean, a->ms.max, a->errors);
}

static void print_json(const char *prefix, const bench_figures *a) {
    printf("\"%s_errors\": %ld, \"%s_p50_ms\": %.2f, \"%s_p90_ms\": %.2f, \"%s_p99_ms\": %.2f, "
           "\"%s_mean_ms\": %.2f, \"%s_max_ms\": %.2f",
           prefix, a->errors, prefix, a->ms.p50, prefix, a->ms.p90, prefix, a->ms.p99, prefix, a->ms.mean, prefix,
           a->ms.max);
}

/* The load average when the figures were taken: other work on the machine moves them. */
static void load_average(char *out, size_t size) {
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return;
    double a, b, c;
    if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3) snprintf(out, size, "%.2f %.2f %.2f", a, b, c);
    fclose(f);
}

static double ratio(double last, double first) { return first > 0 ? last / first : 0; }

typedef struct {
    double publish_p50, publish_p99, unpublish_p50, unpublish_p99;
} ratios;

static ratios ratios_of(const round_figures *first, const round_figures *last) {
    return (ratios){ratio(last->publish.ms.p50, first->publish.ms.p50), ratio(last->publish.ms.p99, first->publish.ms.p99),
                    ratio(last->unpublish.ms.p50, first->unpublish.ms.p50),
                    ratio(last->unpublish.ms.p99, first->unpublish.ms.p99)};
}

static void report(const options *o, const round_figures *rounds, size_t n_rounds, double stage_ms, double unstage_ms,
                   long mounts_before, long mounts_staged, long mounts_after) {
    printf("node_publish: volume %s, %ld publish/unpublish pairs per round, concurrency %ld\n", o->volume_id,
           o->publishes, o->concurrency);
    char load[64];
    load_average(load, sizeof load);
    printf("  NodeStageVolume     %.2f ms; NodeUnstageVolume %.2f ms; load average %s\n", stage_ms, unstage_ms, load);
    for (size_t k = 0; k < n_rounds; k++) {
        const round_figures *r = &rounds[k];
        printf("  with %ld extra mounts (mount table: %ld entries before the round)\n", r->existing, r->table_entries);
        print_text("NodePublishVolume", &r->publish);
        print_text("NodeUnpublishVolume", &r->unpublish);
    }
    ratios q = ratios_of(&rounds[0], &rounds[n_rounds - 1]);
    if (n_rounds > 1) {
        printf("  %ld/%ld extra mounts: NodePublishVolume p50 x%.2f, p99 x%.2f; NodeUnpublishVolume p50 x%.2f, p99 x%.2f\n",
               rounds[n_rounds - 1].existing, rounds[0].existing, q.publish_p50, q.publish_p99, q.unpublish_p50,
               q.unpublish_p99);
    }
    printf("  mounts of the export: before %ld, staged %ld (expected 1), after each round", mounts_before, mounts_staged);
    for (size_t k = 0; k < n_rounds; k++) printf(" %ld", rounds[k].export_mounts);
    printf(" (expected 1), after unstage %ld (expected 0)\n", mounts_after);

    printf("{\"bench\": \"node_publish\", \"pairs_per_round\": %ld, \"concurrency\": %ld, \"stage_ms\": %.2f, "
           "\"unstage_ms\": %.2f, \"rounds\": [",
           o->publishes, o->concurrency, stage_ms, unstage_ms);
    for (size_t k = 0; k < n_rounds; k++) {
        const round_figures *r = &rounds[k];
        printf("%s{\"existing_mounts\": %ld, \"table_entries\": %ld, ", k ? ", " : "", r->existing, r->table_entries);
        print_json("publish", &r->publish);
        printf(", ");
        print_json("unpublish", &r->unpublish);
        printf(", \"export_mounts_after\": %ld}", r->export_mounts);
    }
    printf("], \"ratio_of\": \"%ld/%ld\", \"publish_p50_ratio\": %.2f, \"publish_p99_ratio\": %.2f, "
           "\"unpublish_p50_ratio\": %.2f, \"unpublish_p99_ratio\": %.2f, \"mounts_before\": %ld, "
           "\"mounts_staged\": %ld, \"mounts_after\": %ld, \"loadavg\": \"%s\"}\n",
           rounds[n_rounds - 1].existing, rounds[0].existing, q.publish_p50, q.publish_p99, q.unpublish_p50,
           q.unpublish_p99, mounts_before, mounts_staged, mounts_after, load);
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc != 0) return rc;
    mkdir_p(o.staging);
    for (long i = 0; i < o.publishes; i++) {
        char pod[4200];
        snprintf(pod, sizeof pod, "%s/pod-%ld", o.targets_dir, i);
        mkdir_p(pod);
    }
    grpc_init();
    vk_rpc_client *client = vk_rpc_client_new(&o.endpoint);
    long errors = 0;
    vk_status st = {0};

    long mounts_before = count_export_mounts(&o);
    uint64_t began = bench_monotonic_ns();
    vk_code code = stage(client, &o, &st);
    double stage_ms = (double)(bench_monotonic_ns() - began) / 1e6;
    if (code != VK_OK) {
        fprintf(stderr, "node_publish: NodeStageVolume: %s: %s\n", vk_status_name(code), st.message);
        vk_rpc_client_free(client);
        grpc_shutdown_blocking();
        return 1;
    }
    long mounts_staged = count_export_mounts(&o);

    extra_mounts extra = {.dir = o.existing_dir};
    round_figures rounds[MAX_LEVELS];
    size_t n_rounds = 0;
    for (size_t k = 0; k < o.n_levels; k++) {
        if (!extra_grow(&extra, o.levels[k])) {
            errors++;
            break;
        }
        rounds[n_rounds] = run_round(&o, o.levels[k]);
        errors += rounds[n_rounds].publish.errors + rounds[n_rounds].unpublish.errors;
        n_rounds++;
    }

    began = bench_monotonic_ns();
    code = unstage(client, &o, &st);
    double unstage_ms = (double)(bench_monotonic_ns() - began) / 1e6;
    if (code != VK_OK) {
        fprintf(stderr, "node_publish: NodeUnstageVolume: %s: %s\n", vk_status_name(code), st.message);
        errors++;
    }
    long mounts_after = count_export_mounts(&o);
    extra_detach(&extra);

    if (n_rounds > 0) report(&o, rounds, n_rounds, stage_ms, unstage_ms, mounts_before, mounts_staged, mounts_after);

    vk_rpc_client_free(client);
    grpc_shutdown_blocking();
    for (size_t k = 0; k < o.n_ctx; k++) {
        free(o.publish_ctx[k].key);
        free(o.publish_ctx[k].value);
    }
    return errors ? 1 : 0;
}
