/* Private to lib/vms*.c: the client's state and what its modules share. Each module
 * has its own private header - vms_settings.h (vms_config.c), vms_auth.h (vms_auth.c),
 * vms_error_internal.h (vms_error.c) - and none of those includes this one: auth and
 * errors know nothing of the client or its request loop (vms_request.c), which sits on
 * the http layer (vk/http.h). vms_client.c is the client's life cycle. Callers outside
 * lib/ use vms.h and friends instead. */
#ifndef VK_VMS_INTERNAL_H
#define VK_VMS_INTERNAL_H

#include "vk/http.h"
#include "vk/redact.h"
#include "vk/vms.h"
#include "vk/vms_objects.h"
#include "vms_auth.h"
#include "vms_error_internal.h"
#include "vms_settings.h"

#include <stdatomic.h>
#include <stddef.h>

struct vms_client {
    atomic_int refs;
    vms_settings s;
    vk_http_client *http; /* connections, TLS, timeouts, retries */
    vms_auth auth;
};

/* ---- vms_request.c ---- */

/* The request loop without authentication (the token request itself). */
bool vms_request_unauthenticated(vms_client *c, const char *method, const char *path, json_t *body, unsigned flags,
                                 int64_t deadline, json_t **out, vms_error *err);

/* Records which request failed on c's cluster (path without the base). */
static inline void vms_error_set_request(vms_error *err, const vms_client *c, const char *method, const char *path) {
    vms_error_note_request(err, c->s.endpoint, method, path);
}

/* ---- vms_decode.c: how each object type reads from VMS's JSON ---- */

/* What a field of a typed struct holds. Text points into the object's raw JSON. */
typedef enum {
    VMS_FIELD_TEXT,      /* const char *: "" when absent */
    VMS_FIELD_NUMBER,    /* int64_t: 0 when absent (VMS sometimes sends "123") */
    VMS_FIELD_INT,       /* int */
    VMS_FIELD_IP_RANGES, /* vms_ip_ranges */
} vms_field_type;

/* One field: the JSON key (inside the sub-object `in` when not NULL, e.g.
 * capacity_rules.hard_limit) and where it goes in the typed struct. */
typedef struct {
    const char *in;
    const char *key;
    size_t offset;
    vms_field_type type;
} vms_field;

/* One object type: where it lives, what it is called in messages, and its fields
 * after the vms_object header every type starts with. Decoding is one loop over the
 * table (vms_kind_decode), so a new field is a line in vms_decode.c. */
typedef struct {
    const char *collection; /* "views/" */
    const char *noun;       /* "view", for messages */
    size_t size;            /* sizeof the typed struct */
    const vms_field *fields; /* ends with a NULL key */
} vms_kind;

extern const vms_kind vms_kind_tenant, vms_kind_viewpolicy, vms_kind_qospolicy, vms_kind_vippool, vms_kind_view,
    vms_kind_quota, vms_kind_snapshot, vms_kind_snapstream, vms_kind_user, vms_kind_s3policy, vms_kind_cluster;

/* Zeroes the k->size bytes at out, then fills the header and k's fields from json
 * (a new reference, kept in out->raw). Never fails. */
void vms_kind_decode(const vms_kind *k, json_t *json, vms_object *out);

/* ---- vms_objects.c: the typed layer's engine, shared by vms_actions.c ---- */

vms_lookup vms_object_get(vms_client *c, const vms_kind *k, int64_t id, vms_object *out, int64_t deadline,
                          vms_error *err);
vms_lookup vms_object_find(vms_client *c, const vms_kind *k, const char *const *filters, vms_object *out,
                           int64_t deadline, vms_error *err);
/* POSTs body to path (the collection, or an action such as snapshots/1/clone/) and
 * decodes the answer as k; label names the object in errors. */
bool vms_object_create(vms_client *c, const vms_kind *k, const char *path, json_t *body, const char *label,
                       vms_object *out, int64_t deadline, vms_error *err);
bool vms_object_update(vms_client *c, const vms_kind *k, int64_t id, json_t *changes, vms_object *out,
                       int64_t deadline, vms_error *err);
/* DELETE collection/id/ + query (may be NULL) with body (may be NULL); waits for an async task. */
vms_lookup vms_object_delete(vms_client *c, const vms_kind *k, int64_t id, const char *query, json_t *body,
                             int64_t deadline, vms_error *err);
/* Appends every object of k matching filters to (*items, *n), decoded. */
/* Decodes an answer that must be an object of kind k (out NULL: nothing to decode). */
bool vms_object_decode_answer(vms_client *c, const vms_kind *k, json_t *answer, vms_object *out, const char *method,
                              const char *path, vms_error *err);
/* vms_object_list from a first page already fetched with other requests (vms_list.h). */
bool vms_object_list_from(vms_client *c, const vms_kind *k, vms_call *first, void **items, size_t *n,
                          int64_t deadline, vms_error *err);
bool vms_object_list(vms_client *c, const vms_kind *k, const char *const *filters, void **items, size_t *n,
                     int64_t deadline, vms_error *err);
/* vms_object_free on each of n objects of k->size bytes, then free(items). */
void vms_object_list_free(const vms_kind *k, void *items, size_t n);
/* Field readers (vms_decode.c): "" / 0 when absent. */
const char *vms_json_text(const json_t *json, const char *key);
int64_t vms_json_number(const json_t *json, const char *key);

#endif
