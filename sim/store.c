/* Objects and indexes in memory; see store.h. Persistence is store_persist.c.
 *
 * Collections are jansson arrays sorted by id (ids only grow, so appending keeps the
 * order) and looked up by binary search. Every add, remove and store_changed files the
 * object again in its collection's indexes and notes it for the next commit. */
#include "store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

sim_store *store_open(const char *path, char *err, size_t errlen) {
    sim_store *store = calloc(1, sizeof *store);
    if (!store) abort();
    pthread_mutex_init(&store->lock, NULL);
    store->path = sim_strdup(path);
    store->collections = json_object();
    store->next_ids = json_object();
    store->sections = json_object();
    store->pending_objects = json_object();
    store->pending_sections = json_object();
    if (store_load(store, err, errlen) != 0) {
        store_close(store);
        return NULL;
    }
    return store;
}

void store_close(sim_store *store) {
    if (!store) return;
    for (size_t i = 0; i < store->n_indexes; i++) {
        index_free(store->indexes[i].idx);
        free(store->indexes[i].collection);
        free(store->indexes[i].name);
        free(store->indexes[i].arg);
    }
    free(store->indexes);
    journal_close(store->journal);
    json_decref(store->collections);
    json_decref(store->next_ids);
    json_decref(store->sections);
    json_decref(store->pending_objects);
    json_decref(store->pending_sections);
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

size_t store_first_after(sim_store *store, const char *collection, double bound, bool inclusive) {
    json_t *items = store_list(store, collection);
    size_t lo = 0, hi = json_array_size(items);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double id = (double)object_id(json_array_get(items, mid));
        if (inclusive ? id >= bound : id > bound) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* ---- indexes ---- */

static void index_object(sim_store *store, const char *collection, json_t *obj) {
    json_int_t id = object_id(obj);
    for (size_t i = 0; i < store->n_indexes; i++) {
        store_index *ix = &store->indexes[i];
        if (strcmp(ix->collection, collection) != 0) continue;
        char *key = NULL;
        index_class cls = ix->key(obj, ix->arg, &key);
        if (cls == INDEX_NONE) index_drop(ix->idx, id);
        else index_put(ix->idx, id, cls == INDEX_KEY ? key : NULL);
    }
}

static void unindex_object(sim_store *store, const char *collection, json_int_t id) {
    for (size_t i = 0; i < store->n_indexes; i++) {
        if (strcmp(store->indexes[i].collection, collection) == 0) index_drop(store->indexes[i].idx, id);
    }
}

void store_add_index(sim_store *store, const char *collection, const char *name, index_key_fn key, const char *arg) {
    store->indexes = realloc(store->indexes, (store->n_indexes + 1) * sizeof *store->indexes);
    if (!store->indexes) abort();
    store_index *ix = &store->indexes[store->n_indexes++];
    *ix = (store_index){.collection = sim_strdup(collection), .name = sim_strdup(name),
                        .arg = arg ? sim_strdup(arg) : NULL, .key = key, .idx = index_create()};
    size_t i;
    json_t *obj;
    json_array_foreach(store_list(store, collection), i, obj) {
        char *k = NULL;
        index_class cls = key(obj, ix->arg, &k);
        if (cls != INDEX_NONE) index_put(ix->idx, object_id(obj), cls == INDEX_KEY ? k : NULL);
    }
}

static const store_index *find_named_index(const sim_store *store, const char *collection, const char *name) {
    for (size_t i = 0; i < store->n_indexes; i++) {
        if (strcmp(store->indexes[i].collection, collection) == 0 && strcmp(store->indexes[i].name, name) == 0)
            return &store->indexes[i];
    }
    return NULL;
}

bool store_find(sim_store *store, const char *collection, const char *name, store_match match, const char *key,
                bool with_other, sim_ids *out) {
    const store_index *ix = find_named_index(store, collection, name);
    if (!ix) return false;
    switch (match) {
    case STORE_EQUAL: index_equal(ix->idx, key, with_other, out); break;
    case STORE_PREFIX: index_prefix(ix->idx, key, with_other, out); break;
    case STORE_UPTO: index_upto(ix->idx, key, out); break;
    }
    ids_sort_unique(out);
    return true;
}

static bool has_text(json_t *obj, const char *field, const char *value) {
    const char *have = json_string_value(json_object_get(obj, field));
    return have && strcmp(have, value) == 0;
}

json_t *store_find_first(sim_store *store, const char *collection, const char *field, const char *value) {
    if (!value) return NULL;
    sim_ids ids = {0};
    json_t *found = NULL;
    if (store_find(store, collection, field, STORE_EQUAL, value, false, &ids)) {
        for (size_t i = 0; i < ids.n && !found; i++) {
            json_t *obj = store_get(store, collection, ids.v[i]);
            if (has_text(obj, field, value)) found = obj;
        }
    } else {
        size_t i;
        json_t *obj;
        json_array_foreach(store_list(store, collection), i, obj) {
            if (has_text(obj, field, value)) {
                found = obj;
                break;
            }
        }
    }
    ids_free(&ids);
    return found;
}

/* ---- changes ---- */

static void note_object(sim_store *store, const char *collection, json_int_t id) {
    json_t *set = json_object_get(store->pending_objects, collection);
    if (!set) {
        set = json_object();
        json_object_set_new(store->pending_objects, collection, set);
    }
    char key[32];
    snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, id);
    json_object_set_new(set, key, json_true());
}

void store_forget_pending(sim_store *store) {
    json_object_clear(store->pending_objects);
    json_object_clear(store->pending_sections);
    store->pending_ids = false;
}

void store_put_object(sim_store *store, const char *collection, json_t *obj) {
    json_t *items = store_list(store, collection);
    bool found;
    size_t i = find_index(items, object_id(obj), &found);
    if (found) json_array_set_new(items, i, obj);
    else json_array_insert_new(items, i, obj);
    index_object(store, collection, obj);
}

void store_drop_object(sim_store *store, const char *collection, json_int_t id) {
    json_t *items = json_object_get(store->collections, collection);
    bool found;
    size_t i = items ? find_index(items, id, &found) : 0;
    if (!items || !found) return;
    unindex_object(store, collection, id);
    json_array_remove(items, i);
}

json_t *store_add(sim_store *store, const char *collection, json_t *obj) {
    json_int_t id = json_integer_value(json_object_get(store->next_ids, collection));
    if (id < 1) id = 1;
    json_object_set_new(store->next_ids, collection, json_integer(id + 1));
    store->pending_ids = true;
    char guid[37], created[SIM_ISO_MAX];
    sim_uuid4(guid);
    sim_iso8601(created, sim_now_ms());
    json_object_set_new(obj, "id", json_integer(id));
    json_object_set_new(obj, "guid", json_string(guid));
    json_object_set_new(obj, "created", json_string(created));
    json_array_append_new(store_list(store, collection), obj);
    index_object(store, collection, obj);
    note_object(store, collection, id);
    return obj;
}

bool store_remove(sim_store *store, const char *collection, json_int_t id) {
    if (!store_get(store, collection, id)) return false;
    store_drop_object(store, collection, id);
    note_object(store, collection, id);
    return true;
}

void store_changed(sim_store *store, const char *collection, json_t *obj) {
    index_object(store, collection, obj);
    note_object(store, collection, object_id(obj));
}

json_t *store_section(sim_store *store, const char *name) {
    json_t *section = json_object_get(store->sections, name);
    if (!section) {
        section = json_object();
        json_object_set_new(store->sections, name, section);
    }
    return section;
}

void store_section_changed(sim_store *store, const char *section, const char *key, const char *subkey) {
    json_t *spec = json_object_get(store->pending_sections, section);
    if (!key || json_is_true(spec)) {
        json_object_set_new(store->pending_sections, section, json_true());
        return;
    }
    if (!spec) {
        spec = json_object();
        json_object_set_new(store->pending_sections, section, spec);
    }
    json_t *keys = json_object_get(spec, key);
    if (!subkey || json_is_true(keys)) {
        json_object_set_new(spec, key, json_true());
        return;
    }
    if (!keys) {
        keys = json_object();
        json_object_set_new(spec, key, keys);
    }
    json_object_set_new(keys, subkey, json_true());
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
    for (size_t i = 0; i < store->n_indexes; i++) index_clear(store->indexes[i].idx);
    /* one rewrite says it all, where a journal line would name every object gone */
    store->rewrite = true;
}

json_t *store_collections(sim_store *store) { return store->collections; }
