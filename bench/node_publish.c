/* node_publish: NodePublishVolume and NodeUnpublishVolume latency for an already staged
 * volume against a running vast-csi (node service), and what the calls leave in the
 * mount table. Prints a readable report, then one JSON line.
 *
 *   node_publish --endpoint unix:///tmp/csi.sock --volume-id vk1::2:/k8s/pvc-1 \
 *                --context export_path=/k8s/pvc-1 [--context K=V]... \
 *                --staging DIR --targets-dir DIR [--publishes 1000] [--concurrency 1] \
 *                --export /k8s/pvc-1 [--bind-root DIR] [--mode MULTI_NODE_MULTI_WRITER] [--timeout MS]
 *
 * One NodeStageVolume of the volume at --staging (timed, once), then N NodePublishVolume
 * calls, each to its own target DIR/pod-<i>/mount (the bench makes DIR/pod-<i>, as kubelet
 * makes a pod's directory; the driver makes the target), then the N NodeUnpublishVolume
 * calls, then NodeUnstageVolume. C threads (one gRPC client each) take the next call until
 * all N are done. Mounts of the export are counted from /proc/self/mountinfo after the
 * publishes (1 staging + N targets expected), after the unpublishes (1) and after the
 * unstage (0): with --bind-root, bind mounts of DIR<export> (the driver's bind mode);
 * without, NFS mounts whose source ends in ":<export>".
 *
 * Percentiles are nearest-rank over successful calls; errors are counted, the first one
 * printed on stderr. Exits 1 when any call failed, 64 on a usage error. A benchmark: it
 * never judges the figures. */
#include "bench_calls.h"
#include "vk/endpoint.h"
#include "vk/rpc_client.h"
#include "vk/status.h"

#include "csi.pb-c.h"

#include <getopt.h>
#include <grpc/grpc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

enum { EXIT_USAGE = 64, MAX_PAIRS = 64 };

typedef struct {
    vk_endpoint endpoint;
    const char *volume_id, *staging, *targets_dir, *export_path, *bind_root;
    int mode;
    long publishes, concurrency, timeout_ms;
    Csi__V1__NodePublishVolumeRequest__VolumeContextEntry publish_ctx[MAX_PAIRS];
    Csi__V1__NodeStageVolumeRequest__VolumeContextEntry stage_ctx[MAX_PAIRS];
    size_t n_ctx;
} options;

typedef enum { OP_PUBLISH, OP_UNPUBLISH } op_kind;

typedef struct {
    const options *o;
    op_kind op;
} phase;

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

/* ---------- phases ---------- */

static vk_code call_one(vk_rpc_client *client, void *ctx, long i, vk_status *st) {
    phase *p = ctx;
    vk_code code = p->op == OP_PUBLISH ? publish_one(client, p->o, i, st) : unpublish_one(client, p->o, i, st);
    if (code != VK_OK) {
        char inner[VK_STATUS_MESSAGE_MAX];
        snprintf(inner, sizeof inner, "%s", st->message);
        vk_status_set(st, code, "%s of target %ld: %s",
                      p->op == OP_PUBLISH ? "NodePublishVolume" : "NodeUnpublishVolume", i, inner);
    }
    return code;
}

typedef struct {
    bench_figures all;
    double first_tenth_p50_ms, last_tenth_p50_ms; /* p50 of the first and last tenth, in call order */
} figures;

/* p50 of calls [from, to) in call order (how latency moves as the mount table grows) */
static double slice_p50_ms(const uint64_t *latency, long from, long to) {
    long n = to - from, ok = 0;
    if (n <= 0) return 0;
    uint64_t *copy = malloc((size_t)n * sizeof *copy);
    if (!copy) return 0;
    for (long i = from; i < to; i++) {
        if (latency[i] != UINT64_MAX) copy[ok++] = latency[i];
    }
    qsort(copy, (size_t)ok, sizeof *copy, bench_compare_u64);
    double p = bench_percentile(copy, ok, 50, 1e6);
    free(copy);
    return p;
}

static figures run_phase(const options *o, op_kind op) {
    long n = o->publishes;
    phase p = {.o = o, .op = op};
    bench_calls calls = {.tool = "node_publish", .endpoint = &o->endpoint, .n = n, .concurrency = o->concurrency,
                         .call = call_one, .ctx = &p};
    uint64_t *latency_ns = NULL;
    figures f;
    f.all = bench_calls_run(&calls, &latency_ns);
    long tenth = n / 10 ? n / 10 : 1;
    f.first_tenth_p50_ms = slice_p50_ms(latency_ns, 0, tenth); /* in call order */
    f.last_tenth_p50_ms = slice_p50_ms(latency_ns, n - tenth, n);
    free(latency_ns);
    return f;
}

/* ---------- options ---------- */

static void usage(FILE *out) {
    fprintf(out,
            "usage: node_publish --endpoint ADDR --volume-id ID --staging DIR --targets-dir DIR --export PATH\n"
            "                    [--context K=V]... [--bind-root DIR] [--publishes N] [--concurrency C]\n"
            "                    [--mode ACCESS_MODE] [--timeout MS]\n\n"
            "Stages the volume once at DIR, then N NodePublishVolume calls (default 1000) to\n"
            "DIR/pod-<i>/mount with C threads (default 1), N NodeUnpublishVolume calls and one\n"
            "NodeUnstageVolume; prints p50/p90/p99 of publish and unpublish, and the mounts of\n"
            "the export after each phase, as text and as one JSON line. The access mode is a\n"
            "CSI name (default MULTI_NODE_MULTI_WRITER); each call's deadline MS (default 60000).\n"
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

static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.publishes = 1000, .concurrency = 1, .timeout_ms = 60000,
                   .mode = CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER};
    const char *endpoint = NULL;
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},    {"volume-id", required_argument, NULL, 'v'},
        {"context", required_argument, NULL, 'x'},     {"staging", required_argument, NULL, 's'},
        {"targets-dir", required_argument, NULL, 'd'}, {"export", required_argument, NULL, 'p'},
        {"bind-root", required_argument, NULL, 'b'},   {"publishes", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'}, {"mode", required_argument, NULL, 'm'},
        {"timeout", required_argument, NULL, 'T'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    for (int c; (c = getopt_long(argc, argv, "e:v:x:s:d:p:b:n:c:m:T:h", longopts, NULL)) != -1;) {
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
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "node_publish: bad value \"%s\" for an option (see --help)\n", optarg);
            return EXIT_USAGE;
        }
    }
    if (!endpoint || !o->volume_id || !o->staging || !o->targets_dir || !o->export_path || optind < argc) {
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

static void print_text(const char *what, const figures *f) {
    const bench_figures *a = &f->all;
    printf("  %-19s %5ld calls in %6.2f s (%6.1f/s): p50 %6.2f ms, p90 %6.2f ms, p99 %6.2f ms, max %7.2f ms; "
           "p50 of the first tenth %.2f ms, of the last tenth %.2f ms; errors %ld\n",
           what, a->calls, a->seconds, a->per_s, a->ms.p50, a->ms.p90, a->ms.p99, a->ms.max, f->first_tenth_p50_ms,
           f->last_tenth_p50_ms, a->errors);
}

static void print_json(const char *prefix, const figures *f) {
    const bench_figures *a = &f->all;
    printf("\"%s_errors\": %ld, \"%s_seconds\": %.3f, \"%s_per_s\": %.1f, \"%s_p50_ms\": %.2f, \"%s_p90_ms\": %.2f, "
           "\"%s_p99_ms\": %.2f, \"%s_mean_ms\": %.2f, \"%s_max_ms\": %.2f, \"%s_first_tenth_p50_ms\": %.2f, "
           "\"%s_last_tenth_p50_ms\": %.2f",
           prefix, a->errors, prefix, a->seconds, prefix, a->per_s, prefix, a->ms.p50, prefix, a->ms.p90, prefix,
           a->ms.p99, prefix, a->ms.mean, prefix, a->ms.max, prefix, f->first_tenth_p50_ms, prefix,
           f->last_tenth_p50_ms);
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

    figures pub = run_phase(&o, OP_PUBLISH);
    long mounts_published = count_export_mounts(&o);
    figures unpub = run_phase(&o, OP_UNPUBLISH);
    long mounts_unpublished = count_export_mounts(&o);

    began = bench_monotonic_ns();
    code = unstage(client, &o, &st);
    double unstage_ms = (double)(bench_monotonic_ns() - began) / 1e6;
    if (code != VK_OK) {
        fprintf(stderr, "node_publish: NodeUnstageVolume: %s: %s\n", vk_status_name(code), st.message);
        errors++;
    }
    long mounts_after = count_export_mounts(&o);
    errors += pub.all.errors + unpub.all.errors;

    printf("node_publish: volume %s, %ld targets, concurrency %ld\n", o.volume_id, o.publishes, o.concurrency);
    printf("  NodeStageVolume     %.2f ms; NodeUnstageVolume %.2f ms\n", stage_ms, unstage_ms);
    print_text("NodePublishVolume", &pub);
    print_text("NodeUnpublishVolume", &unpub);
    printf("  mounts of the export: before %ld, staged %ld, published %ld (expected %ld), unpublished %ld "
           "(expected 1), after unstage %ld (expected 0)\n",
           mounts_before, mounts_staged, mounts_published, o.publishes + 1, mounts_unpublished, mounts_after);
    printf("{\"bench\": \"node_publish\", \"targets\": %ld, \"concurrency\": %ld, \"stage_ms\": %.2f, "
           "\"unstage_ms\": %.2f, ",
           o.publishes, o.concurrency, stage_ms, unstage_ms);
    print_json("publish", &pub);
    printf(", ");
    print_json("unpublish", &unpub);
    printf(", \"mounts_before\": %ld, \"mounts_staged\": %ld, \"mounts_published\": %ld, \"mounts_unpublished\": %ld, "
           "\"mounts_after\": %ld}\n",
           mounts_before, mounts_staged, mounts_published, mounts_unpublished, mounts_after);

    vk_rpc_client_free(client);
    grpc_shutdown_blocking();
    for (size_t k = 0; k < o.n_ctx; k++) {
        free(o.publish_ctx[k].key);
        free(o.publish_ctx[k].value);
    }
    return errors ? 1 : 0;
}
