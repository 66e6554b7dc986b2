/* vms_answers: reading the answers of typed calls that went out together
 * (vms_request_all) the way the one-at-a-time typed calls read their own: a create's
 * object, a delete's outcome (its async task awaited, "already gone" as done). */
#include "vk/vms_objects.h"
#include "vk/vms_task.h"
#include "vms_internal.h"

#include <string.h>

static bool created(vms_client *c, const vms_kind *k, const vms_call *call, const char *label, vms_object *out,
                    vms_error *err) {
    if (out) memset(out, 0, sizeof *out);
    bool ok = call->ok;
    if (ok) {
        vms_error_clear(err);
        ok = vms_object_decode_answer(c, k, call->answer, out, call->method, call->path, err);
    } else {
        *err = call->err;
    }
    if (!ok) vms_error_set_object(err, "%s %s", k->noun, label);
    return ok;
}

bool vms_view_created(vms_client *c, const vms_call *k, const char *label, vms_view *out, vms_error *err) {
    return created(c, &vms_kind_view, k, label, out ? &out->obj : NULL, err);
}

bool vms_quota_created(vms_client *c, const vms_call *k, const char *label, vms_quota *out, vms_error *err) {
    return created(c, &vms_kind_quota, k, label, out ? &out->obj : NULL, err);
}

/* FOUND or FAILED: the call's own answer, and the async task it may have started. */
static vms_lookup answered(vms_client *c, const vms_call *k, const char *label, int64_t deadline, vms_error *err) {
    bool ok = k->ok;
    if (ok) {
        vms_error_clear(err);
        ok = vms_task_wait_response(c, k->answer, deadline, err);
    } else {
        *err = k->err;
    }
    if (ok) return VMS_FOUND;
    vms_error_set_object(err, "%s", label);
    return VMS_FAILED;
}

vms_lookup vms_deleted(vms_client *c, const vms_call *k, const char *label, int64_t deadline, vms_error *err) {
    vms_lookup done = answered(c, k, label, deadline, err);
    if (done == VMS_FOUND || !vms_error_is_not_found(err)) return done;
    vms_error_clear(err); /* already gone: what a delete wants */
    return VMS_MISSING;
}

json_t *vms_folder_delete_body(const char *path, int64_t tenant_id) {
    json_t *body = json_pack("{s:s}", "path", path);
    if (tenant_id > 0) json_object_set_new(body, "tenant_id", json_integer(tenant_id));
    return body;
}

vms_lookup vms_folder_deleted(vms_client *c, const vms_call *k, const char *path, int64_t deadline, vms_error *err) {
    char label[300];
    snprintf(label, sizeof label, "directory %s", path);
    vms_lookup done = answered(c, k, label, deadline, err);
    /* vast-csi treats "no such directory" as done; so do we (a retried delete lands here). */
    if (done == VMS_FAILED && err->kind == VMS_ERR_HTTP && err->http_status == 400 &&
        strcasestr(err->message, "no such directory")) {
        vms_error_clear(err);
        return VMS_MISSING;
    }
    return done;
}
