/* kube_event_book: the event recorder's series and spam buckets (kube_event_internal.h):
 * which occurrence becomes an Event, which a count, which is dropped, and when a count
 * is written. Linear tables with a hash in front of each key: a few thousand entries
 * at most, touched once per occurrence. */
#include "kube_event_internal.h"
#include "kube_client_internal.h" /* kube_limit_take */
#include "vk/hash.h"
#include "vk/kube_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) abort();
    return q;
}

static char *dup_or_abort(const char *s) {
    char *c = strdup(s);
    if (!c) abort();
    return c;
}

static uint64_t hash_of(const char *key) { return vk_fnv1a64(VK_FNV1A64_INIT, key, strlen(key)); }

void kube_event_book_init(kube_event_book *b) {
    kube_event_book d = {.queue_size = b->queue_size ? b->queue_size : VK_KUBE_EVENT_QUEUE,
                         .series_max = b->series_max ? b->series_max : VK_KUBE_EVENT_SERIES_MAX,
                         .objects_max = b->objects_max ? b->objects_max : VK_KUBE_EVENT_OBJECTS_MAX,
                         .spam_burst = b->spam_burst > 0 ? b->spam_burst : VK_KUBE_EVENT_SPAM_BURST,
                         .spam_refill_ms = b->spam_refill_ms > 0 ? b->spam_refill_ms : VK_KUBE_EVENT_SPAM_REFILL_MS,
                         .window_ms = b->window_ms > 0 ? b->window_ms : VK_KUBE_EVENT_SERIES_WINDOW_MS,
                         .flush_ms = b->flush_ms > 0 ? b->flush_ms : VK_KUBE_EVENT_FLUSH_MS};
    *b = d;
}

static void series_free(kube_series *s) {
    free(s->key);
    free(s->name);
    json_decref(s->event);
    free(s);
}

void kube_event_book_free(kube_event_book *b) {
    for (size_t i = 0; i < b->nseries; i++) series_free(b->series[i]);
    for (size_t i = 0; i < b->nspam; i++) free(b->spam[i].key);
    free(b->series);
    free(b->spam);
    b->series = NULL;
    b->spam = NULL;
    b->nseries = b->nspam = b->pending = 0;
}

/* Appends s, escaping '\\' and '\n' so that the separator cannot occur inside. */
static void add_field(char **buf, size_t *len, size_t *cap, const char *s) {
    if (!s) s = "";
    for (const char *p = s;; p++) {
        if (*len + 3 > *cap) *buf = xrealloc(*buf, *cap = *cap * 2 + 64);
        if (!*p) break;
        if (*p == '\\' || *p == '\n') (*buf)[(*len)++] = '\\';
        (*buf)[(*len)++] = *p == '\n' ? 'n' : *p;
    }
    (*buf)[(*len)++] = '\n';
    (*buf)[*len] = '\0';
}

char *kube_event_key(const char *api_version, const char *kind, const char *namespace_, const char *name,
                     const char *uid, const char *type, const char *reason, const char *action, const char *note) {
    const char *fields[] = {api_version, kind, namespace_, name, uid, type, reason, action, note};
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) add_field(&buf, &len, &cap, fields[i]);
    return buf;
}

static size_t find_series(const kube_event_book *b, const char *key, uint64_t h) {
    for (size_t i = 0; i < b->nseries; i++)
        if (b->series[i]->hash == h && strcmp(b->series[i]->key, key) == 0) return i;
    return SIZE_MAX;
}

static void remove_series(kube_event_book *b, size_t i) {
    if (b->series[i]->state == SERIES_PENDING) b->pending--;
    series_free(b->series[i]);
    b->series[i] = b->series[--b->nseries];
}

/* Ended: no repeat for the window, and the server has the last count. */
static bool ended(const kube_event_book *b, const kube_series *s, int64_t now_ms) {
    return s->state == SERIES_CREATED && s->count == s->written && now_ms - s->last_seen_ms >= b->window_ms;
}

static bool bucket_full(const kube_event_book *b, const kube_spam_bucket *k, int64_t now_ms) {
    return now_ms * 1000 - k->bucket.empty_at_us >= (int64_t)b->spam_burst * k->bucket.interval_us;
}

bool kube_event_spam_allow(kube_event_book *b, const char *object_key, int64_t now_ms) {
    uint64_t h = hash_of(object_key);
    kube_spam_bucket *k = NULL;
    for (size_t i = 0; i < b->nspam && !k; i++)
        if (b->spam[i].hash == h && strcmp(b->spam[i].key, object_key) == 0) k = &b->spam[i];
    if (!k) {
        if (b->nspam == b->objects_max) {
            /* A full bucket is what a new object gets anyway: reclaim one, else the
             * least recently used (client-go keeps an LRU of the same size). */
            size_t victim = 0;
            for (size_t i = 0; i < b->nspam; i++) {
                if (bucket_full(b, &b->spam[i], now_ms)) {
                    victim = i;
                    break;
                }
                if (b->spam[i].touched_ms < b->spam[victim].touched_ms) victim = i;
            }
            free(b->spam[victim].key);
            b->spam[victim] = b->spam[--b->nspam];
        }
        if (b->nspam % 64 == 0) b->spam = xrealloc(b->spam, (b->nspam + 64) * sizeof *b->spam);
        k = &b->spam[b->nspam++];
        *k = (kube_spam_bucket){.hash = h, .key = dup_or_abort(object_key)};
        vk_token_bucket_init(&k->bucket, 1000.0 / (double)b->spam_refill_ms, b->spam_burst, now_ms);
    }
    k->touched_ms = now_ms;
    return kube_limit_take(&k->bucket, now_ms, now_ms) == 0;
}

kube_note_result kube_event_book_note(kube_event_book *b, const char *key, const char *object_key, int64_t now_ms,
                                      const char *wall, json_t *event) {
    uint64_t h = hash_of(key);
    size_t i = find_series(b, key, h);
    if (i != SIZE_MAX && ended(b, b->series[i], now_ms)) {
        remove_series(b, i); /* after the window a repeat is a new Event */
        i = SIZE_MAX;
    }
    if (i != SIZE_MAX) {
        kube_series *s = b->series[i];
        s->count++;
        s->last_seen_ms = now_ms;
        snprintf(s->last_seen_wall, sizeof s->last_seen_wall, "%s", wall);
        return NOTE_FOLDED;
    }
    if (b->pending >= b->queue_size || b->nseries >= b->series_max) return NOTE_FULL;
    if (!kube_event_spam_allow(b, object_key, now_ms)) return NOTE_SPAM;
    kube_series *s = calloc(1, sizeof *s);
    if (!s) abort();
    *s = (kube_series){.hash = h, .key = dup_or_abort(key), .event = event, .state = SERIES_PENDING,
                       .seq = b->seq++, .count = 1, .last_seen_ms = now_ms};
    snprintf(s->last_seen_wall, sizeof s->last_seen_wall, "%s", wall);
    if (b->nseries % 64 == 0) b->series = xrealloc(b->series, (b->nseries + 64) * sizeof *b->series);
    b->series[b->nseries++] = s;
    b->pending++;
    return NOTE_QUEUED;
}

kube_job_kind kube_event_book_next(kube_event_book *b, int64_t now_ms, bool flush_all, kube_series **out,
                                   int64_t *wake_ms) {
    *out = NULL;
    *wake_ms = INT64_MAX;
    kube_series *create = NULL, *patch = NULL;
    for (size_t i = 0; i < b->nseries;) {
        kube_series *s = b->series[i];
        if (ended(b, s, now_ms)) {
            remove_series(b, i);
            continue;
        }
        i++;
        if (s->state == SERIES_PENDING) {
            if (!create || s->seq < create->seq) create = s;
        } else if (s->state == SERIES_CREATED) {
            int64_t due = s->count > s->written ? s->last_written_ms + b->flush_ms : INT64_MAX;
            int64_t end = s->last_seen_ms + b->window_ms; /* the final count, or the reaping */
            if (s->count > s->written && (flush_all || due <= now_ms || end <= now_ms)) {
                if (!patch) patch = s;
            } else {
                int64_t next = due < end ? due : end;
                if (next < *wake_ms) *wake_ms = next;
            }
        }
    }
    kube_series *s = create ? create : patch;
    if (!s) return JOB_NONE;
    if (s == create) b->pending--;
    s->state = SERIES_SENDING;
    *out = s;
    return s == create ? JOB_CREATE : JOB_PATCH;
}

void kube_event_book_done(kube_event_book *b, kube_series *s, kube_job_kind kind, uint64_t sent, bool ok, bool gone,
                          int64_t now_ms) {
    if (kind == JOB_CREATE && !ok) {
        for (size_t i = 0; i < b->nseries; i++) {
            if (b->series[i] == s) {
                remove_series(b, i);
                break;
            }
        }
        return;
    }
    s->state = SERIES_CREATED;
    s->last_written_ms = now_ms;
    if (ok) s->written = sent;
    if (gone) {
        free(s->name);
        s->name = NULL;
        s->state = SERIES_PENDING;
        s->seq = b->seq++;
        b->pending++;
    }
}
