/* The read-only system collections computed on the fly, versions/ and clusters/, and
 * the plugins/usage/ report clients send after login. */
#include <stdio.h>

#include "api_actions.h"
#include "collections.h"
#include "safepath.h"
#include "store.h"
#include "support.h"

static json_t *versions_list(sim_request *req) {
    const sim_config *cfg = &req->ctx->cfg;
    char created[SIM_ISO_MAX], build[64];
    sim_iso8601(created, req->ctx->started_ms);
    snprintf(build, sizeof build, "release-%s", cfg->sys_version);
    return json_pack("[{s:i, s:s, s:s, s:s, s:s, s:s}]", "id", 1, "sys_version", cfg->sys_version, "build", build,
                     "os_version", "vms-sim", "status", "success", "created", created);
}

const sim_collection coll_versions = {
    .name = "versions",
    .virtual_list = versions_list,
};

void clusters_ensure_identity(sim_ctx *ctx) {
    json_t *cluster = store_section(ctx->store, "cluster");
    if (json_is_string(json_object_get(cluster, "guid"))) return;
    char guid[37];
    sim_uuid4(guid);
    json_object_set_new(cluster, "guid", json_string(guid));
    store_section_changed(ctx->store, "cluster", "guid", NULL);
}

/* Capacity is the configured size; space in use is every byte under DIR/fs, snapshots
 * included (they occupy space on a real cluster too). */
static json_t *clusters_list(sim_request *req) {
    const sim_config *cfg = &req->ctx->cfg;
    fsops_usage usage = {0};
    safepath_measure(req->ctx->fs_fd, "/", false, &usage);
    json_int_t capacity = (json_int_t)cfg->capacity_bytes;
    json_int_t used = (json_int_t)usage.bytes;
    json_int_t free_space = capacity > used ? capacity - used : 0;
    char created[SIM_ISO_MAX], build[64];
    sim_iso8601(created, req->ctx->started_ms);
    snprintf(build, sizeof build, "release-%s", cfg->sys_version);
    json_t *guid = json_object_get(store_section(req->ctx->store, "cluster"), "guid");
    json_t *cluster = json_pack(
        "{s:i, s:s, s:O, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "id", 1, "name", "vms-sim",
        "guid", guid, "sw_version", cfg->sys_version, "build", build, "state", "ONLINE", "leader_state", "UP",
        "usable_capacity_bytes", capacity, "free_usable_capacity", free_space, "logical_space", capacity,
        "logical_space_in_use", used, "free_logical_space", free_space, "physical_space", capacity,
        "physical_space_in_use", used, "free_physical_space", free_space, "created", created);
    return json_pack("[o]", cluster);
}

const sim_collection coll_clusters = {
    .name = "clusters",
    .virtual_list = clusters_list,
};

/* VMS 5.2+ clients (vast-csi among them) report who they are right after login. The
 * report only feeds VAST's telemetry, so nothing is stored: /_sim/stats counts it
 * ("POST plugins/usage/"), which is all a test needs to see that it was sent. The
 * answer is the accepted report, as a DRF create returns the data it took. */
int plugins_usage_report(sim_request *req, sim_response *resp) {
    if (req->body && !json_is_object(req->body))
        return sim_reply(resp, 400, json_pack("{s:[s]}", "non_field_errors",
                                              "Invalid data. Expected a dictionary, but got a different type."));
    return sim_ok(resp, 201, req->body ? json_incref(req->body) : json_object());
}
