/* The names of a tenant's objects on VAST, all derived from the tenant's name, so a
 * retry, a restarted operator and vast_tenant_remove all find the same objects. */
#include "vast_tenant_internal.h"

#include "vk/names.h"

#include <stdio.h>
#include <string.h>

/* vk_name_shorten keeps this many leading characters of a name past 64. */
#define KEPT_BEFORE_HASH (VAST_TENANT_NAME_MAX - 1 - 17)

/* "<tenant>-<suffix>", shortened with a hash past VAST's 64 characters. */
static void joined_name(const char *tenant, const char *suffix, char out[VAST_TENANT_NAME_MAX]) {
    char full[VAST_TENANT_NAME_MAX + 512]; /* a class name is a DNS-1123 subdomain: <= 253 */
    snprintf(full, sizeof full, "%s-%s", tenant, suffix);
    vk_name_shorten(full, VAST_TENANT_NAME_MAX - 1);
    full[VAST_TENANT_NAME_MAX - 1] = '\0'; /* already so: for the compiler's length check */
    memcpy(out, full, strlen(full) + 1);
}

void vast_tenant_names_of(const vast_tenant_spec *spec, vast_tenant_names *out) {
    memset(out, 0, sizeof *out);
    const char *tenant = spec->name ? spec->name : "";
    snprintf(out->tenant, sizeof out->tenant, "%s", tenant);
    /* view-policy names are unique across all tenants: the tenant's own unique name is
     * the one that cannot collide with another tenant's */
    snprintf(out->view_policy, sizeof out->view_policy, "%s", tenant);
    snprintf(out->vip_pool, sizeof out->vip_pool, "%s", tenant);
    snprintf(out->root_quota, sizeof out->root_quota, "%s", tenant);
    joined_name(tenant, "csi", out->admin);
    for (size_t i = 0; i < spec->n_classes && i < VAST_TENANT_CLASSES_MAX; i++) {
        if (spec->classes[i].has_qos) joined_name(tenant, spec->classes[i].name, out->class_qos[i]);
    }
}

void vast_tenant_qos_prefix(const char *tenant, char *out, size_t size) {
    char prefix[VAST_TENANT_NAME_MAX + 1];
    snprintf(prefix, sizeof prefix, "%s-", tenant);
    prefix[KEPT_BEFORE_HASH] = '\0'; /* a shortened name shares only its first characters */
    snprintf(out, size, "%s", prefix);
}

void vast_tenant_step_of(vast_tenant_object which, const vast_tenant_spec *spec, const vast_tenant_names *names,
                         int64_t tenant_id, const char *qos_name, vast_tenant_step *out) {
    static const char *const quota_create_only[] = {"create_dir", NULL};
    static const char *const admin_create_only[] = {"password", NULL};
    static const char *const qos_immutable[] = {"policy_type", NULL};
    static const char *const pool_immutable[] = {"role", NULL};
    static const char *const admin_immutable[] = {"user_type", NULL};
    *out = (vast_tenant_step){.key = "name", .name_key = "name", .tenant = names->tenant, .owner = tenant_id};
    switch (which) {
    case VAST_TENANT_OBJ_TENANT:
        out->noun = "tenant", out->collection = VMS_TENANTS, out->name = names->tenant;
        out->owner = 0, out->fault = "vast.tenant.tenant";
        break;
    case VAST_TENANT_OBJ_VIP_POOL:
        out->noun = "VIP pool", out->collection = VMS_VIPPOOLS, out->name = names->vip_pool;
        out->immutable = pool_immutable, out->fault = "vast.tenant.vip_pool";
        break;
    case VAST_TENANT_OBJ_VIEW_POLICY:
        out->noun = "view policy", out->collection = VMS_VIEWPOLICIES, out->name = names->view_policy;
        out->fault = "vast.tenant.view_policy";
        break;
    case VAST_TENANT_OBJ_QOS_POLICY:
        out->noun = "QoS policy", out->collection = VMS_QOSPOLICIES, out->name = qos_name;
        out->immutable = qos_immutable, out->fault = "vast.tenant.qos_policy";
        break;
    case VAST_TENANT_OBJ_ROOT_QUOTA:
        /* one directory has one quota: found by its path, whoever named it */
        out->noun = "root quota", out->collection = VMS_QUOTAS, out->name = names->root_quota;
        out->key = "path", out->create_only = quota_create_only, out->fault = "vast.tenant.root_quota";
        break;
    case VAST_TENANT_OBJ_ADMIN:
        /* VMS never returns a password: compared, it always differs, so it is written
         * to an existing login only when the operator asks for a reset */
        out->noun = "tenant admin", out->collection = VMS_MANAGERS, out->name = names->admin;
        out->key = "username", out->name_key = "username";
        out->create_only = spec->reset_admin_password ? NULL : admin_create_only;
        out->immutable = admin_immutable, out->fault = "vast.tenant.admin";
        break;
    }
    out->value = which == VAST_TENANT_OBJ_ROOT_QUOTA ? (spec->root_path ? spec->root_path : "") : out->name;
}
