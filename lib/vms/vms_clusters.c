#include "vk/vms_clusters.h"

#include "vk/deadline.h"
#include "vk/log.h"
#include "vk/redact.h"
#include "vk/vms_list.h"
#include "vk/vms_registry.h"
#include "vms_internal.h"
#include "vms_metrics.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

enum { CACHE_MAX = 512, SECRET_FILE_MAX = 256 * 1024 };

typedef struct {
    char *key; /* "<client fingerprint>|<kind>|<name>" */
    json_t *value;
    int64_t expires;
} cache_entry;

struct vms_clusters {
    vms_clusters_options options;
    char *secret_dir;
    vms_registry *registry;
    pthread_mutex_t lock;
    cache_entry cache[CACHE_MAX];
    int n_cache;
};

/* The secret keys of one cluster, owned strings (NULL = absent). */
typedef struct {
    char *endpoint, *username, *password, *token, *ssl_cert, *tenant;
} cluster_secret;

static void cluster_secret_free(cluster_secret *s) {
    char **fields[] = {&s->endpoint, &s->username, &s->password, &s->token, &s->ssl_cert, &s->tenant};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (*fields[i]) {
            /* credentials do not linger in freed memory */
            memset(*fields[i], 0, strlen(*fields[i]));
            free(*fields[i]);
        }
        *fields[i] = NULL;
    }
}

static char **secret_field(cluster_secret *s, const char *key) {
    if (strcmp(key, "endpoint") == 0) return &s->endpoint;
    if (strcmp(key, "username") == 0) return &s->username;
    if (strcmp(key, "password") == 0) return &s->password;
    if (strcmp(key, "token") == 0) return &s->token;
    if (strcmp(key, "ssl_cert") == 0) return &s->ssl_cert;
    if (strcmp(key, "tenant") == 0) return &s->tenant;
    return NULL;
}

static void secret_set(cluster_secret *s, const char *key, const char *value, size_t len) {
    char **field = secret_field(s, key);
    if (!field || len == 0) return;
    free(*field);
    *field = strndup(value, len);
}

/* ---------- multi-cluster secret: YAML map name -> {keys} ---------- */

/* Walks the YAML document of the `clusters` key and fills out with the entry `name`.
 * Returns 1 found, 0 not found, -1 malformed. */
static int yaml_find_cluster(const char *text, const char *name, cluster_secret *out) {
    yaml_parser_t parser;
    yaml_event_t ev;
    if (!yaml_parser_initialize(&parser)) return -1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    int depth = 0, found = 0, status = 0;
    bool in_target = false, expect_key = true;
    char key[64] = "";
    char current_cluster[256] = "";
    for (bool done = false; !done;) {
        if (!yaml_parser_parse(&parser, &ev)) {
            status = -1;
            break;
        }
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
            depth++;
            expect_key = true;
            if (depth == 2) in_target = strcmp(current_cluster, name) == 0;
            break;
        case YAML_MAPPING_END_EVENT:
            if (depth == 2 && in_target) found = 1;
            depth--;
            in_target = in_target && depth >= 2;
            expect_key = true;
            break;
        case YAML_SCALAR_EVENT: {
            const char *value = (const char *)ev.data.scalar.value;
            size_t len = ev.data.scalar.length;
            if (depth == 1) {
                if (expect_key) snprintf(current_cluster, sizeof current_cluster, "%.*s", (int)len, value);
            } else if (depth == 2) {
                if (expect_key) {
                    snprintf(key, sizeof key, "%.*s", (int)len, value);
                } else if (in_target) {
                    secret_set(out, key, value, len);
                }
            }
            if (depth >= 1) expect_key = !expect_key;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_ALIAS_EVENT:
            status = -1; /* not the shape of a cluster map */
            done = true;
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return status < 0 ? -1 : found;
}

/* ---------- default cluster: one file per key in a directory ---------- */

static char *read_small_file(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    char *buf = malloc(SECRET_FILE_MAX + 1);
    ssize_t n = buf ? read(fd, buf, SECRET_FILE_MAX) : -1;
    close(fd);
    if (n <= 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    /* a trailing newline from `echo > file` is not part of the value (PEM keeps its own) */
    if (strcmp(name, "ssl_cert") != 0) {
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
    }
    return buf;
}

/* A named cluster of the default secret: its directory holds a file "clusters", the
 * same YAML map a multi-cluster secret holds (COSI calls carry no secrets, so a COSI
 * driver on several clusters names them there). */
static bool load_default_named(const vms_clusters *cl, const char *cluster_name, cluster_secret *out,
                               vk_status *st) {
    char *multi = read_small_file(cl->secret_dir, "clusters");
    int found = multi ? yaml_find_cluster(multi, cluster_name, out) : 0;
    free(multi);
    if (found > 0) return true;
    vk_status_set(st, found < 0 ? VK_FAILED_PRECONDITION : VK_INVALID_ARGUMENT,
                  found < 0 ? "the default secret's file \"clusters\" (--vms-secret-dir) is not a YAML map of "
                              "cluster name -> settings"
                            : "cluster \"%s\" is not in the default secret's file \"clusters\" (--vms-secret-dir)",
                  cluster_name);
    return false;
}

static bool load_default_secret(const vms_clusters *cl, const char *cluster_name, cluster_secret *out,
                                vk_status *st) {
    if (cluster_name && *cluster_name && cl->secret_dir) {
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/clusters", cl->secret_dir);
        if (access(probe, R_OK) == 0) return load_default_named(cl, cluster_name, out, st);
    }
    if (cluster_name && *cluster_name) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "cluster \"%s\" is asked for by a request without secrets, and the driver's default cluster "
                      "(--vms-secret-dir) has no name: only requests with a multi-cluster secret reach other clusters",
                      cluster_name);
        return false;
    }
    if (!cl->secret_dir) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "this request carries no VMS secret and the driver has no default cluster; start vast-csi "
                      "with --vms-secret-dir (files endpoint, username, password or token, ssl_cert)");
        return false;
    }
    static const char *const keys[] = {"endpoint", "username", "password", "token", "ssl_cert", "tenant"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *value = read_small_file(cl->secret_dir, keys[i]);
        if (value) {
            *secret_field(out, keys[i]) = value;
        }
    }
    return true;
}

static bool secret_from_map(vk_strmap secrets, const char *cluster_name, cluster_secret *out, vk_status *st) {
    const char *multi = vk_strmap_get(secrets, "clusters");
    if (multi) {
        if (!cluster_name) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "the secret holds several clusters (key \"clusters\"); set the StorageClass parameter "
                          "cluster_name to pick one");
            return false;
        }
        int found = yaml_find_cluster(multi, cluster_name, out);
        if (found <= 0) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          found < 0 ? "secret key \"clusters\" is not a YAML map of cluster name -> settings"
                                    : "secret key \"clusters\" has no cluster named \"%s\"",
                          cluster_name);
            return false;
        }
        return true;
    }
    if (cluster_name && *cluster_name) {
        /* using the one cluster of this secret for an object of another would act on
         * the wrong VAST: refuse */
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "cluster \"%s\" is asked for, but the secret holds a single cluster (no key \"clusters\"); "
                      "use a multi-cluster secret or leave cluster_name unset",
                      cluster_name);
        return false;
    }
    static const char *const keys[] = {"endpoint", "username", "password", "token", "ssl_cert", "tenant"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = vk_strmap_get(secrets, keys[i]);
        if (v) secret_set(out, keys[i], v, strlen(v));
    }
    return true;
}

/* ---------- clients ---------- */

vms_clusters *vms_clusters_new(const vms_clusters_options *options) {
    vms_metrics_register(); /* clients are made at first use; the families show from the start */
    vms_clusters *cl = calloc(1, sizeof *cl);
    if (!cl) abort();
    cl->options = *options;
    cl->secret_dir = options->secret_dir ? strdup(options->secret_dir) : NULL;
    cl->options.secret_dir = cl->secret_dir;
    if (cl->options.cache_ttl_ms <= 0) cl->options.cache_ttl_ms = 5 * 60 * 1000;
    cl->registry = vms_registry_new(0);
    pthread_mutex_init(&cl->lock, NULL);
    return cl;
}

void vms_clusters_free(vms_clusters *cl) {
    if (!cl) return;
    for (int i = 0; i < cl->n_cache; i++) {
        free(cl->cache[i].key);
        json_decref(cl->cache[i].value);
    }
    vms_registry_free(cl->registry);
    pthread_mutex_destroy(&cl->lock);
    free(cl->secret_dir);
    free(cl);
}

bool vms_clusters_client(vms_clusters *cl, vk_strmap secrets, const char *cluster_name, vms_client **out,
                         vk_status *st) {
    cluster_secret s = {0};
    bool from_request = secrets.n > 0;
    bool ok = from_request ? secret_from_map(secrets, cluster_name, &s, st) : load_default_secret(cl, cluster_name, &s, st);
    /* a bad request secret is the request's fault; a bad default one is the driver's setup */
    vk_code bad_secret = from_request ? VK_INVALID_ARGUMENT : VK_FAILED_PRECONDITION;
    if (ok && !s.endpoint) {
        vk_status_set(st, bad_secret, "the VMS secret%s has no \"endpoint\" key (host or host:port)",
                      from_request ? "" : " in --vms-secret-dir");
        ok = false;
    }
    if (ok && !s.token && !(s.username && s.password)) {
        char shown[300]; /* the endpoint may carry user:password@ */
        vk_redact_url(s.endpoint, shown, sizeof shown);
        vk_status_set(st, bad_secret,
                      "the VMS secret for %s needs \"username\" and \"password\", or \"token\"", shown);
        ok = false;
    }
    if (ok) {
        vms_config cfg = {
            .endpoint = s.endpoint,
            .api_version = cl->options.api_version,
            .username = s.token ? NULL : s.username,
            .password = s.token ? NULL : s.password,
            .api_token = s.token,
            .tenant = s.tenant,
            .ca_pem = s.ssl_cert,
            .insecure_skip_tls_verify = cl->options.insecure_skip_verify,
            .request_timeout_ms = cl->options.request_timeout_ms,
            .max_connections = cl->options.max_connections,
        };
        vms_error err;
        if (!vms_registry_get(cl->registry, &cfg, out, &err)) {
            vms_error_to_status(&err, st);
            ok = false;
        }
    }
    cluster_secret_free(&s);
    return ok;
}

bool vms_clusters_holds(vk_strmap secrets, const char *cluster_name) {
    const char *multi = vk_strmap_get(secrets, "clusters");
    /* an object of no named cluster lives on a single-cluster secret's (or the default) one */
    if (!cluster_name || !*cluster_name) return !multi;
    cluster_secret s = {0};
    bool held = multi && yaml_find_cluster(multi, cluster_name, &s) > 0;
    cluster_secret_free(&s);
    return held;
}

vk_code vms_fail(vk_status *st, const vms_error *err, const char *fmt, ...) {
    vk_status inner;
    vms_error_to_status(err, &inner);
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return vk_status_set(st, inner.code, "%s: %s", what, inner.message);
}

/* ---------- cache ---------- */

/* Keyed by the client's fingerprint: two secrets for one endpoint may be two tenants or
 * two users, who see different objects under the same name. */
static char *cache_key(vms_client *c, const char *kind, const char *name) {
    char *key = NULL;
    if (asprintf(&key, "%016" PRIx64 "|%s|%s", vms_client_fingerprint(c), kind, name) < 0) abort();
    return key;
}

static json_t *cache_get(vms_clusters *cl, const char *key) {
    json_t *value = NULL;
    int64_t now = vk_now_ms();
    pthread_mutex_lock(&cl->lock);
    for (int i = 0; i < cl->n_cache; i++) {
        if (strcmp(cl->cache[i].key, key) == 0 && cl->cache[i].expires > now) {
            value = json_incref(cl->cache[i].value);
            break;
        }
    }
    pthread_mutex_unlock(&cl->lock);
    return value;
}

static void cache_drop_locked(vms_clusters *cl, int i) {
    free(cl->cache[i].key);
    json_decref(cl->cache[i].value);
    cl->cache[i] = cl->cache[--cl->n_cache];
}

static void cache_put(vms_clusters *cl, const char *key, json_t *value) {
    int64_t now = vk_now_ms();
    pthread_mutex_lock(&cl->lock);
    for (int i = cl->n_cache - 1; i >= 0; i--) {
        if (strcmp(cl->cache[i].key, key) == 0 || cl->cache[i].expires <= now) cache_drop_locked(cl, i);
    }
    if (cl->n_cache == CACHE_MAX) cache_drop_locked(cl, 0);
    cl->cache[cl->n_cache++] = (cache_entry){strdup(key), json_incref(value), now + cl->options.cache_ttl_ms};
    pthread_mutex_unlock(&cl->lock);
}

void vms_clusters_forget(vms_clusters *cl, vms_client *c, const char *kind, const char *name) {
    char *key = cache_key(c, kind, name);
    pthread_mutex_lock(&cl->lock);
    for (int i = cl->n_cache - 1; i >= 0; i--) {
        if (strcmp(cl->cache[i].key, key) == 0) cache_drop_locked(cl, i);
    }
    pthread_mutex_unlock(&cl->lock);
    free(key);
}

/* The one object of kind k named `name`, decoded into out (the caller's to free),
 * through the cache. The cache keeps the object's JSON: one reference shared by every
 * hit, decoded again by k's table for each caller. */
static bool cached_by_name(vms_clusters *cl, vms_client *c, const vms_kind *k, const char *name, int64_t deadline,
                           vms_object *out, vk_status *st) {
    char *key = cache_key(c, k->noun, name);
    json_t *hit = cache_get(cl, key);
    if (hit) {
        vms_kind_decode(k, hit, out);
        json_decref(hit);
        free(key);
        return true;
    }
    vms_error err;
    vms_lookup found = vms_object_find(c, k, VMS_FILTERS("name", name), out, deadline, &err);
    if (found == VMS_FOUND) {
        cache_put(cl, key, out->raw);
    } else if (found == VMS_MISSING || err.kind == VMS_ERR_AMBIGUOUS) {
        bool none = found == VMS_MISSING;
        vk_status_set(st, none ? VK_NOT_FOUND : VK_FAILED_PRECONDITION, "%s \"%s\" %s on VAST cluster %s", k->noun,
                      name, none ? "does not exist" : "matches several objects", vms_client_endpoint(c));
    } else {
        vms_fail(st, &err, "looking up %s \"%s\"", k->noun, name);
    }
    free(key);
    return found == VMS_FOUND;
}

bool vms_clusters_view_policy(vms_clusters *cl, vms_client *c, const char *name, int64_t deadline,
                              vms_policy_ref *out, vk_status *st) {
    vms_viewpolicy policy;
    if (!cached_by_name(cl, c, &vms_kind_viewpolicy, name, deadline, &policy.obj, st)) return false;
    out->id = policy.obj.id;
    out->tenant_id = policy.obj.tenant_id;
    snprintf(out->tenant_name, sizeof out->tenant_name, "%s", policy.obj.tenant_name);
    vms_object_free(&policy.obj);
    return true;
}

bool vms_clusters_qos_policy(vms_clusters *cl, vms_client *c, const char *name, int64_t deadline, int64_t *id,
                             vk_status *st) {
    vms_qospolicy policy;
    if (!cached_by_name(cl, c, &vms_kind_qospolicy, name, deadline, &policy.obj, st)) return false;
    *id = policy.obj.id;
    vms_object_free(&policy.obj);
    return true;
}

bool vms_clusters_vippool(vms_clusters *cl, vms_client *c, const char *name, int64_t deadline, vms_vippool *out,
                          vk_status *st) {
    return cached_by_name(cl, c, &vms_kind_vippool, name, deadline, &out->obj, st);
}

bool vms_clusters_tenant(vms_clusters *cl, vms_client *c, int64_t id, int64_t deadline, vms_tenant *out,
                         vk_status *st) {
    char name[24];
    snprintf(name, sizeof name, "%" PRId64, id);
    char *key = cache_key(c, "tenant by id", name);
    json_t *hit = cache_get(cl, key);
    if (hit) {
        vms_tenant_from_json(hit, out);
        json_decref(hit);
        free(key);
        return true;
    }
    vms_error err;
    vms_lookup found = vms_tenant_get(c, id, out, deadline, &err);
    if (found == VMS_FOUND) {
        cache_put(cl, key, out->obj.raw);
    } else if (found == VMS_MISSING) {
        vk_status_set(st, VK_NOT_FOUND, "tenant %" PRId64 " does not exist on VAST cluster %s", id,
                      vms_client_endpoint(c));
    } else {
        vms_fail(st, &err, "reading tenant %" PRId64, id);
    }
    free(key);
    return found == VMS_FOUND;
}

/* The version is cached as its text; vms_version_parse reads the numbers again. */
bool vms_clusters_version(vms_clusters *cl, vms_client *c, int64_t deadline, vms_version *out, vk_status *st) {
    char *key = cache_key(c, "version", "");
    json_t *hit = cache_get(cl, key);
    if (hit) {
        vms_version_parse(json_string_value(hit), out);
        json_decref(hit);
        free(key);
        return true;
    }
    vms_error err;
    bool ok = vms_version_get(c, out, deadline, &err);
    if (ok) {
        json_t *v = json_string(out->sys_version);
        cache_put(cl, key, v);
        json_decref(v);
    } else {
        vms_fail(st, &err, "reading the VAST version");
    }
    free(key);
    return ok;
}
