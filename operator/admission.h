/* The admission rule that keeps a tenant's classes to the tenant's namespaces: a
 * ValidatingAdmissionPolicy and its binding, evaluated by the API server itself for
 * every namespace (new ones included) with no write per namespace.
 *
 * The CEL is generated from the Tenant's namespaces (names, and a label selector
 * translated term by term: matchLabels, In, NotIn, Exists, DoesNotExist). Every string
 * put into the CEL has been checked to be a Kubernetes name or label value, which never
 * hold a quote or a backslash; anything else is refused, not quoted. */
#ifndef VK_OPERATOR_ADMISSION_H
#define VK_OPERATOR_ADMISSION_H

#include "tenant_spec.h"

#include "vk/status.h"

#include <jansson.h>
#include <stddef.h>

/* CEL true when namespaceObject is one of the tenant's namespaces. malloc'd. */
char *op_namespace_rule(const op_tenant *t, vk_status *st);

/* CEL list literal of strings: ['a', 'b']. NULL for a string that is not a plain name. */
char *op_cel_list(const char *const *items, size_t n);

/* The policy and binding (desired objects, new references), named name, refusing
 * `resource` (group, version, plural) objects whose `class_field` (a field of spec)
 * names one of classes outside the tenant's namespaces. */
bool op_admission_objects(const op_tenant *t, const char *name, const char *group, const char *version,
                          const char *resource, const char *class_field, const char *const *classes, size_t n_classes,
                          json_t **policy, json_t **binding, vk_status *st);

#endif
