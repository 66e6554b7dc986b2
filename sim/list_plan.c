/* Candidates of list requests; see list_plan.h. */
#include "list_plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "store.h"

static bool in_list(const char *const *list, const char *name) {
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], name) == 0) return true;
    }
    return false;
}

bool list_field_rendered(const char *name, const void *arg) {
    const sim_collection *coll = arg;
    return name[0] == '_' || strcmp(name, "url") == 0 || strcmp(name, "tenant_name") == 0 ||
           in_list(coll->derived, name) || in_list(coll->expensive, name) || in_list(coll->rendered, name);
}

/* The candidates become ids (sorted, once each) when the plan holds; else none. */
static bool take_ids(list_source *src, sim_ids *ids, bool planned) {
    if (!planned) {
        ids_free(ids);
        return false;
    }
    ids_sort_unique(ids);
    src->from_ids = true;
    src->ids = *ids;
    return true;
}

/* The ids an id filter allows; false when its value is not a plain number. */
static bool plan_ids(sim_request *req, const sim_collection *coll, const char *op, const char *value,
                     list_source *src) {
    char *end;
    if (strcmp(op, "gt") == 0 || strcmp(op, "gte") == 0) {
        errno = 0;
        double bound = strtod(value, &end); /* query.c compares numbers as doubles too */
        if (!*value || *end || errno) return false;
        src->start = store_first_after(req->ctx->store, coll->name, bound, strcmp(op, "gte") == 0);
        return true;
    }
    if (strcmp(op, "exact") != 0 && strcmp(op, "in") != 0) return false;
    char *copy = strdup(value), *save = NULL;
    if (!copy) abort();
    bool ok = true;
    sim_ids ids = {0};
    /* the same splitting as query.c's in_list: empty items are skipped */
    for (char *item = strcmp(op, "in") == 0 ? strtok_r(copy, ",", &save) : copy; item && ok;
         item = strcmp(op, "in") == 0 ? strtok_r(NULL, ",", &save) : NULL) {
        errno = 0;
        long long id = strtoll(item, &end, 10);
        if (!*item || *end || errno) ok = false;
        else if (store_get(req->ctx->store, coll->name, id)) ids_push(&ids, id);
    }
    free(copy);
    return take_ids(src, &ids, ok);
}

/* The ids an indexed field's filter allows (with the values that have no key: the filter
 * decides on those); false when the field has no index. */
static bool plan_index(sim_request *req, const sim_collection *coll, const char *field, const char *op,
                       const char *value, list_source *src) {
    sim_store *store = req->ctx->store;
    sim_ids ids = {0};
    bool indexed;
    if (strcmp(op, "startswith") == 0) {
        indexed = store_find(store, coll->name, field, STORE_PREFIX, value, true, &ids);
    } else if (strcmp(op, "in") == 0) {
        char *copy = strdup(value), *save = NULL;
        if (!copy) abort();
        /* the same splitting as query.c's in_list; no item at all matches nothing */
        bool first = true;
        indexed = true;
        for (char *item = strtok_r(copy, ",", &save); indexed && item; item = strtok_r(NULL, ",", &save)) {
            indexed = store_find(store, coll->name, field, STORE_EQUAL, item, first, &ids);
            first = false;
        }
        free(copy);
    } else if (strcmp(op, "exact") == 0) {
        indexed = store_find(store, coll->name, field, STORE_EQUAL, value, true, &ids);
    } else {
        return false;
    }
    return take_ids(src, &ids, indexed);
}

void list_plan(sim_request *req, const sim_collection *coll, list_source *src) {
    *src = (list_source){0};
    /* a filter on an indexed field first (few candidates), then one on id */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < req->n_params; i++) {
            char field[128];
            const char *op;
            if (!query_simple_filter(req->params[i].key, field, sizeof field, &op)) continue;
            if (strcmp(field, "id") == 0) {
                if (pass == 1 && plan_ids(req, coll, op, req->params[i].value, src)) return;
                continue;
            }
            /* a field render sets may match on a value the stored object lacks */
            if (pass == 1 || list_field_rendered(field, coll)) continue;
            if (plan_index(req, coll, field, op, req->params[i].value, src)) return;
        }
    }
    /* X-Tenant-Name (or a tenant admin): only that tenant's objects are visible */
    if (req->scope_tenant && coll->tenant_owned) {
        char key[32];
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, req->scope_tenant);
        sim_ids ids = {0};
        if (store_find(req->ctx->store, coll->name, "tenant_id", STORE_EQUAL, key, false, &ids)) {
            src->from_ids = true;
            src->ids = ids;
        }
    }
}

void list_source_free(list_source *src) { ids_free(&src->ids); }
