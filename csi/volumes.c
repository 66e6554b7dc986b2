/* Volumes: a directory <root_export>/<name>, a quota on it (hard_limit = capacity) and
 * a view exporting it over NFS, in the tenant of the StorageClass's view policy.
 * docs/controller.md gives the order of VMS calls and why each step is safe to retry. */
#include "controller.h"
#include "vk/names.h"

#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int64_t requested_bytes(const Csi__V1__CapacityRange *range) {
    if (!range) return 0;
    return range->required_bytes > 0 ? range->required_bytes : range->limit_bytes;
}

static bool check_range(const char *what, const Csi__V1__CapacityRange *range, vk_status *st) {
    if (!range) return true;
    if (range->required_bytes < 0 || range->limit_bytes < 0) {
        vk_status_set(st, VK_OUT_OF_RANGE, "%s: capacity_range must not be negative", what);
        return false;
    }
    if (range->limit_bytes > 0 && range->required_bytes > range->limit_bytes) {
        vk_status_set(st, VK_OUT_OF_RANGE, "%s: required_bytes %" PRId64 " exceeds limit_bytes %" PRId64,
                      what, range->required_bytes, range->limit_bytes);
        return false;
    }
    return true;
}


vk_code csi_create_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__CreateVolumeRequest *req = (const Csi__V1__CreateVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->name) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "CreateVolume: name is required");
    if (req->n_volume_capabilities == 0) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "CreateVolume %s: volume_capabilities are required",
                           req->name);
    }
    if (!csi_check_capabilities(req->volume_capabilities, req->n_volume_capabilities, &st) ||
        !check_range("CreateVolume", req->capacity_range, &st)) {
        return vk_rpc_fail(call, st.code, "CreateVolume %s: %s", req->name, st.message);
    }
    vast_volume_params p;
    vast_mutable_params mutable_params;
    if (!vast_volume_params_parse(CSI_MAP(req, parameters), &p, &st) ||
        !vast_mutable_params_parse(CSI_MAP(req, mutable_parameters), &mutable_params, &st)) {
        return vk_rpc_fail(call, st.code, "CreateVolume %s: %s", req->name, st.message);
    }
    const char *qos_origin = NULL;
    if (mutable_params.qos_policy) {
        p.qos_policy = *mutable_params.qos_policy ? mutable_params.qos_policy : NULL;
        qos_origin = "the VolumeAttributesClass";
    }
    vast_content_source source;
    if (!csi_content_source(req->volume_content_source, &source, &st)) {
        return vk_rpc_fail(call, st.code, "CreateVolume %s: %s", req->name, st.message);
    }
    vast_volume_spec spec = {
        .name = req->name,
        .params = &p,
        .name_format = p.volume_name_fmt,
        .meta_name = p.pvc_name,
        .meta_namespace = p.pvc_namespace,
        .size = requested_bytes(req->capacity_range),
        .source = source,
        .read_only = csi_capabilities_read_only(req->volume_capabilities, req->n_volume_capabilities),
        .secrets = CSI_MAP(req, secrets),
        .qos_origin = qos_origin,
    };
    vast_volume_result v;
    vk_code code = vast_volume_create(&driver->vast, &spec, csi_call_deadline(driver, call), &v, &st);
    if (code == VK_OK) {
        Csi__V1__CreateVolumeResponse *r = vk_rpc_new_message(call, &csi__v1__create_volume_response__descriptor);
        Csi__V1__Volume *vol = vk_rpc_new_message(call, &csi__v1__volume__descriptor);
        vol->volume_id = vk_rpc_strdup(call, v.volume_id);
        vol->capacity_bytes = v.snapshot_view ? 0 : spec.size;
        vol->volume_context = (Csi__V1__Volume__VolumeContextEntry **)csi_volume_context(call, &p, &v,
                                                                                         &vol->n_volume_context);
        vol->content_source = req->volume_content_source;
        r->volume = vol;
        *response = &r->base;
        char bytes[24];
        VK_LOG(VK_LOG_INFO, "volume ready", "volume", v.volume_id, "name", req->name, "cluster",
               v.cluster_endpoint, "bytes", vk_fmt(bytes, sizeof bytes, "%" PRId64, spec.size), "source",
               source.kind == VAST_SOURCE_SNAPSHOT ? "snapshot" : source.kind == VAST_SOURCE_VOLUME ? "volume" : NULL);
    }
    if (code != VK_OK) return vk_rpc_fail(call, code, "CreateVolume %s: %s", req->name, st.message);
    return VK_OK;
}

/* ---------- DeleteVolume ---------- */
vk_code csi_delete_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__DeleteVolumeRequest *req = (const Csi__V1__DeleteVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "DeleteVolume: volume_id is required");
    *response = vk_rpc_new_message(call, &csi__v1__delete_volume_response__descriptor);
    vk_status st;
    vk_code code = vast_volume_delete(&driver->vast, req->volume_id, CSI_MAP(req, secrets),
                                      csi_call_deadline(driver, call), &st);
    if (code != VK_OK) return vk_rpc_fail(call, code, "DeleteVolume %s: %s", req->volume_id, st.message);
    return VK_OK;
}

/* ---------- operations on an existing volume ---------- */

vk_code csi_expand_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ControllerExpandVolumeRequest *req = (const Csi__V1__ControllerExpandVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ControllerExpandVolume: volume_id is required");
    if (!req->capacity_range) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ControllerExpandVolume %s: capacity_range is required",
                           req->volume_id);
    }
    if (!check_range("ControllerExpandVolume", req->capacity_range, &st)) return vk_rpc_fail_status(call, &st);
    int64_t size = requested_bytes(req->capacity_range);
    int64_t deadline = csi_call_deadline(driver, call);
    int64_t capacity = 0;
    vk_code code = vast_volume_expand(&driver->vast, req->volume_id, CSI_MAP(req, secrets), size, deadline, &capacity, &st);
    if (code != VK_OK) return vk_rpc_fail(call, code, "ControllerExpandVolume %s: %s", req->volume_id, st.message);
    Csi__V1__ControllerExpandVolumeResponse *r =
        vk_rpc_new_message(call, &csi__v1__controller_expand_volume_response__descriptor);
    r->capacity_bytes = capacity;
    r->node_expansion_required = 0; /* the quota is the size; nothing to do on the node */
    *response = &r->base;
    return VK_OK;
}

vk_code csi_validate_volume_capabilities(vk_rpc_call *call, const ProtobufCMessage *request,
                                                  ProtobufCMessage **response) {
    const Csi__V1__ValidateVolumeCapabilitiesRequest *req = (const Csi__V1__ValidateVolumeCapabilitiesRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ValidateVolumeCapabilities: volume_id is required");
    }
    if (req->n_volume_capabilities == 0) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT,
                           "ValidateVolumeCapabilities %s: volume_capabilities are required", req->volume_id);
    }
    int64_t deadline = csi_call_deadline(driver, call);
    vast_volume_target t;
    vms_quota quota = {0};
    vk_code code = vast_volume_target_open(&driver->vast, req->volume_id, CSI_MAP(req, secrets), deadline, &t, &st);
    if (code == VK_OK && !vast_volume_is_snapshot_view(&t.ref)) code = vast_volume_quota(&t, deadline, &quota, &st);
    vms_object_free(&quota.obj);
    vast_volume_target_close(&t);
    if (code != VK_OK) {
        return vk_rpc_fail(call, code, "ValidateVolumeCapabilities %s: %s", req->volume_id, st.message);
    }
    Csi__V1__ValidateVolumeCapabilitiesResponse *r =
        vk_rpc_new_message(call, &csi__v1__validate_volume_capabilities_response__descriptor);
    if (csi_check_capabilities(req->volume_capabilities, req->n_volume_capabilities, &st)) {
        /* every mount access mode is served: confirm what was asked */
        Csi__V1__ValidateVolumeCapabilitiesResponse__Confirmed *confirmed =
            vk_rpc_new_message(call, &csi__v1__validate_volume_capabilities_response__confirmed__descriptor);
        confirmed->volume_capabilities = req->volume_capabilities;
        confirmed->n_volume_capabilities = req->n_volume_capabilities;
        confirmed->volume_context = (Csi__V1__ValidateVolumeCapabilitiesResponse__Confirmed__VolumeContextEntry **)
                                        req->volume_context;
        confirmed->n_volume_context = req->n_volume_context;
        confirmed->parameters =
            (Csi__V1__ValidateVolumeCapabilitiesResponse__Confirmed__ParametersEntry **)req->parameters;
        confirmed->n_parameters = req->n_parameters;
        r->confirmed = confirmed;
    } else {
        r->message = vk_rpc_strdup(call, st.message);
    }
    *response = &r->base;
    return VK_OK;
}

/* The volume's health as the CO sees it (vast_volume_condition decides it). */
static Csi__V1__VolumeCondition *volume_condition(vk_rpc_call *call, const vms_quota *quota, bool has_view) {
    Csi__V1__VolumeCondition *cond = vk_rpc_new_message(call, &csi__v1__volume_condition__descriptor);
    bool abnormal;
    cond->message = (char *)vast_volume_condition(quota, has_view, &abnormal); /* static text */
    cond->abnormal = abnormal;
    return cond;
}

/* A read-only restore is healthy while the snapshot it serves exists. */
static vk_code get_snapshot_view(vk_rpc_call *call, const char *volume_id, const vast_volume_target *t,
                                          int64_t deadline, ProtobufCMessage **response, vk_status *st) {
    const char *marker = strstr(t->path, "/.snapshot/");
    char source[VAST_PATH_MAX + 2];
    snprintf(source, sizeof source, "%.*s/", (int)(marker - t->path), t->path);
    vms_snapshot snap = {0};
    vms_error err;
    vms_lookup found =
        vms_snapshot_find(t->client, VMS_FILTERS("name", marker + strlen("/.snapshot/"), "path", source), &snap,
                          deadline, &err);
    vms_object_free(&snap.obj);
    if (found == VMS_FAILED) return vms_fail(st, &err, "reading the snapshot behind %s", t->path);
    Csi__V1__ControllerGetVolumeResponse *r = vk_rpc_new_message(call, &csi__v1__controller_get_volume_response__descriptor);
    r->volume = vk_rpc_new_message(call, &csi__v1__volume__descriptor);
    r->volume->volume_id = vk_rpc_strdup(call, volume_id);
    r->status = vk_rpc_new_message(call, &csi__v1__controller_get_volume_response__volume_status__descriptor);
    Csi__V1__VolumeCondition *cond = vk_rpc_new_message(call, &csi__v1__volume_condition__descriptor);
    cond->abnormal = found == VMS_MISSING;
    cond->message = found == VMS_MISSING ? "the snapshot this read-only volume serves was deleted" : "healthy";
    r->status->volume_condition = cond;
    *response = &r->base;
    return VK_OK;
}

vk_code csi_get_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ControllerGetVolumeRequest *req = (const Csi__V1__ControllerGetVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ControllerGetVolume: volume_id is required");
    int64_t deadline = csi_call_deadline(driver, call);
    vast_volume_target t;
    vms_quota quota = {0};
    vms_view view = {0};
    vk_strmap no_secrets = {0};
    vk_code code = vast_volume_target_open(&driver->vast, req->volume_id, no_secrets, deadline, &t, &st);
    if (code == VK_OK && vast_volume_is_snapshot_view(&t.ref)) {
        code = get_snapshot_view(call, req->volume_id, &t, deadline, response, &st);
        vast_volume_target_close(&t);
        if (code != VK_OK) return vk_rpc_fail(call, code, "ControllerGetVolume %s: %s", req->volume_id, st.message);
        return VK_OK;
    }
    if (code == VK_OK) code = vast_volume_quota(&t, deadline, &quota, &st);
    vms_lookup has_view = VMS_MISSING;
    if (code == VK_OK) {
        vms_error err;
        has_view = vms_view_find_by_path(t.client, t.path, t.tenant_id, &view, deadline, &err);
        if (has_view == VMS_FAILED) code = vms_fail(&st, &err, "reading the view of %s", t.path);
    }
    if (code == VK_OK) {
        Csi__V1__ControllerGetVolumeResponse *r =
            vk_rpc_new_message(call, &csi__v1__controller_get_volume_response__descriptor);
        Csi__V1__Volume *v = vk_rpc_new_message(call, &csi__v1__volume__descriptor);
        v->volume_id = vk_rpc_strdup(call, req->volume_id);
        v->capacity_bytes = quota.hard_limit;
        r->volume = v;
        r->status = vk_rpc_new_message(call, &csi__v1__controller_get_volume_response__volume_status__descriptor);
        r->status->volume_condition = volume_condition(call, &quota, has_view == VMS_FOUND);
        *response = &r->base;
    }
    vms_object_free(&quota.obj);
    vms_object_free(&view.obj);
    vast_volume_target_close(&t);
    if (code != VK_OK) return vk_rpc_fail(call, code, "ControllerGetVolume %s: %s", req->volume_id, st.message);
    return VK_OK;
}

vk_code csi_modify_volume(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Csi__V1__ControllerModifyVolumeRequest *req = (const Csi__V1__ControllerModifyVolumeRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->volume_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT, "ControllerModifyVolume: volume_id is required");
    }
    vast_mutable_params m;
    if (!vast_mutable_params_parse(CSI_MAP(req, mutable_parameters), &m, &st)) {
        return vk_rpc_fail(call, st.code, "ControllerModifyVolume %s: %s", req->volume_id, st.message);
    }
    int64_t deadline = csi_call_deadline(driver, call);
    char lock_key[VAST_PATH_MAX + 8];
    vast_volume_target t;
    vms_view view = {0};
    vk_code code = vast_volume_open_locked(&driver->vast, req->volume_id, CSI_MAP(req, secrets), deadline, &t, lock_key,
                                        sizeof lock_key, &st);
    vms_error err;
    if (code == VK_OK && vast_volume_is_snapshot_view(&t.ref)) {
        code = vk_status_set(&st, VK_INVALID_ARGUMENT,
                             "a read-only restore is served from its snapshot and has no QoS of its own");
    }
    if (code == VK_OK) {
        vms_lookup found = vms_view_find_by_path(t.client, t.path, t.tenant_id, &view, deadline, &err);
        if (found == VMS_FAILED) code = vms_fail(&st, &err, "reading the view of %s", t.path);
        if (found == VMS_MISSING) {
            code = vk_status_set(&st, VK_NOT_FOUND, "volume %s has no view on VAST cluster %s", t.path,
                                 vms_client_endpoint(t.client));
        }
    }
    if (code == VK_OK && m.qos_policy) {
        int64_t qos_id = 0;
        if (*m.qos_policy && !vms_clusters_qos_policy(driver->vast.clusters, t.client, m.qos_policy, deadline, &qos_id, &st)) {
            code = vast_bad_reference(&st, "the VolumeAttributesClass", "qos_policy");
        } else if (qos_id != view.qos_policy_id) {
            json_t *changes = json_pack("{s:o}", "qos_policy_id", qos_id ? json_integer(qos_id) : json_null());
            if (!vms_view_update(t.client, view.obj.id, changes, NULL, deadline, &err)) {
                code = vms_fail(&st, &err, "setting the QoS policy of %s", t.path);
            }
            json_decref(changes);
        }
    }
    vms_object_free(&view.obj);
    vast_volume_close_locked(&driver->vast, &t, lock_key);
    if (code != VK_OK) return vk_rpc_fail(call, code, "ControllerModifyVolume %s: %s", req->volume_id, st.message);
    *response = vk_rpc_new_message(call, &csi__v1__controller_modify_volume_response__descriptor);
    return VK_OK;
}
