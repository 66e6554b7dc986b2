/* The object store: every collection's objects in memory (jansson), ordered by id, with
 * secondary indexes, persisted as DIR/state.json plus an append journal beside it
 * (state.json.journal). One mutex guards all of it; API handlers hold it for a whole
 * request, so each request sees and leaves a consistent state.
 *
 * Whoever changes a stored object in place says so (store_changed, store_section_changed):
 * that is what the next commit writes to the journal and what keeps the indexes right. */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"

typedef struct sim_store sim_store;

/* Loads path when it exists, then replays path.journal. NULL (and a message in err) when
 * either exists but cannot be read as the store's. */
sim_store *store_open(const char *path, char *err, size_t errlen);
void store_close(sim_store *store);

void store_lock(sim_store *store);
void store_unlock(sim_store *store);

/* The objects of a collection, ascending ids (borrowed; created empty on first use).
 * Callers may read it, not change it: store_add and store_remove do. */
json_t *store_list(sim_store *store, const char *collection);
/* One object by id, or NULL (borrowed). */
json_t *store_get(sim_store *store, const char *collection, json_int_t id);
/* The position in store_list of the first object whose id satisfies id > bound (or >=
 * with inclusive), by binary search. */
size_t store_first_after(sim_store *store, const char *collection, double bound, bool inclusive);
/* Adds obj (reference stolen) with the next id of the collection, a fresh guid and
 * `created`; returns the object (borrowed). */
json_t *store_add(sim_store *store, const char *collection, json_t *obj);
bool store_remove(sim_store *store, const char *collection, json_int_t id);
/* obj, a stored object of collection, was changed in place. */
void store_changed(sim_store *store, const char *collection, json_t *obj);
/* A free-form persisted section (e.g. "sessions"), created on first use (borrowed). */
json_t *store_section(sim_store *store, const char *name);
/* section[key][subkey] was set or deleted; key NULL = the whole section changed, subkey
 * NULL = the whole section[key]. The journal gets the value as it is at commit. */
void store_section_changed(sim_store *store, const char *section, const char *key, const char *subkey);
/* Forgets every object, id counter and section except those named in keep_sections. */
void store_clear(sim_store *store, const char *const *keep_sections);

/* Appends what changed since the last commit to the journal (or rewrites state.json when
 * the journal has grown past it) and sets *ticket; 0 on success. Under the lock. */
int store_commit(sim_store *store, uint64_t *ticket);
/* Waits until the commit with ticket is on disk; call after store_unlock and before the
 * answer goes out. 0 on success. */
int store_sync(sim_store *store, uint64_t ticket);
/* store_commit, then store_sync: for callers that hold nothing up by waiting. */
int store_commit_sync_locked(sim_store *store);
/* Rewrites state.json with everything and empties the journal (clean shutdown). */
int store_compact(sim_store *store);
/* Deletes state.json and its journal (--reset); 0 when both are gone. */
int store_remove_files(const char *path);

/* ---- indexes ---- */

/* Keeps an index named name over collection (built from what is stored now). */
void store_add_index(sim_store *store, const char *collection, const char *name, index_key_fn key, const char *arg);
typedef enum { STORE_EQUAL, STORE_PREFIX, STORE_UPTO } store_match;
/* Ids (ascending, no repeats) from the index: keys equal to / starting with / up to key;
 * with_other adds the objects whose value has no key. false when there is no such index. */
bool store_find(sim_store *store, const char *collection, const char *name, store_match match, const char *key,
                bool with_other, sim_ids *out);
/* The first object (lowest id) whose string field equals value, or NULL; an index when
 * there is one, else a scan. */
json_t *store_find_first(sim_store *store, const char *collection, const char *field, const char *value);

/* Every collection name held, for the inventory. Borrowed object name -> array. */
json_t *store_collections(sim_store *store);

#endif
