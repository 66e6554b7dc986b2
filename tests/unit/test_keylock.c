/* Per-key locks (csi/keylock.c): one holder per key, other keys independent, and
 * deadlines honoured. Waiting is proven with threads and gates: a waiter records what
 * it saw when it got the key, so an early acquisition fails the test however the
 * threads are scheduled; sleeps only give a wrong implementation the chance to show. */
#include "vk/keylock.h"

#include "vk/deadline.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* A one-shot gate: open() once, wait() until it is open. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
} gate;

static void gate_init(gate *g) {
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->open = false;
}

static void gate_destroy(gate *g) {
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cond);
}

static void gate_open(gate *g) {
    pthread_mutex_lock(&g->lock);
    g->open = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static void gate_wait(gate *g) {
    pthread_mutex_lock(&g->lock);
    while (!g->open) pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

typedef struct {
    vk_keylock *locks;
    const char *key;
    int64_t deadline;
    gate *about_to_acquire;  /* opened just before the waiter calls acquire */
    atomic_bool *released;   /* set by the holder just before it releases */
    bool acquired;           /* what acquire returned */
    bool saw_released;       /* whether the holder had released when acquire returned */
} waiter;

static void *waiter_main(void *arg) {
    waiter *w = arg;
    gate_open(w->about_to_acquire);
    w->acquired = vk_keylock_acquire(w->locks, w->key, w->deadline);
    w->saw_released = atomic_load(w->released);
    if (w->acquired) vk_keylock_release(w->locks, w->key);
    return NULL;
}

/* The holder keeps key while a second thread asks for it; the second gets it only
 * after the release. */
static void second_acquirer_waits(int64_t waiter_deadline) {
    vk_keylock *locks = vk_keylock_new();
    assert_true(vk_keylock_acquire(locks, "vol:/k8s/pvc-1", VK_DEADLINE_NONE));

    gate ready;
    gate_init(&ready);
    atomic_bool released = false;
    waiter w = {.locks = locks, .key = "vol:/k8s/pvc-1", .deadline = waiter_deadline, .about_to_acquire = &ready,
                .released = &released};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
    gate_wait(&ready);
    sleep_ms(100); /* time for a broken lock to let the waiter through */
    atomic_store(&released, true);
    vk_keylock_release(locks, "vol:/k8s/pvc-1");
    pthread_join(t, NULL);

    assert_true(w.acquired);
    assert_true(w.saw_released); /* it did not get the key while it was held */
    /* and the waiter released it again: free for the next one */
    assert_true(vk_keylock_acquire(locks, "vol:/k8s/pvc-1", vk_now_ms() - 1));
    vk_keylock_release(locks, "vol:/k8s/pvc-1");
    gate_destroy(&ready);
    vk_keylock_free(locks);
}

static void test_same_key_serializes(void **state) {
    (void)state;
    second_acquirer_waits(VK_DEADLINE_NONE);
}

static void test_waiter_with_deadline_gets_key_on_release(void **state) {
    (void)state;
    second_acquirer_waits(vk_deadline_in(10000));
}

/* Many threads on one key: never two inside at once, no update lost. */
enum { THREADS = 8, ROUNDS = 300 };

typedef struct {
    vk_keylock *locks;
    gate *start;
    atomic_int inside;
    atomic_int max_inside;
    atomic_int failures; /* acquire returning false; cmocka asserts belong to the main thread */
    long counter; /* plain: only the lock protects it */
} crowd;

static void *crowd_main(void *arg) {
    crowd *c = arg;
    gate_wait(c->start);
    for (int i = 0; i < ROUNDS; i++) {
        if (!vk_keylock_acquire(c->locks, "snap:42", VK_DEADLINE_NONE)) {
            atomic_fetch_add(&c->failures, 1);
            continue;
        }
        int now = atomic_fetch_add(&c->inside, 1) + 1;
        int seen = atomic_load(&c->max_inside);
        while (now > seen && !atomic_compare_exchange_weak(&c->max_inside, &seen, now)) {
        }
        long v = c->counter;
        if (i % 50 == 0) sched_yield();
        c->counter = v + 1;
        atomic_fetch_sub(&c->inside, 1);
        vk_keylock_release(c->locks, "snap:42");
    }
    return NULL;
}

static void test_mutual_exclusion_under_contention(void **state) {
    (void)state;
    gate start;
    gate_init(&start);
    crowd c = {.locks = vk_keylock_new(), .start = &start};
    atomic_init(&c.inside, 0);
    atomic_init(&c.max_inside, 0);
    atomic_init(&c.failures, 0);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&threads[i], NULL, crowd_main, &c), 0);
    gate_open(&start);
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&c.failures), 0);
    assert_int_equal(atomic_load(&c.max_inside), 1);
    assert_int_equal(c.counter, THREADS * ROUNDS);
    gate_destroy(&start);
    vk_keylock_free(c.locks);
}

typedef struct {
    vk_keylock *locks;
    bool acquired;
    int64_t waited_ms;
} other_key;

static void *other_key_main(void *arg) {
    other_key *o = arg;
    int64_t began = vk_now_ms();
    o->acquired = vk_keylock_acquire(o->locks, "vol:/k8s/pvc-2", vk_deadline_in(5000));
    o->waited_ms = vk_now_ms() - began;
    if (o->acquired) vk_keylock_release(o->locks, "vol:/k8s/pvc-2");
    return NULL;
}

static void test_different_keys_do_not_block(void **state) {
    (void)state;
    vk_keylock *locks = vk_keylock_new();
    assert_true(vk_keylock_acquire(locks, "vol:/k8s/pvc-1", VK_DEADLINE_NONE));
    /* a passed deadline still succeeds for a free key: nothing to wait for */
    assert_true(vk_keylock_acquire(locks, "vol:/k8s/pvc-3", vk_now_ms() - 1000));
    /* a key that is a prefix of a held one is a different key */
    assert_true(vk_keylock_acquire(locks, "vol:/k8s/pvc-", vk_now_ms() - 1000));

    other_key o = {.locks = locks};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_key_main, &o), 0);
    pthread_join(t, NULL); /* joins while pvc-1 and pvc-3 are still held */
    assert_true(o.acquired);
    assert_true(o.waited_ms < 5000); /* a free key is not waited for; the bound only catches a wait for pvc-1 */

    vk_keylock_release(locks, "vol:/k8s/pvc-3");
    vk_keylock_release(locks, "vol:/k8s/pvc-");
    vk_keylock_release(locks, "vol:/k8s/pvc-1");
    vk_keylock_free(locks);
}

static void test_deadline_while_held(void **state) {
    (void)state;
    vk_keylock *locks = vk_keylock_new();
    assert_true(vk_keylock_acquire(locks, "k", VK_DEADLINE_NONE));

    /* a deadline already passed: false at once */
    int64_t began = vk_now_ms();
    assert_false(vk_keylock_acquire(locks, "k", vk_now_ms() - 1));
    assert_true(vk_now_ms() - began < 1000);

    /* a short deadline: false after waiting for it, not before */
    began = vk_now_ms();
    assert_false(vk_keylock_acquire(locks, "k", vk_deadline_in(150)));
    int64_t waited = vk_now_ms() - began;
    assert_true(waited >= 140);
    assert_true(waited < 5000);

    /* the failed attempts left the key held by its holder only: after the release it is
     * free, even for a caller whose deadline has passed */
    vk_keylock_release(locks, "k");
    assert_true(vk_keylock_acquire(locks, "k", vk_now_ms() - 1));
    assert_false(vk_keylock_acquire(locks, "k", vk_now_ms() - 1));
    vk_keylock_release(locks, "k");
    assert_true(vk_keylock_acquire(locks, "k", vk_now_ms() - 1));
    vk_keylock_release(locks, "k");
    vk_keylock_free(locks);
}

static void test_release_and_free_edge_cases(void **state) {
    (void)state;
    vk_keylock *locks = vk_keylock_new();
    vk_keylock_release(locks, "never-held"); /* harmless */
    assert_true(vk_keylock_acquire(locks, "a", VK_DEADLINE_NONE));
    assert_true(vk_keylock_acquire(locks, "b", VK_DEADLINE_NONE));
    vk_keylock_release(locks, "a");
    assert_false(vk_keylock_acquire(locks, "b", vk_now_ms() - 1)); /* b still held */
    assert_true(vk_keylock_acquire(locks, "a", vk_now_ms() - 1));
    /* freeing with keys still held frees them (valgrind checks) */
    vk_keylock_free(locks);
    vk_keylock_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_key_serializes),
        cmocka_unit_test(test_waiter_with_deadline_gets_key_on_release),
        cmocka_unit_test(test_mutual_exclusion_under_contention),
        cmocka_unit_test(test_different_keys_do_not_block),
        cmocka_unit_test(test_deadline_while_held),
        cmocka_unit_test(test_release_and_free_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
