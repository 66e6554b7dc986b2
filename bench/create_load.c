/* create_load: CreateVolume throughput and latency against a running vast-csi, and
 * optionally DeleteVolume of what it made. Prints one JSON object.
 *
 *   create_load --endpoint unix:///tmp/csi.sock --volumes 200 --concurrency 10 --prefix bench \
 *               --params root_export=/k8s,view_policy=vast-k8s-nfs,vip_pool_name=vast-k8s-pool \
 *               [--param mount_options=vers=4.1,nconnect=8] [--secret endpoint=...] \
 *               [--size BYTES] [--delete] [--ids-out FILE] [--timeout MS]
 *   create_load --endpoint ... --delete-from FILE --concurrency 10
 *
 * Volume i is named <prefix>-<i>, asked for with one MULTI_NODE_MULTI_WRITER mount
 * capability. C threads (one gRPC client each: rpc_client.h allows only a few waiting
 * threads per client) take the next volume until all N are done, so a slow call never
 * leaves a thread idle. The clock runs from the moment every thread is connected until
 * the last call returns. --delete then deletes every volume made, timed separately
 * (delete_* figures). --ids-out writes the ids of the volumes made, one a line, and
 * --delete-from deletes the ids of such a file instead of creating anything.
 *
 * Latency percentiles are over successful calls; errors are counted, the first one is
 * printed on stderr. Exits 1 when any call failed, 64 on a usage error. A benchmark:
 * it never judges the figures. */
#include "bench_calls.h"
#include "vk/endpoint.h"
#include "vk/rpc_client.h"
#include "vk/status.h"

#include "csi.pb-c.h"

#include <errno.h>
#include <getopt.h>
#include <grpc/grpc.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_USAGE = 64, MAX_PAIRS = 64 };

typedef struct {
    char *key, *value;
} pair;

typedef struct {
    vk_endpoint endpoint;
    long volumes;
    long concurrency;
    const char *prefix;
    int64_t size;
    bool delete_after;
    const char *ids_out;
    const char *delete_from;
    long timeout_ms;
    pair params[MAX_PAIRS];
    size_t n_params;
    pair secrets[MAX_PAIRS];
    size_t n_secrets;
} options;

typedef enum { OP_CREATE, OP_DELETE } op_kind;

/* One phase: n calls spread over the threads. */
typedef struct {
    const options *o;
    op_kind op;
    char **ids; /* create: filled per volume (NULL on failure); delete: read */
} phase;

/* ---------- requests ---------- */

/* The map fields of a request, built with the request's own generated entry types. */
#define DEFINE_MAP(fn, Type, INIT)                                                   \
    typedef struct {                                                                 \
        Type entries[MAX_PAIRS];                                                     \
        Type *ptrs[MAX_PAIRS];                                                       \
    } fn##_storage;                                                                  \
    static Type **fn(fn##_storage *m, const pair *pairs, size_t n) {                 \
        for (size_t i = 0; i < n; i++) {                                             \
            m->entries[i] = (Type)INIT;                                              \
            m->entries[i].key = pairs[i].key;                                        \
            m->entries[i].value = pairs[i].value;                                    \
            m->ptrs[i] = &m->entries[i];                                             \
        }                                                                            \
        return m->ptrs;                                                              \
    }

DEFINE_MAP(create_params, Csi__V1__CreateVolumeRequest__ParametersEntry,
           CSI__V1__CREATE_VOLUME_REQUEST__PARAMETERS_ENTRY__INIT)
DEFINE_MAP(create_secrets, Csi__V1__CreateVolumeRequest__SecretsEntry,
           CSI__V1__CREATE_VOLUME_REQUEST__SECRETS_ENTRY__INIT)
DEFINE_MAP(delete_secrets, Csi__V1__DeleteVolumeRequest__SecretsEntry,
           CSI__V1__DELETE_VOLUME_REQUEST__SECRETS_ENTRY__INIT)

/* A failure of the call for `what`: st says so, naming it. */
static vk_code failed(vk_status *st, vk_code code, const char *what, const char *message) {
    char inner[VK_STATUS_MESSAGE_MAX];
    snprintf(inner, sizeof inner, "%s", message);
    return vk_status_set(st, code, "%s: %s", what, inner);
}

static vk_code create_one(vk_rpc_client *client, phase *p, long i, vk_status *st) {
    const options *o = p->o;
    char name[256];
    snprintf(name, sizeof name, "%s-%ld", o->prefix, i);

    Csi__V1__VolumeCapability__MountVolume mount = CSI__V1__VOLUME_CAPABILITY__MOUNT_VOLUME__INIT;
    Csi__V1__VolumeCapability__AccessMode mode = CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__INIT;
    mode.mode = CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_MULTI_WRITER;
    Csi__V1__VolumeCapability cap = CSI__V1__VOLUME_CAPABILITY__INIT;
    cap.access_type_case = CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_MOUNT;
    cap.mount = &mount;
    cap.access_mode = &mode;
    Csi__V1__VolumeCapability *caps[] = {&cap};
    Csi__V1__CapacityRange range = CSI__V1__CAPACITY_RANGE__INIT;
    range.required_bytes = o->size;

    create_params_storage params;
    create_secrets_storage secrets;
    Csi__V1__CreateVolumeRequest req = CSI__V1__CREATE_VOLUME_REQUEST__INIT;
    req.name = name;
    req.capacity_range = o->size > 0 ? &range : NULL;
    req.volume_capabilities = caps;
    req.n_volume_capabilities = 1;
    req.parameters = create_params(&params, o->params, o->n_params);
    req.n_parameters = o->n_params;
    req.secrets = create_secrets(&secrets, o->secrets, o->n_secrets);
    req.n_secrets = o->n_secrets;

    ProtobufCMessage *resp = NULL;
    vk_code code = vk_rpc_client_call(client, "/csi.v1.Controller/CreateVolume", &req.base,
                                      &csi__v1__create_volume_response__descriptor, o->timeout_ms, &resp, st);
    if (code != VK_OK) return failed(st, code, name, st->message);
    Csi__V1__CreateVolumeResponse *r = (Csi__V1__CreateVolumeResponse *)resp;
    if (!r->volume || !r->volume->volume_id || !*r->volume->volume_id) {
        code = failed(st, VK_INTERNAL, name, "the reply has no volume_id");
    } else if (!(p->ids[i] = strdup(r->volume->volume_id))) {
        code = failed(st, VK_RESOURCE_EXHAUSTED, name, "out of memory");
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

static vk_code delete_one(vk_rpc_client *client, phase *p, long i, vk_status *st) {
    const options *o = p->o;
    delete_secrets_storage secrets;
    Csi__V1__DeleteVolumeRequest req = CSI__V1__DELETE_VOLUME_REQUEST__INIT;
    req.volume_id = p->ids[i];
    req.secrets = delete_secrets(&secrets, o->secrets, o->n_secrets);
    req.n_secrets = o->n_secrets;
    vk_code code =
        vk_rpc_client_call(client, "/csi.v1.Controller/DeleteVolume", &req.base, NULL, o->timeout_ms, NULL, st);
    return code == VK_OK ? VK_OK : failed(st, code, p->ids[i], st->message);
}

/* ---------- phases ---------- */

static vk_code call_one(vk_rpc_client *client, void *ctx, long i, vk_status *st) {
    phase *p = ctx;
    return p->op == OP_CREATE ? create_one(client, p, i, st) : delete_one(client, p, i, st);
}

static bench_figures run_phase(const options *o, op_kind op, char **ids, long n) {
    phase p = {.o = o, .op = op, .ids = ids};
    bench_calls calls = {.tool = "create_load", .endpoint = &o->endpoint, .n = n, .concurrency = o->concurrency,
                         .call = call_one, .ctx = &p};
    return bench_calls_run(&calls, NULL);
}

/* ---------- options ---------- */

static void usage(FILE *out) {
    fprintf(out,
            "usage: create_load --endpoint ADDR --volumes N --concurrency C --prefix P\n"
            "                   --params K=V[,K=V...] [--param K=V]... [--secret K=V]...\n"
            "                   [--size BYTES] [--delete] [--ids-out FILE] [--timeout MS]\n"
            "       create_load --endpoint ADDR --delete-from FILE [--concurrency C] [--secret K=V]...\n\n"
            "Creates N volumes named P-0..P-(N-1) with C threads (one gRPC channel each), one\n"
            "MULTI_NODE_MULTI_WRITER mount capability and the given StorageClass parameters\n"
            "(--param for a value that holds commas), and prints one JSON object: volumes,\n"
            "concurrency, errors, seconds, creates_per_s, p50_ms, p99_ms, mean_ms, max_ms.\n"
            "--delete then deletes them (delete_* figures); --ids-out writes the volume ids;\n"
            "--delete-from deletes the ids listed in FILE instead. Each call's deadline is MS\n"
            "(default 60000). Exits 1 if any call failed.\n");
}

static bool add_pair(pair *pairs, size_t *n, const char *text) {
    const char *eq = strchr(text, '=');
    if (!eq || eq == text || *n == MAX_PAIRS) return false;
    pairs[*n].key = strndup(text, (size_t)(eq - text));
    pairs[*n].value = strdup(eq + 1);
    (*n)++;
    return true;
}

static bool add_pair_list(pair *pairs, size_t *n, const char *text) {
    char *copy = strdup(text), *save = NULL;
    bool ok = true;
    for (char *item = strtok_r(copy, ",", &save); item && ok; item = strtok_r(NULL, ",", &save)) {
        ok = add_pair(pairs, n, item);
    }
    free(copy);
    return ok;
}

static void free_pairs(pair *pairs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
}

static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.volumes = -1, .concurrency = 1, .timeout_ms = 60000};
    const char *endpoint = NULL;
    enum { OPT_PARAM = 1000, OPT_SECRET, OPT_IDS_OUT, OPT_DELETE_FROM };
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},    {"volumes", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'}, {"prefix", required_argument, NULL, 'p'},
        {"params", required_argument, NULL, 'P'},      {"param", required_argument, NULL, OPT_PARAM},
        {"secret", required_argument, NULL, OPT_SECRET}, {"size", required_argument, NULL, 's'},
        {"delete", no_argument, NULL, 'd'},            {"ids-out", required_argument, NULL, OPT_IDS_OUT},
        {"delete-from", required_argument, NULL, OPT_DELETE_FROM},
        {"timeout", required_argument, NULL, 'T'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    for (int c; (c = getopt_long(argc, argv, "e:n:c:p:P:s:dT:h", longopts, NULL)) != -1;) {
        bool ok = true;
        long v = 0;
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 'n': ok = bench_parse_long(optarg, 1, &o->volumes); break;
        case 'c': ok = bench_parse_long(optarg, 1, &o->concurrency) && o->concurrency <= 1024; break;
        case 'p': o->prefix = optarg; break;
        case 'P': ok = add_pair_list(o->params, &o->n_params, optarg); break;
        case OPT_PARAM: ok = add_pair(o->params, &o->n_params, optarg); break;
        case OPT_SECRET: ok = add_pair(o->secrets, &o->n_secrets, optarg); break;
        case 's': ok = bench_parse_long(optarg, 0, &v); o->size = v; break;
        case 'd': o->delete_after = true; break;
        case OPT_IDS_OUT: o->ids_out = optarg; break;
        case OPT_DELETE_FROM: o->delete_from = optarg; break;
        case 'T': ok = bench_parse_long(optarg, 1, &o->timeout_ms); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "create_load: bad value \"%s\" for an option (see --help)\n", optarg);
            return EXIT_USAGE;
        }
    }
    bool creating = !o->delete_from;
    if (!endpoint || optind < argc || (creating && (o->volumes < 0 || !o->prefix || o->n_params == 0)) ||
        (!creating && (o->volumes >= 0 || o->delete_after))) {
        usage(stderr);
        return EXIT_USAGE;
    }
    vk_status st;
    if (!vk_endpoint_parse(endpoint, &o->endpoint, &st)) {
        fprintf(stderr, "create_load: %s\n", st.message);
        return EXIT_USAGE;
    }
    return 0;
}

/* Reads one id a line; returns how many. */
static long read_ids(const char *path, char ***out) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "create_load: %s: %s\n", path, strerror(errno));
        exit(EXIT_USAGE);
    }
    long n = 0, cap = 64;
    char **ids = malloc((size_t)cap * sizeof *ids);
    char line[1024];
    while (ids && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line) continue;
        if (n == cap) ids = realloc(ids, (size_t)(cap *= 2) * sizeof *ids);
        if (ids) ids[n++] = strdup(line);
    }
    fclose(f);
    if (!ids) {
        fprintf(stderr, "create_load: out of memory\n");
        exit(1);
    }
    *out = ids;
    return n;
}

static void print_figures(const char *prefix, const char *rate_name, const bench_figures *f) {
    printf("\"%serrors\": %ld, \"%sseconds\": %.3f, \"%s\": %.1f, \"%sp50_ms\": %.1f, \"%sp99_ms\": %.1f, "
           "\"%smean_ms\": %.1f, \"%smax_ms\": %.1f",
           prefix, f->errors, prefix, f->seconds, rate_name, f->per_s, prefix, f->ms.p50, prefix, f->ms.p99, prefix,
           f->ms.mean, prefix, f->ms.max);
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc != 0) return rc;
    grpc_init();
    long errors = 0;

    if (o.delete_from) {
        char **ids;
        long n = read_ids(o.delete_from, &ids);
        bench_figures d = run_phase(&o, OP_DELETE, ids, n);
        printf("{\"op\": \"delete\", \"volumes\": %ld, \"concurrency\": %ld, ", n, o.concurrency);
        print_figures("", "deletes_per_s", &d);
        printf("}\n");
        errors = d.errors;
        for (long i = 0; i < n; i++) free(ids[i]);
        free(ids);
    } else {
        char **ids = calloc((size_t)o.volumes, sizeof *ids);
        if (!ids) return 1;
        bench_figures c = run_phase(&o, OP_CREATE, ids, o.volumes);
        errors = c.errors;
        if (o.ids_out) {
            FILE *f = fopen(o.ids_out, "w");
            if (!f) {
                fprintf(stderr, "create_load: %s: %s\n", o.ids_out, strerror(errno));
                return 1;
            }
            for (long i = 0; i < o.volumes; i++) {
                if (ids[i]) fprintf(f, "%s\n", ids[i]);
            }
            fclose(f);
        }
        printf("{\"op\": \"create\", \"volumes\": %ld, \"concurrency\": %ld, ", o.volumes, o.concurrency);
        print_figures("", "creates_per_s", &c);
        if (o.delete_after) {
            /* only what was made: compact the ids so failed creates are not deleted */
            long made = 0;
            for (long i = 0; i < o.volumes; i++) {
                if (ids[i]) ids[made++] = ids[i];
            }
            bench_figures d = run_phase(&o, OP_DELETE, ids, made);
            printf(", \"deletes\": %ld, ", made);
            print_figures("delete_", "deletes_per_s", &d);
            errors += d.errors;
            for (long i = 0; i < made; i++) free(ids[i]);
        } else {
            for (long i = 0; i < o.volumes; i++) free(ids[i]);
        }
        printf("}\n");
        free(ids);
    }
    grpc_shutdown_blocking();
    free_pairs(o.params, o.n_params);
    free_pairs(o.secrets, o.n_secrets);
    return errors ? 1 : 0;
}
