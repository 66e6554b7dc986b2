/* Private to lib/vast/vast_tenant*.c: the one reconcile step every object of a tenant
 * goes through (find by natural key, prove ownership, create or patch only what
 * differs), and the conversions of the spec's addresses into VMS's shapes. */
#ifndef VK_VAST_TENANT_INTERNAL_H
#define VK_VAST_TENANT_INTERNAL_H

#include "vk/vast_tenant.h"
#include "vk/vms_clusters.h"
#include "vk/vms_objects.h"

#include <jansson.h>

/* A CIDR ("10.20.0.0/16", "fd00::/64") or a lone address ("10.0.0.7" = /32) as the
 * [first, last] pair VMS's client_ip_ranges want (new reference); NULL when text is
 * neither. Host bits set in a CIDR are ignored, as routers do. */
json_t *vast_cidr_range(const char *text);

/* What every class QoS policy name of tenant starts with, shortened names included:
 * "<tenant>-", cut where vk_name_shorten would cut. */
void vast_tenant_qos_prefix(const char *tenant, char *out, size_t size);

/* One object of the tenant, as a step of apply or remove. */
typedef struct {
    const char *noun;       /* "view policy": messages and out->repaired */
    const char *collection; /* VMS_VIEWPOLICIES */
    const char *key;        /* the natural key's field: "name", "path" (quota), "username" */
    const char *value;
    const char *name;       /* the name it must carry (its mark; = value unless key is not "name") */
    const char *name_key;   /* the field that holds it: "name", or "username" for managers */
    const char *tenant;     /* the tenant's name, for messages */
    int64_t owner;          /* the tenant id it must belong to; 0 for the tenant itself */
    const char *const *create_only; /* sent when it is made, never compared (create_dir, password) */
    const char *const *immutable;   /* VMS cannot change them: a difference is FAILED_PRECONDITION */
    const char *fault;      /* fault points <fault>.create, <fault>.update, <fault>.done, <fault>.delete */
} vast_tenant_step;

/* The objects of a tenant, in the order apply makes them (remove goes backwards). */
typedef enum {
    VAST_TENANT_OBJ_TENANT,
    VAST_TENANT_OBJ_VIP_POOL,
    VAST_TENANT_OBJ_VIEW_POLICY,
    VAST_TENANT_OBJ_QOS_POLICY,
    VAST_TENANT_OBJ_ROOT_QUOTA,
    VAST_TENANT_OBJ_ADMIN,
} vast_tenant_object;

/* The step of one object of spec's tenant (tenant_id once known, else 0): its noun,
 * collection, natural key and name (names from vast_tenant_names_of; qos_name for a
 * QoS policy), fault points vast.tenant.<object>.*. Pointers borrow from the arguments. */
void vast_tenant_step_of(vast_tenant_object which, const vast_tenant_spec *spec, const vast_tenant_names *names,
                         int64_t tenant_id, const char *qos_name, vast_tenant_step *out);

/* True when live holds every field of want with want's value, where a 0 or [] in want
 * also matches a field live leaves out (VMS omits or nulls unset limits). Objects
 * compare member by member (live may hold more); everything else exactly. */
bool vast_json_matches(const json_t *want, const json_t *live);

/* The one object with key = value (VMS_FOUND, *obj a new reference), none (VMS_MISSING),
 * or VMS_FAILED with st (also when more than one matches). */
vms_lookup vast_tenant_find(vms_client *c, const vast_tenant_step *s, json_t **obj, int64_t deadline, vk_status *st);

/* False with ALREADY_EXISTS when obj does not carry the step's name or belongs to
 * another tenant: the object is someone else's and is never changed or deleted. */
bool vast_tenant_owns(vms_client *c, const vast_tenant_step *s, const json_t *obj, vk_status *st);

/* Makes the object match want (borrowed): created when missing, patched in the fields
 * that differ (named in out->repaired), left alone when it matches. Each write counts
 * in out->writes. *live gets the object as VMS now has it (new reference). */
bool vast_tenant_ensure(vms_client *c, const vast_tenant_step *s, json_t *want, int64_t deadline,
                        vast_tenant_result *out, json_t **live, vk_status *st);

/* Deletes obj (an object of the step that vast_tenant_owns accepted), waiting for
 * VMS's async task. *in_use (may be NULL) is set instead of failing when VMS refuses
 * with 409 because something still uses it. Already gone is success. */
bool vast_tenant_delete(vms_client *c, const vast_tenant_step *s, const json_t *obj, int64_t deadline,
                        vast_tenant_result *out, bool *in_use, vk_status *st);

/* Deletes the tenant's class QoS policies (out->names and out->tenant_id set): all of
 * them, or with only_stale those no class of out->names wants any more. They are
 * found by the tenant and the names' prefix; one VMS refuses because views still use
 * it is left for a later pass, which is not an error. */
/* Finds one object of the tenant and deletes it when it is ours; one of that name that
 * is not ours (another tenant's) is left alone (OK). */
bool vast_tenant_remove_one(vms_client *c, const vast_tenant_spec *spec, vast_tenant_object which, int64_t deadline,
                            vast_tenant_result *out, vk_status *st);

bool vast_tenant_delete_qos(vms_client *c, const vast_tenant_spec *spec, vast_tenant_result *out, bool only_stale,
                            int64_t deadline, vk_status *st);

/* "name" of obj, "" when absent. */
const char *vast_json_name(const json_t *obj, const char *key);

#endif
