/* vms_specs: the creates that take a spec (views, quotas, snapshots, users). Each spec
 * type is a table of {JSON key, offset, kind}; one loop turns any spec into its POST
 * body, leaving out zero and NULL fields as VMS wants. */
#include "vms_internal.h"

#include <stdio.h>
#include <stdlib.h>

typedef enum {
    PUT_TEXT,   /* const char *: left out when NULL or "" */
    PUT_NUMBER, /* int64_t: left out when 0 */
    PUT_TRUE,   /* bool: sent only when true */
} put_type;

typedef struct {
    const char *key;
    size_t offset;
    put_type type;
} put_field;

#define PUT(spec, member, kind) {#member, offsetof(spec, member), PUT_##kind}
#define END {NULL, 0, PUT_TEXT}

static const put_field view_spec_fields[] = {
    PUT(vms_view_spec, path, TEXT),          PUT(vms_view_spec, name, TEXT),
    PUT(vms_view_spec, policy_id, NUMBER),
    PUT(vms_view_spec, create_dir, TRUE),    PUT(vms_view_spec, tenant_id, NUMBER),
    PUT(vms_view_spec, qos_policy_id, NUMBER), PUT(vms_view_spec, alias, TEXT),
    PUT(vms_view_spec, bucket, TEXT),        PUT(vms_view_spec, bucket_owner, TEXT),
    END,
};

static const put_field quota_spec_fields[] = {
    PUT(vms_quota_spec, name, TEXT),        PUT(vms_quota_spec, path, TEXT),
    PUT(vms_quota_spec, tenant_id, NUMBER), PUT(vms_quota_spec, hard_limit, NUMBER),
    PUT(vms_quota_spec, soft_limit, NUMBER), PUT(vms_quota_spec, create_dir, TRUE),
    END,
};

static const put_field snapshot_spec_fields[] = {
    PUT(vms_snapshot_spec, name, TEXT),        PUT(vms_snapshot_spec, path, TEXT),
    PUT(vms_snapshot_spec, tenant_id, NUMBER), PUT(vms_snapshot_spec, expiration_time, TEXT),
    END,
};

static const put_field user_spec_fields[] = {
    PUT(vms_user_spec, name, TEXT),
    PUT(vms_user_spec, uid, NUMBER),
    PUT(vms_user_spec, local_provider_id, NUMBER),
    PUT(vms_user_spec, allow_create_bucket, TRUE),
    PUT(vms_user_spec, allow_delete_bucket, TRUE),
    END,
};

static void put_field_value(json_t *body, const put_field *f, const char *spec) {
    const void *slot = spec + f->offset;
    const char *text = f->type == PUT_TEXT ? *(const char *const *)slot : NULL;
    if (text && *text) json_object_set_new(body, f->key, json_string(text));
    if (f->type == PUT_NUMBER && *(const int64_t *)slot) {
        json_object_set_new(body, f->key, json_integer(*(const int64_t *)slot));
    }
    if (f->type == PUT_TRUE && *(const bool *)slot) json_object_set_new(body, f->key, json_true());
}

/* The body: a copy of extra (borrowed, may be NULL), then the spec's fields, so
 * explicit fields win. */
static json_t *spec_body(const put_field *fields, const void *spec, json_t *extra) {
    json_t *body = json_is_object(extra) ? json_deep_copy(extra) : json_object();
    if (!body) abort();
    for (const put_field *f = fields; f->key; f++) put_field_value(body, f, spec);
    return body;
}

static bool create_from_body(vms_client *c, const vms_kind *k, json_t *body, const char *label, vms_object *out,
                             int64_t deadline, vms_error *err) {
    bool ok = vms_object_create(c, k, k->collection, body, label, out, deadline, err);
    json_decref(body);
    return ok;
}

json_t *vms_view_create_body(const vms_view_spec *spec) {
    json_t *body = spec_body(view_spec_fields, spec, spec->extra);
    json_t *protocols = json_array();
    if (spec->protocols) {
        for (size_t i = 0; spec->protocols[i]; i++) json_array_append_new(protocols, json_string(spec->protocols[i]));
    } else {
        json_array_append_new(protocols, json_string("NFS"));
    }
    json_object_set_new(body, "protocols", protocols);
    return body;
}

json_t *vms_quota_create_body(const vms_quota_spec *spec) { return spec_body(quota_spec_fields, spec, spec->extra); }

bool vms_view_create(vms_client *c, const vms_view_spec *spec, vms_view *out, int64_t deadline, vms_error *err) {
    char label[300];
    snprintf(label, sizeof label, "path=%s", spec->path ? spec->path : "");
    return create_from_body(c, &vms_kind_view, vms_view_create_body(spec), label, out ? &out->obj : NULL, deadline,
                            err);
}

bool vms_quota_create(vms_client *c, const vms_quota_spec *spec, vms_quota *out, int64_t deadline, vms_error *err) {
    char label[300];
    snprintf(label, sizeof label, "path=%s", spec->path ? spec->path : "");
    return create_from_body(c, &vms_kind_quota, vms_quota_create_body(spec), label, out ? &out->obj : NULL,
                            deadline, err);
}

bool vms_snapshot_create(vms_client *c, const vms_snapshot_spec *spec, vms_snapshot *out, int64_t deadline,
                         vms_error *err) {
    return create_from_body(c, &vms_kind_snapshot, spec_body(snapshot_spec_fields, spec, spec->extra),
                            spec->name ? spec->name : "", out ? &out->obj : NULL, deadline, err);
}

bool vms_user_create(vms_client *c, const vms_user_spec *spec, vms_user *out, int64_t deadline, vms_error *err) {
    return create_from_body(c, &vms_kind_user, spec_body(user_spec_fields, spec, spec->extra),
                            spec->name ? spec->name : "", out ? &out->obj : NULL, deadline, err);
}
