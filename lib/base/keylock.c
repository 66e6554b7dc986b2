#include "vk/keylock.h"

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

struct vk_keylock {
    pthread_mutex_t lock;
    pthread_cond_t released;
    held *keys;
};

vk_keylock *vk_keylock_new(void) {
    vk_keylock *l = calloc(1, sizeof *l);
    if (!l) abort();
    pthread_mutex_init(&l->lock, NULL);
    vk_cond_init_monotonic(&l->released);
    return l;
}

void vk_keylock_free(vk_keylock *l) {
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

static held *find(vk_keylock *l, const char *key) {
    for (held *h = l->keys; h; h = h->next) {
        if (strcmp(h->key, key) == 0) return h;
    }
    return NULL;
}

bool vk_keylock_acquire(vk_keylock *l, const char *key, int64_t deadline) {
    pthread_mutex_lock(&l->lock);
    while (find(l, key) != NULL) {
        if (!vk_cond_wait_until(&l->released, &l->lock, deadline) && find(l, key) != NULL) {
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

void vk_keylock_release(vk_keylock *l, const char *key) {
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
