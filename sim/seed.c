/* Seeded objects; see seed.h and the table in docs/vms-sim.md. */
#include "seed.h"

#include <stdlib.h>

#include "collections.h"
#include "safepath.h"
#include "store.h"

#define SEED_TENANT "vast-k8s"
#define SEED_ROOT "/k8s"

/* The id of the object named like template's "name", made from template if missing. */
static json_int_t ensure(sim_ctx *ctx, const char *collection, json_t *template) {
    json_t *found = coll_find_by_name(ctx, collection, json_string_value(json_object_get(template, "name")));
    if (!found) found = store_add(ctx->store, collection, json_incref(template));
    json_decref(template);
    return json_integer_value(json_object_get(found, "id"));
}

json_t *seed_apply(sim_ctx *ctx) {
    if (safepath_mkdirs(ctx->fs_fd, SEED_ROOT, 0755, NULL) != 0) return NULL;
    json_int_t tenant = ensure(ctx, "tenants", json_pack("{s:s, s:[]}", "name", SEED_TENANT, "client_ip_ranges"));
    json_int_t nfs_policy = ensure(
        ctx, "viewpolicies",
        json_pack("{s:s, s:I, s:s, s:s, s:[s], s:[s], s:[], s:[]}", "name", "vast-k8s-nfs", "tenant_id", tenant, "flavor",
                  "NFS", "auth_source", "RPC", "nfs_read_write", "*", "nfs_no_squash", "*", "nfs_read_only",
                  "nfs_root_squash"));
    json_int_t s3_policy = ensure(ctx, "viewpolicies",
                                  json_pack("{s:s, s:I, s:s, s:s}", "name", "s3_default_policy", "tenant_id", tenant,
                                            "flavor", "S3_NATIVE", "auth_source", "RPC_AND_PROVIDERS"));
    json_int_t pool = ensure(ctx, "vippools",
                             json_pack("{s:s, s:I, s:s, s:[[s,s]], s:i, s:s, s:b}", "name", "vast-k8s-pool",
                                       "tenant_id", tenant, "role", "PROTOCOLS", "ip_ranges", "127.0.0.10",
                                       "127.0.0.13", "subnet_cidr", 8, "domain_name", "vast-k8s", "enabled", 1));
    json_int_t qos = ensure(ctx, "qospolicies",
                            json_pack("{s:s, s:I, s:s, s:s, s:{s:i, s:i}}", "name", "vast-k8s-qos", "tenant_id",
                                      tenant, "policy_type", "VIEW", "mode", "STATIC", "static_limits",
                                      "max_reads_bw_mbps", 1000, "max_writes_bw_mbps", 1000));
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "tenant", tenant, "view_policy", nfs_policy, "s3_policy",
                     s3_policy, "vippool", pool, "qos_policy", qos, "root_path", SEED_ROOT);
}
