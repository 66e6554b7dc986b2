/* Ordered secondary indexes over the objects of one collection: each object has at most
 * one key (a string) per index, and the index answers "which ids have key K", "which have
 * a key starting with P" and "which have a key up to K" in O(log n) plus the answer's
 * size. The store keeps them up to date (store.h); nothing here knows JSON objects beyond
 * how a value becomes a key.
 *
 * Objects whose indexed value exists but has no key (a list, a boolean, null, a real) are
 * kept in an "other" class that every look-up may add to its answer: a caller that
 * matches values by their text (query.c) must see them, because it decides for itself. */
#ifndef SIM_INDEX_H
#define SIM_INDEX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A growable list of ids. */
typedef struct {
    json_int_t *v;
    size_t n, cap;
} sim_ids;

void ids_push(sim_ids *ids, json_int_t id);
/* Ascending and without repeats (look-ups over several keys collect repeats). */
void ids_sort_unique(sim_ids *ids);
void ids_free(sim_ids *ids);

typedef enum { INDEX_NONE, INDEX_KEY, INDEX_OTHER } index_class;

/* The key an object has in an index: INDEX_KEY with *key malloc'd, INDEX_OTHER (in the
 * index without a key) or INDEX_NONE (not in the index). arg is the index's argument. */
typedef index_class (*index_key_fn)(json_t *obj, const char *arg, char **key);

/* The key of a value: a string is itself, an integer its decimal text (so `tenant_id=1`
 * finds tenant_id 1); absent is NONE, anything else OTHER. */
index_class index_value_key(json_t *value, char **key);
/* index_key_fn of a field index: arg is the field name. */
index_class index_field_key(json_t *obj, const char *field, char **key);
/* A key that orders like the number: for timestamps in milliseconds. */
void index_ms_key(long long ms, char out[24]);

typedef struct sim_index sim_index;

sim_index *index_create(void);
void index_free(sim_index *idx);
void index_clear(sim_index *idx);
/* Files id under key (stolen; NULL for the other class), replacing where it was. */
void index_put(sim_index *idx, json_int_t id, char *key);
void index_drop(sim_index *idx, json_int_t id);

/* Appends to out the ids whose key equals key / starts with prefix / is <= max (text
 * order), and with with_other also those of the other class. Unsorted across keys. */
void index_equal(const sim_index *idx, const char *key, bool with_other, sim_ids *out);
void index_prefix(const sim_index *idx, const char *prefix, bool with_other, sim_ids *out);
void index_upto(const sim_index *idx, const char *max, sim_ids *out);

#endif
