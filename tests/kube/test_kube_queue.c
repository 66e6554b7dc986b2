/* The controller work queue: dedup, one worker per key, FIFO, backoff and the token
 * bucket on a fake clock, delays, shutdown. */
#include "vk/deadline.h"
#include "vk/kube_queue.h"
#include "vk/kube_ratelimit.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The fake clock: tests move it, the queue reads it. */
static int64_t fake_ms(void *ctx) { return *(int64_t *)ctx; }

static vk_kube_queue *fake_queue(int64_t *clock) {
    *clock = 1000000;
    vk_kube_queue_options o = {.now_ms = fake_ms, .clock_ctx = clock};
    return vk_kube_queue_new(&o);
}

/* get without waiting (the deadline has passed): the key, or NULL. */
static const char *try_get(vk_kube_queue *q) {
    const char *key;
    vk_code c = vk_kube_queue_get(q, 0, &key);
    assert_true(c == VK_OK || c == VK_DEADLINE_EXCEEDED);
    assert_true((c == VK_OK) == (key != NULL));
    return key;
}

static void expect_get(vk_kube_queue *q, const char *want) {
    const char *key = try_get(q);
    assert_non_null(key);
    assert_string_equal(key, want);
}

static void get_done(vk_kube_queue *q, const char *want) {
    expect_get(q, want);
    vk_kube_queue_done(q, want);
}

static void dedup_while_queued(void **state) {
    (void)state;
    vk_kube_queue *q = vk_kube_queue_new(NULL);
    vk_kube_queue_add(q, "ns/a");
    vk_kube_queue_add(q, "ns/a");
    vk_kube_queue_add(q, "ns/b");
    vk_kube_queue_add(q, "ns/a");
    assert_int_equal(vk_kube_queue_length(q), 2);
    get_done(q, "ns/a");
    get_done(q, "ns/b");
    assert_null(try_get(q));
    vk_kube_queue_stats s;
    vk_kube_queue_stats_get(q, &s);
    assert_int_equal(s.adds, 2);
    assert_int_equal(s.works, 2);
    vk_kube_queue_free(q);
}

static void fifo_order(void **state) {
    (void)state;
    vk_kube_queue *q = vk_kube_queue_new(NULL);
    const char *order[] = {"c", "a", "d", "b", "e"};
    for (size_t i = 0; i < 5; i++) vk_kube_queue_add(q, order[i]);
    get_done(q, "c");
    vk_kube_queue_add(q, "c"); /* re-added: behind the others */
    for (size_t i = 1; i < 5; i++) get_done(q, order[i]);
    get_done(q, "c");
    assert_null(try_get(q));
    vk_kube_queue_free(q);
}

static void dirty_while_processing(void **state) {
    (void)state;
    vk_kube_queue *q = vk_kube_queue_new(NULL);
    vk_kube_queue_add(q, "k");
    vk_kube_queue_add(q, "other");
    expect_get(q, "k");
    vk_kube_queue_add(q, "k"); /* while a worker has it */
    vk_kube_queue_add(q, "k");
    assert_int_equal(vk_kube_queue_length(q), 1);
    get_done(q, "other");
    assert_null(try_get(q)); /* not to a second worker */
    vk_kube_queue_done(q, "k");
    assert_int_equal(vk_kube_queue_length(q), 1);
    get_done(q, "k");
    assert_null(try_get(q)); /* once, not twice */
    vk_kube_queue_done(q, "k"); /* done for a key not held: ignored */
    assert_int_equal(vk_kube_queue_length(q), 0);
    vk_kube_queue_free(q);
}

/* N workers, many adds of few keys: a key is never in two workers, and every add is
 * followed by a processing of its key. */
#define N_WORKERS 4
#define N_KEYS 5
#define N_ADDS 4000

typedef struct {
    vk_kube_queue *q;
    atomic_int in_use[N_KEYS];
    atomic_int pending[N_KEYS]; /* set before an add, cleared when a worker takes the key */
    atomic_int processed[N_KEYS];
    atomic_int overlaps;
    atomic_int timeouts;
} exclusivity;

static void *exclusive_worker(void *arg) {
    exclusivity *x = arg;
    for (;;) {
        const char *key;
        vk_code c = vk_kube_queue_get(x->q, vk_deadline_in(20000), &key);
        if (c == VK_CANCELLED) break;
        if (c != VK_OK) {
            atomic_fetch_add(&x->timeouts, 1);
            break;
        }
        int k = atoi(key + 4);
        if (atomic_exchange(&x->in_use[k], 1) != 0) atomic_fetch_add(&x->overlaps, 1);
        atomic_store(&x->pending[k], 0);
        atomic_fetch_add(&x->processed[k], 1);
        struct timespec work = {0, 20000};
        nanosleep(&work, NULL);
        atomic_store(&x->in_use[k], 0);
        vk_kube_queue_done(x->q, key);
    }
    return NULL;
}

static void one_worker_per_key(void **state) {
    (void)state;
    static exclusivity x;
    memset(&x, 0, sizeof x);
    x.q = vk_kube_queue_new(NULL);
    pthread_t workers[N_WORKERS];
    for (int i = 0; i < N_WORKERS; i++) assert_int_equal(pthread_create(&workers[i], NULL, exclusive_worker, &x), 0);
    unsigned seed = 13;
    for (int i = 0; i < N_ADDS; i++) {
        int k = rand_r(&seed) % N_KEYS;
        char key[16];
        snprintf(key, sizeof key, "key-%d", k);
        atomic_store(&x.pending[k], 1);
        if (i % 10 == 0) vk_kube_queue_add_after(x.q, key, 1);
        else vk_kube_queue_add(x.q, key);
        if (i % 7 == 0) sched_yield();
    }
    /* Idle: nothing queued, delayed or held (bounded against a lost wake-up). */
    int64_t deadline = vk_deadline_in(30000);
    vk_kube_queue_stats s;
    for (;;) {
        vk_kube_queue_stats_get(x.q, &s);
        if ((s.depth == 0 && s.delayed == 0 && s.processing == 0) || vk_deadline_remaining(deadline) == 0) break;
        vk_sleep_ms(2);
    }
    assert_int_equal(s.depth + s.delayed + s.processing, 0);
    vk_kube_queue_shutdown(x.q);
    for (int i = 0; i < N_WORKERS; i++) pthread_join(workers[i], NULL);
    assert_int_equal(atomic_load(&x.overlaps), 0);
    assert_int_equal(atomic_load(&x.timeouts), 0);
    int total = 0;
    for (int k = 0; k < N_KEYS; k++) {
        assert_int_equal(atomic_load(&x.pending[k]), 0);
        assert_true(atomic_load(&x.processed[k]) >= 1);
        total += atomic_load(&x.processed[k]);
    }
    assert_true(total <= N_ADDS);
    assert_int_equal(s.works, (uint64_t)total);
    vk_kube_queue_free(x.q);
}

static void backoff_sequence(void **state) {
    (void)state;
    assert_int_equal(vk_backoff_exponential(5, 1000000, 0), 5);
    assert_int_equal(vk_backoff_exponential(5, 1000000, 17), 655360);
    assert_int_equal(vk_backoff_exponential(5, 1000000, 18), 1000000);
    assert_int_equal(vk_backoff_exponential(5, 1000000, 200), 1000000);

    int64_t now;
    vk_kube_queue *q = fake_queue(&now);
    vk_kube_queue_add(q, "k");
    int64_t want = 5;
    for (unsigned i = 0; i < 24; i++) {
        expect_get(q, "k");
        vk_kube_queue_add_rate_limited(q, "k"); /* the reconcile failed */
        vk_kube_queue_done(q, "k");
        assert_int_equal(vk_kube_queue_num_requeues(q, "k"), i + 1);
        now += want - 1;
        assert_null(try_get(q));
        now += 1;
        want = want * 2 > 1000000 ? 1000000 : want * 2;
    }
    assert_int_equal(want, 1000000); /* the sequence reached the cap */
    expect_get(q, "k");
    vk_kube_queue_done(q, "k");
    vk_kube_queue_stats s;
    vk_kube_queue_stats_get(q, &s);
    assert_int_equal(s.retries, 24);
    vk_kube_queue_free(q);
}

static void token_bucket_beyond_burst(void **state) {
    (void)state;
    int64_t now;
    vk_kube_queue *q = fake_queue(&now);
    char key[16];
    for (int i = 0; i < 102; i++) {
        snprintf(key, sizeof key, "k%d", i);
        vk_kube_queue_add_rate_limited(q, key);
    }
    now += 5; /* the first 100 are within the burst: only their 5 ms backoff */
    assert_int_equal(vk_kube_queue_length(q), 100);
    now += 94;
    assert_int_equal(vk_kube_queue_length(q), 100);
    now += 1; /* the 101st: one token at 10 qps */
    assert_int_equal(vk_kube_queue_length(q), 101);
    now += 99;
    assert_int_equal(vk_kube_queue_length(q), 101);
    now += 1;
    assert_int_equal(vk_kube_queue_length(q), 102);
    for (int i = 0; i < 102; i++) {
        snprintf(key, sizeof key, "k%d", i);
        get_done(q, key);
    }
    /* Tokens come back at 10 per second, and no more than the burst piles up. */
    now += 1000000;
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "j%d", i);
        vk_kube_queue_add_rate_limited(q, key);
    }
    vk_kube_queue_add_rate_limited(q, "j100");
    now += 5;
    assert_int_equal(vk_kube_queue_length(q), 100);
    vk_kube_queue_free(q);

    vk_token_bucket b;
    vk_token_bucket_init(&b, -1, 0, 0);
    assert_int_equal(vk_token_bucket_reserve(&b, 0), 0); /* no limit */
}

/* On the real clock: the 101st immediate rate-limited add comes out no earlier than
 * 100 ms after the first (a lower bound: nothing here asserts speed). */
static void token_bucket_real_clock(void **state) {
    (void)state;
    vk_kube_queue *q = vk_kube_queue_new(NULL);
    int64_t start = vk_now_ms();
    char key[16];
    for (int i = 0; i < 101; i++) {
        snprintf(key, sizeof key, "k%d", i);
        vk_kube_queue_add_rate_limited(q, key);
    }
    int64_t last = 0;
    for (int i = 0; i < 101; i++) {
        const char *got;
        assert_int_equal(vk_kube_queue_get(q, vk_deadline_in(20000), &got), VK_OK);
        snprintf(key, sizeof key, "k%d", i);
        assert_string_equal(got, key);
        last = vk_now_ms();
        vk_kube_queue_done(q, got);
    }
    assert_true(last - start >= 100);
    vk_kube_queue_free(q);
}

static void forget_resets(void **state) {
    (void)state;
    int64_t now;
    vk_kube_queue *q = fake_queue(&now);
    for (int i = 0; i < 3; i++) vk_kube_queue_add_rate_limited(q, "k");
    assert_int_equal(vk_kube_queue_num_requeues(q, "k"), 3);
    now += 5; /* the first delay (5 ms) wins over the later, longer ones */
    get_done(q, "k");
    vk_kube_queue_forget(q, "k");
    assert_int_equal(vk_kube_queue_num_requeues(q, "k"), 0);
    vk_kube_queue_add_rate_limited(q, "k");
    assert_int_equal(vk_kube_queue_num_requeues(q, "k"), 1);
    now += 4;
    assert_null(try_get(q));
    now += 1; /* 5 ms again, not 40 */
    get_done(q, "k");
    vk_kube_queue_forget(q, "k");
    vk_kube_queue_forget(q, "never-added");
    assert_int_equal(vk_kube_queue_num_requeues(q, "never-added"), 0);
    vk_kube_queue_free(q);
}

static void add_after_order(void **state) {
    (void)state;
    int64_t now;
    vk_kube_queue *q = fake_queue(&now);
    vk_kube_queue_add_after(q, "a", 30);
    vk_kube_queue_add_after(q, "b", 10);
    vk_kube_queue_add_after(q, "c", 20);
    vk_kube_queue_add_after(q, "d", 10); /* same time as b: after b */
    now += 9;
    assert_null(try_get(q));
    now += 21;
    get_done(q, "b");
    get_done(q, "d");
    get_done(q, "c");
    get_done(q, "a");
    assert_int_equal(vk_kube_queue_num_requeues(q, "a"), 0); /* a delay is no failure */

    /* Of two delays for a key the shorter wins, whichever came first. */
    vk_kube_queue_add_after(q, "x", 100);
    vk_kube_queue_add_after(q, "x", 50);
    vk_kube_queue_add_after(q, "y", 50);
    vk_kube_queue_add_after(q, "y", 100);
    now += 49;
    assert_null(try_get(q));
    now += 1;
    assert_int_equal(vk_kube_queue_length(q), 2);
    get_done(q, "x");
    get_done(q, "y");
    now += 100;
    assert_null(try_get(q)); /* the longer ones are gone */

    /* A delayed add of a key in a worker's hands comes back after done. */
    vk_kube_queue_add(q, "z");
    expect_get(q, "z");
    vk_kube_queue_add_after(q, "z", 10);
    now += 10;
    assert_null(try_get(q));
    vk_kube_queue_done(q, "z");
    get_done(q, "z");
    vk_kube_queue_free(q);
}

static void add_cancels_delay(void **state) {
    (void)state;
    int64_t now;
    vk_kube_queue *q = fake_queue(&now);
    vk_kube_queue_add_after(q, "k", 1000);
    vk_kube_queue_add_rate_limited(q, "r");
    vk_kube_queue_add(q, "k");
    vk_kube_queue_add(q, "r");
    vk_kube_queue_stats s;
    vk_kube_queue_stats_get(q, &s);
    assert_int_equal(s.delayed, 0);
    get_done(q, "k");
    get_done(q, "r");
    now += 1000;
    assert_null(try_get(q)); /* neither comes a second time */
    assert_int_equal(vk_kube_queue_num_requeues(q, "r"), 1); /* the failure stays until forget */
    vk_kube_queue_free(q);
}

static void counters(void **state) {
    (void)state;
    int64_t now;
    vk_kube_queue *q = fake_queue(&now);
    vk_kube_queue_add(q, "a");
    now += 7;
    expect_get(q, "a");
    now += 3;
    vk_kube_queue_done(q, "a");
    vk_kube_queue_add(q, "b");
    now += 2;
    expect_get(q, "b");
    now += 5;
    vk_kube_queue_done(q, "b");
    vk_kube_queue_stats s;
    vk_kube_queue_stats_get(q, &s);
    assert_int_equal(s.adds, 2);
    assert_int_equal(s.longest_wait_ms, 7);
    assert_int_equal(s.works, 2);
    assert_int_equal(s.work_ms_total, 8);
    assert_int_equal(s.longest_work_ms, 5);
    vk_kube_queue_free(q);
}

typedef struct {
    vk_kube_queue *q;
    atomic_int returned;
    atomic_int codes[4];
    const char *keys[4];
} getters;

typedef struct {
    getters *g;
    int i;
    int64_t deadline;
} getter_arg;

static void *blocked_get(void *arg) {
    getter_arg *a = arg;
    const char *key = NULL;
    vk_code c = vk_kube_queue_get(a->g->q, a->deadline, &key);
    a->g->keys[a->i] = key;
    atomic_store(&a->g->codes[a->i], (int)c);
    atomic_fetch_add(&a->g->returned, 1);
    return NULL;
}

/* Waits (bounded) until n getters have returned. */
static bool getters_returned(getters *g, int n, int64_t within_ms) {
    int64_t deadline = vk_deadline_in(within_ms);
    while (atomic_load(&g->returned) < n && vk_deadline_remaining(deadline) > 0) vk_sleep_ms(2);
    return atomic_load(&g->returned) >= n;
}

static void shutdown_wakes_getters(void **state) {
    (void)state;
    static getters g;
    memset(&g, 0, sizeof g);
    g.q = vk_kube_queue_new(NULL);
    vk_kube_queue_add_after(g.q, "far", INT64_MAX); /* a delay that never ends */
    pthread_t t[4];
    getter_arg args[4];
    for (int i = 0; i < 4; i++) {
        /* Half wait without a bound, half far beyond the 10 s this test allows. */
        args[i] = (getter_arg){&g, i, i % 2 ? VK_DEADLINE_NONE : vk_deadline_in(40000)};
        assert_int_equal(pthread_create(&t[i], NULL, blocked_get, &args[i]), 0);
    }
    vk_sleep_ms(50);
    vk_kube_queue_shutdown(g.q);
    assert_true(getters_returned(&g, 4, 10000));
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(atomic_load(&g.codes[i]), VK_CANCELLED);
        assert_null(g.keys[i]);
    }
    assert_true(vk_kube_queue_shutting_down(g.q));
    vk_kube_queue_add(g.q, "late");
    assert_int_equal(vk_kube_queue_length(g.q), 0); /* adds after shutdown are ignored */
    vk_kube_queue_free(g.q);

    /* Keys still queued are not handed out after shutdown. */
    vk_kube_queue *q = vk_kube_queue_new(NULL);
    vk_kube_queue_add(q, "left");
    vk_kube_queue_shutdown(q);
    const char *key;
    assert_int_equal(vk_kube_queue_get(q, VK_DEADLINE_NONE, &key), VK_CANCELLED);
    vk_kube_queue_free(q);
}

/* A getter waiting on an empty queue wakes for a delay added meanwhile (real clock). */
static void blocked_get_wakes_for_delay(void **state) {
    (void)state;
    static getters g;
    memset(&g, 0, sizeof g);
    g.q = vk_kube_queue_new(NULL);
    pthread_t t;
    getter_arg arg = {&g, 0, vk_deadline_in(40000)};
    assert_int_equal(pthread_create(&t, NULL, blocked_get, &arg), 0);
    vk_sleep_ms(20);
    int64_t start = vk_now_ms();
    vk_kube_queue_add_after(g.q, "later", 50);
    bool back = getters_returned(&g, 1, 10000);
    if (!back) vk_kube_queue_shutdown(g.q);
    pthread_join(t, NULL);
    assert_true(back);
    assert_int_equal(atomic_load(&g.codes[0]), VK_OK);
    assert_string_equal(g.keys[0], "later");
    assert_true(vk_now_ms() - start >= 50);
    vk_kube_queue_done(g.q, "later");

    const char *key;
    vk_kube_queue_add_after(g.q, "far", INT64_MAX);
    assert_int_equal(vk_kube_queue_get(g.q, vk_deadline_in(20), &key), VK_DEADLINE_EXCEEDED);
    assert_null(key);
    vk_kube_queue_free(g.q);
}

static void *finish_later(void *arg) {
    vk_sleep_ms(100);
    vk_kube_queue_done(arg, "held");
    return NULL;
}

static void shutdown_drain(void **state) {
    (void)state;
    vk_kube_queue *q = vk_kube_queue_new(NULL);
    vk_kube_queue_add(q, "held");
    vk_kube_queue_add(q, "queued");
    expect_get(q, "held");
    /* Bounded: a key never done makes drain give up at its deadline. */
    assert_false(vk_kube_queue_shutdown_drain(q, vk_deadline_in(20)));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, finish_later, q), 0);
    assert_true(vk_kube_queue_shutdown_drain(q, vk_deadline_in(20000)));
    pthread_join(t, NULL);
    vk_kube_queue_stats s;
    vk_kube_queue_stats_get(q, &s);
    assert_int_equal(s.processing, 0);
    vk_kube_queue_free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dedup_while_queued),
        cmocka_unit_test(fifo_order),
        cmocka_unit_test(dirty_while_processing),
        cmocka_unit_test(one_worker_per_key),
        cmocka_unit_test(backoff_sequence),
        cmocka_unit_test(token_bucket_beyond_burst),
        cmocka_unit_test(token_bucket_real_clock),
        cmocka_unit_test(forget_resets),
        cmocka_unit_test(add_after_order),
        cmocka_unit_test(add_cancels_delay),
        cmocka_unit_test(counters),
        cmocka_unit_test(shutdown_wakes_getters),
        cmocka_unit_test(blocked_get_wakes_for_delay),
        cmocka_unit_test(shutdown_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
