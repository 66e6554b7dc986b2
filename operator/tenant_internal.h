/* What the Tenant reconcile (tenant.c) and its deletion (tenant_delete.c) share. */
#ifndef VK_OPERATOR_TENANT_INTERNAL_H
#define VK_OPERATOR_TENANT_INTERNAL_H

#include "tenant.h"
#include "tenant_spec.h"

extern const vk_kube_ref op_tenants_ref;

void op_tenant_event(op_ctx *ctx, const op_tenant *t, bool warning, const char *reason, const char *action,
                     const char *note);
/* The Tenant as the server answered the patch (a new reference), or NULL with st. */
json_t *op_tenant_set_finalizer(op_ctx *ctx, const op_tenant *t, bool present, int64_t deadline, vk_status *st);

/* PersistentVolumes of the tenant's StorageClasses (from the informer); the first few
 * names into names. */
size_t op_tenant_volumes(op_ctx *ctx, const op_tenant *t, char *names, size_t size);

/* Buckets of the tenant's BucketClass: from the informer, or listed when COSI's API came
 * after the start (names of the first few appended to out, which may be NULL). False when
 * they could not be listed. */
bool op_tenant_buckets(op_ctx *ctx, const op_tenant *t, json_t *out, size_t *count, int64_t deadline, vk_status *st);

/* Names (strings appended to out) of the objects of ref's collection matching the
 * label selector and owned by owner_uid; st says why when they could not be listed. */
bool op_collect_names(op_ctx *ctx, const vk_kube_ref *ref, const char *selector, const char *owner_uid, json_t *out,
                      int64_t deadline, vk_status *st);

/* A spec the operator cannot act on: Ready False, Degraded SpecInvalid. */
void op_tenant_report_invalid(op_ctx *ctx, op_tenant *t, const vk_status *why, int64_t deadline);

void op_tenant_finalize(op_ctx *ctx, op_tenant *t, int64_t deadline, op_outcome *out);

#endif
