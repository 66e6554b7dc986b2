#include "tenant_spec.h"

#include "vk/parse.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

static int64_t int_field(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

bool op_qos_parse(json_t *qos, vast_qos *out) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(qos)) return false;
    static const struct {
        const char *key;
        size_t offset;
    } fields[] = {
        {"maxReadMBps", offsetof(vast_qos, max_read_mbps)},
        {"maxWriteMBps", offsetof(vast_qos, max_write_mbps)},
        {"maxReadIOPS", offsetof(vast_qos, max_read_iops)},
        {"maxWriteIOPS", offsetof(vast_qos, max_write_iops)},
        {"burstReadMBps", offsetof(vast_qos, burst_read_mbps)},
        {"burstWriteMBps", offsetof(vast_qos, burst_write_mbps)},
        {"burstReadIOPS", offsetof(vast_qos, burst_read_iops)},
        {"burstWriteIOPS", offsetof(vast_qos, burst_write_iops)},
        {"burstReadCreditMB", offsetof(vast_qos, burst_read_credit_mb)},
        {"burstWriteCreditMB", offsetof(vast_qos, burst_write_credit_mb)},
    };
    bool any = false;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int64_t v = int_field(qos, fields[i].key);
        if (v < 0) v = 0;
        *(int64_t *)((char *)out + fields[i].offset) = v;
        any = any || v > 0;
    }
    return any;
}

/* A quantity given as a string ("10Ti") or a number of bytes. */
static bool quantity_field(json_t *obj, const char *key, int64_t *out) {
    json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v || json_is_null(v)) return true;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out >= 0;
    }
    return json_is_string(v) && vk_parse_quantity(json_string_value(v), out);
}

static const char *string_field(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool bool_field(json_t *obj, const char *key, bool fallback) {
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

/* An address as 16 bytes (IPv4 mapped) and its family; false when it is none. */
static bool address_bytes(const char *text, unsigned char out[16], int *family) {
    memset(out, 0, 16);
    struct in_addr v4;
    if (inet_pton(AF_INET, text, &v4) == 1) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &v4, 4);
        *family = AF_INET;
        return true;
    }
    *family = AF_INET6;
    return inet_pton(AF_INET6, text, out) == 1;
}

/* The schema cannot order addresses (CEL has no comparison for them): checked here. */
static bool range_valid(const char *start, const char *end) {
    unsigned char a[16], b[16];
    int fa, fb;
    return address_bytes(start, a, &fa) && address_bytes(end, b, &fb) && fa == fb && memcmp(a, b, 16) <= 0;
}

static bool parse_clusters(json_t *list, op_tenant *t, vk_status *st) {
    if (!json_is_array(list) || json_array_size(list) == 0)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: spec.clusters names no VastCluster", t->name), false;
    if (json_array_size(list) > OP_TENANT_CLUSTERS_MAX)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: spec.clusters: at most %d", t->name,
                             OP_TENANT_CLUSTERS_MAX),
               false;
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry) {
        op_tenant_cluster *c = &t->clusters[t->n_clusters++];
        c->name = string_field(entry, "name");
        if (!c->name || !*c->name)
            return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: spec.clusters[%zu].name is missing", t->name, i),
                   false;
        json_t *pool = json_object_get(entry, "vipPool");
        c->subnet_cidr = (int)int_field(pool, "subnetCIDR");
        size_t j;
        json_t *range;
        json_array_foreach(json_object_get(pool, "ranges"), j, range) {
            if (c->n_ranges == OP_TENANT_RANGES_MAX)
                return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: cluster %s: at most %d VIP ranges", t->name,
                                     c->name, OP_TENANT_RANGES_MAX),
                       false;
            const char *start = string_field(range, "start"), *end = string_field(range, "end");
            if (!start || !end)
                return vk_status_set(st, VK_INVALID_ARGUMENT,
                                     "Tenant %s: cluster %s: vipPool.ranges[%zu] needs start and end", t->name, c->name,
                                     j),
                       false;
            if (!range_valid(start, end))
                return vk_status_set(st, VK_INVALID_ARGUMENT,
                                     "Tenant %s: cluster %s: vipPool.ranges[%zu] %s-%s is not a range of addresses of "
                                     "one family with start <= end",
                                     t->name, c->name, j, start, end),
                       false;
            c->ranges[c->n_ranges++] = (vast_address_range){start, end};
        }
        if (c->n_ranges > 0 && c->subnet_cidr <= 0) c->subnet_cidr = strchr(c->ranges[0].start, ':') ? 64 : 24;
    }
    return true;
}

static bool parse_classes(json_t *list, op_tenant *t, vk_status *st) {
    if (json_array_size(list) > VAST_TENANT_CLASSES_MAX)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: spec.storageClasses: at most %d", t->name,
                             VAST_TENANT_CLASSES_MAX),
               false;
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry) {
        op_tenant_class *c = &t->classes[t->n_classes++];
        c->name = string_field(entry, "name");
        if (!c->name || !*c->name)
            return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: spec.storageClasses[%zu].name is missing",
                                 t->name, i),
                   false;
        c->is_default = bool_field(entry, "default", false);
        c->reclaim_policy = string_field(entry, "reclaimPolicy");
        if (!c->reclaim_policy) c->reclaim_policy = "Delete";
        if (strcmp(c->reclaim_policy, "Delete") != 0 && strcmp(c->reclaim_policy, "Retain") != 0)
            return vk_status_set(st, VK_INVALID_ARGUMENT,
                                 "Tenant %s: storage class %s: reclaimPolicy must be Delete or Retain", t->name,
                                 c->name),
                   false;
        json_t *opts = json_object_get(entry, "mountOptions");
        c->mount_options = json_is_array(opts) && json_array_size(opts) > 0 ? opts : NULL;
        c->has_qos = op_qos_parse(json_object_get(entry, "qos"), &c->qos);
        t->vast_classes[t->n_classes - 1] = (vast_tenant_class){.name = c->name, .has_qos = c->has_qos, .qos = c->qos};
    }
    return true;
}

bool op_tenant_parse(json_t *obj, const char *prefix, op_tenant *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    out->obj = json_incref(obj);
    json_t *meta = json_object_get(obj, "metadata");
    out->name = string_field(meta, "name");
    out->uid = string_field(meta, "uid");
    out->generation = int_field(meta, "generation");
    out->deleting = json_object_get(meta, "deletionTimestamp") != NULL;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(meta, "finalizers"), i, f) {
        if (json_is_string(f) && strcmp(json_string_value(f), "tenancy.vast-k8s.io/tenant") == 0)
            out->has_finalizer = true;
    }
    if (!out->name || !out->uid) return vk_status_set(st, VK_INVALID_ARGUMENT, "a Tenant without name or uid"), false;
    if (snprintf(out->vast_name, sizeof out->vast_name, "%s%s", prefix, out->name) >= 58)
        return vk_status_set(st, VK_INVALID_ARGUMENT,
                             "Tenant %s: the name is too long for VAST's 64-character names once prefixed", out->name),
               false;
    json_t *spec = json_object_get(obj, "spec");
    json_t *ns = json_object_get(spec, "namespaces");
    out->namespace_names = json_is_array(json_object_get(ns, "names")) ? json_object_get(ns, "names") : NULL;
    out->namespace_selector = json_is_object(json_object_get(ns, "selector")) ? json_object_get(ns, "selector") : NULL;
    if (!out->namespace_names && !out->namespace_selector)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: spec.namespaces names no namespace", out->name),
               false;
    if (!parse_clusters(json_object_get(spec, "clusters"), out, st)) return false;
    json_t *capacity = json_object_get(spec, "capacity");
    if (!quantity_field(capacity, "hardLimit", &out->hard_limit) ||
        !quantity_field(capacity, "softLimit", &out->soft_limit))
        return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: spec.capacity holds a value that is not a quantity",
                             out->name),
               false;
    out->has_qos = op_qos_parse(json_object_get(spec, "qos"), &out->qos);
    json_t *cidr;
    json_array_foreach(json_object_get(spec, "clientNetworks"), i, cidr) {
        if (!json_is_string(cidr)) continue;
        if (out->n_cidrs == OP_TENANT_CIDRS_MAX)
            return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: at most %d clientNetworks", out->name,
                                 OP_TENANT_CIDRS_MAX),
                   false;
        out->cidrs[out->n_cidrs++] = json_string_value(cidr);
    }
    if (!parse_classes(json_object_get(spec, "storageClasses"), out, st)) return false;
    out->snapshots = bool_field(json_object_get(spec, "snapshots"), "enabled", true);
    json_t *object_storage = json_object_get(spec, "objectStorage");
    out->object_storage = bool_field(object_storage, "enabled", false);
    if (!quantity_field(object_storage, "bucketQuota", &out->bucket_quota))
        return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: objectStorage.bucketQuota is not a quantity",
                             out->name),
               false;
    const char *policy = string_field(spec, "deletionPolicy");
    out->delete_on_vast = policy && strcmp(policy, "Delete") == 0;
    return true;
}

void op_tenant_release(op_tenant *t) {
    json_decref(t->obj);
    memset(t, 0, sizeof *t);
}

void op_tenant_vast_spec(const op_tenant *t, size_t cluster, const char *root_path, const char *admin_password,
                         vast_tenant_spec *out) {
    const op_tenant_cluster *c = &t->clusters[cluster];
    *out = (vast_tenant_spec){
        .name = t->vast_name,
        .root_path = root_path,
        .hard_limit = t->hard_limit,
        .soft_limit = t->soft_limit,
        .has_qos = t->has_qos,
        .qos = t->qos,
        .client_cidrs = t->cidrs,
        .n_client_cidrs = t->n_cidrs,
        .vip_ranges = c->ranges,
        .n_vip_ranges = c->n_ranges,
        .vip_subnet_cidr = c->subnet_cidr,
        .classes = t->vast_classes,
        .n_classes = t->n_classes,
        .object_storage = t->object_storage,
        .admin_password = admin_password,
    };
}
