/* cosi_load: COSI provisioner throughput and latency against a running
 * `vast-csi --mode cosi`. Prints one JSON object per phase run.
 *
 *   cosi_load --endpoint unix:///tmp/cosi.sock --buckets 200 --concurrency 10 --prefix bench \
 *             --params root_export=/k8s,vip_pool_name=vast-k8s-pool,scheme=http \
 *             --ops create,grant [--state-out FILE] [--timeout MS]
 *   cosi_load --endpoint ... --ops revoke,delete --state-in FILE --concurrency 10
 *
 * Bucket i is named <prefix>-<i> and its access ba-<prefix>-<i>. --ops names the calls
 * made for each bucket, in order, as one timed operation (create,grant is what a
 * BucketClaim plus a BucketAccess cost); the phases of a run share the state: a
 * create's bucket_id feeds the grant, a grant's account_id the revoke. --state-out
 * writes "bucket_id account_id" a line, --state-in reads it, so the calls can be timed
 * (or counted on the simulator) phase by phase. C threads (one gRPC client each) take
 * the next bucket until all N are done; the clock runs from when every thread is
 * connected to when the last call returns. Credentials are never printed.
 *
 * Latency percentiles are over successful operations; errors are counted and the first
 * is printed on stderr. Exits 1 when any call failed, 64 on a usage error. It measures,
 * never judges. */
#include "bench_calls.h"
#include "vk/endpoint.h"
#include "vk/rpc_client.h"
#include "vk/status.h"

#include "cosi.pb-c.h"

#include <errno.h>
#include <getopt.h>
#include <grpc/grpc.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_USAGE = 64, MAX_PAIRS = 32, MAX_OPS = 4 };

typedef enum { OP_CREATE, OP_GRANT, OP_REVOKE, OP_DELETE } op_kind;
static const char *const op_names[] = {"create", "grant", "revoke", "delete"};

typedef struct {
    char *key, *value;
} pair;

typedef struct {
    vk_endpoint endpoint;
    long buckets;
    long concurrency;
    const char *prefix;
    op_kind ops[MAX_OPS];
    size_t n_ops;
    const char *state_in, *state_out;
    long timeout_ms;
    pair params[MAX_PAIRS];
    size_t n_params;
} options;

/* What each bucket's calls know of it. */
typedef struct {
    char *bucket_id;
    char *account_id;
} bucket_state;

typedef struct {
    const options *o;
    bucket_state *state;
} phase;

/* A failure of the call for `what`: st says so, naming it. */
static vk_code failed(vk_status *st, vk_code code, const char *what, const char *message) {
    char inner[VK_STATUS_MESSAGE_MAX];
    snprintf(inner, sizeof inner, "%s", message);
    return vk_status_set(st, code, "%s: %s", what, inner);
}

static vk_code call(vk_rpc_client *client, phase *p, const char *method, ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *reply, ProtobufCMessage **resp, const char *what,
                    vk_status *st) {
    vk_code code = vk_rpc_client_call(client, method, req, reply, p->o->timeout_ms, resp, st);
    return code == VK_OK ? VK_OK : failed(st, code, what, st->message);
}

static vk_code create_one(vk_rpc_client *client, phase *p, long i, const char *name, vk_status *st) {
    Cosi__V1alpha1__DriverCreateBucketRequest__ParametersEntry entries[MAX_PAIRS];
    Cosi__V1alpha1__DriverCreateBucketRequest__ParametersEntry *ptrs[MAX_PAIRS];
    for (size_t k = 0; k < p->o->n_params; k++) {
        entries[k] = (Cosi__V1alpha1__DriverCreateBucketRequest__ParametersEntry)
            COSI__V1ALPHA1__DRIVER_CREATE_BUCKET_REQUEST__PARAMETERS_ENTRY__INIT;
        entries[k].key = p->o->params[k].key;
        entries[k].value = p->o->params[k].value;
        ptrs[k] = &entries[k];
    }
    Cosi__V1alpha1__DriverCreateBucketRequest req = COSI__V1ALPHA1__DRIVER_CREATE_BUCKET_REQUEST__INIT;
    req.name = (char *)name;
    req.parameters = ptrs;
    req.n_parameters = p->o->n_params;
    ProtobufCMessage *resp = NULL;
    vk_code code = call(client, p, "/cosi.v1alpha1.Provisioner/DriverCreateBucket", &req.base,
                        &cosi__v1alpha1__driver_create_bucket_response__descriptor, &resp, name, st);
    if (code != VK_OK) return code;
    Cosi__V1alpha1__DriverCreateBucketResponse *r = (Cosi__V1alpha1__DriverCreateBucketResponse *)resp;
    if (r->bucket_id && *r->bucket_id) {
        free(p->state[i].bucket_id);
        p->state[i].bucket_id = strdup(r->bucket_id);
    } else {
        code = failed(st, VK_INTERNAL, name, "the reply has no bucket_id");
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

static vk_code grant_one(vk_rpc_client *client, phase *p, long i, const char *name, vk_status *st) {
    char account[300];
    snprintf(account, sizeof account, "ba-%s", name);
    Cosi__V1alpha1__DriverGrantBucketAccessRequest req = COSI__V1ALPHA1__DRIVER_GRANT_BUCKET_ACCESS_REQUEST__INIT;
    req.bucket_id = p->state[i].bucket_id;
    req.name = account;
    req.authentication_type = COSI__V1ALPHA1__AUTHENTICATION_TYPE__Key;
    ProtobufCMessage *resp = NULL;
    vk_code code = call(client, p, "/cosi.v1alpha1.Provisioner/DriverGrantBucketAccess", &req.base,
                        &cosi__v1alpha1__driver_grant_bucket_access_response__descriptor, &resp, account, st);
    if (code != VK_OK) return code;
    Cosi__V1alpha1__DriverGrantBucketAccessResponse *r = (Cosi__V1alpha1__DriverGrantBucketAccessResponse *)resp;
    if (r->account_id && *r->account_id && r->n_credentials == 1) {
        free(p->state[i].account_id);
        p->state[i].account_id = strdup(r->account_id);
    } else {
        code = failed(st, VK_INTERNAL, account, "the reply lacks account_id or its one credentials entry");
    }
    /* the unpacked reply holds the secret: protobuf-c frees it without wiping, so wipe */
    for (size_t k = 0; k < r->n_credentials; k++) {
        Cosi__V1alpha1__CredentialDetails *d = r->credentials[k]->value;
        for (size_t s = 0; d && s < d->n_secrets; s++) {
            if (d->secrets[s]->value) explicit_bzero(d->secrets[s]->value, strlen(d->secrets[s]->value));
        }
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

static vk_code revoke_one(vk_rpc_client *client, phase *p, long i, const char *name, vk_status *st) {
    Cosi__V1alpha1__DriverRevokeBucketAccessRequest req = COSI__V1ALPHA1__DRIVER_REVOKE_BUCKET_ACCESS_REQUEST__INIT;
    req.bucket_id = p->state[i].bucket_id;
    req.account_id = p->state[i].account_id;
    return call(client, p, "/cosi.v1alpha1.Provisioner/DriverRevokeBucketAccess", &req.base, NULL, NULL, name, st);
}

static vk_code delete_one(vk_rpc_client *client, phase *p, long i, const char *name, vk_status *st) {
    Cosi__V1alpha1__DriverDeleteBucketRequest req = COSI__V1ALPHA1__DRIVER_DELETE_BUCKET_REQUEST__INIT;
    req.bucket_id = p->state[i].bucket_id;
    return call(client, p, "/cosi.v1alpha1.Provisioner/DriverDeleteBucket", &req.base, NULL, NULL, name, st);
}

static vk_code run_ops(vk_rpc_client *client, void *ctx, long i, vk_status *st) {
    phase *p = ctx;
    char name[256];
    snprintf(name, sizeof name, "%s-%ld", p->o->prefix, i);
    vk_code code = VK_OK;
    for (size_t k = 0; k < p->o->n_ops && code == VK_OK; k++) {
        bool needs_bucket = p->o->ops[k] != OP_CREATE, needs_account = p->o->ops[k] == OP_REVOKE;
        if ((needs_bucket && !p->state[i].bucket_id) || (needs_account && !p->state[i].account_id)) {
            return failed(st, VK_FAILED_PRECONDITION, name, "no bucket_id/account_id for it (an earlier phase failed)");
        }
        switch (p->o->ops[k]) {
        case OP_CREATE: code = create_one(client, p, i, name, st); break;
        case OP_GRANT: code = grant_one(client, p, i, name, st); break;
        case OP_REVOKE: code = revoke_one(client, p, i, name, st); break;
        default: code = delete_one(client, p, i, name, st); break;
        }
    }
    return code;
}

/* ---------- state files ---------- */

static void read_state(const char *path, bucket_state *state, long n) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cosi_load: %s: %s\n", path, strerror(errno));
        exit(EXIT_USAGE);
    }
    char line[4200];
    for (long i = 0; i < n && fgets(line, sizeof line, f); i++) {
        line[strcspn(line, "\r\n")] = '\0';
        char *space = strchr(line, ' ');
        if (space) *space = '\0';
        if (*line && strcmp(line, "-") != 0) state[i].bucket_id = strdup(line);
        if (space && space[1] && strcmp(space + 1, "-") != 0) state[i].account_id = strdup(space + 1);
    }
    fclose(f);
}

static void write_state(const char *path, const bucket_state *state, long n) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cosi_load: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    for (long i = 0; i < n; i++) {
        fprintf(f, "%s %s\n", state[i].bucket_id ? state[i].bucket_id : "-",
                state[i].account_id ? state[i].account_id : "-");
    }
    fclose(f);
}

/* ---------- options ---------- */

static void usage(FILE *out) {
    fprintf(out,
            "usage: cosi_load --endpoint ADDR --buckets N --concurrency C --prefix P --ops OP[,OP...]\n"
            "                 [--params K=V[,K=V...]] [--state-in FILE] [--state-out FILE] [--timeout MS]\n\n"
            "OP is create, grant, revoke or delete; each bucket P-i runs the ops in order as one timed\n"
            "operation. Prints one JSON object: ops, buckets, concurrency, errors, seconds, per_s,\n"
            "p50_ms, p90_ms, p99_ms, mean_ms, max_ms. Each call's deadline is MS (default 60000).\n"
            "Exits 1 if any call failed.\n");
}

static bool add_pair_list(pair *pairs, size_t *n, const char *text) {
    char *copy = strdup(text), *save = NULL;
    bool ok = copy != NULL;
    for (char *item = ok ? strtok_r(copy, ",", &save) : NULL; item && ok; item = strtok_r(NULL, ",", &save)) {
        const char *eq = strchr(item, '=');
        ok = eq && eq != item && *n < MAX_PAIRS;
        if (ok) {
            pairs[*n].key = strndup(item, (size_t)(eq - item));
            pairs[*n].value = strdup(eq + 1);
            (*n)++;
        }
    }
    free(copy);
    return ok;
}

static bool parse_ops(const char *text, options *o) {
    char *copy = strdup(text), *save = NULL;
    bool ok = copy != NULL;
    for (char *item = ok ? strtok_r(copy, ",", &save) : NULL; item && ok; item = strtok_r(NULL, ",", &save)) {
        size_t k = 0;
        while (k < 4 && strcmp(item, op_names[k]) != 0) k++;
        ok = k < 4 && o->n_ops < MAX_OPS;
        if (ok) o->ops[o->n_ops++] = (op_kind)k;
    }
    free(copy);
    return ok && o->n_ops > 0;
}

static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.buckets = -1, .concurrency = 1, .timeout_ms = 60000};
    const char *endpoint = NULL;
    enum { OPT_STATE_IN = 1000, OPT_STATE_OUT, OPT_OPS };
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},     {"buckets", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'},  {"prefix", required_argument, NULL, 'p'},
        {"params", required_argument, NULL, 'P'},       {"ops", required_argument, NULL, OPT_OPS},
        {"state-in", required_argument, NULL, OPT_STATE_IN}, {"state-out", required_argument, NULL, OPT_STATE_OUT},
        {"timeout", required_argument, NULL, 'T'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    for (int c; (c = getopt_long(argc, argv, "e:n:c:p:P:T:h", longopts, NULL)) != -1;) {
        bool ok = true;
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 'n': ok = bench_parse_long(optarg, 1, &o->buckets); break;
        case 'c': ok = bench_parse_long(optarg, 1, &o->concurrency) && o->concurrency <= 1024; break;
        case 'p': o->prefix = optarg; break;
        case 'P': ok = add_pair_list(o->params, &o->n_params, optarg); break;
        case OPT_OPS: ok = parse_ops(optarg, o); break;
        case OPT_STATE_IN: o->state_in = optarg; break;
        case OPT_STATE_OUT: o->state_out = optarg; break;
        case 'T': ok = bench_parse_long(optarg, 1, &o->timeout_ms); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "cosi_load: bad value \"%s\" for an option (see --help)\n", optarg);
            return EXIT_USAGE;
        }
    }
    if (!endpoint || optind < argc || o->buckets < 0 || !o->prefix || o->n_ops == 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    vk_status st;
    if (!vk_endpoint_parse(endpoint, &o->endpoint, &st)) {
        fprintf(stderr, "cosi_load: %s\n", st.message);
        return EXIT_USAGE;
    }
    return 0;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc != 0) return rc;
    grpc_init();
    phase p = {.o = &o};
    p.state = calloc((size_t)o.buckets, sizeof *p.state);
    if (!p.state) {
        fprintf(stderr, "cosi_load: out of memory\n");
        return 1;
    }
    if (o.state_in) read_state(o.state_in, p.state, o.buckets);
    bench_calls calls = {.tool = "cosi_load", .endpoint = &o.endpoint, .n = o.buckets, .concurrency = o.concurrency,
                         .call = run_ops, .ctx = &p};
    bench_figures f = bench_calls_run(&calls, NULL);
    if (o.state_out) write_state(o.state_out, p.state, o.buckets);
    printf("{\"ops\": \"");
    for (size_t k = 0; k < o.n_ops; k++) printf("%s%s", k ? "," : "", op_names[o.ops[k]]);
    printf("\", \"buckets\": %ld, \"concurrency\": %ld, \"errors\": %ld, \"seconds\": %.3f, \"per_s\": %.1f, "
           "\"p50_ms\": %.1f, \"p90_ms\": %.1f, \"p99_ms\": %.1f, \"mean_ms\": %.1f, \"max_ms\": %.1f}\n",
           o.buckets, o.concurrency, f.errors, f.seconds, f.per_s, f.ms.p50, f.ms.p90, f.ms.p99, f.ms.mean, f.ms.max);
    for (long i = 0; i < o.buckets; i++) {
        free(p.state[i].bucket_id);
        free(p.state[i].account_id);
    }
    free(p.state);
    for (size_t k = 0; k < o.n_params; k++) {
        free(o.params[k].key);
        free(o.params[k].value);
    }
    grpc_shutdown_blocking();
    return f.errors ? 1 : 0;
}
