/* S3 access keys of local users, as VMS keeps them: made by POST users/{id}/access_keys/
 * (the only answer that ever holds the secret), enabled or disabled by PATCH, removed by
 * DELETE, listed in the user object and by GET locals3keys/. Each key belongs to one
 * tenant and works only there. The secret is kept (as VAST keeps it: the S3 data plane
 * needs it to check signatures) in an internal field that nothing renders or logs.
 * Everything here runs under the store lock. */
#ifndef SIM_S3KEYS_H
#define SIM_S3KEYS_H

#include <jansson.h>

#include "sim.h"

/* The locals3keys/ object of access_key, or NULL (borrowed). */
json_t *s3keys_find(sim_ctx *ctx, const char *access_key);
/* The secret of a key object found above. */
const char *s3keys_secret(json_t *key);
/* [{access_key, enabled, creation_time, tenant_id}] of a user, for its object (new ref). */
json_t *s3keys_of_user(sim_ctx *ctx, json_int_t user_id);
/* Removes every key of a user (the user is going). */
void s3keys_remove_user(sim_ctx *ctx, json_int_t user_id);

#endif
