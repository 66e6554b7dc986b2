/* Persistence of the store: DIR/state.json (a whole snapshot) plus DIR/state.json.journal
 * (what changed since, one line per commit). See store.h and docs/vms-sim.md.
 *
 * state.json:
 *   {"format": 1, "generation": G, "next_ids": {"views": 8, ...},
 *    "collections": {"views": [...], ...}, "sections": {"sessions": {...}}}
 * a journal line (one commit; a request's changes apply all or none):
 *   {"gen": G, "ops": [{"put": "views", "o": {...the whole object...}},
 *                      {"del": "views", "id": 7},
 *                      {"ids": {"views": 9, ...}},
 *                      {"sec": "sessions", "k": "access", "k2": "<token>", "v": {...}}]}
 *   (a "sec" without "v" deletes; without "k2"/"k" it names the whole key/section)
 *
 * A commit appends its line under the store lock; the answer waits for the fdatasync that
 * covers the line (store_sync, outside the lock, shared by every request that waits at
 * the same time). Each request costs one short line, whatever the state holds.
 *
 * Compaction, when the journal outgrows max(1 MiB, state.json): write state.json with
 * generation G+1 (temp file, fsync, rename, fsync of the directory), then empty the
 * journal. Replay applies only lines of the generation state.json has and skips older
 * ones. So a crash at any step is safe:
 *   - before the rename: the old state.json (G) and its journal (G) are intact;
 *   - after the rename, before the journal is emptied: the lines left are of G, already
 *     inside state.json G+1, and skipped. Replaying them would mostly be harmless (puts
 *     and deletes by id, in order, end where state.json is), but not where a compaction
 *     wrote what no line says: a reset (store_clear) would have its objects back;
 *   - after: state.json G+1 and an empty journal, then lines of G+1.
 * A line of a later generation than state.json cannot be written (the journal is emptied
 * only after the new state.json is durable), so meeting one is reported as damage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_impl.h"
#include "support.h"
#include "vk/log.h"

#define STATE_FORMAT 1
#define COMPACT_MIN_BYTES ((size_t)1 << 20)

static char *journal_path_of(const char *path) { return sim_printf("%s.journal", path); }

int store_remove_files(const char *path) {
    char *journal = journal_path_of(path);
    int rc = 0;
    if (unlink(path) != 0 && errno != ENOENT) rc = -1;
    if (unlink(journal) != 0 && errno != ENOENT) rc = -1;
    free(journal);
    return rc;
}

/* ---- loading ---- */

static bool load_document(sim_store *store, json_t *doc, char *err, size_t errlen) {
    json_t *format = json_object_get(doc, "format");
    json_t *generation = json_object_get(doc, "generation");
    json_t *collections = json_object_get(doc, "collections");
    json_t *next_ids = json_object_get(doc, "next_ids");
    json_t *sections = json_object_get(doc, "sections");
    if (json_integer_value(format) != STATE_FORMAT || !json_is_object(collections) || !json_is_object(next_ids) ||
        (sections && !json_is_object(sections)) || (generation && !json_is_integer(generation))) {
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
    store->generation = json_integer_value(generation); /* files from before the journal: 0 */
    return true;
}

/* section[k][k2] = v, or deleted when v is NULL; missing levels are made. */
static void set_section_value(sim_store *store, const char *section, const char *k, const char *k2, json_t *v) {
    if (!k) {
        if (v) json_object_set(store->sections, section, v);
        else json_object_del(store->sections, section);
        return;
    }
    json_t *sec = store_section(store, section);
    if (!k2) {
        if (v) json_object_set(sec, k, v);
        else json_object_del(sec, k);
        return;
    }
    json_t *table = json_object_get(sec, k);
    if (!json_is_object(table)) {
        table = json_object();
        json_object_set_new(sec, k, table);
    }
    if (v) json_object_set(table, k2, v);
    else json_object_del(table, k2);
}

static int apply_op(sim_store *store, json_t *op, char *err, size_t errlen) {
    const char *put = json_string_value(json_object_get(op, "put"));
    const char *del = json_string_value(json_object_get(op, "del"));
    const char *sec = json_string_value(json_object_get(op, "sec"));
    json_t *ids = json_object_get(op, "ids");
    if (put && json_is_integer(json_object_get(json_object_get(op, "o"), "id"))) {
        store_put_object(store, put, json_incref(json_object_get(op, "o")));
    } else if (del && json_is_integer(json_object_get(op, "id"))) {
        store_drop_object(store, del, json_integer_value(json_object_get(op, "id")));
    } else if (json_is_object(ids)) {
        json_object_update(store->next_ids, ids);
    } else if (sec) {
        set_section_value(store, sec, json_string_value(json_object_get(op, "k")),
                          json_string_value(json_object_get(op, "k2")), json_object_get(op, "v"));
    } else {
        snprintf(err, errlen, "unknown operation");
        return -1;
    }
    return 0;
}

static int apply_record(void *arg, json_t *record, char *err, size_t errlen) {
    sim_store *store = arg;
    json_t *gen = json_object_get(record, "gen");
    json_t *ops = json_object_get(record, "ops");
    if (!json_is_integer(gen) || !json_is_array(ops)) {
        snprintf(err, errlen, "not a journal record");
        return -1;
    }
    if (json_integer_value(gen) < store->generation) return 0; /* inside state.json already */
    if (json_integer_value(gen) > store->generation) {
        snprintf(err, errlen, "generation %" JSON_INTEGER_FORMAT " is newer than state.json's %" JSON_INTEGER_FORMAT,
                 json_integer_value(gen), store->generation);
        return -1;
    }
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        if (apply_op(store, op, err, errlen) != 0) return -1;
    }
    return 0;
}

int store_load(sim_store *store, char *err, size_t errlen) {
    struct stat st;
    bool have_state = stat(store->path, &st) == 0;
    if (!have_state && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", store->path, strerror(errno));
        return -1;
    }
    if (have_state) {
        json_error_t jerr;
        json_t *doc = json_load_file(store->path, 0, &jerr);
        if (!doc) {
            snprintf(err, errlen, "%s: line %d: %s", store->path, jerr.line, jerr.text);
            return -1;
        }
        bool ok = load_document(store, doc, err, errlen);
        json_decref(doc);
        if (!ok) return -1;
        store->state_size = (size_t)st.st_size;
    }
    char *journal_path = journal_path_of(store->path);
    store->journal = journal_open(journal_path, err, errlen);
    free(journal_path);
    if (!store->journal) return -1;
    long replayed = journal_replay(store->journal, apply_record, store, err, errlen);
    if (replayed < 0) return -1;
    /* Start from a fresh state.json: start-up then never depends on a long journal, and a
     * state.json exists from the first start on. */
    if (replayed > 0 || !have_state || journal_size(store->journal) > 0) store->rewrite = true;
    return 0;
}

/* ---- writing ---- */

static int compact(sim_store *store) {
    json_int_t generation = store->generation + 1;
    json_t *doc = json_pack("{s:i, s:I, s:O, s:O, s:O}", "format", STATE_FORMAT, "generation", generation, "next_ids",
                            store->next_ids, "collections", store->collections, "sections", store->sections);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) return -1;
    size_t len = strlen(text);
    int rc = sim_write_file_atomic(store->path, text, len, 0600);
    free(text);
    if (rc != 0) return -1;
    store->generation = generation;
    store->state_size = len;
    store->rewrite = false;
    store_forget_pending(store);
    /* If emptying fails the old lines stay, of an older generation: skipped on replay. */
    journal_reset(store->journal);
    return 0;
}

static json_t *section_op(sim_store *store, const char *section, const char *k, const char *k2) {
    json_t *v = json_object_get(store->sections, section);
    if (k) v = json_object_get(v, k);
    if (k2) v = json_object_get(v, k2);
    json_t *op = json_pack("{s:s}", "sec", section);
    if (k) json_object_set_new(op, "k", json_string(k));
    if (k2) json_object_set_new(op, "k2", json_string(k2));
    if (v) json_object_set(op, "v", v);
    return op;
}

/* The operations of everything noted since the last commit, values as they are now. */
static json_t *pending_ops(sim_store *store) {
    json_t *ops = json_array();
    const char *collection, *key, *k2;
    json_t *set, *spec, *keys, *v;
    json_object_foreach(store->pending_objects, collection, set) {
        json_object_foreach(set, key, v) {
            json_int_t id = strtoll(key, NULL, 10);
            json_t *obj = store_get(store, collection, id);
            if (obj) json_array_append_new(ops, json_pack("{s:s, s:O}", "put", collection, "o", obj));
            else json_array_append_new(ops, json_pack("{s:s, s:I}", "del", collection, "id", id));
        }
    }
    if (store->pending_ids) json_array_append_new(ops, json_pack("{s:O}", "ids", store->next_ids));
    json_object_foreach(store->pending_sections, collection, spec) {
        if (!json_is_object(spec)) {
            json_array_append_new(ops, section_op(store, collection, NULL, NULL));
            continue;
        }
        json_object_foreach(spec, key, keys) {
            if (!json_is_object(keys)) {
                json_array_append_new(ops, section_op(store, collection, key, NULL));
                continue;
            }
            json_object_foreach(keys, k2, v) json_array_append_new(ops, section_op(store, collection, key, k2));
        }
    }
    return ops;
}

int store_commit(sim_store *store, uint64_t *ticket) {
    /* Nothing new: still wait for lines already appended, which this request may have
     * read (another request's change, its fsync still under way). */
    *ticket = journal_last_ticket(store->journal);
    if (store->rewrite) return compact(store);
    json_t *ops = pending_ops(store);
    int rc = 0;
    if (json_array_size(ops) > 0) {
        json_t *record = json_pack("{s:I, s:o}", "gen", store->generation, "ops", ops);
        char *line = json_dumps(record, JSON_COMPACT);
        json_decref(record);
        rc = line ? journal_append(store->journal, line, strlen(line), ticket) : -1;
        free(line);
        if (rc == 0) store_forget_pending(store); /* on failure they go with the next commit */
    } else {
        json_decref(ops);
    }
    size_t limit = store->state_size > COMPACT_MIN_BYTES ? store->state_size : COMPACT_MIN_BYTES;
    if (rc == 0 && journal_size(store->journal) > limit && compact(store) != 0)
        VK_LOG(VK_LOG_WARN, "cannot compact the journal into state.json; it keeps growing", "path", store->path);
    return rc;
}

int store_sync(sim_store *store, uint64_t ticket) { return journal_sync(store->journal, ticket); }

int store_commit_sync_locked(sim_store *store) {
    uint64_t ticket;
    if (store_commit(store, &ticket) != 0) return -1;
    return store_sync(store, ticket);
}

int store_compact(sim_store *store) {
    if (store_commit_sync_locked(store) != 0) return -1;
    if (journal_size(store->journal) == 0 && !store->rewrite) return 0;
    return compact(store);
}
