/* vms_objects: typed get/find/create/update/delete for every VMS object type, all
 * through one engine (vms_object_*) parameterised by a vms_kind. */
#include "vk/vms_objects.h"
#include "vms_internal.h"
#include "vk/vms_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Reading fields ---- */

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

static void decode_header(json_t *json, vms_object *obj) {
    obj->raw = json_incref(json);
    obj->id = vms_json_number(json, "id");
    obj->name = vms_json_text(json, "name");
    obj->guid = vms_json_text(json, "guid");
    obj->tenant_id = vms_json_number(json, "tenant_id");
    obj->tenant_name = vms_json_text(json, "tenant_name");
}

/* ---- Decoders, one per type ---- */

static void decode_tenant(json_t *json, vms_object *obj) {
    vms_tenant *t = (vms_tenant *)obj;
    memset(t, 0, sizeof *t);
    decode_header(json, &t->obj);
    const json_t *rules = json_object_get(json, "capacity_rules");
    t->capacity_soft_limit = vms_json_number(rules, "soft_limit");
    t->capacity_hard_limit = vms_json_number(rules, "hard_limit");
}

static void decode_viewpolicy(json_t *json, vms_object *obj) {
    vms_viewpolicy *p = (vms_viewpolicy *)obj;
    memset(p, 0, sizeof *p);
    decode_header(json, &p->obj);
    p->flavor = vms_json_text(json, "flavor");
}

static void decode_qospolicy(json_t *json, vms_object *obj) {
    vms_qospolicy *p = (vms_qospolicy *)obj;
    memset(p, 0, sizeof *p);
    decode_header(json, &p->obj);
    p->mode = vms_json_text(json, "mode");
    p->policy_type = vms_json_text(json, "policy_type");
}

static void decode_vippool(json_t *json, vms_object *obj) {
    vms_vippool *p = (vms_vippool *)obj;
    memset(p, 0, sizeof *p);
    decode_header(json, &p->obj);
    p->role = vms_json_text(json, "role");
    p->domain_name = vms_json_text(json, "domain_name");
    p->subnet_cidr = vms_json_number(json, "subnet_cidr");
}

static void decode_view(json_t *json, vms_object *obj) {
    vms_view *v = (vms_view *)obj;
    memset(v, 0, sizeof *v);
    decode_header(json, &v->obj);
    v->path = vms_json_text(json, "path");
    v->alias = vms_json_text(json, "alias");
    v->bucket = vms_json_text(json, "bucket");
    v->bucket_owner = vms_json_text(json, "bucket_owner");
    v->policy = vms_json_text(json, "policy");
    v->policy_id = vms_json_number(json, "policy_id");
    v->qos_policy_id = vms_json_number(json, "qos_policy_id");
    v->logical_capacity = vms_json_number(json, "logical_capacity");
}

static void decode_quota(json_t *json, vms_object *obj) {
    vms_quota *q = (vms_quota *)obj;
    memset(q, 0, sizeof *q);
    decode_header(json, &q->obj);
    q->path = vms_json_text(json, "path");
    q->hard_limit = vms_json_number(json, "hard_limit");
    q->soft_limit = vms_json_number(json, "soft_limit");
    q->used_capacity = vms_json_number(json, "used_capacity");
    q->used_inodes = vms_json_number(json, "used_inodes");
}

static void decode_snapshot(json_t *json, vms_object *obj) {
    vms_snapshot *s = (vms_snapshot *)obj;
    memset(s, 0, sizeof *s);
    decode_header(json, &s->obj);
    s->path = vms_json_text(json, "path");
    s->created = vms_json_text(json, "created");
    s->expiration_time = vms_json_text(json, "expiration_time");
}

static void decode_snapstream(json_t *json, vms_object *obj) {
    vms_snapstream *s = (vms_snapstream *)obj;
    memset(s, 0, sizeof *s);
    decode_header(json, &s->obj);
    const json_t *status = json_object_get(json, "status");
    s->state = vms_json_text(status, "state");
    s->progress = (int)vms_json_number(status, "progress");
    s->loanee_root_path = vms_json_text(json, "loanee_root_path");
    s->loanee_snapshot_id = vms_json_number(json, "loanee_snapshot_id");
    s->source_path = vms_json_text(json, "source_path");
}

static void decode_user(json_t *json, vms_object *obj) {
    vms_user *u = (vms_user *)obj;
    memset(u, 0, sizeof *u);
    decode_header(json, &u->obj);
    u->uid = vms_json_number(json, "uid");
}

const vms_kind vms_kind_tenant = {VMS_TENANTS, "tenant", decode_tenant};
const vms_kind vms_kind_viewpolicy = {VMS_VIEWPOLICIES, "view policy", decode_viewpolicy};
const vms_kind vms_kind_qospolicy = {VMS_QOSPOLICIES, "QoS policy", decode_qospolicy};
const vms_kind vms_kind_vippool = {VMS_VIPPOOLS, "VIP pool", decode_vippool};
const vms_kind vms_kind_view = {VMS_VIEWS, "view", decode_view};
const vms_kind vms_kind_quota = {VMS_QUOTAS, "quota", decode_quota};
const vms_kind vms_kind_snapshot = {VMS_SNAPSHOTS, "snapshot", decode_snapshot};
const vms_kind vms_kind_snapstream = {VMS_SNAPSTREAMS, "snapshot stream", decode_snapstream};
const vms_kind vms_kind_user = {VMS_USERS, "user", decode_user};

/* ---- The engine ---- */

static char *item_path(const vms_kind *k, int64_t id, const char *query) {
    char *path;
    if (asprintf(&path, "%s%lld/%s", k->collection, (long long)id, query ? query : "") < 0) abort();
    return path;
}

/* "path=/k8s/a tenant_id=3", for messages. */
static void describe_filters(const char *const *filters, char *buf, size_t size) {
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; filters && filters[i] && filters[i + 1] && used + 1 < size; i += 2) {
        int n = snprintf(buf + used, size - used, "%s%s=%s", i ? " " : "", filters[i], filters[i + 1]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

vms_lookup vms_object_get(vms_client *c, const vms_kind *k, int64_t id, vms_object *out, int64_t deadline,
                          vms_error *err) {
    memset(out, 0, sizeof *out);
    char *path = item_path(k, id, NULL);
    json_t *json = NULL;
    bool ok = vms_get(c, path, deadline, &json, err);
    free(path);
    if (!ok) {
        vms_error_set_object(err, "%s %lld", k->noun, (long long)id);
        if (!vms_error_is_not_found(err)) return VMS_FAILED;
        vms_error_clear(err);
        return VMS_MISSING;
    }
    k->decode(json, out);
    json_decref(json);
    return VMS_FOUND;
}

typedef struct {
    json_t *first;
    size_t count;
} match_count;

/* Stops at the second match: that is all "exactly one" needs to know. */
static bool count_match(json_t *item, void *ctx) {
    match_count *m = ctx;
    if (m->count++ == 0) m->first = json_incref(item);
    return m->count < 2;
}

vms_lookup vms_object_find(vms_client *c, const vms_kind *k, const char *const *filters, vms_object *out,
                           int64_t deadline, vms_error *err) {
    memset(out, 0, sizeof *out);
    char what[400];
    describe_filters(filters, what, sizeof what);
    match_count m = {0};
    if (!vms_list_each(c, k->collection, filters, count_match, &m, deadline, err)) {
        json_decref(m.first);
        vms_error_set_object(err, "%s %s", k->noun, what);
        return VMS_FAILED;
    }
    if (m.count == 0) return VMS_MISSING;
    if (m.count > 1) {
        json_decref(m.first);
        vms_error_clear(err);
        vms_error_set(err, VMS_ERR_AMBIGUOUS, "more than one %s has %s; expected at most one", k->noun, what);
        snprintf(err->endpoint, sizeof err->endpoint, "%s", vms_client_endpoint(c));
        vms_error_set_object(err, "%s %s", k->noun, what);
        return VMS_FAILED;
    }
    k->decode(m.first, out);
    json_decref(m.first);
    return VMS_FOUND;
}

/* Decodes an answer that must be an object of kind k (or leaves out alone when the
 * caller did not ask for it). */
static bool decode_answer(vms_client *c, const vms_kind *k, json_t *answer, vms_object *out, const char *method,
                          const char *path, vms_error *err) {
    if (!out) return true;
    if (!json_is_object(answer) || !json_is_integer(json_object_get(answer, "id"))) {
        vms_error_set(err, VMS_ERR_RESPONSE, "the answer is not a %s object with an id", k->noun);
        vms_error_set_request(err, c, method, path);
        return false;
    }
    k->decode(answer, out);
    return true;
}

bool vms_object_create(vms_client *c, const vms_kind *k, const char *path, json_t *body, const char *label,
                       vms_object *out, int64_t deadline, vms_error *err) {
    if (out) memset(out, 0, sizeof *out);
    json_t *answer = NULL;
    /* Not idempotent: a resend after a lost answer could create a twin. Callers look
     * the object up by natural key after an ALREADY_EXISTS instead. */
    bool ok = vms_post(c, path, body, 0, deadline, &answer, err) &&
              decode_answer(c, k, answer, out, "POST", path, err);
    json_decref(answer);
    if (!ok) vms_error_set_object(err, "%s %s", k->noun, label);
    return ok;
}

bool vms_object_update(vms_client *c, const vms_kind *k, int64_t id, json_t *changes, vms_object *out,
                       int64_t deadline, vms_error *err) {
    if (out) memset(out, 0, sizeof *out);
    char *path = item_path(k, id, NULL);
    json_t *answer = NULL;
    bool ok = vms_patch(c, path, changes, VMS_IDEMPOTENT, deadline, &answer, err) &&
              vms_task_wait_response(c, answer, deadline, err);
    if (ok && out) {
        /* VIP pools answer 204 and async updates a task: read the object back. */
        bool is_object = json_is_object(answer) && json_object_get(answer, "id");
        ok = is_object ? decode_answer(c, k, answer, out, "PATCH", path, err)
                       : vms_object_get(c, k, id, out, deadline, err) == VMS_FOUND;
        if (!ok && err->kind == VMS_ERR_NONE) { /* MISSING: deleted by someone else meanwhile */
            vms_error_set(err, VMS_ERR_HTTP, "it disappeared right after the update");
            err->http_status = 404;
        }
    }
    json_decref(answer);
    free(path);
    if (!ok) vms_error_set_object(err, "%s %lld", k->noun, (long long)id);
    return ok;
}

vms_lookup vms_object_delete(vms_client *c, const vms_kind *k, int64_t id, const char *query, json_t *body,
                             int64_t deadline, vms_error *err) {
    char *path = item_path(k, id, query);
    json_t *answer = NULL;
    bool ok = vms_delete(c, path, body, VMS_IDEMPOTENT, deadline, &answer, err) &&
              vms_task_wait_response(c, answer, deadline, err);
    json_decref(answer);
    free(path);
    if (ok) return VMS_FOUND;
    vms_error_set_object(err, "%s %lld", k->noun, (long long)id);
    if (!vms_error_is_not_found(err)) return VMS_FAILED;
    vms_error_clear(err); /* already gone: what a delete wants */
    return VMS_MISSING;
}

/* ---- The typed API: thin, generated wrappers over the engine ---- */

#define DEFINE_READS(type)                                                                                        \
    void vms_##type##_from_json(json_t *json, vms_##type *out) { vms_kind_##type.decode(json, &out->obj); }      \
    vms_lookup vms_##type##_get(vms_client *c, int64_t id, vms_##type *out, int64_t deadline, vms_error *err) {   \
        return vms_object_get(c, &vms_kind_##type, id, &out->obj, deadline, err);                                 \
    }                                                                                                             \
    vms_lookup vms_##type##_find(vms_client *c, const char *const *filters, vms_##type *out, int64_t deadline,    \
                                 vms_error *err) {                                                                \
        return vms_object_find(c, &vms_kind_##type, filters, &out->obj, deadline, err);                           \
    }

#define DEFINE_UPDATE(type)                                                                                       \
    bool vms_##type##_update(vms_client *c, int64_t id, json_t *changes, vms_##type *out, int64_t deadline,       \
                             vms_error *err) {                                                                    \
        return vms_object_update(c, &vms_kind_##type, id, changes, out ? &out->obj : NULL, deadline, err);        \
    }

#define DEFINE_DELETE(type)                                                                                       \
    vms_lookup vms_##type##_delete(vms_client *c, int64_t id, int64_t deadline, vms_error *err) {                 \
        return vms_object_delete(c, &vms_kind_##type, id, NULL, NULL, deadline, err);                             \
    }

/* The operator's objects are created from a JSON body; the label is its name. */
#define DEFINE_CREATE_FROM_JSON(type)                                                                             \
    bool vms_##type##_create(vms_client *c, json_t *body, vms_##type *out, int64_t deadline, vms_error *err) {    \
        return vms_object_create(c, &vms_kind_##type, vms_kind_##type.collection, body,                           \
                                 vms_json_text(body, "name"), out ? &out->obj : NULL, deadline, err);             \
    }

DEFINE_READS(tenant)
DEFINE_READS(viewpolicy)
DEFINE_READS(qospolicy)
DEFINE_READS(vippool)
DEFINE_READS(view)
DEFINE_READS(quota)
DEFINE_READS(snapshot)
DEFINE_READS(snapstream)
DEFINE_READS(user)

DEFINE_CREATE_FROM_JSON(tenant)
DEFINE_CREATE_FROM_JSON(viewpolicy)
DEFINE_CREATE_FROM_JSON(qospolicy)
DEFINE_CREATE_FROM_JSON(vippool)

DEFINE_UPDATE(tenant)
DEFINE_UPDATE(viewpolicy)
DEFINE_UPDATE(qospolicy)
DEFINE_UPDATE(vippool)
DEFINE_UPDATE(view)
DEFINE_UPDATE(quota)
DEFINE_UPDATE(user)

DEFINE_DELETE(viewpolicy)
DEFINE_DELETE(qospolicy)
DEFINE_DELETE(vippool)
DEFINE_DELETE(view)
DEFINE_DELETE(quota)
DEFINE_DELETE(snapshot)
DEFINE_DELETE(user)

/* ---- Lookups by directory ---- */

static vms_lookup find_by_path(vms_client *c, const vms_kind *k, const char *path, int64_t tenant_id,
                               vms_object *out, int64_t deadline, vms_error *err) {
    char tenant[24];
    snprintf(tenant, sizeof tenant, "%lld", (long long)tenant_id);
    const char *const *filters =
        tenant_id > 0 ? VMS_FILTERS("path", path, "tenant_id", tenant) : VMS_FILTERS("path", path);
    return vms_object_find(c, k, filters, out, deadline, err);
}

vms_lookup vms_view_find_by_path(vms_client *c, const char *path, int64_t tenant_id, vms_view *out, int64_t deadline,
                                 vms_error *err) {
    return find_by_path(c, &vms_kind_view, path, tenant_id, &out->obj, deadline, err);
}

vms_lookup vms_quota_find_by_path(vms_client *c, const char *path, int64_t tenant_id, vms_quota *out,
                                  int64_t deadline, vms_error *err) {
    return find_by_path(c, &vms_kind_quota, path, tenant_id, &out->obj, deadline, err);
}

/* ---- Creates from specs ---- */

/* The body every spec starts from: a copy of extra, so explicit fields win. */
static json_t *body_from_extra(json_t *extra) {
    json_t *body = json_is_object(extra) ? json_deep_copy(extra) : json_object();
    if (!body) abort();
    return body;
}

static void set_text(json_t *body, const char *key, const char *value) {
    if (value && *value) json_object_set_new(body, key, json_string(value));
}

static void set_number(json_t *body, const char *key, int64_t value) {
    if (value) json_object_set_new(body, key, json_integer(value));
}

static void set_true(json_t *body, const char *key, bool value) {
    if (value) json_object_set_new(body, key, json_true());
}

bool vms_view_create(vms_client *c, const vms_view_spec *spec, vms_view *out, int64_t deadline, vms_error *err) {
    json_t *body = body_from_extra(spec->extra);
    set_text(body, "path", spec->path);
    set_number(body, "policy_id", spec->policy_id);
    json_t *protocols = json_array();
    if (spec->protocols) {
        for (size_t i = 0; spec->protocols[i]; i++) json_array_append_new(protocols, json_string(spec->protocols[i]));
    } else {
        json_array_append_new(protocols, json_string("NFS"));
    }
    json_object_set_new(body, "protocols", protocols);
    set_true(body, "create_dir", spec->create_dir);
    set_number(body, "tenant_id", spec->tenant_id);
    set_number(body, "qos_policy_id", spec->qos_policy_id);
    set_text(body, "alias", spec->alias);
    set_text(body, "bucket", spec->bucket);
    set_text(body, "bucket_owner", spec->bucket_owner);
    char label[300];
    snprintf(label, sizeof label, "path=%s", spec->path ? spec->path : "");
    bool ok = vms_object_create(c, &vms_kind_view, VMS_VIEWS, body, label, out ? &out->obj : NULL, deadline, err);
    json_decref(body);
    return ok;
}

bool vms_quota_create(vms_client *c, const vms_quota_spec *spec, vms_quota *out, int64_t deadline, vms_error *err) {
    json_t *body = body_from_extra(spec->extra);
    set_text(body, "name", spec->name);
    set_text(body, "path", spec->path);
    set_number(body, "tenant_id", spec->tenant_id);
    set_number(body, "hard_limit", spec->hard_limit);
    set_number(body, "soft_limit", spec->soft_limit);
    set_true(body, "create_dir", spec->create_dir);
    char label[300];
    snprintf(label, sizeof label, "path=%s", spec->path ? spec->path : "");
    bool ok = vms_object_create(c, &vms_kind_quota, VMS_QUOTAS, body, label, out ? &out->obj : NULL, deadline, err);
    json_decref(body);
    return ok;
}

bool vms_snapshot_create(vms_client *c, const vms_snapshot_spec *spec, vms_snapshot *out, int64_t deadline,
                         vms_error *err) {
    json_t *body = body_from_extra(spec->extra);
    set_text(body, "name", spec->name);
    set_text(body, "path", spec->path);
    set_number(body, "tenant_id", spec->tenant_id);
    set_text(body, "expiration_time", spec->expiration_time);
    bool ok = vms_object_create(c, &vms_kind_snapshot, VMS_SNAPSHOTS, body, spec->name ? spec->name : "",
                                out ? &out->obj : NULL, deadline, err);
    json_decref(body);
    return ok;
}

bool vms_user_create(vms_client *c, const vms_user_spec *spec, vms_user *out, int64_t deadline, vms_error *err) {
    json_t *body = body_from_extra(spec->extra);
    set_text(body, "name", spec->name);
    set_number(body, "uid", spec->uid);
    set_number(body, "local_provider_id", spec->local_provider_id);
    set_true(body, "allow_create_bucket", spec->allow_create_bucket);
    set_true(body, "allow_delete_bucket", spec->allow_delete_bucket);
    bool ok = vms_object_create(c, &vms_kind_user, VMS_USERS, body, spec->name ? spec->name : "",
                                out ? &out->obj : NULL, deadline, err);
    json_decref(body);
    return ok;
}

bool vms_quota_set_hard_limit(vms_client *c, int64_t id, int64_t hard_limit, vms_quota *out, int64_t deadline,
                              vms_error *err) {
    json_t *changes = json_pack("{s:I}", "hard_limit", (json_int_t)hard_limit);
    bool ok = vms_quota_update(c, id, changes, out, deadline, err);
    json_decref(changes);
    return ok;
}
