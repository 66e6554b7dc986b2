/* Who may see and change what. A cluster admin sees every tenant, or the one its
 * X-Tenant-Name names. A tenant admin (a TENANT_ADMIN manager) is confined to its own
 * tenant whatever it sends, as VMS confines it: another tenant's objects are invisible
 * (404 by id, absent from lists), naming another tenant is 403, and the cluster's own
 * objects (tenants, VIP pools, managers) are read-only or closed to it. All functions
 * run under the store lock, after authentication. */
#ifndef SIM_ACCESS_H
#define SIM_ACCESS_H

#include <jansson.h>
#include <stdbool.h>

#include "collections.h"
#include "sim.h"

/* Sets req->scope_tenant from X-Tenant-Name (a tenant admin: its tenant, and a header
 * naming another one is refused); -1 with 403 permission_denied. */
int access_scope(sim_request *req, sim_response *resp);
/* Refuses what a tenant admin may not do at all, by collection and method (req->segments
 * are set): -1 with 403 permission_denied. */
int access_check_route(sim_request *req, sim_response *resp);
/* Whether the request may see obj of coll (stored form, with internal fields). */
bool access_visible(const sim_request *req, const sim_collection *coll, json_t *obj);
/* A tenant admin's body field naming a tenant (loanee_tenant_id, delete_folder's
 * tenant_id) must name its own: -1 with 403 otherwise. Absent or null passes. A cluster
 * admin may name any tenant here, scoped or not, as before tenant admins existed. */
int access_check_tenant_field(const sim_request *req, json_t *body, const char *field, sim_response *resp);
/* A tenant admin's paths stay out of other tenants' trees: -1 with 403 when path is,
 * holds or lies in the `path` of another tenant's view, quota or snapshot or the
 * `loanee_root_path` of its clone stream. One directory tree serves every tenant, so a
 * view, snapshot, clone or delete_folder at such a path would reach their files.
 * Cluster admins pass. */
int access_check_tree(const sim_request *req, const char *path, sim_response *resp);

#endif
