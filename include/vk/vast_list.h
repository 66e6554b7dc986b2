/* ListVolumes and ListSnapshots as plain C: the driver's volumes and snapshots (the
 * rules of vk/vast_owner.h decide which) under the root exports, in id order, paged by
 * a token that is the last id a page returned - stable when objects are added or
 * deleted between pages, since a page starts after an id, not at a position. The CSI
 * adapter (csi/listing.c) only checks the request and builds protobuf from these. */
#ifndef VK_VAST_LIST_H
#define VK_VAST_LIST_H

#include "vk/vast.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VAST_TOKEN_MAX 24 /* a decimal int64 and its terminator */

typedef struct {
    int64_t after;      /* the last id a previous page returned; 0 = from the start */
    size_t max_entries; /* 0 = the driver's page (ListVolumes: VAST_LIST_PAGE_MAX) */
} vast_page;

/* The most volumes one ListVolumes answer holds, whatever max_entries asks (0 or more):
 * CSI leaves the count to the plugin when max_entries is 0, and a bound keeps both the
 * driver's memory and the answer (gRPC clients refuse messages over 4 MiB by default)
 * flat at 100k volumes; the caller follows next_token. */
#define VAST_LIST_PAGE_MAX 1000

/* A starting token: NULL or "" is the start (after 0); else the positive decimal id
 * a page handed out. False for anything else: the driver did not issue it. */
bool vast_page_token_parse(const char *token, int64_t *after);

/* ---- volumes (vast_list.c) ---- */

typedef struct {
    char volume_id[VAST_ID_MAX + 1]; /* this driver's id, or the vendor driver's name */
    char path[VAST_PATH_MAX];
    int64_t tenant_id;
    int64_t capacity_bytes; /* the quota's hard limit, 0 = none */
    bool has_view;          /* exported: a view at the path in the volume's tenant */
    bool abnormal;
    const char *condition;  /* static text: "healthy", or why not (vast_volume_condition) */
} vast_volume_entry;

typedef struct {
    vast_volume_entry *entries; /* n of them, owned: vast_volume_list_free */
    size_t n;
    char next_token[VAST_TOKEN_MAX]; /* "" on the last page */
} vast_volume_list;

/* One page of the volumes on the default cluster (ListVolumes carries no secrets):
 * the quotas this driver or the vendor driver made directly under a root export,
 * whether each has its view. Streams the quotas by id (vast_walk_under_roots), one
 * chunk per root and round trip, then looks up the page's views together. */
vk_code vast_list_volumes(vast_ctx *ctx, const vast_page *page, int64_t deadline, vast_volume_list *out,
                          vk_status *st);
void vast_volume_list_free(vast_volume_list *list);

/* A volume's health as the CO sees it (ListVolumes, ControllerGetVolume): abnormal
 * when its quota (NULL) or its view is gone, or the quota is full. Static text. */
const char *vast_volume_condition(const vms_quota *quota, bool has_view, bool *abnormal);

/* ---- snapshots (vast_list_snapshots.c) ---- */

typedef struct {
    char snapshot_id[VAST_ID_MAX + 1];
    char source_volume_id[VAST_ID_MAX + 1];
    int64_t size_bytes; /* 0 when not known (listing does not read the sources' quotas) */
    char created[64];   /* ISO 8601 UTC, as VAST wrote it ("" when it did not) */
    bool ready;         /* a VAST snapshot is whole once it exists */
} vast_snapshot_entry;

/* The entry of a snapshot on cluster ("" = a single-cluster secret's): this driver's
 * id forms, or the vendor driver's for its snapshots (VAST's number, the directory's
 * name). CreateSnapshot and GetSnapshot answer with it too. */
void vast_snapshot_entry_of(const char *cluster, const vms_snapshot *snap, int64_t size_bytes,
                            vast_snapshot_entry *out);

typedef struct {
    const char *snapshot_id;      /* NULL or "": any */
    const char *source_volume_id; /* NULL or "": any */
    vk_strmap secrets;            /* the call's: they reach the ids' cluster */
    vast_page page;
} vast_snapshot_query;

typedef struct {
    vast_snapshot_entry *entries; /* owned: vast_snapshot_list_free */
    size_t n;
    char next_token[VAST_TOKEN_MAX];
} vast_snapshot_list;

/* One page of snapshots: the one a snapshot id names, those of a source volume, or
 * every snapshot of the driver's (and the vendor driver's) volumes under the roots.
 * Ids that are not this driver's, or name nothing, give an empty list (OK), as the
 * CSI spec asks of filters. The temporary snapshots clones make are never listed. */
vk_code vast_list_snapshots(vast_ctx *ctx, const vast_snapshot_query *query, int64_t deadline,
                            vast_snapshot_list *out, vk_status *st);
void vast_snapshot_list_free(vast_snapshot_list *list);

#endif
