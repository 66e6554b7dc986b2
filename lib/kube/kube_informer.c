/* kube_informer: list, then watch from the list's resourceVersion, forever (see
 * vk/kube_informer.h): the cache kept by kube_cache.c under a read-write lock, the
 * handlers called outside it, relists on 410, re-watches otherwise, backoff, resync,
 * and the thread's life. */
#include "kube_informer_internal.h"

#include "vk/deadline.h"
#include "vk/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A watch that ends without a line sooner than this (or than half the timeoutSeconds
 * it asked for, when that is shorter) did not really run (client-go's "very short
 * watch"): it counts as a failure, so a server that closes at once is not hammered. */
#define SHORT_WATCH_MS 1000
#define KEY_MAX 512

struct vk_kube_informer {
    vk_kube_client *client;
    vk_kube_ref ref; /* its strings are the copies below */
    char *group, *version, *resource, *namespace_;
    char *label_selector, *field_selector;
    vk_kube_informer_options o; /* with defaults; its pointers are not used */
    vk_kube_informer_handlers h;
    char what[320]; /* "configmaps in ns", for logs */

    pthread_rwlock_t cache_lock;
    kube_cache cache;

    pthread_mutex_t mu; /* everything below */
    pthread_cond_t cv;  /* synced, exited, stop */
    char *rv;
    bool synced, started, exited, joined;
    vk_kube_informer_stats stats;
    pthread_t thread;

    atomic_bool cancel;
};

static char *dup_or_null(const char *s) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

/* ---- counters and the resourceVersion (under mu) ---- */

#define COUNT(inf, field)                                                                                            \
    do {                                                                                                             \
        pthread_mutex_lock(&(inf)->mu);                                                                              \
        (inf)->stats.field++;                                                                                        \
        pthread_mutex_unlock(&(inf)->mu);                                                                            \
    } while (0)

static void set_rv(vk_kube_informer *inf, const char *rv) {
    if (!rv || !*rv) return;
    char *copy = dup_or_null(rv);
    pthread_mutex_lock(&inf->mu);
    free(inf->rv);
    inf->rv = copy;
    pthread_mutex_unlock(&inf->mu);
}

/* ---- applying changes: the cache under its lock, then the handler without it ---- */

static void call_add(vk_kube_informer *inf, json_t *obj) {
    COUNT(inf, adds);
    if (inf->h.on_add) inf->h.on_add(inf->h.ctx, obj);
}

static void call_update(vk_kube_informer *inf, json_t *old, json_t *obj) {
    COUNT(inf, updates);
    if (inf->h.on_update) inf->h.on_update(inf->h.ctx, old, obj);
}

static void call_delete(vk_kube_informer *inf, json_t *obj) {
    COUNT(inf, deletes);
    if (inf->h.on_delete) inf->h.on_delete(inf->h.ctx, obj);
}

/* Stores obj; the handler for what it was (a new key: add, else update). */
static void store(vk_kube_informer *inf, json_t *obj) {
    json_t *old;
    pthread_rwlock_wrlock(&inf->cache_lock);
    bool stored = kube_cache_put(&inf->cache, obj, &old);
    pthread_rwlock_unlock(&inf->cache_lock);
    if (!stored) return; /* no name: nothing a key could find */
    if (old) call_update(inf, old, obj);
    else call_add(inf, obj);
    json_decref(old);
}

static const char *version_of(const json_t *obj) {
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

void kube_informer_list_begin(vk_kube_informer *inf) {
    pthread_rwlock_wrlock(&inf->cache_lock);
    kube_cache_begin_list(&inf->cache);
    pthread_rwlock_unlock(&inf->cache_lock);
}

void kube_informer_list_item(vk_kube_informer *inf, json_t *obj) {
    char key[KEY_MAX];
    if (!kube_cache_key_of(obj, key, sizeof key)) return;
    pthread_rwlock_wrlock(&inf->cache_lock);
    json_t *cached = kube_cache_get(&inf->cache, key);
    const char *was = version_of(cached), *now = version_of(obj);
    bool same = cached && was && now && strcmp(was, now) == 0;
    if (same) kube_cache_saw(&inf->cache, key);
    pthread_rwlock_unlock(&inf->cache_lock);
    if (!same) store(inf, obj);
}

void kube_informer_list_done(vk_kube_informer *inf) {
    pthread_rwlock_wrlock(&inf->cache_lock);
    json_t *gone = kube_cache_sweep(&inf->cache);
    pthread_rwlock_unlock(&inf->cache_lock);
    size_t i;
    json_t *obj;
    json_array_foreach(gone, i, obj) call_delete(inf, obj);
    json_decref(gone);
}

void kube_informer_apply_event(vk_kube_informer *inf, int type, json_t *obj) {
    if (type == VK_KUBE_WATCH_ADDED || type == VK_KUBE_WATCH_MODIFIED) {
        store(inf, obj);
        return;
    }
    if (type != VK_KUBE_WATCH_DELETED) return;
    char key[KEY_MAX];
    if (!kube_cache_key_of(obj, key, sizeof key)) return;
    pthread_rwlock_wrlock(&inf->cache_lock);
    json_t *old = kube_cache_remove(&inf->cache, key);
    pthread_rwlock_unlock(&inf->cache_lock);
    /* The event's object is the final state; one we never had needs no news. */
    if (old) call_delete(inf, obj);
    json_decref(old);
}

void kube_informer_resync(vk_kube_informer *inf) {
    pthread_rwlock_rdlock(&inf->cache_lock);
    json_t *all = kube_cache_all(&inf->cache);
    pthread_rwlock_unlock(&inf->cache_lock);
    size_t i;
    json_t *obj;
    json_array_foreach(all, i, obj) {
        if (atomic_load(&inf->cancel)) break;
        call_update(inf, obj, obj);
    }
    json_decref(all);
    COUNT(inf, resyncs);
}

/* ---- the loop ---- */

static bool list_page(void *ctx, json_t *page) {
    (void)page;
    vk_kube_informer *inf = ctx;
    return !atomic_load(&inf->cancel); /* a stop ends a long list between pages */
}

static bool list_item(void *ctx, json_t *item) {
    vk_kube_informer *inf = ctx;
    kube_informer_list_item(inf, item);
    return !atomic_load(&inf->cancel);
}

/* One list applied to the cache: true with the informer's resourceVersion at the
 * list's. */
static bool list_all(vk_kube_informer *inf, vk_status *st) {
    kube_informer_list_begin(inf);
    vk_kube_list_options lo = {.label_selector = inf->label_selector, .field_selector = inf->field_selector,
                               .limit = inf->o.page_limit, .on_page = list_page, .on_item = list_item, .ctx = inf};
    vk_kube_list_result r;
    if (!vk_kube_list(inf->client, &inf->ref, &lo, VK_DEADLINE_NONE, &r, st)) return false;
    if (atomic_load(&inf->cancel)) { /* stopped midway: a partial list must not sweep */
        free(r.resource_version);
        return vk_status_set(st, VK_CANCELLED, "list %s: stopped", inf->what), false;
    }
    kube_informer_list_done(inf);
    set_rv(inf, r.resource_version);
    free(r.resource_version);
    pthread_mutex_lock(&inf->mu);
    inf->stats.lists++;
    if (inf->synced) inf->stats.relists++;
    inf->synced = true;
    pthread_cond_broadcast(&inf->cv);
    pthread_mutex_unlock(&inf->mu);
    return true;
}

static bool watch_event(void *ctx, vk_kube_watch_type type, json_t *object) {
    vk_kube_informer *inf = ctx;
    pthread_mutex_lock(&inf->mu);
    inf->stats.events[type]++; /* as they come; bookmarks and errors when the watch ends */
    pthread_mutex_unlock(&inf->mu);
    kube_informer_apply_event(inf, type, object);
    return !atomic_load(&inf->cancel);
}

/* Waits ms or until stop; false when stopped. */
static bool pause_ms(vk_kube_informer *inf, int64_t ms) {
    int64_t until = vk_deadline_in(ms);
    pthread_mutex_lock(&inf->mu);
    while (!atomic_load(&inf->cancel) && vk_cond_wait_until(&inf->cv, &inf->mu, until)) {
    }
    pthread_mutex_unlock(&inf->mu);
    return !atomic_load(&inf->cancel);
}

static bool back_off(vk_kube_informer *inf, int failures, const vk_status *st, const char *doing) {
    vk_http_retry_policy p = {.initial_backoff_ms = inf->o.backoff_initial_ms, .max_backoff_ms = inf->o.backoff_max_ms};
    int64_t ms = vk_http_backoff_ms(&p, failures);
    char pause[24];
    VK_LOG(VK_LOG_WARN, "informer backing off", "informer", inf->what, "doing", doing, "code",
           vk_status_name(st->code), "error", st->message, "backoff_ms", vk_fmt(pause, sizeof pause, "%lld", (long long)ms));
    return pause_ms(inf, ms);
}

/* The watch's timeoutSeconds, cut so that the server ends it at the next resync. */
static int64_t watch_timeout_s(const vk_kube_informer *inf, int64_t next_resync) {
    int64_t t = inf->o.watch_timeout_s > 0 ? inf->o.watch_timeout_s : vk_kube_watch_random_timeout_s();
    if (next_resync == VK_DEADLINE_NONE) return t;
    int64_t until = (vk_deadline_remaining(next_resync) + 999) / 1000;
    return until < 1 ? 1 : until < t ? until : t;
}

/* One watch from the informer's resourceVersion; the code says what next. */
static vk_code watch_once(vk_kube_informer *inf, int64_t next_resync, bool *delivered) {
    pthread_mutex_lock(&inf->mu);
    char *rv = dup_or_null(inf->rv);
    inf->stats.watches++;
    pthread_mutex_unlock(&inf->mu);
    int64_t timeout_s = watch_timeout_s(inf, next_resync);
    int64_t short_ms = timeout_s * 500 < SHORT_WATCH_MS ? timeout_s * 500 : SHORT_WATCH_MS;
    vk_kube_watch_options wo = {.ref = &inf->ref, .resource_version = rv, .label_selector = inf->label_selector,
                                .field_selector = inf->field_selector, .timeout_s = timeout_s,
                                .stall_ms = inf->o.stall_ms, .cancel = &inf->cancel, .on_event = watch_event,
                                .ctx = inf};
    vk_kube_watch_result r;
    vk_status st;
    vk_kube_watch(inf->client, &wo, &r, &st);
    free(rv);
    set_rv(inf, r.resource_version);
    uint64_t lines = 0;
    pthread_mutex_lock(&inf->mu);
    for (int i = 0; i < VK_KUBE_WATCH_TYPE_COUNT; i++) lines += r.events[i];
    inf->stats.events[VK_KUBE_WATCH_BOOKMARK] += r.events[VK_KUBE_WATCH_BOOKMARK];
    inf->stats.events[VK_KUBE_WATCH_ERROR] += r.events[VK_KUBE_WATCH_ERROR];
    if (r.stalled) inf->stats.stalls++;
    if (st.code == VK_OUT_OF_RANGE) inf->stats.expired++;
    pthread_mutex_unlock(&inf->mu);
    free(r.resource_version);
    *delivered = lines > 0;
    if (st.code == VK_OK && lines == 0 && r.elapsed_ms < short_ms && !atomic_load(&inf->cancel))
        vk_status_set(&st, VK_UNAVAILABLE, "watch %s: closed after %lld ms without an event", inf->what,
                      (long long)r.elapsed_ms);
    if (st.code != VK_OK && st.code != VK_CANCELLED && st.code != VK_OUT_OF_RANGE) {
        COUNT(inf, watch_failures);
        VK_LOG(VK_LOG_INFO, "informer watch ended", "informer", inf->what, "code", vk_status_name(st.code), "error",
               st.message);
    }
    return st.code;
}

static void *run(void *arg) {
    vk_kube_informer *inf = arg;
    bool need_list = true;
    int failures = 0;
    int64_t next_resync = inf->o.resync_ms > 0 ? vk_deadline_in(inf->o.resync_ms) : VK_DEADLINE_NONE;
    while (!atomic_load(&inf->cancel)) {
        vk_status st;
        if (need_list) {
            if (!list_all(inf, &st)) {
                if (st.code == VK_CANCELLED) break;
                COUNT(inf, list_failures);
                if (st.code == VK_OUT_OF_RANGE) COUNT(inf, expired); /* a continue token expired: list again */
                if (!back_off(inf, ++failures, &st, "list")) break;
                continue;
            }
            need_list = false;
            failures = 0;
        }
        if (next_resync != VK_DEADLINE_NONE && vk_deadline_remaining(next_resync) == 0) {
            kube_informer_resync(inf);
            next_resync = vk_deadline_in(inf->o.resync_ms);
        }
        bool delivered;
        vk_code code = watch_once(inf, next_resync, &delivered);
        if (code == VK_CANCELLED) break;
        if (code == VK_OUT_OF_RANGE) {
            VK_LOG(VK_LOG_INFO, "informer relisting: its resourceVersion expired", "informer", inf->what);
            need_list = true;
            continue;
        }
        if (code == VK_OK || delivered) failures = 0;
        if (code != VK_OK) {
            vk_status_set(&st, code, "watch %s", inf->what);
            if (!back_off(inf, ++failures, &st, "watch")) break;
        }
    }
    pthread_mutex_lock(&inf->mu);
    inf->exited = true;
    pthread_cond_broadcast(&inf->cv);
    pthread_mutex_unlock(&inf->mu);
    return NULL;
}

/* ---- life cycle ---- */

vk_kube_informer *vk_kube_informer_new(vk_kube_client *c, const vk_kube_informer_options *o, vk_status *st) {
    if (!o->ref.version || !*o->ref.version || !o->ref.resource || !*o->ref.resource)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "informer: the collection needs a version and a resource"), NULL;
    if (o->index_label && *o->index_label && o->index_field && *o->index_field)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "informer: index by a label or by a field, not both"), NULL;
    vk_kube_informer *inf = calloc(1, sizeof *inf);
    if (!inf) abort();
    inf->client = c;
    inf->group = dup_or_null(o->ref.group);
    inf->version = dup_or_null(o->ref.version);
    inf->resource = dup_or_null(o->ref.resource);
    inf->namespace_ = dup_or_null(o->ref.namespace_);
    inf->ref = (vk_kube_ref){.group = inf->group, .version = inf->version, .resource = inf->resource,
                             .namespace_ = inf->namespace_};
    inf->label_selector = dup_or_null(o->label_selector);
    inf->field_selector = dup_or_null(o->field_selector);
    inf->o = *o;
    if (inf->o.backoff_initial_ms <= 0) inf->o.backoff_initial_ms = VK_KUBE_INFORMER_BACKOFF_INITIAL_MS;
    if (inf->o.backoff_max_ms <= 0) inf->o.backoff_max_ms = VK_KUBE_INFORMER_BACKOFF_MAX_MS;
    if (inf->o.backoff_max_ms < inf->o.backoff_initial_ms) inf->o.backoff_max_ms = inf->o.backoff_initial_ms;
    inf->h = o->handlers;
    snprintf(inf->what, sizeof inf->what, "%s%s%s in %s", inf->group && *inf->group ? inf->group : "",
             inf->group && *inf->group ? "/" : "", inf->resource, inf->namespace_ ? inf->namespace_ : "all namespaces");
    pthread_rwlock_init(&inf->cache_lock, NULL);
    kube_cache_init(&inf->cache, o->index_label, o->index_field);
    pthread_mutex_init(&inf->mu, NULL);
    vk_cond_init_monotonic(&inf->cv);
    vk_status_ok(st);
    return inf;
}

void vk_kube_informer_start(vk_kube_informer *inf) {
    pthread_mutex_lock(&inf->mu);
    bool first = !inf->started;
    inf->started = true;
    pthread_mutex_unlock(&inf->mu);
    if (first && pthread_create(&inf->thread, NULL, run, inf) != 0) abort();
}

bool vk_kube_informer_stop(vk_kube_informer *inf, int64_t deadline) {
    atomic_store(&inf->cancel, true);
    pthread_mutex_lock(&inf->mu);
    pthread_cond_broadcast(&inf->cv); /* a backoff pause ends at once */
    while (inf->started && !inf->exited && vk_cond_wait_until(&inf->cv, &inf->mu, deadline)) {
    }
    bool ended = !inf->started || inf->exited;
    bool join = ended && inf->started && !inf->joined;
    if (join) inf->joined = true;
    pthread_mutex_unlock(&inf->mu);
    if (join) pthread_join(inf->thread, NULL); /* it has left run(): this returns at once */
    return ended;
}

void vk_kube_informer_free(vk_kube_informer *inf) {
    if (!inf) return;
    vk_kube_informer_stop(inf, VK_DEADLINE_NONE);
    kube_cache_free(&inf->cache);
    pthread_rwlock_destroy(&inf->cache_lock);
    pthread_mutex_destroy(&inf->mu);
    pthread_cond_destroy(&inf->cv);
    free(inf->rv);
    free(inf->group);
    free(inf->version);
    free(inf->resource);
    free(inf->namespace_);
    free(inf->label_selector);
    free(inf->field_selector);
    free(inf);
}

bool vk_kube_informer_has_synced(vk_kube_informer *inf) {
    pthread_mutex_lock(&inf->mu);
    bool synced = inf->synced;
    pthread_mutex_unlock(&inf->mu);
    return synced;
}

bool vk_kube_informer_wait_synced(vk_kube_informer *inf, int64_t deadline) {
    pthread_mutex_lock(&inf->mu);
    while (!inf->synced && !inf->exited && vk_cond_wait_until(&inf->cv, &inf->mu, deadline)) {
    }
    bool synced = inf->synced;
    pthread_mutex_unlock(&inf->mu);
    return synced;
}

/* ---- reads ---- */

json_t *vk_kube_informer_get(vk_kube_informer *inf, const char *namespace_, const char *name) {
    char key[KEY_MAX];
    if (!name || !kube_cache_key(namespace_, name, key, sizeof key)) return NULL;
    pthread_rwlock_rdlock(&inf->cache_lock);
    json_t *obj = json_incref(kube_cache_get(&inf->cache, key));
    pthread_rwlock_unlock(&inf->cache_lock);
    return obj;
}

json_t *vk_kube_informer_list(vk_kube_informer *inf) {
    pthread_rwlock_rdlock(&inf->cache_lock);
    json_t *all = kube_cache_all(&inf->cache);
    pthread_rwlock_unlock(&inf->cache_lock);
    return all;
}

json_t *vk_kube_informer_by_index(vk_kube_informer *inf, const char *value) {
    pthread_rwlock_rdlock(&inf->cache_lock);
    json_t *found = kube_cache_by_index(&inf->cache, value);
    pthread_rwlock_unlock(&inf->cache_lock);
    return found;
}

size_t vk_kube_informer_size(vk_kube_informer *inf) {
    pthread_rwlock_rdlock(&inf->cache_lock);
    size_t n = inf->cache.count;
    pthread_rwlock_unlock(&inf->cache_lock);
    return n;
}

char *vk_kube_informer_resource_version(vk_kube_informer *inf) {
    pthread_mutex_lock(&inf->mu);
    char *rv = dup_or_null(inf->rv);
    pthread_mutex_unlock(&inf->mu);
    return rv;
}

void vk_kube_informer_get_stats(vk_kube_informer *inf, vk_kube_informer_stats *out) {
    pthread_mutex_lock(&inf->mu);
    *out = inf->stats;
    pthread_mutex_unlock(&inf->mu);
    out->objects = vk_kube_informer_size(inf);
}
