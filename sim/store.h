/* The object store: every collection's objects in memory (jansson), ordered by id,
 * and their persistence to DIR/state.json. One mutex guards all of it; API handlers
 * hold it for a whole request, so each request sees and leaves a consistent state. */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sim_store sim_store;

/* Loads path when it exists, else starts empty. NULL (and a message in err) when the
 * file exists but cannot be read as a state file. */
sim_store *store_open(const char *path, char *err, size_t errlen);
void store_close(sim_store *store);

void store_lock(sim_store *store);
void store_unlock(sim_store *store);

/* The objects of a collection, ascending ids (borrowed; created empty on first use). */
json_t *store_list(sim_store *store, const char *collection);
/* One object by id, or NULL (borrowed). */
json_t *store_get(sim_store *store, const char *collection, json_int_t id);
/* Adds obj (reference stolen) with the next id of the collection, a fresh guid and
 * `created`; returns the object (borrowed). */
json_t *store_add(sim_store *store, const char *collection, json_t *obj);
bool store_remove(sim_store *store, const char *collection, json_int_t id);
/* A free-form persisted section (e.g. "sessions"), created on first use (borrowed). */
json_t *store_section(sim_store *store, const char *name);
/* Forgets every object, id counter and section except those named in keep_sections. */
void store_clear(sim_store *store, const char *const *keep_sections);

/* Marks the state changed; store_commit writes it before the change is acknowledged. */
void store_touch(sim_store *store);
/* Writes state.json atomically when touched since the last commit; 0 on success. */
int store_commit(sim_store *store);

/* Every collection name held, for the inventory. Borrowed object name -> array. */
json_t *store_collections(sim_store *store);

#endif
