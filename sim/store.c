/* Objects in memory, persisted as one JSON document; see store.h.
 *
 * state.json:
 *   {"format": 1, "next_ids": {"views": 8, ...}, "collections": {"views": [...], ...},
 *    "sections": {"sessions": {...}}}
 *
 * Collections are arrays sorted by id (ids only grow, so appending keeps the order) and
 * looked up by binary search. The whole document is rewritten on every change: a few
 * milliseconds for thousands of objects, and it keeps kill -9 safety trivial. */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support.h"
#include "vk/log.h"

#define STATE_FORMAT 1

struct sim_store {
    pthread_mutex_t lock;
    char *path;
    json_t *collections; /* name -> array */
    json_t *next_ids;    /* name -> integer */
    json_t *sections;    /* name -> object */
    bool dirty;
};

static bool load_document(sim_store *store, json_t *doc, char *err, size_t errlen) {
    json_t *format = json_object_get(doc, "format");
    json_t *collections = json_object_get(doc, "collections");
    json_t *next_ids = json_object_get(doc, "next_ids");
    json_t *sections = json_object_get(doc, "sections");
    if (json_integer_value(format) != STATE_FORMAT || !json_is_object(collections) ||
        !json_is_object(next_ids) || (sections && !json_is_object(sections))) {
        snprintf(err, errlen, "%s: not a vms-sim state file (format %d)", store->path, STATE_FORMAT);
        return false;
    }
    const char *name;
    json_t *items;
    json_object_foreach(collections, name, items) {
        if (!json_is_array(items)) {
            snprintf(err, errlen, "%s: collection %s is not an array", store->path, name);
            return false;
        }
    }
    json_object_update(store->collections, collections);
    json_object_update(store->next_ids, next_ids);
    if (sections) json_object_update(store->sections, sections);
    return true;
}

sim_store *store_open(const char *path, char *err, size_t errlen) {
    sim_store *store = calloc(1, sizeof *store);
    if (!store) abort();
    pthread_mutex_init(&store->lock, NULL);
    store->path = sim_strdup(path);
    store->collections = json_object();
    store->next_ids = json_object();
    store->sections = json_object();

    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return store;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        store_close(store);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc) {
        snprintf(err, errlen, "%s: line %d: %s", path, jerr.line, jerr.text);
        store_close(store);
        return NULL;
    }
    bool ok = load_document(store, doc, err, errlen);
    json_decref(doc);
    if (!ok) {
        store_close(store);
        return NULL;
    }
    return store;
}

void store_close(sim_store *store) {
    if (!store) return;
    json_decref(store->collections);
    json_decref(store->next_ids);
    json_decref(store->sections);
    pthread_mutex_destroy(&store->lock);
    free(store->path);
    free(store);
}

void store_lock(sim_store *store) { pthread_mutex_lock(&store->lock); }
void store_unlock(sim_store *store) { pthread_mutex_unlock(&store->lock); }

json_t *store_list(sim_store *store, const char *collection) {
    json_t *items = json_object_get(store->collections, collection);
    if (!items) {
        items = json_array();
        json_object_set_new(store->collections, collection, items);
    }
    return items;
}

static json_int_t object_id(json_t *obj) { return json_integer_value(json_object_get(obj, "id")); }

/* Index of the object with id, or of where it would go (binary search over ascending ids). */
static size_t find_index(json_t *items, json_int_t id, bool *found) {
    size_t lo = 0, hi = json_array_size(items);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        json_int_t mid_id = object_id(json_array_get(items, mid));
        if (mid_id == id) {
            *found = true;
            return mid;
        }
        if (mid_id < id) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

json_t *store_get(sim_store *store, const char *collection, json_int_t id) {
    json_t *items = json_object_get(store->collections, collection);
    if (!items) return NULL;
    bool found;
    size_t i = find_index(items, id, &found);
    return found ? json_array_get(items, i) : NULL;
}

json_t *store_add(sim_store *store, const char *collection, json_t *obj) {
    json_int_t id = json_integer_value(json_object_get(store->next_ids, collection));
    if (id < 1) id = 1;
    json_object_set_new(store->next_ids, collection, json_integer(id + 1));
    char guid[37], created[SIM_ISO_MAX];
    sim_uuid4(guid);
    sim_iso8601(created, sim_now_ms());
    json_object_set_new(obj, "id", json_integer(id));
    json_object_set_new(obj, "guid", json_string(guid));
    json_object_set_new(obj, "created", json_string(created));
    json_array_append_new(store_list(store, collection), obj);
    store->dirty = true;
    return obj;
}

bool store_remove(sim_store *store, const char *collection, json_int_t id) {
    json_t *items = json_object_get(store->collections, collection);
    if (!items) return false;
    bool found;
    size_t i = find_index(items, id, &found);
    if (!found) return false;
    json_array_remove(items, i);
    store->dirty = true;
    return true;
}

json_t *store_section(sim_store *store, const char *name) {
    json_t *section = json_object_get(store->sections, name);
    if (!section) {
        section = json_object();
        json_object_set_new(store->sections, name, section);
    }
    return section;
}

void store_clear(sim_store *store, const char *const *keep_sections) {
    json_object_clear(store->collections);
    json_object_clear(store->next_ids);
    json_t *kept = json_object();
    for (size_t i = 0; keep_sections && keep_sections[i]; i++) {
        json_t *section = json_object_get(store->sections, keep_sections[i]);
        if (section) json_object_set(kept, keep_sections[i], section);
    }
    json_decref(store->sections);
    store->sections = kept;
    store->dirty = true;
}

void store_touch(sim_store *store) { store->dirty = true; }

int store_commit(sim_store *store) {
    if (!store->dirty) return 0;
    json_t *doc = json_pack("{s:i, s:O, s:O, s:O}", "format", STATE_FORMAT, "next_ids", store->next_ids,
                            "collections", store->collections, "sections", store->sections);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) return -1;
    int rc = sim_write_file_atomic(store->path, text, strlen(text), 0600);
    free(text);
    if (rc == 0) store->dirty = false;
    return rc;
}

json_t *store_collections(sim_store *store) { return store->collections; }
