#include "children.h"
#include "admission.h"
#include "operator.h"

#include "vk/base64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const op_child_kind op_child_kinds[] = {
    {"", "v1", "secrets", "Secret", true},
    {"storage.k8s.io", "v1", "storageclasses", "StorageClass", false},
    {"snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false},
    {"objectstorage.k8s.io", "v1alpha1", "bucketclasses", "BucketClass", false},
    {"objectstorage.k8s.io", "v1alpha1", "bucketaccessclasses", "BucketAccessClass", false},
    {"admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false},
    {"admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding",
     false},
};
const size_t op_child_kinds_count = sizeof op_child_kinds / sizeof op_child_kinds[0];

void op_child_base_name(const op_tenant *t, char *out, size_t size) {
    snprintf(out, size, OP_CHILD_PREFIX "%s", t->name);
}

void op_storage_class_names(const op_tenant *t, char names[][256], size_t max, size_t *n) {
    *n = 0;
    for (size_t i = 0; i < t->n_classes && *n < max; i++) {
        snprintf(names[(*n)++], 256, "%s", t->classes[i].name);
        for (size_t c = 0; t->n_clusters > 1 && c < t->n_clusters && *n < max; c++)
            snprintf(names[(*n)++], 256, "%s-%s", t->classes[i].name, t->clusters[c].name);
    }
}

/* metadata with the Tenant's label and owner reference. */
static json_t *metadata(const op_tenant *t, const char *name, const char *ns) {
    json_t *m = json_pack("{s:s, s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]}", "name", name, "labels",
                          OP_LABEL_TENANT, t->name, OP_LABEL_MANAGED, "vast-operator", "ownerReferences", "apiVersion",
                          OP_API_VERSION, "kind", "Tenant", "name", t->name, "uid", t->uid, "controller", 1,
                          "blockOwnerDeletion", 1);
    if (ns) json_object_set_new(m, "namespace", json_string(ns));
    return m;
}

static op_child *add(op_children *out, const op_child_kind *kind, const char *ns, const char *name, json_t *desired) {
    if (out->n == OP_CHILDREN_MAX) {
        json_decref(desired);
        return NULL;
    }
    op_child *c = &out->items[out->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->group, sizeof c->group, "%s", kind->group);
    snprintf(c->version, sizeof c->version, "%s", kind->version);
    snprintf(c->resource, sizeof c->resource, "%s", kind->resource);
    snprintf(c->ns, sizeof c->ns, "%s", ns ? ns : "");
    snprintf(c->name, sizeof c->name, "%s", name);
    c->ref = (vk_kube_ref){.group = c->group, .version = c->version, .resource = c->resource,
                           .namespace_ = ns ? c->ns : NULL, .name = c->name};
    c->desired = desired;
    c->cluster = -1;
    snprintf(c->what, sizeof c->what, "%s %s%s%s", kind->kind, ns ? ns : "", ns ? "/" : "", name);
    return c;
}

static const op_child_kind *kind_named(const char *resource) {
    for (size_t i = 0; i < op_child_kinds_count; i++)
        if (strcmp(op_child_kinds[i].resource, resource) == 0) return &op_child_kinds[i];
    return NULL;
}

static json_t *object(const op_child_kind *kind, json_t *meta) {
    char api_version[96];
    snprintf(api_version, sizeof api_version, "%s%s%s", kind->group, *kind->group ? "/" : "", kind->version);
    return json_pack("{s:s, s:s, s:o}", "apiVersion", api_version, "kind", kind->kind, "metadata", meta);
}

bool op_children_secret(const op_children_input *in, op_child *out, vk_status *st) {
    const op_tenant *t = in->tenant;
    json_t *clusters = json_object();
    for (size_t i = 0; i < t->n_clusters; i++) {
        if (in->reached && !in->reached[i]) {
            json_t *kept = json_object_get(in->previous, t->clusters[i].name);
            if (kept) json_object_set(clusters, t->clusters[i].name, kept);
            continue;
        }
        vast_tenant_spec spec;
        op_tenant_vast_spec(t, i, "", "", &spec);
        vast_tenant_names names;
        vast_tenant_names_of(&spec, &names);
        json_t *entry = json_pack("{s:s, s:s, s:s, s:s}", "endpoint", in->clusters[i].endpoint, "username",
                                  names.admin, "password", in->passwords[i], "tenant", names.tenant);
        if (in->clusters[i].ca_pem) json_object_set_new(entry, "ssl_cert", json_string(in->clusters[i].ca_pem));
        json_object_set_new(clusters, t->clusters[i].name, entry);
    }
    /* JSON is YAML: the drivers read `clusters` with a YAML parser, the operator reads
     * its own passwords back with a JSON one */
    char *text = json_dumps(clusters, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(clusters);
    char *coded = text ? vk_base64_encode((const uint8_t *)text, strlen(text)) : NULL;
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    if (!coded) return vk_status_set(st, VK_RESOURCE_EXHAUSTED, "out of memory building the tenant Secret"), false;
    char name[256];
    op_child_base_name(t, name, sizeof name);
    const op_child_kind *kind = kind_named("secrets");
    json_t *desired = object(kind, metadata(t, name, in->options->driver_namespace));
    json_object_set_new(desired, "type", json_string("Opaque"));
    json_object_set_new(desired, "data", json_pack("{s:s}", "clusters", coded));
    memset(coded, 0, strlen(coded));
    free(coded);
    op_children one = {0};
    add(&one, kind, in->options->driver_namespace, name, desired);
    *out = one.items[0];
    out->ref.group = out->group, out->ref.version = out->version, out->ref.resource = out->resource;
    out->ref.namespace_ = out->ns, out->ref.name = out->name;
    return true;
}

static json_t *storage_class(const op_children_input *in, const op_tenant_class *cls, size_t cluster,
                             const char *name, bool topology) {
    const op_tenant *t = in->tenant;
    const op_cluster_info *info = &in->clusters[cluster];
    vast_tenant_spec spec;
    op_tenant_vast_spec(t, cluster, "", "", &spec);
    vast_tenant_names names;
    vast_tenant_names_of(&spec, &names);
    char secret[256], root[600];
    op_child_base_name(t, secret, sizeof secret);
    snprintf(root, sizeof root, "%s/%s", info->tenants_root, t->vast_name);
    const char *ns = in->options->driver_namespace;
    json_t *params = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "root_export", root, "view_policy", names.view_policy, "cluster_name",
        t->clusters[cluster].name, "csi.storage.k8s.io/provisioner-secret-name", secret,
        "csi.storage.k8s.io/provisioner-secret-namespace", ns, "csi.storage.k8s.io/controller-expand-secret-name",
        secret, "csi.storage.k8s.io/controller-expand-secret-namespace", ns);
    if (t->clusters[cluster].n_ranges > 0) json_object_set_new(params, "vip_pool_name", json_string(names.vip_pool));
    size_t index = (size_t)(cls - t->classes);
    if (cls->has_qos && names.class_qos[index][0])
        json_object_set_new(params, "qos_policy", json_string(names.class_qos[index]));
    json_t *meta = metadata(t, name, NULL);
    json_object_set_new(meta, "annotations",
                        json_pack("{s:s}", "storageclass.kubernetes.io/is-default-class",
                                  cls->is_default && !topology ? "true" : "false"));
    json_t *sc = object(kind_named("storageclasses"), meta);
    json_object_set_new(sc, "provisioner", json_string(in->options->csi_driver));
    json_object_set_new(sc, "parameters", params);
    json_object_set_new(sc, "reclaimPolicy", json_string(cls->reclaim_policy));
    json_object_set_new(sc, "allowVolumeExpansion", json_true());
    json_object_set_new(sc, "volumeBindingMode", json_string("Immediate"));
    if (cls->mount_options) json_object_set(sc, "mountOptions", cls->mount_options);
    if (topology && (info->zone[0] || info->region[0])) {
        json_t *terms = json_array();
        if (info->zone[0])
            json_array_append_new(terms, json_pack("{s:s, s:[s]}", "key", "topology.kubernetes.io/zone", "values",
                                                   info->zone));
        if (info->region[0])
            json_array_append_new(terms, json_pack("{s:s, s:[s]}", "key", "topology.kubernetes.io/region", "values",
                                                   info->region));
        json_object_set_new(sc, "allowedTopologies", json_pack("[{s:o}]", "matchLabelExpressions", terms));
    }
    return sc;
}

static bool admission(const op_children_input *in, op_children *out, const char *name, const char *group,
                      const char *version, const char *resource, const char *field, const char *const *classes,
                      size_t n, vk_status *st) {
    json_t *policy, *binding;
    if (!op_admission_objects(in->tenant, name, group, version, resource, field, classes, n, &policy, &binding, st))
        return false;
    json_object_set_new(policy, "metadata", metadata(in->tenant, name, NULL));
    json_object_set_new(binding, "metadata", metadata(in->tenant, name, NULL));
    add(out, kind_named("validatingadmissionpolicies"), NULL, name, policy);
    add(out, kind_named("validatingadmissionpolicybindings"), NULL, name, binding);
    return true;
}

bool op_children_build(const op_children_input *in, op_children *out, vk_status *st) {
    const op_tenant *t = in->tenant;
    memset(out, 0, sizeof *out);
    char base[256], secret[256];
    op_child_base_name(t, base, sizeof base);
    snprintf(secret, sizeof secret, "%s", base);
    const char *ns = in->options->driver_namespace;

    const char *class_names[OP_CHILDREN_MAX];
    size_t n_class_names = 0;
    for (size_t i = 0; i < t->n_classes; i++) {
        const op_tenant_class *cls = &t->classes[i];
        op_child *c = add(out, kind_named("storageclasses"), NULL, cls->name, storage_class(in, cls, 0, cls->name, false));
        if (c) class_names[n_class_names++] = c->name, c->cluster = 0;
        for (size_t k = 0; t->n_clusters > 1 && k < t->n_clusters; k++) {
            char name[256];
            snprintf(name, sizeof name, "%s-%s", cls->name, t->clusters[k].name);
            c = add(out, kind_named("storageclasses"), NULL, name, storage_class(in, cls, k, name, true));
            if (c) class_names[n_class_names++] = c->name, c->cluster = (int)k;
        }
    }
    if (t->snapshots && in->snapshot_api) {
        json_t *vsc = object(kind_named("volumesnapshotclasses"), metadata(t, base, NULL));
        json_object_set_new(vsc, "driver", json_string(in->options->csi_driver));
        json_object_set_new(vsc, "deletionPolicy", json_string("Delete"));
        json_object_set_new(vsc, "parameters",
                            json_pack("{s:s, s:s}", "csi.storage.k8s.io/snapshotter-secret-name", secret,
                                      "csi.storage.k8s.io/snapshotter-secret-namespace", ns));
        add(out, kind_named("volumesnapshotclasses"), NULL, base, vsc);
    }
    if (n_class_names > 0 &&
        !admission(in, out, base, "", "v1", "persistentvolumeclaims", "storageClassName", class_names, n_class_names, st))
        return false;
    if (t->object_storage && in->cosi_api) {
        vast_tenant_spec spec;
        op_tenant_vast_spec(t, 0, "", "", &spec);
        vast_tenant_names names;
        vast_tenant_names_of(&spec, &names);
        char root[600];
        snprintf(root, sizeof root, "%s/%s", in->clusters[0].tenants_root, t->vast_name);
        json_t *bc = object(kind_named("bucketclasses"), metadata(t, base, NULL));
        json_object_set_new(bc, "driverName", json_string(in->options->cosi_driver));
        json_object_set_new(bc, "deletionPolicy", json_string("Delete"));
        json_t *params = json_pack("{s:s, s:s, s:s}", "root_export", root, "view_policy", names.view_policy,
                                   "cluster_name", t->clusters[0].name);
        if (t->clusters[0].n_ranges > 0) json_object_set_new(params, "vip_pool_name", json_string(names.vip_pool));
        if (t->bucket_quota > 0) {
            char quota[32];
            snprintf(quota, sizeof quota, "%lld", (long long)t->bucket_quota);
            json_object_set_new(params, "quota", json_string(quota));
        }
        json_object_set_new(bc, "parameters", params);
        op_child *made = add(out, kind_named("bucketclasses"), NULL, base, bc);
        if (made) made->cluster = 0;
        json_t *bac = object(kind_named("bucketaccessclasses"), metadata(t, base, NULL));
        json_object_set_new(bac, "driverName", json_string(in->options->cosi_driver));
        json_object_set_new(bac, "authenticationType", json_string("Key"));
        add(out, kind_named("bucketaccessclasses"), NULL, base, bac);
        char claims[280];
        snprintf(claims, sizeof claims, "%s-buckets", base);
        const char *bucket_classes[] = {base};
        if (!admission(in, out, claims, "objectstorage.k8s.io", "v1alpha1", "bucketclaims", "bucketClassName",
                       bucket_classes, 1, st))
            return false;
    }
    return true;
}

void op_child_free(op_child *c) {
    json_decref(c->desired);
    c->desired = NULL;
}

void op_children_free(op_children *c) {
    for (size_t i = 0; i < c->n; i++) op_child_free(&c->items[i]);
    c->n = 0;
}
