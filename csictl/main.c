/* csictl: call any CSI or COSI method on a live socket and print the reply as JSON.
 * The exit status is the gRPC status code (0 = OK), 64 for a usage error. */
#include "request.h"
#include "version.h"

#include "vk/deadline.h"
#include "vk/endpoint.h"
#include "vk/pbjson.h"
#include "vk/rpc_client.h"
#include "vk/status.h"

#include "cosi.pb-c.h"
#include "csi.pb-c.h"

#include <errno.h>
#include <getopt.h>
#include <grpc/grpc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EXIT_USAGE = 64 };

/* Unary services only: SnapshotMetadata streams its replies. */
static const ProtobufCServiceDescriptor *const services[] = {
    &csi__v1__identity__descriptor,
    &csi__v1__controller__descriptor,
    &csi__v1__group_controller__descriptor,
    &csi__v1__node__descriptor,
    &cosi__v1alpha1__identity__descriptor,
    &cosi__v1alpha1__provisioner__descriptor,
};
#define N_SERVICES (sizeof services / sizeof services[0])

typedef struct {
    const ProtobufCServiceDescriptor *service;
    const ProtobufCMethodDescriptor *method;
    char path[300];
} method_ref;

static void usage(FILE *out) {
    fprintf(out,
            "usage: csictl [options] METHOD [field=value ...]\n"
            "       csictl list\n\n"
            "Calls a CSI (csi.v1) or COSI (cosi.v1alpha1) method and prints the reply as JSON.\n"
            "METHOD is a method name (Probe, CreateVolume, DriverCreateBucket), Service.Method,\n"
            "or a full path (/csi.v1.Node/NodeGetInfo); a path no service defines is called\n"
            "with an empty message and only its status is printed.\n\n"
            "Assignments follow the request message's fields:\n"
            "  name=pvc-1  capacity_range.required_bytes=1073741824\n"
            "  volume_capabilities[0].access_mode.mode=SINGLE_NODE_WRITER\n"
            "  volume_capabilities[0].mount.fs_type=nfs  parameters.view_policy=default\n"
            "  secrets.username=admin  (map fields: everything after the field is the key)\n\n"
            "options:\n"
            "  -e, --endpoint ADDR     unix:///path.sock or host:port (env CSI_ENDPOINT,\n"
            "                          default unix:///csi/csi.sock)\n"
            "  -t, --timeout MS        deadline of the call in milliseconds (default 30000)\n"
            "  -w, --wait MS           retry while the plugin is UNAVAILABLE, up to MS\n"
            "  -j, --json JSON         the request as JSON; assignments apply on top\n"
            "  -d, --emit-defaults     print fields that hold default values\n"
            "  -s, --show-secrets      print secrets and credentials (redacted by default)\n"
            "  -q, --quiet             print nothing on success\n"
            "  -V, --version           print the version and commit, then exit\n"
            "  -h, --help\n\n"
            "exit status: the gRPC code (0 OK, 3 INVALID_ARGUMENT, 5 NOT_FOUND, 12\n"
            "UNIMPLEMENTED, 14 UNAVAILABLE, ...); 64 for a usage error.\n");
}

static void list_methods(void) {
    for (size_t i = 0; i < N_SERVICES; i++) {
        for (unsigned m = 0; m < services[i]->n_methods; m++) {
            printf("/%s/%s\n", services[i]->name, services[i]->methods[m].name);
        }
    }
}

/* Resolves "Probe", "Identity.Probe", "csi.v1.Identity/Probe" or "/csi.v1.Identity/Probe".
 * Returns 0 found, 1 not found, -1 ambiguous (err says between which). */
static int resolve_method(const char *text, method_ref *out, char *err, size_t err_size) {
    const char *name = text[0] == '/' ? text + 1 : text;
    int found = 0;
    for (size_t i = 0; i < N_SERVICES; i++) {
        const ProtobufCServiceDescriptor *svc = services[i];
        for (unsigned m = 0; m < svc->n_methods; m++) {
            const char *method = svc->methods[m].name;
            char full[256], short_form[256];
            /* service and method names are short identifiers from the .proto files */
            snprintf(full, sizeof full, "%s/%s", svc->name, method);
            snprintf(short_form, sizeof short_form, "%s.%s", svc->short_name, method);
            if (strcmp(name, method) != 0 && strcmp(name, full) != 0 && strcmp(name, short_form) != 0) continue;
            if (found) {
                snprintf(err, err_size, "\"%.64s\" is ambiguous: %.120s or /%.120s; give the full path",
                         text, out->path, full);
                return -1;
            }
            out->service = svc;
            out->method = &svc->methods[m];
            snprintf(out->path, sizeof out->path, "/%s", full);
            found = 1;
        }
    }
    return found ? 0 : 1;
}

static bool parse_ms(const char *text, long *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < 0) return false;
    *out = v;
    return true;
}

typedef struct {
    const char *endpoint;
    long timeout_ms;
    long wait_ms;
    const char *json;
    unsigned print_flags;
    bool quiet;
} cli;

/* Builds the request message from --json and the assignments. */
static ProtobufCMessage *build_request(const cli *o, const method_ref *ref, char **assignments, int n) {
    json_t *body;
    json_error_t jerr;
    if (o->json) {
        body = json_loads(o->json, 0, &jerr);
        if (!body || !json_is_object(body)) {
            fprintf(stderr, "csictl: --json: %s\n", body ? "expected a JSON object" : jerr.text);
            json_decref(body);
            return NULL;
        }
    } else {
        body = json_object();
    }
    char err[512];
    for (int i = 0; i < n; i++) {
        if (csictl_assign(body, ref->method->input, assignments[i], err, sizeof err) != 0) {
            fprintf(stderr, "csictl: %s\n", err);
            json_decref(body);
            return NULL;
        }
    }
    ProtobufCMessage *msg = vk_pbjson_to_message(ref->method->input, body, err, sizeof err);
    if (!msg) fprintf(stderr, "csictl: request for %s: %s\n", ref->path, err);
    json_decref(body);
    return msg;
}

static void print_reply(const cli *o, const ProtobufCMessage *reply) {
    if (o->quiet || !reply) return;
    json_t *json = vk_pbjson_from_message(reply, o->print_flags);
    char *text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) puts(text);
    free(text);
    json_decref(json);
}

/* Calls the method, retrying while UNAVAILABLE for up to --wait. Each attempt gets a
 * new channel: a channel that failed to connect backs off for a second or more before
 * it tries again, which would waste most of a short wait. */
static vk_code call(const cli *o, const vk_endpoint *ep, const char *path,
                             const ProtobufCMessage *request, const ProtobufCMessageDescriptor *reply_desc) {
    long long give_up = vk_now_ms() + o->wait_ms;
    ProtobufCMessage *reply = NULL;
    vk_status st;
    vk_code code;
    for (;;) {
        vk_rpc_client *client = vk_rpc_client_new(ep);
        code = vk_rpc_client_call(client, path, request, reply_desc, o->timeout_ms, &reply, &st);
        vk_rpc_client_free(client);
        if (code != VK_UNAVAILABLE || vk_now_ms() >= give_up) break;
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
    if (code == VK_OK) {
        print_reply(o, reply);
    } else {
        fprintf(stderr, "csictl: %s: %s: %s\n", path, vk_status_name(code), st.message);
    }
    if (reply) protobuf_c_message_free_unpacked(reply, NULL);
    return code;
}

int main(int argc, char **argv) {
    cli o = {.endpoint = getenv("CSI_ENDPOINT"), .timeout_ms = 30000, .print_flags = VK_PBJSON_REDACT};
    if (!o.endpoint || !*o.endpoint) o.endpoint = "unix:///csi/csi.sock";
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"timeout", required_argument, NULL, 't'},
        {"wait", required_argument, NULL, 'w'},     {"json", required_argument, NULL, 'j'},
        {"emit-defaults", no_argument, NULL, 'd'},  {"show-secrets", no_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0},
    };
    for (int c; (c = getopt_long(argc, argv, "+e:t:w:j:dsqhV", longopts, NULL)) != -1;) {
        switch (c) {
        case 'e': o.endpoint = optarg; break;
        case 't':
            if (!parse_ms(optarg, &o.timeout_ms)) {
                fprintf(stderr, "csictl: --timeout takes milliseconds, got \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'w':
            if (!parse_ms(optarg, &o.wait_ms)) {
                fprintf(stderr, "csictl: --wait takes milliseconds, got \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'j': o.json = optarg; break;
        case 'd': o.print_flags |= VK_PBJSON_EMIT_DEFAULTS; break;
        case 's': o.print_flags &= ~(unsigned)VK_PBJSON_REDACT; break;
        case 'q': o.quiet = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("csictl %s (commit %s)\n", VK_VERSION, VK_GIT_COMMIT); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *method_text = argv[optind++];
    if (strcmp(method_text, "list") == 0) {
        list_methods();
        return 0;
    }
    vk_endpoint ep;
    vk_status st;
    if (!vk_endpoint_parse(o.endpoint, &ep, &st)) {
        fprintf(stderr, "csictl: %s\n", st.message);
        return EXIT_USAGE;
    }
    method_ref ref = {0};
    char err[512];
    int found = resolve_method(method_text, &ref, err, sizeof err);
    if (found < 0) {
        fprintf(stderr, "csictl: %s\n", err);
        return EXIT_USAGE;
    }
    if (found > 0 && method_text[0] != '/') {
        fprintf(stderr, "csictl: unknown method \"%s\" (csictl list shows them; a /full/path is sent as is)\n",
                method_text);
        return EXIT_USAGE;
    }

    ProtobufCMessage *request = NULL;
    if (found == 0) {
        request = build_request(&o, &ref, argv + optind, argc - optind);
        if (!request) return EXIT_USAGE;
    } else if (optind < argc || o.json) {
        fprintf(stderr, "csictl: %s is not a known method, so it takes no fields\n", method_text);
        return EXIT_USAGE;
    }

    grpc_init();
    vk_code code = call(&o, &ep, found == 0 ? ref.path : method_text, request,
                                 found == 0 ? ref.method->output : NULL);
    if (request) protobuf_c_message_free_unpacked(request, NULL);
    grpc_shutdown_blocking();
    return (int)code;
}
