/* Lists of VMS objects: always paginated, filters URL-encoded.
 *
 * VMS 5.5+ silently truncates a list fetched without page_size, so every list here
 * asks for pages (page_size from the client config, 1000 by default) and follows
 * `next` until it is null. `next` is an absolute URL that embeds /api/<version>/; only
 * the part after that is used, on this client's own base URL, so the version is never
 * doubled and the token never goes to a host VMS names. Both answer shapes are read:
 * {count, next, previous, results} and a bare array (endpoints that do not paginate),
 * and a single object counts as a list of one. Objects are de-duplicated by id (a page
 * boundary can shift while others create objects).
 *
 * Filters are key/value pairs, NULL-terminated:
 *   vms_list(c, "quotas/", VMS_FILTERS("path__startswith", "/k8s/", "tenant_id", "3"),
 *            deadline, &quotas, &err);
 * Keys are Django-style (name, path, path__startswith, path__endswith, tenant_id,
 * policy__name, ...); values are percent-encoded here. */
#ifndef VK_VMS_LIST_H
#define VK_VMS_LIST_H

#include "vk/vms.h"

#include <stddef.h>

/* A NULL-terminated key, value, key, value, ... array as a compound literal. */
#define VMS_FILTERS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define VMS_NO_FILTERS ((const char *const *)NULL)

/* Appends "?k=v&k=v" (or "&..." when path already has a query) to path, values
 * percent-encoded; returns a malloc'd string (never NULL). */
char *vms_path_with_query(const char *path, const char *const *filters);

/* Called once per object; return false to stop listing early (not an error). item is
 * borrowed: json_incref it to keep it. */
typedef bool (*vms_list_fn)(json_t *item, void *ctx);

/* Streams every matching object of collection (e.g. "views/") to fn, page by page. */
bool vms_list_each(vms_client *c, const char *collection, const char *const *filters, vms_list_fn fn, void *ctx,
                   int64_t deadline, vms_error *err);

/* Collects every matching object into a new JSON array (*out, owned by the caller). */
bool vms_list(vms_client *c, const char *collection, const char *const *filters, int64_t deadline, json_t **out,
              vms_error *err);

/* A listing whose first page goes out with other requests (vms_request_all):
 *   char *path = vms_list_first_page_path(c, "quotas/", filters);
 *   vms_call calls[] = {{.method = "GET", .path = path}, ...};
 *   vms_request_all(c, calls, n, deadline);
 *   vms_list_each_from(c, "quotas/", &calls[0], fn, ctx, deadline, &err);
 * vms_list_each_from streams that first answer (taking it from the call) and fetches
 * any further pages itself; a failed first call is the listing's failure (err). */
char *vms_list_first_page_path(vms_client *c, const char *collection, const char *const *filters);
bool vms_list_each_from(vms_client *c, const char *collection, vms_call *first, vms_list_fn fn, void *ctx,
                        int64_t deadline, vms_error *err);

/* One page of a listing walked by id, for lists too large to hold (ListVolumes at
 * 100k volumes): the first page_size matches of filters in ascending id order (the
 * path asks VMS for ordering=id; filters carry the walk's id__gt), `next` not
 * followed. vms_list_page_items reads such a call's answer: *items is the page's
 * array (owned, never NULL on success) and *more whether VMS holds further matches. */
char *vms_list_page_path(const char *collection, const char *const *filters, size_t page_size);
bool vms_list_page_items(vms_client *c, vms_call *call, json_t **items, bool *more, vms_error *err);

#endif
