/* ListVolumes and ListSnapshots: adapters over vk/vast_list.h, which decides what is
 * listed (the ownership rules of vk/vast_owner.h) and pages by id. Here: the request's
 * paging checked as the CSI spec asks, and the answer built. */
#include "controller.h"

/* max_entries must not be negative (INVALID_ARGUMENT), and a token this driver did not
 * hand out is ABORTED, as the spec asks. */
static vk_code check_paging(vk_rpc_call *call, const char *rpc, int32_t max_entries, const char *token,
                            vast_page *page) {
    if (max_entries < 0) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "%s: max_entries must not be negative", rpc);
    page->max_entries = (size_t)max_entries;
    if (!vast_page_token_parse(token, &page->after)) {
        return vk_rpc_fail(call, VK_ABORTED, "%s: starting_token \"%s\" was not issued by this driver", rpc, token);
    }
    return VK_OK;
}

static Csi__V1__ListVolumesResponse__Entry *volume_entry(vk_rpc_call *call, const vast_volume_entry *v) {
    Csi__V1__ListVolumesResponse__Entry *e =
        vk_rpc_new_message(call, &csi__v1__list_volumes_response__entry__descriptor);
    e->volume = vk_rpc_new_message(call, &csi__v1__volume__descriptor);
    e->volume->volume_id = vk_rpc_strdup(call, v->volume_id);
    e->volume->capacity_bytes = v->capacity_bytes;
    e->status = vk_rpc_new_message(call, &csi__v1__list_volumes_response__volume_status__descriptor);
    e->status->volume_condition = vk_rpc_new_message(call, &csi__v1__volume_condition__descriptor);
    e->status->volume_condition->abnormal = v->abnormal;
    e->status->volume_condition->message = (char *)v->condition; /* static text */
    return e;
}

vk_code csi_list_volumes(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ListVolumesRequest *req = (const Csi__V1__ListVolumesRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vast_page page;
    vk_code code = check_paging(call, "ListVolumes", req->max_entries, req->starting_token, &page);
    if (code != VK_OK) return code;
    vk_status st;
    vast_volume_list list;
    code = vast_list_volumes(&driver->vast, &page, csi_call_deadline(driver, call), &list, &st);
    if (code != VK_OK) return vk_rpc_fail(call, code, "ListVolumes: %s", st.message);
    Csi__V1__ListVolumesResponse *r = vk_rpc_new_message(call, &csi__v1__list_volumes_response__descriptor);
    r->entries = vk_rpc_alloc(call, (list.n ? list.n : 1) * sizeof *r->entries);
    for (size_t i = 0; i < list.n; i++) r->entries[r->n_entries++] = volume_entry(call, &list.entries[i]);
    if (*list.next_token) r->next_token = vk_rpc_strdup(call, list.next_token);
    vast_volume_list_free(&list);
    *response = &r->base;
    return VK_OK;
}

vk_code csi_list_snapshots(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ListSnapshotsRequest *req = (const Csi__V1__ListSnapshotsRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vast_snapshot_query query = {.snapshot_id = req->snapshot_id, .source_volume_id = req->source_volume_id,
                                 .secrets = CSI_MAP(req, secrets)};
    vk_code code = check_paging(call, "ListSnapshots", req->max_entries, req->starting_token, &query.page);
    if (code != VK_OK) return code;
    vk_status st;
    vast_snapshot_list list;
    code = vast_list_snapshots(&driver->vast, &query, csi_call_deadline(driver, call), &list, &st);
    if (code != VK_OK) return vk_rpc_fail(call, code, "ListSnapshots: %s", st.message);
    Csi__V1__ListSnapshotsResponse *r = vk_rpc_new_message(call, &csi__v1__list_snapshots_response__descriptor);
    r->entries = vk_rpc_alloc(call, (list.n ? list.n : 1) * sizeof *r->entries);
    for (size_t i = 0; i < list.n; i++) {
        Csi__V1__ListSnapshotsResponse__Entry *e =
            vk_rpc_new_message(call, &csi__v1__list_snapshots_response__entry__descriptor);
        e->snapshot = csi_snapshot_message(call, &list.entries[i]);
        r->entries[r->n_entries++] = e;
    }
    if (*list.next_token) r->next_token = vk_rpc_strdup(call, list.next_token);
    vast_snapshot_list_free(&list);
    *response = &r->base;
    return VK_OK;
}
