#include "keylock.h"

#include "vk/deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Held keys are few (one per operation in flight), so a list is enough. */
typedef struct held {
    struct held *next;
    char *key;
} held;

struct csi_keylock {
    pthread_mutex_t lock;
    pthread_cond_t released;
    held *keys;
};

csi_keylock *csi_keylock_new(void) {
    csi_keylock *l = calloc(1, sizeof *l);
    if (!l) abort();
    pthread_mutex_init(&l->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&l->released, &attr);
    pthread_condattr_destroy(&attr);
    return l;
}

void csi_keylock_free(csi_keylock *l) {
    if (!l) return;
    for (held *h = l->keys; h;) {
        held *next = h->next;
        free(h->key);
        free(h);
        h = next;
    }
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->released);
    free(l);
}

static held *find(csi_keylock *l, const char *key) {
    for (held *h = l->keys; h; h = h->next) {
        if (strcmp(h->key, key) == 0) return h;
    }
    return NULL;
}

bool csi_keylock_acquire(csi_keylock *l, const char *key, int64_t deadline) {
    pthread_mutex_lock(&l->lock);
    while (find(l, key) != NULL) {
        int rc;
        if (deadline == VK_DEADLINE_NONE) {
            rc = pthread_cond_wait(&l->released, &l->lock);
        } else {
            struct timespec until = {deadline / 1000, (deadline % 1000) * 1000000L};
            rc = pthread_cond_timedwait(&l->released, &l->lock, &until);
        }
        if (rc == ETIMEDOUT && find(l, key) != NULL) {
            pthread_mutex_unlock(&l->lock);
            return false;
        }
    }
    held *h = malloc(sizeof *h);
    if (!h) abort();
    *h = (held){.next = l->keys, .key = strdup(key)};
    l->keys = h;
    pthread_mutex_unlock(&l->lock);
    return true;
}

void csi_keylock_release(csi_keylock *l, const char *key) {
    pthread_mutex_lock(&l->lock);
    for (held **p = &l->keys; *p; p = &(*p)->next) {
        if (strcmp((*p)->key, key) == 0) {
            held *h = *p;
            *p = h->next;
            free(h->key);
            free(h);
            break;
        }
    }
    pthread_cond_broadcast(&l->released);
    pthread_mutex_unlock(&l->lock);
}
