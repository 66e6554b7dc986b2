/* Create-or-find steps shared by volumes and buckets (private to lib/vast). `what`
 * names the object in messages ("volume pvc-1", "bucket b1"). */
#ifndef VK_VAST_MAKE_H
#define VK_VAST_MAKE_H

#include "vk/status.h"
#include "vk/vast.h"
#include "vk/vms_objects.h"

#include <stdbool.h>
#include <stdint.h>

/* Makes the quota, or finds the one an earlier attempt made (same name and tenant,
 * same hard limit). A quota at the path the driver did not make, or one of another
 * size, is ALREADY_EXISTS. *created_id: the id of a quota this call made, else 0. */
bool vast_ensure_quota(vms_client *c, const vms_quota_spec *spec, const char *what, int64_t deadline,
                       int64_t *created_id, vk_status *st);

/* Makes the view, or accepts the one an earlier attempt made at its path and tenant. */
bool vast_ensure_view(vms_client *c, const vms_view_spec *spec, const char *what, int64_t deadline, vk_status *st);

/* ALREADY_EXISTS when path holds another owner's quota (at it or beneath it); a quota
 * this call just made there (created_quota) is taken back. */
bool vast_refuse_foreign_contents(vms_client *c, const char *path, const char *what, const char *own_name,
                                  int64_t created_quota, int64_t deadline, vk_status *st);

/* The same three steps from the answer of their first request, sent already with
 * others (vms_request_all): the POST of vms_quota_create_body / vms_view_create_body,
 * and the GET of vast_contents_page_path (its answer is consumed). A unique-violation
 * answer is resolved here as above, with a look-up of its own. *created_id: what this
 * call's POST made, else 0. */
bool vast_settle_quota(vms_client *c, const vms_quota_spec *spec, const vms_call *post, const char *what,
                       int64_t deadline, int64_t *created_id, vk_status *st);
bool vast_settle_view(vms_client *c, const vms_view_spec *spec, const vms_call *post, const char *what,
                      int64_t deadline, int64_t *created_id, vk_status *st);
char *vast_contents_page_path(vms_client *c, const char *path);
bool vast_settle_contents(vms_client *c, const char *path, vms_call *list, const char *what, const char *own_name,
                          int64_t created_quota, int64_t deadline, vk_status *st);

/* What a deletion found at the path: the driver's quota, now gone with its view and
 * data; no quota (nothing there, or a deletion that had finished); or a quota that is
 * not the driver's, left alone with everything under it. */
typedef enum { VAST_DELETED, VAST_DELETE_ABSENT, VAST_DELETE_FOREIGN } vast_delete_outcome;

/* vast_volume_delete_locked for an object of any marked kind (a volume, a bucket):
 * nothing is deleted unless the quota at path carries kind's mark; then the view, the
 * data and last the quota. *outcome (may be NULL) says which case it was, so a caller
 * reports a deletion only when one happened and removes what hangs off the object (a
 * bucket's owner) only when the quota was not someone else's. The caller holds the
 * path's lock. */
vk_code vast_marked_path_delete_locked(vast_ctx *ctx, vms_client *c, const char *path, int64_t tenant_id,
                                       vast_owned_kind kind, int64_t deadline, vast_delete_outcome *outcome,
                                       vk_status *st);

#endif
