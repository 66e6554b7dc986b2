/* Private to the event recorder (vk/kube_event.h): the book of series and spam
 * buckets, pure bookkeeping on a clock the caller passes (kube_event_book.c), so the
 * unit tests drive aggregation, the flush rule and the spam filter without a server;
 * kube_event.c formats occurrences, runs the sender thread and writes. The recorder's
 * mutex guards a book; nothing here locks. */
#ifndef VK_KUBE_EVENT_INTERNAL_H
#define VK_KUBE_EVENT_INTERNAL_H

#include "vk/kube_ratelimit.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SERIES_PENDING, /* waiting to be created: in the queue */
    SERIES_SENDING, /* the sender is writing it (repeats still count) */
    SERIES_CREATED, /* on the server as name */
} kube_series_state;

typedef struct {
    uint64_t hash;
    char *key;         /* the aggregation key (kube_event_key) */
    json_t *event;     /* the create body, without metadata.name and series */
    char *name;        /* the Event's name once created */
    kube_series_state state;
    uint64_t seq;      /* order of queueing: creates go first come, first served */
    uint64_t count;    /* occurrences so far */
    uint64_t written;  /* the count the server holds (1 after a plain create) */
    int64_t last_seen_ms, last_written_ms;
    char last_seen_wall[32]; /* lastObservedTime, MicroTime */
} kube_series;

typedef struct {
    uint64_t hash;
    char *key; /* the regarding object */
    vk_token_bucket bucket;
    int64_t touched_ms;
} kube_spam_bucket;

typedef struct {
    size_t queue_size, series_max, objects_max;
    int spam_burst;
    int64_t spam_refill_ms, window_ms, flush_ms;

    kube_series **series;
    size_t nseries, pending;
    kube_spam_bucket *spam;
    size_t nspam;
    uint64_t seq;
} kube_event_book;

/* The settings above filled in; the tables empty. */
void kube_event_book_init(kube_event_book *b);
void kube_event_book_free(kube_event_book *b);

/* What aggregates: the regarding object, type, reason, action and note, in a text
 * that cannot be confused across fields (each field ends with '\n', which escapes
 * inside a field). malloc'd. */
char *kube_event_key(const char *api_version, const char *kind, const char *namespace_, const char *name,
                     const char *uid, const char *type, const char *reason, const char *action, const char *note);

typedef enum {
    NOTE_QUEUED, /* a new series, queued for its create (event taken) */
    NOTE_FOLDED, /* a repeat, counted into its series */
    NOTE_SPAM,   /* the object's bucket had no token */
    NOTE_FULL,   /* the queue or the series table was full */
} kube_note_result;

/* One occurrence of key about object_key at now_ms (wall: its MicroTime). A new
 * series takes event over (NOTE_QUEUED); otherwise the caller keeps it. */
kube_note_result kube_event_book_note(kube_event_book *b, const char *key, const char *object_key, int64_t now_ms,
                                      const char *wall, json_t *event);

/* The object's spam bucket gives a token at now_ms (client-go's filter). */
bool kube_event_spam_allow(kube_event_book *b, const char *object_key, int64_t now_ms);

typedef enum { JOB_NONE, JOB_CREATE, JOB_PATCH } kube_job_kind;

/* The sender's next write at now_ms: the oldest queued create, else a series whose
 * count the server lacks and whose flush interval has passed (or that has ended, or
 * any such with flush_all); the series is marked SENDING. Ended, fully written
 * series are dropped on the way. JOB_NONE sets *wake_ms to when something comes due
 * (INT64_MAX: nothing tracked). */
kube_job_kind kube_event_book_next(kube_event_book *b, int64_t now_ms, bool flush_all, kube_series **out,
                                   int64_t *wake_ms);

/* How a write of s ended: the count it carried, whether it worked, and for a patch
 * whether the Event was gone (it is queued to be created again, with its series). A
 * failed create drops the series; a failed patch is tried after another interval. */
void kube_event_book_done(kube_event_book *b, kube_series *s, kube_job_kind kind, uint64_t sent, bool ok, bool gone,
                          int64_t now_ms);

#endif
