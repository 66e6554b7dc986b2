/* The tenant admins' passwords: made by the operator, kept only in the tenant's Secret
 * (the drivers read the same Secret), read back from there on every pass. A password is
 * made once per cluster and never logged; a Secret deleted by hand gets new passwords,
 * and the VAST logins are reset to them (vast_tenant_spec.reset_admin_password). */
#ifndef VK_OPERATOR_CREDENTIALS_H
#define VK_OPERATOR_CREDENTIALS_H

#include "children.h"

#include "vk/kube_client.h"
#include "vk/status.h"

/* Fills passwords[i] for each of the tenant's clusters from the live Secret (NULL: none)
 * or, where it has none, a new random one (made[i] true). */
void op_passwords_read(const op_tenant *t, json_t *secret, char (*passwords)[OP_PASSWORD_MAX], bool *made);

/* The live Secret's `clusters` map, decoded (a new reference), or NULL. */
json_t *op_secret_clusters(json_t *secret);

/* A new random password: 32 characters of [A-Za-z0-9_-]. */
bool op_password_new(char *out, size_t size);

#endif
