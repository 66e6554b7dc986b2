/* vast_tenant_apply: a tenant's managed storage on one cluster, made to match the spec
 * in the order of the VMS reference (§12), each object through the one step of
 * vast_tenant_step.c. What each object must hold is built here as VMS's JSON; only
 * those fields are compared, so what VMS adds (ids, titles, defaults) never counts as
 * drift, and a pass over an unchanged tenant writes nothing. */
#include "vast_tenant_internal.h"

#include "vk/log.h"
#include "vk/redact.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One apply or remove: what every step needs. */
typedef struct {
    vms_client *c;
    const vast_tenant_spec *spec;
    int64_t deadline;
    vast_tenant_result *out;
    vk_status *st;
} pass;

static json_t *static_limits(const vast_qos *q) {
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "max_reads_bw_mbps",
                     (json_int_t)q->max_read_mbps, "max_writes_bw_mbps", (json_int_t)q->max_write_mbps,
                     "max_reads_iops", (json_int_t)q->max_read_iops, "max_writes_iops", (json_int_t)q->max_write_iops,
                     "burst_reads_bw_mb", (json_int_t)q->burst_read_mbps, "burst_writes_bw_mb",
                     (json_int_t)q->burst_write_mbps, "burst_reads_iops", (json_int_t)q->burst_read_iops,
                     "burst_writes_iops", (json_int_t)q->burst_write_iops, "burst_reads_loan_mb",
                     (json_int_t)q->burst_read_credit_mb, "burst_writes_loan_mb",
                     (json_int_t)q->burst_write_credit_mb);
}

static json_t *string_list(const char *const *items, size_t n) {
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(list, json_string(items[i]));
    return list;
}

/* What VMS refuses in words an engineer can act on, before anything is written. */
static bool check_spec(const vast_tenant_spec *spec, json_t **client_ranges, vk_status *st) {
    *client_ranges = NULL;
    const char *name = spec->name ? spec->name : "";
    if (!*name || strlen(name) >= VAST_TENANT_NAME_MAX) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "tenant name \"%s\" must be 1 to %d characters", name,
                      VAST_TENANT_NAME_MAX - 1);
        return false;
    }
    if (!spec->root_path || spec->root_path[0] != '/') {
        vk_status_set(st, VK_INVALID_ARGUMENT, "tenant %s: root path \"%s\" is not an absolute path", name,
                      spec->root_path ? spec->root_path : "");
        return false;
    }
    if (spec->n_classes > VAST_TENANT_CLASSES_MAX) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "tenant %s: %zu storage classes; at most %d are supported", name,
                      spec->n_classes, VAST_TENANT_CLASSES_MAX);
        return false;
    }
    for (size_t i = 0; i < spec->n_classes; i++) {
        const char *class = spec->classes[i].name ? spec->classes[i].name : "";
        bool twice = false;
        for (size_t j = 0; j < i && !twice; j++) twice = strcmp(class, spec->classes[j].name) == 0;
        if (!*class || twice) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "tenant %s: storage class name \"%s\" is %s", name, class,
                          twice ? "given twice" : "empty");
            return false;
        }
    }
    *client_ranges = json_array();
    for (size_t i = 0; i < spec->n_client_cidrs; i++) {
        json_t *range = vast_cidr_range(spec->client_cidrs[i]);
        if (!range) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "tenant %s: client network \"%s\" is neither a CIDR nor an IPv4 or IPv6 address", name,
                          spec->client_cidrs[i] ? spec->client_cidrs[i] : "");
            json_decref(*client_ranges);
            *client_ranges = NULL;
            return false;
        }
        json_array_append_new(*client_ranges, range);
    }
    return true;
}

/* Makes one object match want (stolen); its id into *id, the live object into *live
 * when asked (new reference). */
static bool ensure(pass *p, vast_tenant_object which, const char *qos_name, json_t *want, int64_t *id,
                   json_t **live) {
    vast_tenant_step s;
    vast_tenant_step_of(which, p->spec, &p->out->names, p->out->tenant_id, qos_name, &s);
    json_t *obj = NULL;
    bool ok = vast_tenant_ensure(p->c, &s, want, p->deadline, p->out, &obj, p->st);
    json_decref(want);
    if (ok && id) *id = (int64_t)json_integer_value(json_object_get(obj, "id"));
    if (live) {
        *live = obj;
    } else {
        json_decref(obj);
    }
    return ok;
}

static bool apply_tenant(pass *p, json_t *client_ranges) {
    const vast_tenant_spec *spec = p->spec;
    vast_qos none = {0};
    json_t *want = json_pack("{s:s, s:O, s:{s:I, s:I}, s:{s:o}}", "name", p->out->names.tenant, "client_ip_ranges",
                             client_ranges, "capacity_rules", "hard_limit", (json_int_t)spec->hard_limit,
                             "soft_limit", (json_int_t)spec->soft_limit, "qos", "static_limits",
                             static_limits(spec->has_qos ? &spec->qos : &none));
    return ensure(p, VAST_TENANT_OBJ_TENANT, NULL, want, &p->out->tenant_id, NULL);
}

static bool apply_vip_pool(pass *p) {
    /* a cluster whose clients reach the tenant through shared pools (by client_ip_ranges)
     * has no pool of its own: VMS refuses one without addresses */
    if (p->spec->n_vip_ranges == 0) return true;
    json_t *ranges = json_array();
    for (size_t i = 0; i < p->spec->n_vip_ranges; i++) {
        const vast_address_range *r = &p->spec->vip_ranges[i];
        json_array_append_new(ranges, json_pack("[ss]", r->start ? r->start : "", r->end ? r->end : ""));
    }
    json_t *want = json_pack("{s:s, s:i, s:o, s:s, s:I}", "name", p->out->names.vip_pool, "subnet_cidr",
                             p->spec->vip_subnet_cidr, "ip_ranges", ranges, "role", "PROTOCOLS", "tenant_id",
                             (json_int_t)p->out->tenant_id);
    return ensure(p, VAST_TENANT_OBJ_VIP_POOL, NULL, want, &p->out->vip_pool_id, NULL);
}

static bool apply_view_policy(pass *p) {
    const vast_tenant_spec *spec = p->spec;
    json_t *cidrs = string_list(spec->client_cidrs, spec->n_client_cidrs);
    /* NFS and S3 on the same views need the mixed flavor */
    json_t *pools = p->out->vip_pool_id ? json_pack("[I]", (json_int_t)p->out->vip_pool_id) : json_array();
    json_t *want = json_pack("{s:s, s:I, s:s, s:s, s:O, s:O, s:o, s:o}", "name", p->out->names.view_policy,
                             "tenant_id", (json_int_t)p->out->tenant_id, "flavor",
                             spec->object_storage ? "MIXED_LAST_WINS" : "NFS", "auth_source", "RPC",
                             "nfs_read_write", cidrs, "nfs_no_squash", cidrs, "vip_pools", pools, "s3_read_write",
                             spec->object_storage ? json_incref(cidrs) : json_array());
    json_decref(cidrs);
    return ensure(p, VAST_TENANT_OBJ_VIEW_POLICY, NULL, want, &p->out->view_policy_id, NULL);
}

static bool apply_class_qos(pass *p) {
    for (size_t i = 0; i < p->spec->n_classes; i++) {
        const vast_tenant_class *class = &p->spec->classes[i];
        if (!class->has_qos) continue;
        const char *name = p->out->names.class_qos[i];
        json_t *want = json_pack("{s:s, s:I, s:s, s:s, s:o}", "name", name, "tenant_id",
                                 (json_int_t)p->out->tenant_id, "policy_type", "VIEW", "mode", "STATIC",
                                 "static_limits", static_limits(&class->qos));
        if (!ensure(p, VAST_TENANT_OBJ_QOS_POLICY, name, want, NULL, NULL)) return false;
    }
    return true;
}

static bool wanted_qos(const vast_tenant_names *names, const char *name) {
    for (size_t i = 0; i < VAST_TENANT_CLASSES_MAX; i++) {
        if (names->class_qos[i][0] && strcmp(names->class_qos[i], name) == 0) return true;
    }
    return false;
}

bool vast_tenant_delete_qos(vms_client *c, const vast_tenant_spec *spec, vast_tenant_result *out, bool only_stale,
                            int64_t deadline, vk_status *st) {
    char prefix[VAST_TENANT_NAME_MAX], tenant[24];
    vast_tenant_qos_prefix(out->names.tenant, prefix, sizeof prefix);
    snprintf(tenant, sizeof tenant, "%" PRId64, out->tenant_id);
    json_t *items = NULL;
    vms_error err;
    if (!vms_list(c, VMS_QOSPOLICIES, VMS_FILTERS("tenant_id", tenant, "name__startswith", prefix), deadline,
                  &items, &err)) {
        vms_fail(st, &err, "listing the QoS policies of tenant %s", out->names.tenant);
        return false;
    }
    bool ok = true;
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        const char *name = vast_json_name(item, "name");
        if (strncmp(name, prefix, strlen(prefix)) != 0 || (only_stale && wanted_qos(&out->names, name))) continue;
        vast_tenant_step s;
        vast_tenant_step_of(VAST_TENANT_OBJ_QOS_POLICY, spec, &out->names, out->tenant_id, name, &s);
        bool in_use;
        ok = vast_tenant_owns(c, &s, item, st) && vast_tenant_delete(c, &s, item, deadline, out, &in_use, st);
        if (!ok) break;
    }
    json_decref(items);
    return ok;
}

static bool apply_root_quota(pass *p) {
    const vast_tenant_spec *spec = p->spec;
    json_t *want = json_pack("{s:s, s:s, s:I, s:I, s:I, s:b}", "name", p->out->names.root_quota, "path",
                             spec->root_path, "tenant_id", (json_int_t)p->out->tenant_id, "hard_limit",
                             (json_int_t)spec->hard_limit, "soft_limit", (json_int_t)spec->soft_limit, "create_dir",
                             1);
    json_t *live = NULL;
    bool ok = ensure(p, VAST_TENANT_OBJ_ROOT_QUOTA, NULL, want, &p->out->root_quota_id, &live);
    if (ok) p->out->used_bytes = (int64_t)json_integer_value(json_object_get(live, "used_capacity"));
    json_decref(live);
    return ok;
}

/* The drivers' login. The password goes only into the create: an existing login's
 * password is never compared (VMS never returns it) nor rewritten. */
static bool apply_admin(pass *p) {
    json_t *want = json_pack("{s:s, s:s, s:s, s:I, s:b}", "username", p->out->names.admin, "password",
                             p->spec->admin_password, "user_type", "TENANT_ADMIN", "tenant_id",
                             (json_int_t)p->out->tenant_id, "password_expiration_disabled", 1);
    bool ok = ensure(p, VAST_TENANT_OBJ_ADMIN, NULL, want, &p->out->admin_id, NULL);
    if (!ok) {
        /* VMS's message is quoted: keep the password out of it, whatever VMS echoed */
        vk_secrets secrets = {0};
        vk_secrets_add(&secrets, p->spec->admin_password);
        char message[VK_STATUS_MESSAGE_MAX];
        vk_redact_into(p->st->message, &secrets, message, sizeof message);
        snprintf(p->st->message, sizeof p->st->message, "%s", message);
    }
    return ok;
}

bool vast_tenant_apply(vms_client *c, const vast_tenant_spec *spec, int64_t deadline, vast_tenant_result *out,
                       vk_status *st) {
    memset(out, 0, sizeof *out);
    vast_tenant_names_of(spec, &out->names);
    vk_status_ok(st);
    json_t *client_ranges = NULL;
    if (!check_spec(spec, &client_ranges, st)) return false;
    pass p = {c, spec, deadline, out, st};
    bool ok = apply_tenant(&p, client_ranges) && apply_vip_pool(&p) && apply_view_policy(&p) &&
              /* a pool the spec no longer has goes once the view policy has let go of it */
              (spec->n_vip_ranges > 0 ||
               vast_tenant_remove_one(c, spec, VAST_TENANT_OBJ_VIP_POOL, deadline, out, st)) &&
              apply_class_qos(&p) && vast_tenant_delete_qos(c, spec, out, true, deadline, st) &&
              apply_root_quota(&p) && (!spec->admin_password || apply_admin(&p));
    json_decref(client_ranges);
    if (ok && out->writes) {
        char writes[16];
        VK_LOG(VK_LOG_INFO, "tenant applied", "tenant", out->names.tenant, "cluster", vms_client_endpoint(c),
               "writes", vk_fmt(writes, sizeof writes, "%u", out->writes), "repaired",
               out->repaired[0] ? out->repaired : NULL);
    }
    return ok;
}
