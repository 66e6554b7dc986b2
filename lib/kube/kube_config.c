/* kubeconfig and in-cluster configuration (vk/kube_config.h), read with libyaml's
 * document API: a kubeconfig is small, and lookups by name across its lists are
 * simpler on a tree than on events. */
#include "vk/kube_config.h"

#include "vk/base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define MAX_FILE (4u << 20) /* a kubeconfig or token larger than this is not one */

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key) {
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static const char *scalar(yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The entry of list `list` (clusters, users, contexts) named `name`: its inner map
 * (entry[section]). */
static yaml_node_t *named(yaml_document_t *d, const char *list, const char *section, const char *name) {
    yaml_node_t *seq = map_get(d, yaml_document_get_root_node(d), list);
    if (!seq || seq->type != YAML_SEQUENCE_NODE || !name) return NULL;
    for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
        yaml_node_t *e = yaml_document_get_node(d, *i);
        const char *n = scalar(map_get(d, e, "name"));
        if (n && strcmp(n, name) == 0) return map_get(d, e, section);
    }
    return NULL;
}

static char *path_in(const char *base_dir, const char *p) {
    if (!p) return NULL;
    if (p[0] == '/' || !base_dir || !*base_dir) return strdup(p);
    size_t n = strlen(base_dir) + strlen(p) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", base_dir, p);
    return s;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* A file field and its -data twin: the data wins, as in kubectl. */
static bool pick(yaml_document_t *d, yaml_node_t *m, const char *key, const char *base_dir, char **file,
                 char **pem, vk_status *st) {
    char dkey[64];
    snprintf(dkey, sizeof dkey, "%s-data", key);
    const char *data = scalar(map_get(d, m, dkey));
    if (data) {
        *pem = (char *)vk_base64_decode(data, NULL);
        if (!*pem) return vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: %s is not base64", dkey), false;
        return true;
    }
    *file = path_in(base_dir, scalar(map_get(d, m, key)));
    return true;
}

static bool fill(yaml_document_t *d, const char *context, const char *base_dir, vk_kube_config *out,
                 vk_status *st) {
    yaml_node_t *root = yaml_document_get_root_node(d);
    if (!root || root->type != YAML_MAPPING_NODE)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: not a YAML mapping"), false;
    const char *ctx_name = context ? context : scalar(map_get(d, root, "current-context"));
    if (!ctx_name) return vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: no current-context"), false;
    yaml_node_t *ctx = named(d, "contexts", "context", ctx_name);
    if (!ctx) return vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: no context %s", ctx_name), false;
    const char *cl_name = scalar(map_get(d, ctx, "cluster"));
    yaml_node_t *cl = named(d, "clusters", "cluster", cl_name);
    if (!cl) return vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: context %s names no known cluster", ctx_name), false;
    const char *server = scalar(map_get(d, cl, "server"));
    if (!server || !*server)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: cluster %s has no server", cl_name), false;
    out->server = strdup(server);
    const char *ns = scalar(map_get(d, ctx, "namespace"));
    out->namespace_ = strdup(ns && *ns ? ns : "default");
    const char *insecure = scalar(map_get(d, cl, "insecure-skip-tls-verify"));
    out->insecure_skip_tls_verify = insecure && strcmp(insecure, "true") == 0;
    if (!pick(d, cl, "certificate-authority", base_dir, &out->ca_file, &out->ca_pem, st)) return false;
    /* A context may name no user (a cluster that needs none). */
    yaml_node_t *user = named(d, "users", "user", scalar(map_get(d, ctx, "user")));
    out->token = dup_or_null(scalar(map_get(d, user, "token")));
    out->token_file = path_in(base_dir, scalar(map_get(d, user, "tokenFile")));
    if (!pick(d, user, "client-certificate", base_dir, &out->cert_file, &out->cert_pem, st)) return false;
    if (!pick(d, user, "client-key", base_dir, &out->key_file, &out->key_pem, st)) return false;
    if ((out->cert_file || out->cert_pem) != (out->key_file || out->key_pem))
        return vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: user of context %s has a client certificate without its key, or a key without its certificate", ctx_name), false;
    return true;
}

bool vk_kube_config_parse(const char *text, size_t len, const char *context, const char *base_dir,
                          vk_kube_config *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    yaml_parser_t p;
    yaml_document_t d;
    if (!yaml_parser_initialize(&p)) return vk_status_set(st, VK_INTERNAL, "kubeconfig: out of memory"), false;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &d)) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: YAML error at line %zu: %s", p.problem_mark.line + 1,
                      p.problem ? p.problem : "?");
        yaml_parser_delete(&p);
        return false;
    }
    bool ok = fill(&d, context, base_dir, out, st);
    yaml_document_delete(&d);
    yaml_parser_delete(&p);
    if (!ok) vk_kube_config_free(out);
    else vk_status_ok(st);
    return ok;
}

/* A whole small file, NUL-terminated; NULL with st set. */
static char *read_small(const char *path, size_t *len, vk_status *st) {
    FILE *f = fopen(path, "rb");
    if (!f) return vk_status_set(st, VK_FAILED_PRECONDITION, "%s: %s", path, strerror(errno)), NULL;
    char *buf = malloc(MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
    fclose(f);
    if (!buf || n > MAX_FILE) {
        free(buf);
        return vk_status_set(st, VK_INVALID_ARGUMENT, "%s: larger than %u bytes", path, MAX_FILE), NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

bool vk_kube_config_load_file(const char *path, const char *context, vk_kube_config *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    if (!path || !*path) return vk_status_set(st, VK_INVALID_ARGUMENT, "kubeconfig: no file named"), false;
    size_t len;
    char *text = read_small(path, &len, st);
    if (!text) return false;
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash) *slash = '\0';
    bool ok = vk_kube_config_parse(text, len, context, slash ? dir : NULL, out, st);
    free(dir);
    free(text);
    return ok;
}

bool vk_kube_config_in_cluster(const char *dir, vk_kube_config *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port)
        return vk_status_set(st, VK_FAILED_PRECONDITION, "not in a cluster: KUBERNETES_SERVICE_HOST/PORT unset"), false;
    if (!dir) dir = SA_DIR;
    size_t n = strlen(host) + strlen(port) + 16;
    out->server = malloc(n);
    /* An IPv6 service address needs brackets in a URL. */
    if (out->server) snprintf(out->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    out->token_file = path_in(dir, "token");
    out->ca_file = path_in(dir, "ca.crt");
    char *nsp = path_in(dir, "namespace");
    size_t len;
    vk_status ignore;
    char *ns = nsp ? read_small(nsp, &len, &ignore) : NULL;
    free(nsp);
    if (ns) ns[strcspn(ns, "\r\n")] = '\0';
    out->namespace_ = strdup(ns && *ns ? ns : "default");
    free(ns);
    vk_status_ok(st);
    return true;
}

static void wipe_free(char *s) {
    if (!s) return;
    volatile char *v = s;
    while (*v) *v++ = '\0';
    free(s);
}

void vk_kube_config_free(vk_kube_config *c) {
    free(c->server);
    free(c->ca_file);
    free(c->ca_pem);
    wipe_free(c->token);
    free(c->token_file);
    free(c->cert_file);
    free(c->cert_pem);
    free(c->key_file);
    wipe_free(c->key_pem);
    free(c->namespace_);
    memset(c, 0, sizeof *c);
}
