/* vast_make: the create-or-find steps a volume and a bucket share (a marked quota that
 * makes the directory, the view over it), each safe to repeat after a crash: a POST
 * first (one round trip when nothing is there), and on VMS's unique-violation the
 * existing object, accepted only when it is the one an earlier attempt made. */
#include "vast_make.h"

#include "vk/log.h"
#include "vk/vms_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes the quota, or finds the one an earlier attempt made (same mark, same size). A
 * quota at the path that the driver did not make (any tenant's: one directory has one
 * quota), or one of another size, is ALREADY_EXISTS. *created_id is the id of a quota
 * this call made, else 0. */
bool vast_ensure_quota(vms_client *c, const vms_quota_spec *spec, const char *what, int64_t deadline,
                         int64_t *created_id, vk_status *st) {
    json_t *body = vms_quota_create_body(spec);
    vms_call post = {.method = "POST", .path = "quotas/", .body = body};
    vms_request_all(c, &post, 1, deadline);
    bool ok = vast_settle_quota(c, spec, &post, what, deadline, created_id, st);
    json_decref(post.answer);
    json_decref(body);
    return ok;
}

bool vast_settle_quota(vms_client *c, const vms_quota_spec *spec, const vms_call *post, const char *what,
                       int64_t deadline, int64_t *created_id, vk_status *st) {
    vms_error err;
    vms_quota made = {0};
    *created_id = 0;
    char label[VAST_PATH_MAX + 8];
    snprintf(label, sizeof label, "path=%s", spec->path);
    if (vms_quota_created(c, post, label, &made, &err)) {
        *created_id = made.obj.id;
        vms_object_free(&made.obj);
        return true;
    }
    if (!vms_error_is_unique_violation(&err)) {
        vms_fail(st, &err, "creating the quota of %s", what);
        return false;
    }
    vms_quota existing = {0};
    vms_lookup found = vms_quota_find_by_path(c, spec->path, 0, &existing, deadline, &err);
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading the existing quota of %s", what);
        return false;
    }
    bool ours = found == VMS_FOUND && existing.obj.name && strcmp(existing.obj.name, spec->name) == 0 &&
                existing.obj.tenant_id == spec->tenant_id;
    bool ok = ours && existing.hard_limit == spec->hard_limit;
    if (found == VMS_FOUND && !ours) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "%s: %s on %s already has a quota (\"%s\") that this driver did not make; pick another "
                      "name or root_export",
                      what, spec->path, vms_client_endpoint(c), existing.obj.name ? existing.obj.name : "");
    } else if (found == VMS_MISSING) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "%s: the quota name \"%s\" is taken by another path on %s; make volume_name_fmt "
                      "include {id}",
                      what, spec->name, vms_client_endpoint(c));
    } else if (!ok) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "%s exists with capacity %" PRId64 " bytes; %" PRId64 " bytes were requested", what,
                      existing.hard_limit, spec->hard_limit);
    }
    vms_object_free(&existing.obj);
    return ok;
}

/* Makes the view, or accepts the one an earlier attempt made. */
bool vast_ensure_view(vms_client *c, const vms_view_spec *spec, const char *what, int64_t deadline,
                        vk_status *st) {
    json_t *body = vms_view_create_body(spec);
    vms_call post = {.method = "POST", .path = "views/", .body = body};
    vms_request_all(c, &post, 1, deadline);
    int64_t made;
    bool ok = vast_settle_view(c, spec, &post, what, deadline, &made, st);
    json_decref(post.answer);
    json_decref(body);
    return ok;
}

bool vast_settle_view(vms_client *c, const vms_view_spec *spec, const vms_call *post, const char *what,
                      int64_t deadline, int64_t *created_id, vk_status *st) {
    vms_error err;
    vms_view made = {0};
    *created_id = 0;
    char label[VAST_PATH_MAX + 8];
    snprintf(label, sizeof label, "path=%s", spec->path);
    if (vms_view_created(c, post, label, &made, &err)) {
        *created_id = made.obj.id;
        vms_object_free(&made.obj);
        return true;
    }
    if (!vms_error_is_unique_violation(&err)) {
        vms_fail(st, &err, "creating the view of %s", what);
        return false;
    }
    vms_view existing = {0};
    vms_lookup found = vms_view_find_by_path(c, spec->path, spec->tenant_id, &existing, deadline, &err);
    vms_object_free(&existing.obj);
    if (found == VMS_FOUND) return true;
    if (found == VMS_FAILED) {
        vms_fail(st, &err, "reading the existing view of %s", what);
    } else {
        vk_status_set(st, VK_ALREADY_EXISTS, "%s: VMS refused its view as a duplicate: %s", what,
                      err.message);
    }
    return false;
}


/* A new, empty volume's directory must not hold someone else's data: VMS makes the
 * directory with the quota and has no create-if-absent, so a name that lands on an
 * existing directory would hand its data to a PVC (and a later DeleteVolume would
 * destroy it). Another quota on the path (another tenant's) or beneath it is the mark
 * of such a directory; the quota this call just made on it is taken back (never one an
 * earlier call made: that may be a live volume another owner has since nested into). */
bool vast_refuse_foreign_contents(vms_client *c, const char *path, const char *what, const char *own_name,
                                    int64_t created_quota, int64_t deadline, vk_status *st) {
    char *page = vast_contents_page_path(c, path);
    vms_call list = {.method = "GET", .path = page};
    vms_request_all(c, &list, 1, deadline);
    bool clean = vast_settle_contents(c, path, &list, what, own_name, created_quota, deadline, st);
    json_decref(list.answer);
    free(page);
    return clean;
}

char *vast_contents_page_path(vms_client *c, const char *path) {
    return vms_list_first_page_path(c, "quotas/", VMS_FILTERS("path__startswith", path));
}

bool vast_settle_contents(vms_client *c, const char *path, vms_call *list, const char *what, const char *own_name,
                          int64_t created_quota, int64_t deadline, vk_status *st) {
    vms_quota *quotas = NULL;
    size_t n = 0;
    vms_error err;
    if (!vms_quota_list_from(c, list, &quotas, &n, deadline, &err)) {
        vms_fail(st, &err, "checking that %s holds no one else's data", path);
        vms_quota_list_free(quotas, n);
        return false;
    }
    size_t len = strlen(path);
    const char *nested = NULL;
    for (size_t i = 0; i < n && !nested; i++) {
        const char *p = quotas[i].path;
        if (strncmp(p, path, len) != 0) continue;
        bool own = p[len] == '\0' && strcmp(quotas[i].obj.name, own_name) == 0;
        if ((p[len] == '\0' && !own) || p[len] == '/') nested = p;
    }
    bool clean = nested == NULL;
    if (!clean) {
        vk_status_set(st, VK_ALREADY_EXISTS,
                      "%s: %s on %s already holds another owner's data (a quota at %s that this driver did "
                      "not make); use another name, or move that directory out of the root export",
                      what, path, vms_client_endpoint(c), nested ? nested : "?");
        if (created_quota && vms_quota_delete(c, created_quota, deadline, &err) == VMS_FAILED) {
            VK_LOG(VK_LOG_WARN, "cannot take back the quota just made on a foreign directory", "path", path,
                   "error", err.message);
        }
    }
    vms_quota_list_free(quotas, n);
    return clean;
}
