/* The event recorder's bookkeeping on an injected clock: the aggregation key, a series
 * (created once, repeats folded, counts written at most once per flush interval and
 * once at its end, a new Event after the window), a gone Event created again, the
 * spam filter's arithmetic, the bounded queue; the recorder's refusals, its counters
 * and a bounded free with no server. */
#include "kube_event_internal.h"
#include "vk/deadline.h"
#include "vk/kube_event.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define T0 1000000

static char *key_for(const char *name, const char *type, const char *reason, const char *action, const char *note) {
    return kube_event_key("v1", "PersistentVolumeClaim", "ns", name, "uid-1", type, reason, action, note);
}

static char *object_of(const char *name) {
    return kube_event_key("v1", "PersistentVolumeClaim", "ns", name, "uid-1", NULL, NULL, NULL, NULL);
}

static void aggregation_key(void **state) {
    (void)state;
    char *a = key_for("x", "Warning", "Failed", "Provision", "no space");
    char *same = key_for("x", "Warning", "Failed", "Provision", "no space");
    assert_string_equal(a, same);
    const char *variants[][5] = {{"y", "Warning", "Failed", "Provision", "no space"},
                                 {"x", "Normal", "Failed", "Provision", "no space"},
                                 {"x", "Warning", "Other", "Provision", "no space"},
                                 {"x", "Warning", "Failed", "Delete", "no space"},
                                 {"x", "Warning", "Failed", "Provision", "no space!"}};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        char *b = key_for(variants[i][0], variants[i][1], variants[i][2], variants[i][3], variants[i][4]);
        assert_string_not_equal(a, b);
        free(b);
    }
    /* A separator inside a field cannot shift text into the next one. */
    char *k1 = key_for("x", "Warning", "A\nB", "C", "n");
    char *k2 = key_for("x", "Warning", "A", "B\nC", "n");
    assert_string_not_equal(k1, k2);
    free(k1);
    free(k2);
    free(a);
    free(same);
}

static json_t *body(void) { return json_pack("{s:s}", "reason", "Failed"); }

static kube_note_result note(kube_event_book *b, const char *key, const char *object, int64_t now) {
    json_t *ev = body();
    kube_note_result r = kube_event_book_note(b, key, object, now, "2024-01-01T00:00:00.000000Z", ev);
    if (r != NOTE_QUEUED) json_decref(ev);
    return r;
}

static kube_event_book book(size_t queue, int64_t flush_ms, int64_t window_ms) {
    kube_event_book b = {.queue_size = queue, .flush_ms = flush_ms, .window_ms = window_ms};
    kube_event_book_init(&b);
    return b;
}

/* 1,000 repeats: one create carrying the repeats that came before it, then at most one
 * patch per flush interval whatever the rate, one last patch, and after the window the
 * next occurrence is a new Event. */
static void series_of_repeats(void **state) {
    (void)state;
    kube_event_book b = book(0, 30000, 360000);
    char *key = key_for("x", "Warning", "Failed", "Provision", "no space");
    char *obj = object_of("x");
    assert_int_equal(note(&b, key, obj, T0), NOTE_QUEUED);
    for (int i = 1; i < 5; i++) assert_int_equal(note(&b, key, obj, T0 + i), NOTE_FOLDED);
    kube_series *s;
    int64_t wake;
    assert_int_equal(kube_event_book_next(&b, T0 + 5, false, &s, &wake), JOB_CREATE);
    assert_int_equal(s->count, 5); /* the create carries series.count 5 */
    for (int i = 5; i < 1000; i++) assert_int_equal(note(&b, key, obj, T0 + i), NOTE_FOLDED); /* while it is sent */
    kube_event_book_done(&b, s, JOB_CREATE, 5, true, false, T0 + 1000);
    assert_int_equal(s->written, 5);
    /* Nothing due before the flush interval, however many repeats come. */
    assert_int_equal(kube_event_book_next(&b, T0 + 1001, false, &s, &wake), JOB_NONE);
    assert_int_equal(wake, T0 + 1000 + 30000);
    assert_int_equal(kube_event_book_next(&b, T0 + 30999, false, &s, &wake), JOB_NONE);
    assert_int_equal(kube_event_book_next(&b, T0 + 31000, false, &s, &wake), JOB_PATCH);
    assert_int_equal(s->count, 1000);
    kube_event_book_done(&b, s, JOB_PATCH, 1000, true, false, T0 + 31000);
    /* Written in full: next is the window's end (reaping), not a flush. */
    assert_int_equal(kube_event_book_next(&b, T0 + 62000, false, &s, &wake), JOB_NONE);
    assert_int_equal(wake, T0 + 999 + 360000);
    assert_int_equal(b.nseries, 1);
    /* One more repeat within the window folds and is due at once: the last write was
     * more than an interval ago. Then the window passes without a repeat. */
    assert_int_equal(note(&b, key, obj, T0 + 62000), NOTE_FOLDED);
    kube_series *again;
    assert_int_equal(kube_event_book_next(&b, T0 + 62001, false, &again, &wake), JOB_PATCH);
    kube_event_book_done(&b, again, JOB_PATCH, 1001, true, false, T0 + 62001);
    assert_int_equal(kube_event_book_next(&b, T0 + 62000 + 360000, false, &s, &wake), JOB_NONE);
    assert_int_equal(b.nseries, 0); /* ended and written: dropped */
    assert_int_equal(wake, INT64_MAX);
    assert_int_equal(note(&b, key, obj, T0 + 62000 + 360001), NOTE_QUEUED); /* a new Event */
    kube_event_book_free(&b);
    free(key);
    free(obj);
}

/* A repeat whose interval has not passed is written at the window's end, or at once
 * when the recorder flushes on free. */
static void final_count_at_end_or_flush(void **state) {
    (void)state;
    kube_event_book b = book(0, 30000, 60000);
    char *key = key_for("x", "Normal", "Synced", "Sync", "");
    char *obj = object_of("x");
    kube_series *s;
    int64_t wake;
    note(&b, key, obj, T0);
    kube_event_book_next(&b, T0, false, &s, &wake);
    kube_event_book_done(&b, s, JOB_CREATE, 1, true, false, T0);
    note(&b, key, obj, T0 + 10);
    assert_int_equal(kube_event_book_next(&b, T0 + 20, false, &s, &wake), JOB_NONE);
    assert_int_equal(wake, T0 + 30000);
    assert_int_equal(kube_event_book_next(&b, T0 + 20, true, &s, &wake), JOB_PATCH);
    assert_int_equal(s->count, 2);
    kube_event_book_done(&b, s, JOB_PATCH, 2, false, false, T0 + 20); /* failed: tried again later */
    assert_int_equal(kube_event_book_next(&b, T0 + 30019, false, &s, &wake), JOB_NONE);
    assert_int_equal(kube_event_book_next(&b, T0 + 30020, false, &s, &wake), JOB_PATCH);
    kube_event_book_free(&b);
    free(key);
    free(obj);
}

/* The Event expired on the server (404 to the patch): created again with its series;
 * a failed create drops the series, so the next occurrence starts over. */
static void gone_and_failed(void **state) {
    (void)state;
    kube_event_book b = book(0, 1000, 60000);
    char *key = key_for("x", "Warning", "Failed", "Provision", "n");
    char *obj = object_of("x");
    kube_series *s;
    int64_t wake;
    note(&b, key, obj, T0);
    kube_event_book_next(&b, T0, false, &s, &wake);
    kube_event_book_done(&b, s, JOB_CREATE, 1, true, false, T0);
    note(&b, key, obj, T0 + 1);
    assert_int_equal(kube_event_book_next(&b, T0 + 1000, false, &s, &wake), JOB_PATCH);
    kube_event_book_done(&b, s, JOB_PATCH, 2, false, true, T0 + 1000);
    assert_int_equal(b.pending, 1);
    assert_int_equal(kube_event_book_next(&b, T0 + 1001, false, &s, &wake), JOB_CREATE);
    assert_int_equal(s->count, 2);
    kube_event_book_done(&b, s, JOB_CREATE, 2, false, false, T0 + 1001);
    assert_int_equal(b.nseries, 0);
    assert_int_equal(note(&b, key, obj, T0 + 1002), NOTE_QUEUED);
    kube_event_book_free(&b);
    free(key);
    free(obj);
}

/* client-go's filter: 25 new series per object at once, then one per 5 minutes;
 * other objects have their own bucket; repeats of a series take no token. */
static void spam_filter(void **state) {
    (void)state;
    kube_event_book b = book(0, 0, 0);
    char *obj = object_of("x");
    char *first = key_for("x", "Warning", "R0", "A", "");
    int queued = 0, spam = 0;
    for (int i = 0; i < 30; i++) {
        char reason[16];
        snprintf(reason, sizeof reason, "R%d", i);
        char *k = key_for("x", "Warning", reason, "A", "");
        kube_note_result r = note(&b, k, obj, T0);
        queued += r == NOTE_QUEUED;
        spam += r == NOTE_SPAM;
        free(k);
    }
    assert_int_equal(queued, 25);
    assert_int_equal(spam, 5);
    assert_int_equal(note(&b, first, obj, T0 + 1), NOTE_FOLDED); /* no token needed */
    char *other_obj = object_of("y");
    char *other = key_for("y", "Warning", "R0", "A", "");
    assert_int_equal(note(&b, other, other_obj, T0), NOTE_QUEUED);
    char *late = key_for("x", "Warning", "Late", "A", "");
    char *later = key_for("x", "Warning", "Later", "A", "");
    assert_int_equal(note(&b, late, obj, T0 + 299999), NOTE_SPAM);
    assert_int_equal(note(&b, late, obj, T0 + 300000), NOTE_QUEUED); /* one token refilled */
    assert_int_equal(note(&b, later, obj, T0 + 300000), NOTE_SPAM);
    assert_int_equal(note(&b, later, obj, T0 + 600000), NOTE_QUEUED);
    /* A bucket does not save up beyond its burst. */
    int fresh = 0;
    for (int i = 0; i < 40; i++) {
        char reason[16];
        snprintf(reason, sizeof reason, "Q%d", i);
        char *k = key_for("x", "Warning", reason, "A", "");
        fresh += note(&b, k, obj, T0 + 100LL * 300000) == NOTE_QUEUED;
        free(k);
    }
    assert_int_equal(fresh, 25);
    kube_event_book_free(&b);
    free(obj);
    free(first);
    free(other_obj);
    free(other);
    free(late);
    free(later);
}

/* Series waiting for their create are the queue: beyond it a new series is dropped
 * (and takes no spam token); once the sender takes one, there is room again. */
static void bounded_queue(void **state) {
    (void)state;
    kube_event_book b = book(3, 0, 0);
    char *obj = object_of("x");
    char *keys[5];
    for (int i = 0; i < 5; i++) {
        char reason[16];
        snprintf(reason, sizeof reason, "R%d", i);
        keys[i] = key_for("x", "Warning", reason, "A", "");
    }
    for (int i = 0; i < 3; i++) assert_int_equal(note(&b, keys[i], obj, T0), NOTE_QUEUED);
    assert_int_equal(note(&b, keys[3], obj, T0), NOTE_FULL);
    assert_int_equal(note(&b, keys[0], obj, T0), NOTE_FOLDED); /* repeats still count */
    kube_series *s;
    int64_t wake;
    assert_int_equal(kube_event_book_next(&b, T0, false, &s, &wake), JOB_CREATE);
    assert_string_equal(s->key, keys[0]); /* first come, first served */
    assert_int_equal(note(&b, keys[3], obj, T0), NOTE_QUEUED);
    assert_int_equal(note(&b, keys[4], obj, T0), NOTE_FULL);
    /* 4 tokens taken of 25: the drops took none. */
    assert_int_equal(kube_event_spam_allow(&b, obj, T0), true);
    kube_event_book_free(&b);
    for (int i = 0; i < 5; i++) free(keys[i]);
    free(obj);
}

static vk_kube_client *unreachable_client(void) {
    vk_kube_config cfg = {.server = "https://127.0.0.1:1", .token = "test-token-0123456789",
                          .insecure_skip_tls_verify = true};
    vk_kube_client *kc;
    vk_status st;
    assert_true(vk_kube_client_new(&cfg, &(vk_kube_client_settings){.retry = {.max_attempts = 1}}, &kc, &st));
    return kc;
}

/* The recorder's own rules: a reporting controller is required, incomplete calls are
 * counted and dropped, the caller never waits (1,000 calls while the server is
 * unreachable), and free gives up at its deadline. */
static void recorder_without_a_server(void **state) {
    (void)state;
    vk_kube_recorder_stats s;
    vk_kube_client *kc = unreachable_client();
    vk_status st;
    assert_null(vk_kube_recorder_new(kc, &(vk_kube_recorder_settings){0}, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    vk_kube_recorder *r = vk_kube_recorder_new(kc, &(vk_kube_recorder_settings){.reporting_controller = "vast-k8s.io/test"}, &st);
    assert_non_null(r);
    vk_kube_object_ref pvc = {.api_version = "v1", .kind = "PersistentVolumeClaim", .namespace_ = "ns", .name = "x"};
    vk_kube_event(r, &(vk_kube_object_ref){.kind = "Pod"}, VK_KUBE_EVENT_NORMAL, "Started", "Start", "no name");
    vk_kube_event(r, &pvc, VK_KUBE_EVENT_NORMAL, "", "Start", "no reason");
    int64_t t0 = vk_now_ms();
    for (int i = 0; i < 1000; i++) vk_kube_event(r, &pvc, VK_KUBE_EVENT_WARNING, "Failed", "Provision", "attempt failed");
    int64_t took = vk_now_ms() - t0;
    vk_kube_recorder_get_stats(r, &s);
    assert_int_equal(s.occurrences, 1002);
    assert_int_equal(s.invalid, 2);
    /* Each failed create drops its series, so a repeat starts another: the spam
     * filter bounds those to its burst while the server is down. */
    assert_true(s.folded + s.dropped_spam >= 1000 - 25);
    assert_true(took < 5000); /* no network wait in the caller (a hang would be far longer) */
    t0 = vk_now_ms();
    vk_kube_recorder_free(r, vk_deadline_in(2000));
    assert_true(vk_now_ms() - t0 < 2000 + 3000);
    vk_kube_client_free(kc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aggregation_key),
        cmocka_unit_test(series_of_repeats),
        cmocka_unit_test(final_count_at_end_or_flush),
        cmocka_unit_test(gone_and_failed),
        cmocka_unit_test(spam_filter),
        cmocka_unit_test(bounded_queue),
        cmocka_unit_test(recorder_without_a_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
