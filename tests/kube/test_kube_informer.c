/* The informer's cache and the decisions of its loop, without a server: a relist of a
 * fake list diffed against the cache (adds, updates for changed resourceVersions only,
 * deletes for vanished objects), watch events, the label index as objects move between
 * values, resync, reads as new references, and a cache grown past its first table. */
#include "kube_informer_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static json_t *cm(const char *ns, const char *name, const char *rv, const char *app) {
    json_t *o = json_pack("{s:s, s:{s:s, s:s, s:s}}", "kind", "ConfigMap", "metadata", "namespace", ns, "name", name,
                          "resourceVersion", rv);
    assert_non_null(o);
    if (app) json_object_set_new(json_object_get(o, "metadata"), "labels", json_pack("{s:s}", "app", app));
    return o;
}

static const char *name_of(const json_t *o) {
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
}
static const char *rv_of(const json_t *o) {
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
}

/* What the handlers were told, in order: "add a@1", "update b@1>2", "delete c@1". */
typedef struct {
    char log[64][48];
    int n;
} calls;

static void note(calls *c, const char *fmt, const char *a, const char *b, const char *d) {
    assert_true(c->n < 64);
    snprintf(c->log[c->n++], sizeof c->log[0], fmt, a, b, d);
}
static void on_add(void *ctx, json_t *o) { note(ctx, "add %s@%s%s", name_of(o), rv_of(o), ""); }
static void on_update(void *ctx, json_t *old, json_t *o) {
    note(ctx, "update %s@%s>%s", name_of(o), rv_of(old), rv_of(o));
}
static void on_delete(void *ctx, json_t *o) { note(ctx, "delete %s@%s%s", name_of(o), rv_of(o), ""); }

static bool called(const calls *c, const char *what) {
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->log[i], what) == 0) return true;
    return false;
}

typedef struct {
    vk_kube_config cfg;
    vk_kube_client *kc;
    vk_kube_informer *inf;
    calls calls;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    /* A client that is never used: nothing here is sent. */
    f->cfg.server = "https://127.0.0.1:1";
    vk_status st;
    assert_true(vk_kube_client_new(&f->cfg, NULL, &f->kc, &st));
    vk_kube_informer_options o = {.ref = {.version = "v1", .resource = "configmaps", .namespace_ = "ns"},
                                  .index_label = "app",
                                  .handlers = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete,
                                               .ctx = &f->calls}};
    f->inf = vk_kube_informer_new(f->kc, &o, &st);
    assert_non_null(f->inf);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    vk_kube_informer_free(f->inf);
    vk_kube_client_free(f->kc);
    free(f);
    return 0;
}

/* One list of the objects given, as the loop applies it. */
static void relist(vk_kube_informer *inf, json_t *const *items, size_t n) {
    kube_informer_list_begin(inf);
    for (size_t i = 0; i < n; i++) kube_informer_list_item(inf, items[i]);
    kube_informer_list_done(inf);
}

static void drop(json_t **items, size_t n) {
    for (size_t i = 0; i < n; i++) json_decref(items[i]);
}

static void relist_diff(void **state) {
    fixture *f = *state;
    json_t *first[] = {cm("ns", "a", "1", NULL), cm("ns", "b", "1", NULL), cm("ns", "c", "1", NULL)};
    relist(f->inf, first, 3);
    assert_int_equal(f->calls.n, 3);
    assert_true(called(&f->calls, "add a@1") && called(&f->calls, "add b@1") && called(&f->calls, "add c@1"));
    /* The relist after a 410: a unchanged, b changed, c gone, d new. */
    f->calls.n = 0;
    json_t *second[] = {cm("ns", "a", "1", NULL), cm("ns", "b", "2", NULL), cm("ns", "d", "5", NULL)};
    relist(f->inf, second, 3);
    assert_int_equal(f->calls.n, 3); /* nothing for a */
    assert_true(called(&f->calls, "update b@1>2"));
    assert_true(called(&f->calls, "add d@5"));
    assert_true(called(&f->calls, "delete c@1")); /* its last known state */
    assert_int_equal(vk_kube_informer_size(f->inf), 3);
    json_t *c = vk_kube_informer_get(f->inf, "ns", "c");
    assert_null(c);
    json_t *b = vk_kube_informer_get(f->inf, "ns", "b");
    assert_string_equal(rv_of(b), "2");
    assert_ptr_equal(b, second[1]); /* the listed object itself, shared */
    json_decref(b);
    /* The same list again: no news at all. */
    f->calls.n = 0;
    relist(f->inf, second, 3);
    assert_int_equal(f->calls.n, 0);
    /* An empty list deletes everything. */
    relist(f->inf, NULL, 0);
    assert_int_equal(f->calls.n, 3);
    assert_int_equal(vk_kube_informer_size(f->inf), 0);
    vk_kube_informer_stats s;
    vk_kube_informer_get_stats(f->inf, &s);
    assert_int_equal(s.adds, 4);
    assert_int_equal(s.updates, 1);
    assert_int_equal(s.deletes, 4);
    drop(first, 3);
    drop(second, 3);
}

static void a_list_only_sweeps_when_done(void **state) {
    fixture *f = *state;
    json_t *items[] = {cm("ns", "a", "1", NULL), cm("ns", "b", "1", NULL)};
    relist(f->inf, items, 2);
    /* A list that failed midway (only a seen) is never swept: the next one starts afresh. */
    f->calls.n = 0;
    kube_informer_list_begin(f->inf);
    kube_informer_list_item(f->inf, items[0]);
    relist(f->inf, items, 2);
    assert_int_equal(f->calls.n, 0);
    assert_int_equal(vk_kube_informer_size(f->inf), 2);
    drop(items, 2);
}

static void watch_events(void **state) {
    fixture *f = *state;
    json_t *a1 = cm("ns", "a", "1", NULL), *a2 = cm("ns", "a", "2", NULL), *a3 = cm("ns", "a", "3", NULL);
    json_t *ghost = cm("ns", "ghost", "4", NULL);
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_ADDED, a1);
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_MODIFIED, a2);
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_DELETED, a3);
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_DELETED, ghost); /* never had it: no news */
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_BOOKMARK, a1);    /* not a change */
    assert_int_equal(f->calls.n, 3);
    assert_string_equal(f->calls.log[0], "add a@1");
    assert_string_equal(f->calls.log[1], "update a@1>2");
    assert_string_equal(f->calls.log[2], "delete a@3"); /* the event's final state */
    assert_int_equal(vk_kube_informer_size(f->inf), 0);
    json_t *nameless = json_pack("{s:{}}", "metadata");
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_ADDED, nameless);
    assert_int_equal(vk_kube_informer_size(f->inf), 0);
    json_decref(nameless);
    json_decref(a1);
    json_decref(a2);
    json_decref(a3);
    json_decref(ghost);
}

static size_t count_index(vk_kube_informer *inf, const char *value) {
    json_t *found = vk_kube_informer_by_index(inf, value);
    size_t n = json_array_size(found);
    json_decref(found);
    return n;
}

static void label_index(void **state) {
    fixture *f = *state;
    json_t *objs[] = {cm("ns", "a", "1", "web"), cm("ns", "b", "1", "web"), cm("ns", "c", "1", "db"),
                      cm("ns", "d", "1", NULL)};
    relist(f->inf, objs, 4);
    assert_int_equal(count_index(f->inf, "web"), 2);
    assert_int_equal(count_index(f->inf, "db"), 1);
    assert_int_equal(count_index(f->inf, "none"), 0);
    /* b moves from web to db; c loses its label; a is deleted. */
    json_t *b2 = cm("ns", "b", "2", "db"), *c2 = cm("ns", "c", "2", NULL);
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_MODIFIED, b2);
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_MODIFIED, c2);
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_DELETED, objs[0]);
    assert_int_equal(count_index(f->inf, "web"), 0);
    assert_int_equal(count_index(f->inf, "db"), 1);
    json_t *db = vk_kube_informer_by_index(f->inf, "db");
    assert_string_equal(name_of(json_array_get(db, 0)), "b");
    json_decref(db);
    drop(objs, 4);
    json_decref(b2);
    json_decref(c2);
}

static void resync_tells_every_object(void **state) {
    fixture *f = *state;
    json_t *objs[] = {cm("ns", "a", "7", NULL), cm("ns", "b", "8", NULL)};
    relist(f->inf, objs, 2);
    f->calls.n = 0;
    kube_informer_resync(f->inf);
    assert_int_equal(f->calls.n, 2);
    assert_true(called(&f->calls, "update a@7>7") && called(&f->calls, "update b@8>8"));
    vk_kube_informer_stats s;
    vk_kube_informer_get_stats(f->inf, &s);
    assert_int_equal(s.resyncs, 1);
    drop(objs, 2);
}

static void reads_are_new_references(void **state) {
    fixture *f = *state;
    json_t *a = cm("ns", "a", "1", NULL);
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_ADDED, a);
    size_t before = a->refcount;
    json_t *got = vk_kube_informer_get(f->inf, "ns", "a");
    json_t *all = vk_kube_informer_list(f->inf);
    assert_int_equal(a->refcount, before + 2);
    /* Still valid after the cache lets go of it. */
    kube_informer_apply_event(f->inf, VK_KUBE_WATCH_DELETED, a);
    json_decref(a);
    assert_string_equal(name_of(got), "a");
    assert_string_equal(name_of(json_array_get(all, 0)), "a");
    json_decref(got);
    json_decref(all);
    assert_null(vk_kube_informer_get(f->inf, "other", "a"));
}

static void many_objects(void **state) {
    (void)state;
    /* Past several doublings of the table and the index, then half deleted by a relist. */
    kube_cache c;
    kube_cache_init(&c, "app", NULL);
    enum { N = 5000 };
    char name[32], app[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "cm-%d", i);
        snprintf(app, sizeof app, "app-%d", i % 7);
        json_t *o = cm("ns", name, "1", app), *old;
        assert_true(kube_cache_put(&c, o, &old));
        assert_null(old);
        json_decref(o);
    }
    assert_int_equal(c.count, N);
    assert_int_equal(c.ivalues, 7);
    kube_cache_begin_list(&c);
    for (int i = 0; i < N; i += 2) {
        snprintf(name, sizeof name, "ns/cm-%d", i);
        kube_cache_saw(&c, name);
    }
    json_t *gone = kube_cache_sweep(&c);
    assert_int_equal(json_array_size(gone), N / 2);
    json_decref(gone);
    assert_int_equal(c.count, N / 2);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "ns/cm-%d", i);
        assert_true((kube_cache_get(&c, name) != NULL) == (i % 2 == 0));
    }
    size_t indexed = 0;
    for (int v = 0; v < 7; v++) {
        snprintf(app, sizeof app, "app-%d", v);
        json_t *found = kube_cache_by_index(&c, app);
        indexed += json_array_size(found);
        json_decref(found);
    }
    assert_int_equal(indexed, N / 2);
    kube_cache_free(&c);
}

static json_t *pv(const char *name, const char *rv, const char *storage_class) {
    json_t *o = json_pack("{s:s, s:{s:s, s:s}, s:{}}", "kind", "PersistentVolume", "metadata", "name", name,
                          "resourceVersion", rv, "spec");
    assert_non_null(o);
    if (storage_class)
        json_object_set_new(json_object_get(o, "spec"), "storageClassName", json_string(storage_class));
    return o;
}

static size_t count_of(kube_cache *c, const char *value) {
    json_t *found = kube_cache_by_index(c, value);
    size_t n = json_array_size(found);
    json_decref(found);
    return n;
}

static void field_index(void **state) {
    (void)state;
    /* The operator counts a Tenant's volumes by spec.storageClassName: an object moves
     * with its field, one without it (or with a non-string there) is in no list. */
    kube_cache c;
    kube_cache_init(&c, NULL, "spec.storageClassName");
    json_t *old, *o;
    const char *classes[] = {"gold", "gold", "silver", NULL};
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "pv-%d", i);
        o = pv(name, "1", classes[i]);
        assert_true(kube_cache_put(&c, o, &old));
        json_decref(o);
    }
    o = json_pack("{s:{s:s, s:s}, s:{s:i}}", "metadata", "name", "odd", "resourceVersion", "1", "spec",
                  "storageClassName", 7);
    assert_true(kube_cache_put(&c, o, &old));
    json_decref(o);
    assert_int_equal(count_of(&c, "gold"), 2);
    assert_int_equal(count_of(&c, "silver"), 1);
    assert_int_equal(count_of(&c, "bronze"), 0);
    o = pv("pv-0", "2", "silver"); /* its class changed */
    assert_true(kube_cache_put(&c, o, &old));
    json_decref(old);
    json_decref(o);
    assert_int_equal(count_of(&c, "gold"), 1);
    assert_int_equal(count_of(&c, "silver"), 2);
    json_t *gone = kube_cache_remove(&c, "pv-1");
    assert_non_null(gone);
    json_decref(gone);
    assert_int_equal(count_of(&c, "gold"), 0);
    assert_int_equal(c.ivalues, 1);
    kube_cache_free(&c);
}

static void keys(void **state) {
    (void)state;
    char buf[16];
    assert_true(kube_cache_key("ns", "x", buf, sizeof buf));
    assert_string_equal(buf, "ns/x");
    assert_true(kube_cache_key(NULL, "node-1", buf, sizeof buf)); /* cluster-scoped */
    assert_string_equal(buf, "node-1");
    assert_false(kube_cache_key("a-long-namespace", "name", buf, sizeof buf));
}

static void refused_options(void **state) {
    fixture *f = *state;
    vk_status st;
    assert_null(vk_kube_informer_new(f->kc, &(vk_kube_informer_options){.ref = {.resource = "configmaps"}}, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_null(vk_kube_informer_new(f->kc,
                                     &(vk_kube_informer_options){.ref = {.version = "v1", .resource = "configmaps"},
                                                                 .index_label = "app",
                                                                 .index_field = "spec.x"},
                                     &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(relist_diff, setup, teardown),
        cmocka_unit_test_setup_teardown(a_list_only_sweeps_when_done, setup, teardown),
        cmocka_unit_test_setup_teardown(watch_events, setup, teardown),
        cmocka_unit_test_setup_teardown(label_index, setup, teardown),
        cmocka_unit_test_setup_teardown(resync_tells_every_object, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_are_new_references, setup, teardown),
        cmocka_unit_test(many_objects),
        cmocka_unit_test(field_index),
        cmocka_unit_test(keys),
        cmocka_unit_test_setup_teardown(refused_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
