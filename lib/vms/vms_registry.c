/* vms_registry: one cached client per VMS configuration. */
#include "vk/vms_registry.h"
#include "vms_internal.h"

#include <pthread.h>
#include <stdlib.h>

#define DEFAULT_MAX_CLIENTS 64

typedef struct {
    uint64_t key; /* vms_settings_hash of the client's settings */
    vms_client *client;
    uint64_t last_used;
} registry_entry;

struct vms_registry {
    pthread_mutex_t mu;
    registry_entry *entries;
    size_t count, max;
    uint64_t clock; /* bumps on every get: recency without a system call */
};

vms_registry *vms_registry_new(size_t max_clients) {
    vms_registry *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->max = max_clients ? max_clients : DEFAULT_MAX_CLIENTS;
    r->entries = calloc(r->max, sizeof *r->entries);
    if (!r->entries) abort();
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

void vms_registry_free(vms_registry *r) {
    if (!r) return;
    for (size_t i = 0; i < r->count; i++) vms_client_free(r->entries[i].client);
    free(r->entries);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static registry_entry *find_entry(vms_registry *r, uint64_t key, const vms_settings *s) {
    for (size_t i = 0; i < r->count; i++) {
        registry_entry *e = &r->entries[i];
        if (e->key == key && vms_settings_equal(&e->client->s, s)) return e;
    }
    return NULL;
}

/* Makes room by dropping the least recently used entry. */
static void evict_oldest(vms_registry *r) {
    size_t oldest = 0;
    for (size_t i = 1; i < r->count; i++)
        if (r->entries[i].last_used < r->entries[oldest].last_used) oldest = i;
    vms_client_free(r->entries[oldest].client);
    r->entries[oldest] = r->entries[--r->count];
}

bool vms_registry_get(vms_registry *r, const vms_config *cfg, vms_client **out, vms_error *err) {
    *out = NULL;
    vms_error_clear(err);
    vms_settings wanted;
    if (!vms_settings_from_config(cfg, &wanted, err)) {
        vms_settings_free(&wanted);
        return false;
    }
    uint64_t key = vms_settings_hash(&wanted);
    pthread_mutex_lock(&r->mu);
    registry_entry *e = find_entry(r, key, &wanted);
    bool ok = true;
    if (!e) {
        /* Creating a client does no I/O (the login is lazy), so holding the lock is cheap
         * and keeps two threads from creating twins. */
        vms_client *c;
        ok = vms_client_new(cfg, &c, err);
        if (ok) {
            if (r->count == r->max) evict_oldest(r);
            e = &r->entries[r->count++];
            *e = (registry_entry){.key = key, .client = c};
        }
    }
    if (ok) {
        e->last_used = ++r->clock;
        *out = vms_client_ref(e->client);
    }
    pthread_mutex_unlock(&r->mu);
    vms_settings_free(&wanted);
    return ok;
}

size_t vms_registry_size(vms_registry *r) {
    pthread_mutex_lock(&r->mu);
    size_t n = r->count;
    pthread_mutex_unlock(&r->mu);
    return n;
}
