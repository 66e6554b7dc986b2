/* vast_tenant_remove: what vast_tenant_apply made, removed in reverse order (tenant
 * admin, root quota, QoS policies, view policy, VIP pool, tenant). Nothing goes while
 * the tenant still holds data of someone else's making (views, other quotas): the
 * check comes first, so a refusal removes nothing. Each object is found again by its
 * natural key and proven ours (its name, its tenant) right before its delete, so a
 * retry after a crash at any point finishes the job, and a second remove is a no-op. */
#include "vast_tenant_internal.h"

#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define BLOCKERS_NAMED 3

typedef struct {
    size_t count;
    char named[256]; /* the first BLOCKERS_NAMED, "view /a, quota q1 (/b)" */
} blockers;

static void add_blocker(blockers *b, const char *what) {
    if (b->count++ >= BLOCKERS_NAMED) return;
    size_t used = strlen(b->named);
    snprintf(b->named + used, sizeof b->named - used, "%s%s", used ? ", " : "", what);
}

/* The views and quotas of the tenant that are not its root quota. */
static bool find_blockers(vms_client *c, const vast_tenant_spec *spec, const vast_tenant_result *out,
                          int64_t deadline, blockers *b, vk_status *st) {
    static const char *const collections[] = {VMS_VIEWS, VMS_QUOTAS};
    char tenant[24];
    snprintf(tenant, sizeof tenant, "%" PRId64, out->tenant_id);
    for (size_t k = 0; k < 2; k++) {
        json_t *items = NULL;
        vms_error err;
        if (!vms_list(c, collections[k], VMS_FILTERS("tenant_id", tenant), deadline, &items, &err)) {
            vms_fail(st, &err, "listing what tenant %s still holds", out->names.tenant);
            return false;
        }
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item) {
            const char *path = vast_json_name(item, "path");
            const char *name = vast_json_name(item, "name");
            bool is_view = k == 0;
            if (json_integer_value(json_object_get(item, "tenant_id")) != out->tenant_id) continue;
            if (!is_view && strcmp(path, spec->root_path) == 0 && strcmp(name, out->names.root_quota) == 0) continue;
            char what[160];
            snprintf(what, sizeof what, "%s %s (%s)", is_view ? "view" : "quota", name, path);
            add_blocker(b, what);
        }
        json_decref(items);
    }
    return true;
}

bool vast_tenant_remove_one(vms_client *c, const vast_tenant_spec *spec, vast_tenant_object which, int64_t deadline,
                            vast_tenant_result *out, vk_status *st) {
    vast_tenant_step s;
    vast_tenant_step_of(which, spec, &out->names, out->tenant_id, NULL, &s);
    json_t *obj = NULL;
    vms_lookup found = vast_tenant_find(c, &s, &obj, deadline, st);
    bool ok = found != VMS_FAILED;
    if (found == VMS_FOUND && vast_tenant_owns(c, &s, obj, st)) {
        ok = vast_tenant_delete(c, &s, obj, deadline, out, NULL, st);
    } else if (found == VMS_FOUND) {
        VK_LOG(VK_LOG_WARN, "not the tenant's: left alone", "tenant", out->names.tenant, "object", s.noun, "why",
               st->message);
        vk_status_ok(st);
    }
    json_decref(obj);
    return ok;
}

bool vast_tenant_remove(vms_client *c, const vast_tenant_spec *spec, int64_t deadline, vast_tenant_result *out,
                        vk_status *st) {
    memset(out, 0, sizeof *out);
    vast_tenant_names_of(spec, &out->names);
    vk_status_ok(st);
    if (!out->names.tenant[0] || !spec->root_path) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "removing a tenant needs its name and root path");
        return false;
    }
    vast_tenant_step s;
    vast_tenant_step_of(VAST_TENANT_OBJ_TENANT, spec, &out->names, 0, NULL, &s);
    json_t *tenant = NULL;
    vms_lookup found = vast_tenant_find(c, &s, &tenant, deadline, st);
    if (found == VMS_FOUND) out->tenant_id = (int64_t)json_integer_value(json_object_get(tenant, "id"));
    /* without the tenant nothing can be proven ours: everything of it went with it */
    if (found != VMS_FOUND) {
        json_decref(tenant);
        return found == VMS_MISSING;
    }
    blockers b = {0};
    bool ok = find_blockers(c, spec, out, deadline, &b, st);
    if (ok && b.count) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "tenant %s on %s still holds %zu views or quotas the operator did not make (%s%s); nothing "
                      "was removed: delete its volumes and buckets (or those objects in VMS) first",
                      out->names.tenant, vms_client_endpoint(c), b.count, b.named,
                      b.count > BLOCKERS_NAMED ? ", ..." : "");
        ok = false;
    }
    ok = ok && vast_tenant_remove_one(c, spec, VAST_TENANT_OBJ_ADMIN, deadline, out, st) &&
         vast_tenant_remove_one(c, spec, VAST_TENANT_OBJ_ROOT_QUOTA, deadline, out, st) &&
         vast_tenant_delete_qos(c, spec, out, false, deadline, st) &&
         vast_tenant_remove_one(c, spec, VAST_TENANT_OBJ_VIEW_POLICY, deadline, out, st) &&
         vast_tenant_remove_one(c, spec, VAST_TENANT_OBJ_VIP_POOL, deadline, out, st) &&
         vast_tenant_delete(c, &s, tenant, deadline, out, NULL, st);
    json_decref(tenant);
    if (ok) VK_LOG(VK_LOG_INFO, "tenant removed", "tenant", out->names.tenant, "cluster", vms_client_endpoint(c));
    return ok;
}
