/* The store's inside, shared by store.c (objects and indexes in memory) and
 * store_persist.c (state.json, the journal, replay and compaction). Nothing else
 * includes it. */
#ifndef SIM_STORE_IMPL_H
#define SIM_STORE_IMPL_H

#include <pthread.h>

#include "journal.h"
#include "store.h"

typedef struct {
    char *collection, *name, *arg;
    index_key_fn key;
    sim_index *idx;
} store_index;

struct sim_store {
    pthread_mutex_t lock;
    char *path; /* DIR/state.json */
    json_t *collections; /* name -> array */
    json_t *next_ids;    /* name -> integer */
    json_t *sections;    /* name -> object */
    store_index *indexes;
    size_t n_indexes;
    /* What the next commit writes. */
    json_t *pending_objects;  /* collection -> {"<id>": true} */
    json_t *pending_sections; /* section -> true (all) | {key -> true | {subkey -> true}} */
    bool pending_ids;
    bool rewrite; /* the next commit rewrites state.json instead (store_clear, start-up) */
    /* Persistence (store_persist.c). */
    sim_journal *journal;
    json_int_t generation; /* of state.json; journal lines carry the one they extend */
    size_t state_size;     /* bytes of state.json as last written or read */
};

/* Replay's primitives: put (insert or replace by id; obj stolen) and drop, indexes kept. */
void store_put_object(sim_store *store, const char *collection, json_t *obj);
void store_drop_object(sim_store *store, const char *collection, json_int_t id);
void store_forget_pending(sim_store *store);

/* store_persist.c */
int store_load(sim_store *store, char *err, size_t errlen);

#endif
