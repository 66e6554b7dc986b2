/* vms_decode: every VMS object type as a table of {JSON key, offset, kind}, and the
 * one loop that decodes any of them. A type's struct starts with the vms_object
 * header; the tables name only what follows it. */
#include "vms_internal.h"

#include <stdlib.h>
#include <string.h>

const char *vms_json_text(const json_t *json, const char *key) {
    const char *s = json_string_value(json_object_get(json, key));
    return s ? s : "";
}

int64_t vms_json_number(const json_t *json, const char *key) {
    const json_t *v = json_object_get(json, key);
    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_real(v)) return (int64_t)json_real_value(v);
    if (json_is_string(v)) return strtoll(json_string_value(v), NULL, 10); /* some versions send "123" */
    return 0;
}

void vms_object_free(vms_object *obj) {
    if (!obj) return;
    json_decref(obj->raw);
    memset(obj, 0, sizeof *obj);
}

/* [start, end] or a lone address; anything else is not a range. */
static bool read_ip_range(const json_t *entry, vms_ip_range *r) {
    if (json_is_string(entry)) {
        r->start = r->end = json_string_value(entry);
        return true;
    }
    r->start = json_string_value(json_array_get(entry, 0));
    r->end = json_string_value(json_array_get(entry, 1));
    return r->start && r->end;
}

static void decode_ip_ranges(const json_t *list, vms_ip_ranges *out) {
    size_t i;
    const json_t *entry;
    json_array_foreach(list, i, entry) {
        if (out->n == VMS_IP_RANGES_MAX) break;
        if (read_ip_range(entry, &out->at[out->n])) out->n++;
    }
}

static void decode_field(const json_t *json, const vms_field *f, char *base) {
    const json_t *holder = f->in ? json_object_get(json, f->in) : json;
    void *slot = base + f->offset;
    switch (f->type) {
    case VMS_FIELD_TEXT:
        *(const char **)slot = vms_json_text(holder, f->key);
        break;
    case VMS_FIELD_NUMBER:
        *(int64_t *)slot = vms_json_number(holder, f->key);
        break;
    case VMS_FIELD_INT:
        *(int *)slot = (int)vms_json_number(holder, f->key);
        break;
    case VMS_FIELD_IP_RANGES:
        decode_ip_ranges(json_object_get(holder, f->key), slot);
        break;
    }
}

#define FIELD(type, member, kind) {NULL, #member, offsetof(type, member), VMS_FIELD_##kind}
#define FIELD_IN(type, in, key, member, kind) {in, key, offsetof(type, member), VMS_FIELD_##kind}
#define END {NULL, NULL, 0, VMS_FIELD_TEXT}

static const vms_field header_fields[] = {
    FIELD(vms_object, id, NUMBER),        FIELD(vms_object, name, TEXT),
    FIELD(vms_object, guid, TEXT),        FIELD(vms_object, tenant_id, NUMBER),
    FIELD(vms_object, tenant_name, TEXT), END,
};

void vms_kind_decode(const vms_kind *k, json_t *json, vms_object *out) {
    memset(out, 0, k->size);
    out->raw = json_incref(json);
    for (const vms_field *f = header_fields; f->key; f++) decode_field(json, f, (char *)out);
    for (const vms_field *f = k->fields; f->key; f++) decode_field(json, f, (char *)out);
}

static const vms_field tenant_fields[] = {
    FIELD_IN(vms_tenant, "capacity_rules", "soft_limit", capacity_soft_limit, NUMBER),
    FIELD_IN(vms_tenant, "capacity_rules", "hard_limit", capacity_hard_limit, NUMBER),
    FIELD(vms_tenant, local_provider_id, NUMBER),
    END,
};

static const vms_field viewpolicy_fields[] = {FIELD(vms_viewpolicy, flavor, TEXT), END};

static const vms_field qospolicy_fields[] = {
    FIELD(vms_qospolicy, mode, TEXT), FIELD(vms_qospolicy, policy_type, TEXT), END};

static const vms_field vippool_fields[] = {
    FIELD(vms_vippool, role, TEXT),          FIELD(vms_vippool, domain_name, TEXT),
    FIELD(vms_vippool, subnet_cidr, NUMBER), FIELD(vms_vippool, ip_ranges, IP_RANGES),
    END,
};

static const vms_field view_fields[] = {
    FIELD(vms_view, path, TEXT),          FIELD(vms_view, alias, TEXT),
    FIELD(vms_view, bucket, TEXT),        FIELD(vms_view, bucket_owner, TEXT),
    FIELD(vms_view, policy, TEXT),        FIELD(vms_view, policy_id, NUMBER),
    FIELD(vms_view, qos_policy_id, NUMBER), FIELD(vms_view, logical_capacity, NUMBER),
    END,
};

static const vms_field quota_fields[] = {
    FIELD(vms_quota, path, TEXT),          FIELD(vms_quota, hard_limit, NUMBER),
    FIELD(vms_quota, soft_limit, NUMBER),  FIELD(vms_quota, used_capacity, NUMBER),
    FIELD(vms_quota, used_inodes, NUMBER), FIELD(vms_quota, state, TEXT),
    END,
};

static const vms_field snapshot_fields[] = {
    FIELD(vms_snapshot, path, TEXT), FIELD(vms_snapshot, created, TEXT), FIELD(vms_snapshot, expiration_time, TEXT),
    END,
};

static const vms_field snapstream_fields[] = {
    FIELD_IN(vms_snapstream, "status", "state", state, TEXT),
    FIELD_IN(vms_snapstream, "status", "progress", progress, INT),
    FIELD(vms_snapstream, loanee_root_path, TEXT),
    FIELD(vms_snapstream, loanee_snapshot_id, NUMBER),
    FIELD(vms_snapstream, source_path, TEXT),
    END,
};

static const vms_field user_fields[] = {
    FIELD(vms_user, uid, NUMBER), FIELD_IN(vms_user, "local_provider", "id", local_provider_id, NUMBER), END};

static const vms_field s3policy_fields[] = {FIELD(vms_s3policy, policy, TEXT), END};

static const vms_field cluster_fields[] = {
    FIELD(vms_cluster, sw_version, TEXT),
    FIELD(vms_cluster, state, TEXT),
    FIELD(vms_cluster, usable_capacity_bytes, NUMBER),
    FIELD(vms_cluster, free_usable_capacity, NUMBER),
    FIELD(vms_cluster, logical_space, NUMBER),
    FIELD(vms_cluster, logical_space_in_use, NUMBER),
    FIELD(vms_cluster, physical_space, NUMBER),
    FIELD(vms_cluster, physical_space_in_use, NUMBER),
    END,
};

#define KIND(type, collection, noun) {collection, noun, sizeof(vms_##type), type##_fields}

const vms_kind vms_kind_tenant = KIND(tenant, VMS_TENANTS, "tenant");
const vms_kind vms_kind_viewpolicy = KIND(viewpolicy, VMS_VIEWPOLICIES, "view policy");
const vms_kind vms_kind_qospolicy = KIND(qospolicy, VMS_QOSPOLICIES, "QoS policy");
const vms_kind vms_kind_vippool = KIND(vippool, VMS_VIPPOOLS, "VIP pool");
const vms_kind vms_kind_view = KIND(view, VMS_VIEWS, "view");
const vms_kind vms_kind_quota = KIND(quota, VMS_QUOTAS, "quota");
const vms_kind vms_kind_snapshot = KIND(snapshot, VMS_SNAPSHOTS, "snapshot");
const vms_kind vms_kind_snapstream = KIND(snapstream, VMS_SNAPSTREAMS, "snapshot stream");
const vms_kind vms_kind_user = KIND(user, VMS_USERS, "user");
const vms_kind vms_kind_s3policy = KIND(s3policy, VMS_S3POLICIES, "S3 policy");
const vms_kind vms_kind_cluster = KIND(cluster, "clusters/", "cluster");
