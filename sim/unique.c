/* Uniqueness rules of POST and PATCH (objects_check_unique, objects.h): unique fields,
 * unique_together sets and fields unique within a tenant, looked up in the store's
 * indexes instead of compared with every object.
 *
 * The answer is the one a scan in id order gives: the clash with the lowest id wins, and
 * for one object the rules are tried in the order unique, together, in-tenant. Each rule
 * finds its lowest clashing id from the index of one of its fields (any object equal on
 * that field has its key); a value without a key (a list, null, absent) falls back to the
 * scan for that rule alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects.h"
#include "store.h"

typedef bool (*clash_fn)(json_t *obj, json_t *other, const void *rule, json_int_t tenant);

/* Whether obj and other agree on every field of the set (an absent field is null). */
static bool same_set(json_t *obj, json_t *other, const char *const *fields) {
    for (size_t f = 0; fields[f]; f++) {
        json_t *mine = json_object_get(obj, fields[f]), *theirs = json_object_get(other, fields[f]);
        if (!json_equal(mine ? mine : json_null(), theirs ? theirs : json_null())) return false;
    }
    return true;
}

static bool clash_unique(json_t *obj, json_t *other, const void *rule, json_int_t tenant) {
    (void)tenant;
    const char *field = rule;
    json_t *mine = json_object_get(obj, field);
    return mine && !json_is_null(mine) && json_equal(mine, json_object_get(other, field));
}

static bool clash_together(json_t *obj, json_t *other, const void *rule, json_int_t tenant) {
    (void)tenant;
    return same_set(obj, other, rule);
}

static bool clash_in_tenant(json_t *obj, json_t *other, const void *rule, json_int_t tenant) {
    const char *field = rule;
    json_t *mine = json_object_get(obj, field);
    return json_integer_value(json_object_get(other, "tenant_id")) == tenant && mine &&
           json_equal(mine, json_object_get(other, field));
}

/* The lowest id (not exclude_id) of an object that clashes with obj by the rule, 0 if
 * none. key_field: the field whose index holds every candidate, NULL to scan. */
static json_int_t lowest_clash(sim_store *store, const char *collection, json_t *obj, json_int_t exclude_id,
                               const char *key_field, clash_fn clash, const void *rule, json_int_t tenant) {
    char *key = NULL;
    sim_ids ids = {0};
    bool indexed = key_field && index_field_key(obj, key_field, &key) == INDEX_KEY &&
                   store_find(store, collection, key_field, STORE_EQUAL, key, false, &ids);
    free(key);
    json_int_t found = 0;
    if (indexed) {
        for (size_t i = 0; i < ids.n && !found; i++) {
            json_t *other = store_get(store, collection, ids.v[i]);
            if (ids.v[i] != exclude_id && other && clash(obj, other, rule, tenant)) found = ids.v[i];
        }
        ids_free(&ids);
        return found;
    }
    size_t i;
    json_t *other;
    json_array_foreach(store_list(store, collection), i, other) {
        json_int_t id = json_integer_value(json_object_get(other, "id"));
        if (id != exclude_id && clash(obj, other, rule, tenant)) return id;
    }
    return 0;
}

/* DRF's unique-together body: "The fields a, b must make a unique set." */
static int unique_set_error(sim_response *resp, const char *const *fields) {
    char text[256] = "The fields ";
    for (size_t f = 0; fields[f]; f++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "%s%s", f ? ", " : "", fields[f]);
    }
    size_t n = strlen(text);
    snprintf(text + n, sizeof text - n, " must make a unique set.");
    return sim_reply(resp, 400, json_pack("{s:[s]}", "non_field_errors", text));
}

/* The field of the set whose index to use: the first whose value in obj has a key. */
static const char *keyed_field(json_t *obj, const char *const *fields) {
    for (size_t f = 0; fields[f]; f++) {
        char *key = NULL;
        index_class cls = index_field_key(obj, fields[f], &key);
        free(key);
        if (cls == INDEX_KEY) return fields[f];
    }
    return NULL;
}

int objects_check_unique(sim_request *req, const sim_collection *coll, json_t *obj, json_int_t exclude_id,
                         sim_response *resp) {
    sim_store *store = req->ctx->store;
    json_int_t tenant = json_integer_value(json_object_get(obj, "tenant_id"));
    json_int_t best = 0;
    int kind = 0; /* 1 unique, 2 together, 3 in tenant */
    const char *field = NULL;
    for (size_t f = 0; coll->unique && coll->unique[f]; f++) {
        json_t *mine = json_object_get(obj, coll->unique[f]);
        if (!mine || json_is_null(mine)) continue; /* clashes with nothing: no scan for it */
        json_int_t id = lowest_clash(store, coll->name, obj, exclude_id, coll->unique[f], clash_unique,
                                     coll->unique[f], tenant);
        if (id && (!best || id < best)) best = id, kind = 1, field = coll->unique[f];
    }
    if (coll->unique_together) {
        json_int_t id = lowest_clash(store, coll->name, obj, exclude_id, keyed_field(obj, coll->unique_together),
                                     clash_together, coll->unique_together, tenant);
        if (id && (!best || id < best)) best = id, kind = 2;
    }
    for (size_t f = 0; coll->unique_in_tenant && coll->unique_in_tenant[f]; f++) {
        if (!json_object_get(obj, coll->unique_in_tenant[f])) continue;
        json_int_t id = lowest_clash(store, coll->name, obj, exclude_id, coll->unique_in_tenant[f], clash_in_tenant,
                                     coll->unique_in_tenant[f], tenant);
        if (id && (!best || id < best)) best = id, kind = 3, field = coll->unique_in_tenant[f];
    }
    switch (kind) {
    case 1: return sim_reply_field_error(resp, field, "This field must be unique.");
    case 2: return unique_set_error(resp, coll->unique_together);
    case 3:
        return sim_reply(resp, 400, json_pack("{s:[s++]}", "non_field_errors", "The fields ", field,
                                              ", tenant_id must make a unique set."));
    default: return 0;
    }
}
