/* Private to lib/vast/vast_list*.c: what ListVolumes and ListSnapshots share - the
 * pager, listing under every root export, and which quotas are volumes. */
#ifndef VK_VAST_LIST_INTERNAL_H
#define VK_VAST_LIST_INTERNAL_H

#include "vk/vast_list.h"

/* Walks items in ascending id order: each one listed is either before the page (its
 * id is at most the token's, or a repeat of the last taken: a volume under two nested
 * roots is listed twice by VMS), taken, or the first past a full page, which says
 * there is a next page. */
typedef enum { VAST_PAGE_BEFORE, VAST_PAGE_TAKE, VAST_PAGE_FULL } vast_page_step;

typedef struct {
    const vast_page *page;
    size_t taken;
    int64_t last; /* the id last taken */
    bool more;
} vast_pager;

vast_page_step vast_pager_step(vast_pager *p, int64_t id);
/* page with max_entries bounded to VAST_LIST_PAGE_MAX (0 asks for the driver's page). */
vast_page vast_page_bounded(const vast_page *page);
/* The next page's token: the last id taken when there is more, else "". */
void vast_pager_token(const vast_pager *p, char *token, size_t size);

/* qsort comparator for an array of any typed VMS object (its vms_object first). */
int vast_by_object_id(const void *a, const void *b);

/* Walks the objects of collection under every root export in ascending id order,
 * from after on, fetching `chunk` per root at a time (the roots' requests together):
 * memory holds one chunk, not the collection, so 100k volumes list in bounded memory.
 * fn gets each object (borrowed) and returns false to stop the walk early. */
typedef bool (*vast_walk_fn)(json_t *item, void *acc);
bool vast_walk_under_roots(const vast_ctx *ctx, vms_client *c, const char *collection, int64_t after, size_t chunk,
                           vast_walk_fn fn, void *acc, int64_t deadline, vk_status *st);

/* The objects of collection at exactly any of paths, as a new JSON array in *out: the
 * paths grouped into path__in look-ups sent together (vms_request_all), so a page of
 * 1,000 volumes costs one round trip of wall time, not 1,000. fields (NULL: all) is the
 * `fields=` projection: VMS then leaves out what it would measure per object (a view's
 * capacity, a quota's usage), which a page of 1,000 would otherwise pay 1,000 times. */
bool vast_list_at_paths(vms_client *c, const char *collection, const char *const *paths, size_t n,
                        const char *fields, json_t **out, int64_t deadline, vk_status *st);

/* The volume id of a quota this driver made (vk1, on the default cluster) or the
 * vendor driver made (its directory's name); false for any other quota. */
bool vast_quota_volume_id(const vast_roots *roots, const vms_quota *quota, char *id, size_t size);

#endif
