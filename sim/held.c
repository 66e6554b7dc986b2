/* The timer behind held connections; see held.h.
 *
 * Lock order: held->lock, then libmicrohttpd's own (taken inside MHD_suspend_connection
 * and MHD_resume_connection). MHD calls the access handler without holding its lock, so
 * the order never inverts. A connection is suspended and listed under the same lock, so
 * the timer can never resume one that is not suspended yet. */
#include "held.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "support.h"

typedef struct entry {
    struct entry *next;
    struct MHD_Connection *conn;
    int64_t due_ms;
} entry;

struct sim_held {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* on CLOCK_MONOTONIC, the clock of due_ms */
    entry *entries;         /* unordered: held requests are few (tests' fault rules) */
    bool closed;
    pthread_t thread;
};

/* Resumes the entries due by now (all when closed); the earliest remaining due time, or
 * INT64_MAX. Caller holds the lock. */
static int64_t resume_due(sim_held *held) {
    int64_t now = sim_mono_ms(), next = INT64_MAX;
    for (entry **link = &held->entries; *link;) {
        entry *e = *link;
        if (held->closed || e->due_ms <= now) {
            MHD_resume_connection(e->conn);
            *link = e->next;
            free(e);
        } else {
            if (e->due_ms < next) next = e->due_ms;
            link = &e->next;
        }
    }
    return next;
}

static void *timer_thread(void *arg) {
    sim_held *held = arg;
    pthread_mutex_lock(&held->lock);
    while (!held->closed) {
        int64_t next = resume_due(held);
        if (next == INT64_MAX) {
            pthread_cond_wait(&held->changed, &held->lock);
        } else {
            struct timespec ts = {.tv_sec = (time_t)(next / 1000), .tv_nsec = (long)(next % 1000) * 1000000};
            pthread_cond_timedwait(&held->changed, &held->lock, &ts);
        }
    }
    resume_due(held);
    pthread_mutex_unlock(&held->lock);
    return NULL;
}

sim_held *held_create(void) {
    sim_held *held = calloc(1, sizeof *held);
    if (!held) abort();
    pthread_mutex_init(&held->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&held->changed, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&held->thread, NULL, timer_thread, held) != 0) abort();
    return held;
}

bool held_suspend(sim_held *held, struct MHD_Connection *conn, int64_t due_ms) {
    entry *e = malloc(sizeof *e);
    if (!e) abort();
    pthread_mutex_lock(&held->lock);
    bool ok = !held->closed;
    if (ok) {
        MHD_suspend_connection(conn);
        *e = (entry){.next = held->entries, .conn = conn, .due_ms = due_ms};
        held->entries = e;
        pthread_cond_signal(&held->changed);
    }
    pthread_mutex_unlock(&held->lock);
    if (!ok) free(e);
    return ok;
}

void held_release_all(sim_held *held) {
    pthread_mutex_lock(&held->lock);
    held->closed = true;
    resume_due(held);
    pthread_cond_signal(&held->changed);
    pthread_mutex_unlock(&held->lock);
}

void held_destroy(sim_held *held) {
    if (!held) return;
    pthread_join(held->thread, NULL);
    pthread_cond_destroy(&held->changed);
    pthread_mutex_destroy(&held->lock);
    free(held);
}
