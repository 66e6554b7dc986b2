#include "clusters.h"
#include "status.h"

#include "vk/base64.h"
#include "vk/deadline.h"
#include "vk/log.h"
#include "vk/vms_clusters.h"

#include <stdlib.h>
#include <string.h>

#define OP_CLUSTERS_MAX 64

typedef struct {
    char name[64];
    int64_t generation;
    char secret_version[64];
    int64_t checked_ms;
    vms_client *client;
} cached_client;

struct op_clusters {
    op_ctx *ctx;
    pthread_mutex_t lock;
    cached_client entries[OP_CLUSTERS_MAX];
};

op_clusters *op_clusters_new(op_ctx *ctx) {
    op_clusters *cl = calloc(1, sizeof *cl);
    cl->ctx = ctx;
    pthread_mutex_init(&cl->lock, NULL);
    return cl;
}

void op_clusters_free(op_clusters *cl) {
    if (!cl) return;
    for (size_t i = 0; i < OP_CLUSTERS_MAX; i++) vms_client_free(cl->entries[i].client);
    pthread_mutex_destroy(&cl->lock);
    free(cl);
}

void op_cluster_info_free(op_cluster_info *info) {
    free(info->ca_pem);
    info->ca_pem = NULL;
}

static const char *str(json_t *obj, const char *key) {
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

static void read_info(json_t *vc, op_cluster_info *info) {
    memset(info, 0, sizeof *info);
    json_t *spec = json_object_get(vc, "spec");
    snprintf(info->name, sizeof info->name, "%s", str(json_object_get(vc, "metadata"), "name"));
    snprintf(info->endpoint, sizeof info->endpoint, "%s", str(spec, "endpoint"));
    const char *root = str(spec, "tenantsRoot");
    snprintf(info->tenants_root, sizeof info->tenants_root, "%s", *root ? root : OP_DEFAULT_TENANTS_ROOT);
    json_t *topology = json_object_get(spec, "topology");
    snprintf(info->zone, sizeof info->zone, "%s", str(topology, "zone"));
    snprintf(info->region, sizeof info->region, "%s", str(topology, "region"));
    const char *ca = str(spec, "caBundle");
    info->ca_pem = *ca ? strdup(ca) : NULL;
}

/* A Secret's data value, decoded (malloc'd), or NULL. */
static char *secret_value(json_t *secret, const char *key) {
    const char *coded = json_string_value(json_object_get(json_object_get(secret, "data"), key));
    return coded ? (char *)vk_base64_decode(coded, NULL) : NULL;
}

static void wipe_free(char *secret) {
    if (!secret) return;
    memset(secret, 0, strlen(secret));
    free(secret);
}

static bool build_client(op_clusters *cl, const op_cluster_info *info, json_t *secret, const char *secret_name,
                         vms_client **out, vk_status *st) {
    char *username = secret_value(secret, "username"), *password = secret_value(secret, "password");
    char *token = secret_value(secret, "token");
    bool ok = false;
    if (!(username && *username && password && *password) && !(token && *token)) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "VastCluster %s: Secret %s has neither username + password nor token; put the cluster-admin "
                      "credentials there",
                      info->name, secret_name);
        goto done;
    }
    vms_config cfg = {
        .endpoint = info->endpoint,
        .username = token && *token ? NULL : username,
        .password = token && *token ? NULL : password,
        .api_token = token && *token ? token : NULL,
        .ca_pem = info->ca_pem,
        .allow_http = cl->ctx->options.allow_http_vms,
        .request_timeout_ms = cl->ctx->options.vms_timeout_ms,
        .max_connections = 8,
    };
    vms_error err;
    if (!vms_client_new(&cfg, out, &err)) {
        vms_error_to_status(&err, st);
        vk_status_set(st, st->code, "VastCluster %s: %s", info->name, st->message);
        goto done;
    }
    ok = true;
done:
    free(username);
    wipe_free(password);
    wipe_free(token);
    return ok;
}

static cached_client *slot_for(op_clusters *cl, const char *name) {
    cached_client *free_slot = NULL;
    for (size_t i = 0; i < OP_CLUSTERS_MAX; i++) {
        if (strcmp(cl->entries[i].name, name) == 0) return &cl->entries[i];
        if (!free_slot && !cl->entries[i].name[0]) free_slot = &cl->entries[i];
    }
    return free_slot;
}

bool op_clusters_get(op_clusters *cl, const char *name, int64_t deadline, vms_client **client, op_cluster_info *info,
                     vk_status *st) {
    *client = NULL;
    memset(info, 0, sizeof *info);
    json_t *vc = vk_kube_informer_get(cl->ctx->informers[OP_INF_CLUSTERS], NULL, name);
    if (!vc)
        return vk_status_set(st, VK_NOT_FOUND, "VastCluster %s does not exist; create it (kubectl get vastclusters)",
                             name),
               false;
    read_info(vc, info);
    int64_t generation = json_integer_value(json_object_get(json_object_get(vc, "metadata"), "generation"));
    json_t *ref = json_object_get(json_object_get(vc, "spec"), "credentialsSecretRef");
    char secret_ns[64], secret_name[256];
    snprintf(secret_ns, sizeof secret_ns, "%s", str(ref, "namespace"));
    snprintf(secret_name, sizeof secret_name, "%s", str(ref, "name"));
    json_decref(vc);

    pthread_mutex_lock(&cl->lock);
    cached_client *slot = slot_for(cl, name);
    if (slot && slot->client && slot->generation == generation &&
        vk_now_ms() - slot->checked_ms < OP_CLUSTER_RECHECK_MS) {
        *client = vms_client_ref(slot->client);
        pthread_mutex_unlock(&cl->lock);
        return true;
    }
    pthread_mutex_unlock(&cl->lock);

    vk_kube_ref sref = {.version = "v1", .resource = "secrets", .namespace_ = secret_ns, .name = secret_name};
    json_t *secret = vk_kube_get(cl->ctx->kube, &sref, deadline, st);
    if (!secret) {
        if (st->code == VK_NOT_FOUND)
            vk_status_set(st, VK_FAILED_PRECONDITION,
                          "VastCluster %s: its credentials Secret %s/%s does not exist; create it with keys "
                          "username and password",
                          name, secret_ns, secret_name);
        return false;
    }
    const char *version = str(json_object_get(secret, "metadata"), "resourceVersion");
    bool ok = true;
    pthread_mutex_lock(&cl->lock);
    slot = slot_for(cl, name);
    if (slot && slot->client && slot->generation == generation && strcmp(slot->secret_version, version) == 0) {
        slot->checked_ms = vk_now_ms();
        *client = vms_client_ref(slot->client);
    } else {
        vms_client *fresh = NULL;
        char label[400];
        snprintf(label, sizeof label, "%s/%s", secret_ns, secret_name);
        ok = build_client(cl, info, secret, label, &fresh, st);
        if (ok && slot) {
            vms_client_free(slot->client);
            snprintf(slot->name, sizeof slot->name, "%s", name);
            slot->generation = generation;
            snprintf(slot->secret_version, sizeof slot->secret_version, "%s", version);
            slot->checked_ms = vk_now_ms();
            slot->client = vms_client_ref(fresh);
        }
        *client = fresh;
    }
    pthread_mutex_unlock(&cl->lock);
    json_decref(secret);
    if (!ok) op_cluster_info_free(info);
    return ok;
}

void op_clusters_refused(op_clusters *cl, const char *name, vk_code code) {
    if (code != VK_UNAUTHENTICATED && code != VK_PERMISSION_DENIED) return;
    pthread_mutex_lock(&cl->lock);
    cached_client *slot = slot_for(cl, name);
    if (slot && strcmp(slot->name, name) == 0) slot->checked_ms = 0;
    pthread_mutex_unlock(&cl->lock);
}

/* ---- the VastCluster's own status ---- */

static bool read_cluster(vms_client *c, int64_t deadline, json_t **record, vk_status *st) {
    json_t *list = NULL;
    vms_error err;
    if (!vms_get(c, "clusters/", deadline, &list, &err)) {
        vms_fail(st, &err, "reading the cluster record (clusters/)");
        return false;
    }
    json_t *first = json_is_array(list) ? json_array_get(list, 0) : list;
    *record = json_incref(first);
    json_decref(list);
    return *record != NULL || (vk_status_set(st, VK_INTERNAL, "clusters/ answered no cluster record"), false);
}

bool op_cluster_reconcile(op_ctx *ctx, const char *name, int64_t deadline, vk_status *st) {
    json_t *vc = vk_kube_informer_get(ctx->informers[OP_INF_CLUSTERS], NULL, name);
    if (!vc) return true; /* deleted: nothing to report on */
    int64_t generation = json_integer_value(json_object_get(json_object_get(vc, "metadata"), "generation"));
    json_t *old_status = json_object_get(vc, "status");

    vms_client *client = NULL;
    op_cluster_info info;
    json_t *record = NULL;
    bool got = op_clusters_get(ctx->clusters, name, deadline, &client, &info, st);
    bool connected = got && read_cluster(client, deadline, &record, st);
    if (got && !connected) op_clusters_refused(ctx->clusters, name, st->code);
    json_t *status = json_object();
    json_object_set_new(status, "observedGeneration", json_integer(generation));
    if (connected) {
        json_object_set_new(status, "vastVersion", json_string(str(record, "sw_version")));
        json_object_set_new(status, "capacity",
                            json_pack("{s:I, s:I}", "totalBytes",
                                      json_integer_value(json_object_get(record, "usable_capacity_bytes")),
                                      "freeBytes", json_integer_value(json_object_get(record, "free_usable_capacity"))));
        json_object_set_new(status, "lastError", json_string(""));
    } else {
        json_t *old_version = json_object_get(old_status, "vastVersion");
        if (old_version) json_object_set(status, "vastVersion", old_version);
        json_object_set_new(status, "lastError", json_string(st->message));
    }
    op_condition cond = {
        .type = "Connected",
        .status = connected ? "True" : "False",
        .reason = connected ? "Connected" : st->code == VK_UNAUTHENTICATED || st->code == VK_PERMISSION_DENIED
                                                ? "CredentialsRefused"
                                                : st->code == VK_FAILED_PRECONDITION || st->code == VK_INVALID_ARGUMENT
                                                      ? "ConfigurationInvalid"
                                                      : "Unreachable",
        .message = connected ? "VMS answered with the credentials of the Secret" : st->message,
    };
    json_object_set_new(status, "conditions",
                        op_conditions_build(json_object_get(old_status, "conditions"), &cond, 1, generation));
    vk_status write_st;
    bool written = false;
    vk_kube_ref ref = {.group = OP_GROUP, .version = OP_VERSION, .resource = "vastclusters", .name = name};
    if (!op_status_write(ctx->kube, &ref, vc, status, deadline, &written, &write_st))
        VK_LOG(write_st.code == VK_ABORTED ? VK_LOG_DEBUG : VK_LOG_WARN, "cannot write VastCluster status",
               "vastcluster", name, "error", write_st.message);
    if (written)
        VK_LOG(VK_LOG_INFO, "VastCluster status", "vastcluster", name, "connected", connected ? "true" : "false",
               "error", connected ? "" : st->message);
    json_decref(status);
    json_decref(record);
    json_decref(vc);
    vms_client_free(client);
    if (got) op_cluster_info_free(&info);
    return connected;
}
