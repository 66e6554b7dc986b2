/* Children in the Kubernetes API: written by server-side apply only when the live
 * object differs from the desired one in a field the operator sets, so a resync with
 * nothing changed makes no write; never touching an object the Tenant does not own. */
#ifndef VK_OPERATOR_APPLY_H
#define VK_OPERATOR_APPLY_H

#include "vk/kube_client.h"
#include "vk/status.h"

#include <jansson.h>
#include <stdbool.h>

typedef enum {
    OP_CHILD_UNCHANGED = 0, /* already as desired: nothing sent but a read */
    OP_CHILD_CREATED,
    OP_CHILD_UPDATED,  /* applied over a live object that had drifted */
    OP_CHILD_REPLACED, /* deleted and made again: a field the API server keeps immutable changed */
} op_child_result;

/* True when every field of want is in have with the same value (objects recursively,
 * arrays element by element and of the same length; "parameters" and "data" maps,
 * which the operator owns whole, exactly). */
bool op_json_subset(json_t *want, json_t *have);

/* True when obj's ownerReferences name owner_uid. */
bool op_owned_by(json_t *obj, const char *owner_uid);

/* Makes the object at ref match desired (a whole object: apiVersion, kind, metadata with
 * name, ownerReferences naming owner_uid). FAILED_PRECONDITION, with nothing written,
 * when an object of that name exists that the owner does not own. */
bool op_child_ensure(vk_kube_client *kc, const vk_kube_ref *ref, json_t *desired, const char *owner_uid,
                     int64_t deadline, op_child_result *result, vk_status *st);

/* Deletes the object at ref when owner_uid owns it (uid precondition); *removed says
 * whether a delete was sent. An absent object is OK. */
bool op_child_remove(vk_kube_client *kc, const vk_kube_ref *ref, const char *owner_uid, int64_t deadline,
                     bool *removed, vk_status *st);

#endif
