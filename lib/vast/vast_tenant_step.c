/* The reconcile step every object of a tenant goes through: found by its natural key
 * (never by an id remembered from an earlier pass, so a retry after a crash finds what
 * that pass made), proven ours (its name and its tenant), then created, or patched in
 * exactly the fields that differ, or left alone. Objects are handled as VMS's JSON, so
 * one step serves tenants, VIP pools, view and QoS policies, quotas and managers. */
#include "vast_tenant_internal.h"

#include "vk/fault.h"
#include "vk/log.h"
#include "vk/vms_list.h"
#include "vk/vms_task.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vast_json_name(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static int64_t json_id(const json_t *obj, const char *key) {
    return (int64_t)json_integer_value(json_object_get(obj, key));
}

static bool listed(const char *const *keys, const char *key) {
    for (size_t i = 0; keys && keys[i]; i++) {
        if (strcmp(keys[i], key) == 0) return true;
    }
    return false;
}

static bool unset(const json_t *v) { return !v || json_is_null(v); }

bool vast_json_matches(const json_t *want, const json_t *live) {
    if (json_is_object(want)) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)want, key, member) {
            if (!vast_json_matches(member, json_object_get(live, key))) return false;
        }
        return true;
    }
    if (unset(live)) {
        return (json_is_integer(want) && json_integer_value(want) == 0) ||
               (json_is_array(want) && json_array_size(want) == 0);
    }
    return json_equal(want, live);
}

static void item_path(const vast_tenant_step *s, int64_t id, char *out, size_t size) {
    snprintf(out, size, "%s%" PRId64 "/", s->collection, id);
}

vms_lookup vast_tenant_find(vms_client *c, const vast_tenant_step *s, json_t **obj, int64_t deadline,
                            vk_status *st) {
    *obj = NULL;
    json_t *items = NULL;
    vms_error err;
    if (!vms_list(c, s->collection, VMS_FILTERS(s->key, s->value), deadline, &items, &err)) {
        vms_fail(st, &err, "looking up %s %s (%s=%s)", s->noun, s->name, s->key, s->value);
        return VMS_FAILED;
    }
    /* only exact matches count: a VMS that ignored an unknown filter would list them all */
    size_t matches = 0, i;
    json_t *item;
    json_array_foreach(items, i, item) {
        if (strcmp(vast_json_name(item, s->key), s->value) != 0) continue;
        if (matches++ == 0) *obj = json_incref(item);
    }
    json_decref(items);
    if (matches > 1) {
        json_decref(*obj);
        *obj = NULL;
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "%s %s: %zu objects in %s on %s have %s=%s; expected at most one: remove the extra ones "
                      "in VMS",
                      s->noun, s->name, matches, s->collection, vms_client_endpoint(c), s->key, s->value);
        return VMS_FAILED;
    }
    return matches ? VMS_FOUND : VMS_MISSING;
}

bool vast_tenant_owns(vms_client *c, const vast_tenant_step *s, const json_t *obj, vk_status *st) {
    const char *name = vast_json_name(obj, s->name_key);
    if (strcmp(name, s->name) != 0) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "%s of tenant %s: %s=%s on %s is held by \"%s\", which the operator did not make (it would "
                      "be named %s); it is left alone: move or remove it in VMS",
                      s->noun, s->tenant, s->key, s->value, vms_client_endpoint(c), name, s->name);
        return false;
    }
    int64_t tenant = json_id(obj, "tenant_id");
    if (s->owner && tenant != s->owner) {
        const char *holder = vast_json_name(obj, "tenant_name");
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "%s %s on %s belongs to tenant %s (id %" PRId64 "), not to tenant %s (id %" PRId64
                      "); it is left alone: rename or delete it in VMS, or give the Tenant another name",
                      s->noun, s->name, vms_client_endpoint(c), *holder ? holder : "(none)", tenant, s->tenant,
                      s->owner);
        return false;
    }
    return true;
}

/* Appends "noun name (field, field)" to out->repaired, cut to fit. */
static void note_repair(vast_tenant_result *out, const vast_tenant_step *s, const char *fields) {
    size_t used = strlen(out->repaired);
    snprintf(out->repaired + used, sizeof out->repaired - used, "%s%s %s (%s)", used ? ", " : "", s->noun, s->name,
             fields);
}

/* The fields of want that live lacks or holds otherwise, as a PATCH body (NULL when
 * none); their names into fields. Immutable ones that differ fail the step. */
static bool changes_of(vms_client *c, const vast_tenant_step *s, json_t *want, const json_t *live, json_t **changes,
                       char *fields, size_t size, vk_status *st) {
    *changes = NULL;
    fields[0] = '\0';
    const char *key;
    json_t *value;
    json_object_foreach(want, key, value) {
        if (listed(s->create_only, key) || strcmp(key, s->key) == 0 || strcmp(key, "tenant_id") == 0) continue;
        if (vast_json_matches(value, json_object_get(live, key))) continue;
        if (listed(s->immutable, key)) {
            json_decref(*changes);
            *changes = NULL;
            char *have = json_dumps(json_object_get(live, key), JSON_ENCODE_ANY | JSON_COMPACT);
            vk_status_set(st, VK_FAILED_PRECONDITION,
                          "%s %s on %s has %s %s, which VMS cannot change; delete it in VMS and the next pass "
                          "makes it again",
                          s->noun, s->name, vms_client_endpoint(c), key, have ? have : "(unset)");
            free(have);
            return false;
        }
        if (!*changes) *changes = json_object();
        json_object_set(*changes, key, value);
        size_t used = strlen(fields);
        snprintf(fields + used, size - used, "%s%s", used ? ", " : "", key);
    }
    return true;
}

/* Drops, at any depth, the zero limits and the sub-objects left empty that VMS wants
 * left out of a create (0 = none; vast_json_matches reads their absence as 0). */
static void drop_zeros(json_t *obj) {
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, value) {
        if (json_is_object(value)) drop_zeros(value);
        bool zero = json_is_integer(value) && json_integer_value(value) == 0;
        if (zero || (json_is_object(value) && json_object_size(value) == 0)) json_object_del(obj, key);
    }
}

static json_t *create_body(json_t *want) {
    json_t *body = json_deep_copy(want);
    drop_zeros(body);
    return body;
}

/* A fault point named <s->fault>.<at>. */
static bool fault(const vast_tenant_step *s, const char *at, vk_status *st) {
    char name[96];
    snprintf(name, sizeof name, "%s.%s", s->fault, at);
    return vk_fault_point(name, st);
}

static bool create(vms_client *c, const vast_tenant_step *s, json_t *want, int64_t deadline, vast_tenant_result *out,
                   json_t **live, vk_status *st) {
    if (fault(s, "create", st)) return false;
    json_t *body = create_body(want);
    vms_error err;
    bool ok = vms_post(c, s->collection, body, 0, deadline, live, &err);
    json_decref(body);
    if (ok && !json_integer_value(json_object_get(*live, "id"))) {
        json_decref(*live);
        *live = NULL;
        vk_status_set(st, VK_INTERNAL, "creating %s %s on %s: VMS answered without the new object's id", s->noun,
                      s->name, vms_client_endpoint(c));
        return false;
    }
    if (!ok) {
        vms_fail(st, &err, "creating %s %s%s%s", s->noun, s->name, s->owner ? " of tenant " : "",
                 s->owner ? s->tenant : "");
        return false;
    }
    out->writes++;
    return true;
}

static bool update(vms_client *c, const vast_tenant_step *s, json_t *changes, const char *fields, int64_t deadline,
                   vast_tenant_result *out, json_t **live, vk_status *st) {
    if (fault(s, "update", st)) return false;
    char path[128];
    item_path(s, json_id(*live, "id"), path, sizeof path);
    json_t *answer = NULL;
    vms_error err;
    bool ok = vms_patch(c, path, changes, VMS_IDEMPOTENT, deadline, &answer, &err) &&
              vms_task_wait_response(c, answer, deadline, &err);
    if (!ok) {
        json_decref(answer);
        vms_fail(st, &err, "updating %s %s of tenant %s (%s)", s->noun, s->name, s->tenant, fields);
        return false;
    }
    out->writes++;
    note_repair(out, s, fields);
    VK_LOG(VK_LOG_INFO, "tenant object updated", "tenant", s->tenant, "object", s->noun, "name", s->name, "fields",
           fields, "cluster", vms_client_endpoint(c));
    json_decref(*live);
    *live = NULL;
    if (json_is_object(answer) && json_object_get(answer, "id")) {
        *live = answer;
        return true;
    }
    /* VIP pools answer 204 and async updates a task: read the object back */
    json_decref(answer);
    ok = vms_get(c, path, deadline, live, &err);
    if (!ok) vms_fail(st, &err, "reading %s %s back after its update", s->noun, s->name);
    return ok;
}

bool vast_tenant_ensure(vms_client *c, const vast_tenant_step *s, json_t *want, int64_t deadline,
                        vast_tenant_result *out, json_t **live, vk_status *st) {
    vms_lookup found = vast_tenant_find(c, s, live, deadline, st);
    if (found == VMS_FAILED) return false;
    bool ok;
    if (found == VMS_MISSING) {
        ok = create(c, s, want, deadline, out, live, st);
    } else {
        json_t *changes = NULL;
        char fields[256];
        ok = vast_tenant_owns(c, s, *live, st) && changes_of(c, s, want, *live, &changes, fields, sizeof fields, st);
        if (ok && changes) ok = update(c, s, changes, fields, deadline, out, live, st);
        json_decref(changes);
    }
    if (ok && fault(s, "done", st)) ok = false;
    if (!ok) {
        json_decref(*live);
        *live = NULL;
    }
    return ok;
}

bool vast_tenant_delete(vms_client *c, const vast_tenant_step *s, const json_t *obj, int64_t deadline,
                        vast_tenant_result *out, bool *in_use, vk_status *st) {
    if (in_use) *in_use = false;
    if (fault(s, "delete", st)) return false;
    char path[128];
    item_path(s, json_id(obj, "id"), path, sizeof path);
    json_t *answer = NULL;
    vms_error err;
    bool ok = vms_delete(c, path, NULL, VMS_IDEMPOTENT, deadline, &answer, &err) &&
              vms_task_wait_response(c, answer, deadline, &err);
    json_decref(answer);
    if (ok) {
        out->writes++;
        VK_LOG(VK_LOG_INFO, "tenant object deleted", "tenant", s->tenant, "object", s->noun, "name", s->name,
               "cluster", vms_client_endpoint(c));
        return true;
    }
    if (vms_error_is_not_found(&err)) return true; /* gone already: what a delete wants */
    if (in_use && err.kind == VMS_ERR_HTTP && err.http_status == 409) {
        *in_use = true;
        VK_LOG(VK_LOG_INFO, "tenant object still in use: left for a later pass", "tenant", s->tenant, "object",
               s->noun, "name", s->name, "vms", err.message);
        return true;
    }
    vms_fail(st, &err, "deleting %s %s of tenant %s", s->noun, s->name, s->tenant);
    return false;
}
