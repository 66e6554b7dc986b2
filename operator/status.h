/* Status conditions the API conventions' way (type, status, reason, message,
 * lastTransitionTime, observedGeneration), and status writes that happen only when
 * something changed: a resync that finds the world as it was writes nothing. */
#ifndef VK_OPERATOR_STATUS_H
#define VK_OPERATOR_STATUS_H

#include "vk/kube_client.h"
#include "vk/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *type;
    const char *status; /* "True" | "False" | "Unknown" */
    const char *reason; /* UpperCamelCase */
    const char *message;
} op_condition;

/* The conditions array for a new status: each of conds, keeping the lastTransitionTime
 * of an old condition of the same type and status (a condition's time says when it last
 * changed, not when it was last computed). A new reference. */
json_t *op_conditions_build(json_t *old_conditions, const op_condition *conds, size_t n, int64_t generation);

/* The condition of that type in a status (borrowed), or NULL. */
json_t *op_condition_find(json_t *status, const char *type);

/* Writes status to ref's status subresource when it differs from the status of read (the
 * object as the pass read it). The write is conditional on read's resourceVersion: a
 * pass that read a copy older than the server's (the informer not yet caught up with the
 * last pass's own write) must not put back what it saw, such as a condition's earlier
 * lastTransitionTime; that write is refused (ABORTED), and the newer copy's watch event
 * brings another pass. *written tells whether a write was made. */
bool op_status_write(vk_kube_client *kc, const vk_kube_ref *ref, json_t *read, json_t *status, int64_t deadline,
                     bool *written, vk_status *st);

/* "1.5Gi" style text of a byte count (binary units, at most one decimal). */
void op_bytes_text(int64_t bytes, char *out, size_t size);

#endif
