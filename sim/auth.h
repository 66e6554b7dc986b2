/* Authentication as VMS does it: JWT-style access/refresh tokens from POST token/,
 * `Authorization: Bearer`, `Authorization: Api-Token`, and HTTP Basic. Access and
 * refresh tokens are opaque random strings kept in the persisted state, so a client's
 * session survives a simulator restart the way a signed JWT survives a VMS restart.
 * All functions run under the store lock. */
#ifndef SIM_AUTH_H
#define SIM_AUTH_H

#include "sim.h"

/* The --user account named name, or NULL. */
const sim_user *auth_find_user(const sim_ctx *ctx, const char *name);
/* POST token/ and POST token/refresh/. */
int auth_token_endpoint(sim_request *req, bool refresh, sim_response *resp);
/* Sets req->user, req->readonly and req->confined_tenant from the credentials, or
 * answers 403. Managers (managers/) log in like the --user accounts. */
int auth_authenticate(sim_request *req, sim_response *resp);
/* Every access token issued so far expires now (refresh tokens stay valid). */
void auth_expire_access_tokens(sim_ctx *ctx);

#endif
