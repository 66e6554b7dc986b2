/* vms_actions: VMS operations beyond plain CRUD - clones and their streams, tenant
 * deletion, S3 keys, the trash API, cluster version and capacity - and small helpers
 * on decoded objects. */
#include "vms_internal.h"
#include "vk/vms_objects.h"
#include "vk/vms_task.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Clones ---- */

bool vms_snapshot_clone(vms_client *c, int64_t snapshot_id, const vms_clone_spec *spec, vms_snapstream *out,
                        int64_t deadline, vms_error *err) {
    json_t *body = json_pack("{s:s, s:s, s:b}", "name", spec->name ? spec->name : "", "loanee_root_path",
                             spec->loanee_root_path ? spec->loanee_root_path : "", "enabled", spec->enabled);
    if (spec->loanee_tenant_id > 0)
        json_object_set_new(body, "loanee_tenant_id", json_integer(spec->loanee_tenant_id));
    char path[64], label[300];
    snprintf(path, sizeof path, "%s%lld/clone/", VMS_SNAPSHOTS, (long long)snapshot_id);
    snprintf(label, sizeof label, "%s (clone of snapshot %lld to %s)", spec->name ? spec->name : "",
             (long long)snapshot_id, spec->loanee_root_path ? spec->loanee_root_path : "");
    bool ok = vms_object_create(c, &vms_kind_snapstream, path, body, label, out ? &out->obj : NULL, deadline, err);
    json_decref(body);
    return ok;
}

bool vms_snapstream_stop(vms_client *c, int64_t id, int64_t deadline, vms_error *err) {
    char path[64];
    snprintf(path, sizeof path, "%s%lld/stop/", VMS_SNAPSTREAMS, (long long)id);
    json_t *answer = NULL;
    bool ok = vms_patch(c, path, NULL, VMS_IDEMPOTENT, deadline, &answer, err) &&
              vms_task_wait_response(c, answer, deadline, err);
    json_decref(answer);
    if (!ok) vms_error_set_object(err, "snapshot stream %lld", (long long)id);
    return ok;
}

vms_lookup vms_snapstream_delete(vms_client *c, int64_t id, bool remove_dir, int64_t deadline, vms_error *err) {
    json_t *body = json_pack("{s:b}", "remove_dir", remove_dir);
    vms_lookup r = vms_object_delete(c, &vms_kind_snapstream, id, NULL, body, deadline, err);
    json_decref(body);
    return r;
}

vms_lookup vms_tenant_delete(vms_client *c, int64_t id, bool force_remove, int64_t deadline, vms_error *err) {
    return vms_object_delete(c, &vms_kind_tenant, id, force_remove ? "?force_remove=true" : NULL, NULL, deadline,
                             err);
}

/* ---- S3 access keys ---- */

static void wipe_json_string(json_t *value) {
    /* jansson owns the text; the secret should not linger in freed heap memory. */
    if (json_is_string(value)) explicit_bzero((char *)json_string_value(value), json_string_length(value));
}

bool vms_access_key_create(vms_client *c, int64_t user_id, int64_t tenant_id, vms_access_key *out, int64_t deadline,
                           vms_error *err) {
    memset(out, 0, sizeof *out);
    char path[64];
    snprintf(path, sizeof path, "%s%lld/access_keys/", VMS_USERS, (long long)user_id);
    json_t *body = json_object();
    if (tenant_id > 0) json_object_set_new(body, "tenant_id", json_integer(tenant_id));
    json_t *answer = NULL;
    bool ok = vms_post(c, path, body, 0, deadline, &answer, err);
    json_decref(body);
    if (ok) {
        const char *access = json_string_value(json_object_get(answer, "access_key"));
        const char *secret = json_string_value(json_object_get(answer, "secret_key"));
        if (!access || !secret || strlen(access) >= sizeof out->access_key || strlen(secret) >= sizeof out->secret_key) {
            vms_error_set(err, VMS_ERR_RESPONSE, "the answer lacks a usable access_key/secret_key pair");
            vms_error_set_request(err, c, "POST", path);
            ok = false;
        } else {
            snprintf(out->access_key, sizeof out->access_key, "%s", access);
            snprintf(out->secret_key, sizeof out->secret_key, "%s", secret);
        }
        wipe_json_string(json_object_get(answer, "secret_key"));
    }
    json_decref(answer);
    if (!ok) vms_error_set_object(err, "S3 access key of user %lld", (long long)user_id);
    return ok;
}

vms_lookup vms_access_key_delete(vms_client *c, int64_t user_id, const char *access_key, int64_t deadline,
                                 vms_error *err) {
    char path[64];
    snprintf(path, sizeof path, "%s%lld/access_keys/", VMS_USERS, (long long)user_id);
    json_t *body = json_pack("{s:s}", "access_key", access_key);
    json_t *answer = NULL;
    bool ok = vms_delete(c, path, body, VMS_IDEMPOTENT, deadline, &answer, err);
    json_decref(body);
    json_decref(answer);
    if (ok) return VMS_FOUND;
    /* the key's id stays out of messages too: it is half a credential */
    vms_error_set_object(err, "an S3 access key of user %lld", (long long)user_id);
    if (!vms_error_is_not_found(err)) return VMS_FAILED;
    vms_error_clear(err);
    return VMS_MISSING;
}

void vms_access_key_clear(vms_access_key *key) { explicit_bzero(key, sizeof *key); }

size_t vms_user_access_keys(const vms_user *user, int64_t tenant_id, const char **keys, size_t max) {
    size_t n = 0, i;
    const json_t *entry;
    json_array_foreach(json_object_get(user->obj.raw, "access_keys"), i, entry) {
        const char *key = json_string_value(json_object_get(entry, "access_key"));
        if (!key || (tenant_id > 0 && vms_json_number(entry, "tenant_id") != tenant_id)) continue;
        if (n < max) keys[n] = key;
        n++;
    }
    return n;
}

bool vms_user_has_s3_policy(const vms_user *user, int64_t policy_id) {
    size_t i;
    const json_t *id;
    json_array_foreach(json_object_get(user->obj.raw, "s3_policies_ids"), i, id) {
        if (json_is_integer(id) && json_integer_value(id) == policy_id) return true;
    }
    return false;
}

/* ---- Trash API ---- */

vms_lookup vms_folder_delete(vms_client *c, const char *path, int64_t tenant_id, int64_t deadline, vms_error *err) {
    json_t *body = vms_folder_delete_body(path, tenant_id);
    vms_call k = {.method = "DELETE", .path = "folders/delete_folder/", .body = body, .flags = VMS_IDEMPOTENT};
    vms_request_all(c, &k, 1, deadline);
    vms_lookup done = vms_folder_deleted(c, &k, path, deadline, err);
    json_decref(k.answer);
    json_decref(body);
    return done;
}

/* ---- Cluster facts ---- */

bool vms_version_get(vms_client *c, vms_version *out, int64_t deadline, vms_error *err) {
    memset(out, 0, sizeof *out);
    json_t *versions = NULL;
    if (!vms_list(c, "versions/", VMS_FILTERS("status", "success"), deadline, &versions, err)) {
        vms_error_set_object(err, "cluster version");
        return false;
    }
    /* versions/ is an upgrade history; the current version is the newest entry. */
    const json_t *newest = NULL;
    size_t i;
    const json_t *v;
    json_array_foreach(versions, i, v) {
        if (!*vms_json_text(v, "sys_version")) continue;
        if (!newest || strcmp(vms_json_text(v, "created"), vms_json_text(newest, "created")) >= 0) newest = v;
    }
    bool ok = newest != NULL;
    if (ok) {
        vms_version_parse(vms_json_text(newest, "sys_version"), out);
    } else {
        vms_error_set(err, VMS_ERR_RESPONSE, "versions/ lists no successful version");
        vms_error_set_request(err, c, "GET", "versions/?status=success");
        vms_error_set_object(err, "cluster version");
    }
    json_decref(versions);
    return ok;
}

void vms_version_parse(const char *sys_version, vms_version *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->sys_version, sizeof out->sys_version, "%s", sys_version ? sys_version : "");
    sscanf(out->sys_version, "%d.%d.%d", &out->major, &out->minor, &out->patch);
}

bool vms_version_at_least(const vms_version *v, int major, int minor, int patch) {
    if (v->major != major) return v->major > major;
    if (v->minor != minor) return v->minor > minor;
    return v->patch >= patch;
}

bool vms_cluster_get(vms_client *c, vms_cluster *out, int64_t deadline, vms_error *err) {
    memset(out, 0, sizeof *out);
    json_t *clusters = NULL;
    if (!vms_list(c, "clusters/", VMS_NO_FILTERS, deadline, &clusters, err)) {
        vms_error_set_object(err, "cluster");
        return false;
    }
    json_t *first = json_array_get(clusters, 0);
    bool ok = json_is_object(first);
    if (ok) {
        vms_kind_decode(&vms_kind_cluster, first, &out->obj);
    } else {
        vms_error_set(err, VMS_ERR_RESPONSE, "clusters/ lists no cluster");
        vms_error_set_request(err, c, "GET", "clusters/");
        vms_error_set_object(err, "cluster");
    }
    json_decref(clusters);
    return ok;
}

/* ---- Helpers on decoded objects ---- */

bool vms_view_has_protocol(const vms_view *view, const char *protocol) {
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(view->obj.raw, "protocols"), i, p) {
        if (json_is_string(p) && strcasecmp(json_string_value(p), protocol) == 0) return true;
    }
    return false;
}

/* One entry of ip_ranges as [first, last] IPv4 numbers, or a single IPv6 address
 * (is_v6, count 1). False for entries this helper cannot expand. */
typedef struct {
    uint32_t first, last;
    bool is_v6;
    const char *v6;
} ip_span;

static bool read_span(const vms_ip_range *range, ip_span *r) {
    struct in_addr a, b;
    if (inet_pton(AF_INET, range->start, &a) == 1 && inet_pton(AF_INET, range->end, &b) == 1) {
        *r = (ip_span){.first = ntohl(a.s_addr), .last = ntohl(b.s_addr)};
        return r->last >= r->first;
    }
    struct in6_addr a6;
    if (strcmp(range->start, range->end) == 0 && inet_pton(AF_INET6, range->start, &a6) == 1) {
        *r = (ip_span){.is_v6 = true, .v6 = range->start};
        return true;
    }
    return false;
}

static size_t span_size(const ip_span *r) { return r->is_v6 ? 1 : (size_t)(r->last - r->first) + 1; }

size_t vms_vippool_ip_count(const vms_vippool *pool) {
    size_t n = 0;
    ip_span r;
    for (size_t i = 0; i < pool->ip_ranges.n; i++) {
        if (read_span(&pool->ip_ranges.at[i], &r)) n += span_size(&r);
    }
    return n;
}

bool vms_vippool_ip_at(const vms_vippool *pool, size_t index, char *buf, size_t size) {
    ip_span r;
    for (size_t i = 0; i < pool->ip_ranges.n; i++) {
        if (!read_span(&pool->ip_ranges.at[i], &r)) continue;
        if (index >= span_size(&r)) {
            index -= span_size(&r);
            continue;
        }
        if (r.is_v6) return snprintf(buf, size, "%s", r.v6) < (int)size;
        struct in_addr a = {.s_addr = htonl(r.first + (uint32_t)index)};
        return inet_ntop(AF_INET, &a, buf, (socklen_t)size) != NULL;
    }
    return false;
}

void vms_vippool_ranges_text(const vms_vippool *pool, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < pool->ip_ranges.n; i++) {
        const vms_ip_range *r = &pool->ip_ranges.at[i];
        int n = snprintf(out + used, size - used, "%s%s-%s", used ? "," : "", r->start, r->end);
        if (n < 0 || (size_t)n >= size - used) {
            out[used] = '\0'; /* no half range: the node would read a wrong address */
            break;
        }
        used += (size_t)n;
    }
}
