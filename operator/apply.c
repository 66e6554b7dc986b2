#include "apply.h"

#include <string.h>

bool op_json_subset(json_t *want, json_t *have) {
    if (json_is_object(want)) {
        if (!json_is_object(have)) return false;
        const char *key;
        json_t *value;
        json_object_foreach(want, key, value) {
            json_t *other = json_object_get(have, key);
            /* maps the operator owns whole: a key it no longer sets must go too */
            bool whole = strcmp(key, "parameters") == 0 || strcmp(key, "data") == 0;
            if (whole ? !(other && json_equal(value, other)) : !op_json_subset(value, other)) return false;
        }
        return true;
    }
    if (json_is_array(want)) {
        if (!json_is_array(have) || json_array_size(want) != json_array_size(have)) return false;
        for (size_t i = 0; i < json_array_size(want); i++) {
            if (!op_json_subset(json_array_get(want, i), json_array_get(have, i))) return false;
        }
        return true;
    }
    return have && json_equal(want, have);
}

bool op_owned_by(json_t *obj, const char *owner_uid) {
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i, ref) {
        const char *uid = json_string_value(json_object_get(ref, "uid"));
        if (uid && strcmp(uid, owner_uid) == 0) return true;
    }
    return false;
}

static const char *kind_of(json_t *obj) {
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    return kind ? kind : "object";
}

static const char *uid_of(json_t *obj) {
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid"));
}

static bool apply(vk_kube_client *kc, const vk_kube_ref *ref, json_t *desired, int64_t deadline, vk_status *st) {
    json_t *answer = vk_kube_apply(kc, ref, desired, true, deadline, st);
    json_decref(answer);
    return answer != NULL;
}

bool op_child_ensure(vk_kube_client *kc, const vk_kube_ref *ref, json_t *desired, const char *owner_uid,
                     int64_t deadline, op_child_result *result, vk_status *st) {
    *result = OP_CHILD_UNCHANGED;
    vk_status get_st;
    json_t *live = vk_kube_get(kc, ref, deadline, &get_st);
    if (!live && get_st.code != VK_NOT_FOUND) {
        *st = get_st;
        return false;
    }
    if (!live) {
        *result = OP_CHILD_CREATED;
        return apply(kc, ref, desired, deadline, st);
    }
    bool ok = true;
    if (!op_owned_by(live, owner_uid)) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "%s %s%s%s already exists and is not this Tenant's (no owner reference to it); rename the "
                      "class in the Tenant or remove that %s",
                      kind_of(desired), ref->namespace_ ? ref->namespace_ : "", ref->namespace_ ? "/" : "", ref->name,
                      kind_of(desired));
        ok = false;
    } else if (!op_json_subset(desired, live)) {
        *result = OP_CHILD_UPDATED;
        ok = apply(kc, ref, desired, deadline, st);
        if (!ok && st->code == VK_INVALID_ARGUMENT) {
            /* StorageClass parameters, provisioner and reclaim policy (and the like) cannot
             * change in place; the class is only read when a volume is provisioned, so it is
             * made again (volumes keep their own copy of what they were made with) */
            vk_kube_delete_options o = {.uid = uid_of(live)};
            json_t *gone = vk_kube_delete(kc, ref, &o, deadline, st);
            json_decref(gone);
            ok = (gone || st->code == VK_NOT_FOUND) && apply(kc, ref, desired, deadline, st);
            if (ok) *result = OP_CHILD_REPLACED;
        }
    }
    json_decref(live);
    return ok;
}

bool op_child_remove(vk_kube_client *kc, const vk_kube_ref *ref, const char *owner_uid, int64_t deadline,
                     bool *removed, vk_status *st) {
    *removed = false;
    vk_status get_st;
    json_t *live = vk_kube_get(kc, ref, deadline, &get_st);
    if (!live) {
        if (get_st.code == VK_NOT_FOUND) return true;
        *st = get_st;
        return false;
    }
    bool ok = true;
    if (op_owned_by(live, owner_uid) && !json_object_get(json_object_get(live, "metadata"), "deletionTimestamp")) {
        vk_kube_delete_options o = {.uid = uid_of(live)};
        json_t *gone = vk_kube_delete(kc, ref, &o, deadline, st);
        ok = gone || st->code == VK_NOT_FOUND;
        *removed = gone != NULL;
        json_decref(gone);
    }
    json_decref(live);
    return ok;
}
