/* An events.k8s.io/v1 Event recorder, after client-go's tools/events:
 *
 *   vk_kube_recorder *rec = vk_kube_recorder_new(kc, &(vk_kube_recorder_settings){
 *       .reporting_controller = "vast-k8s.io/operator"}, &st);
 *   vk_kube_object_ref pvc = {.api_version = "v1", .kind = "PersistentVolumeClaim",
 *                             .namespace_ = "ns", .name = "data", .uid = uid};
 *   vk_kube_event(rec, &pvc, VK_KUBE_EVENT_WARNING, "ProvisioningFailed", "Provision",
 *                 "quota of view %s exceeded", view);
 *   ...
 *   vk_kube_recorder_free(rec, vk_deadline_in(5000));   (flushes what it can by then)
 *
 * What it does with an occurrence:
 *   - aggregation: occurrences with the same regarding object, type, reason, action and
 *     note are one series while repeats keep coming within the series window (6 min,
 *     client-go's finishTime). The first is created as an Event named
 *     "<regarding name>.<hex of the wall clock in ns>" in the object's namespace
 *     ("default" for a cluster-scoped one); later ones only raise a local count, which
 *     is written as a merge patch of series.count and series.lastObservedTime at most
 *     once per flush interval (30 s; client-go patches the second occurrence at once
 *     and then every 30 min) and once more when the series ends. Repeats that come
 *     before the create is sent ride on it (series.count in the create). A flapping
 *     object thus costs one write per flush interval, not one per occurrence. (client-go
 *     leaves the note out of its key, so a series keeps its first note; ours keeps
 *     distinct notes distinct.) An Event gone from the server (its TTL, 1 h by
 *     default) is created again with the series, as client-go does;
 *   - a spam filter per regarding object (client-go's EventSourceObjectSpamFilter: a
 *     token bucket of burst 25 refilled 1 per 5 min): each new series takes a token,
 *     repeats folded into a series do not; without a token the occurrence is dropped
 *     and counted;
 *   - sending is asynchronous: vk_kube_event formats, redacts and counts under a
 *     mutex and returns; a sender thread writes. Series waiting to be created are the
 *     queue (1000, client-go's maxQueuedEvents): a new series beyond it is dropped and
 *     counted; the caller never waits for the API server;
 *   - the note is cut to 1024 bytes (the API's limit) and passed through vk_redact
 *     with the client's token: URL userinfo, header and key=value credentials become
 *     "***". Callers still never put a secret in a note.
 * Failed writes are logged and counted, not retried beyond the client's own retries
 * (an Event is best-effort, as client-go's after its 12 tries). Thread-safe. */
#ifndef VK_KUBE_EVENT_H
#define VK_KUBE_EVENT_H

#include "vk/kube_client.h"
#include "vk/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { VK_KUBE_EVENT_NORMAL = 0, VK_KUBE_EVENT_WARNING } vk_kube_event_type;

/* The object an event is about (an Event's "regarding"). */
typedef struct {
    const char *api_version; /* "v1", "storage.k8s.io/v1" */
    const char *kind;        /* "PersistentVolumeClaim" */
    const char *namespace_;  /* NULL or "": cluster-scoped */
    const char *name;        /* required */
    const char *uid;         /* NULL: not written */
} vk_kube_object_ref;

#define VK_KUBE_EVENT_NOTE_MAX 1024           /* the API's limit, bytes */
#define VK_KUBE_EVENT_QUEUE 1000              /* client-go's maxQueuedEvents */
#define VK_KUBE_EVENT_SPAM_BURST 25           /* client-go's defaultSpamBurst */
#define VK_KUBE_EVENT_SPAM_REFILL_MS 300000   /* client-go's defaultSpamQPS 1/300 */
#define VK_KUBE_EVENT_SERIES_WINDOW_MS 360000 /* client-go's finishTime */
#define VK_KUBE_EVENT_FLUSH_MS 30000
#define VK_KUBE_EVENT_SERIES_MAX 4096         /* series tracked at once */
#define VK_KUBE_EVENT_OBJECTS_MAX 4096        /* spam buckets (client-go's LRU size) */

/* Zero members take the defaults above. */
typedef struct {
    const char *reporting_controller; /* required: "vast-k8s.io/operator" */
    const char *reporting_instance;   /* NULL: the host name */
    size_t queue_size;
    int spam_burst;
    int64_t spam_refill_ms;
    int64_t series_window_ms;
    int64_t flush_ms;
    int64_t request_timeout_ms;       /* one write; 0: 10 s */
    /* Monotonic milliseconds for the decisions (tests); NULL: vk_now_ms. */
    int64_t (*now_ms)(void *clock_ctx);
    void *clock_ctx;
} vk_kube_recorder_settings;

typedef struct vk_kube_recorder vk_kube_recorder;

/* Starts the sender thread. kc must outlive the recorder. NULL with st
 * (VK_INVALID_ARGUMENT) without a reporting controller. */
vk_kube_recorder *vk_kube_recorder_new(vk_kube_client *kc, const vk_kube_recorder_settings *s, vk_status *st);

/* Records one occurrence (reason and action: UpperCamelCase words, required; the
 * note printf-style). Never blocks on the network. A call without a regarding name,
 * reason or action is counted as invalid and dropped. */
void vk_kube_event(vk_kube_recorder *r, const vk_kube_object_ref *regarding, vk_kube_event_type type,
                   const char *reason, const char *action, const char *note_fmt, ...)
    __attribute__((format(printf, 6, 7)));

typedef struct {
    uint64_t occurrences;   /* vk_kube_event calls */
    uint64_t folded;        /* occurrences counted into an existing series */
    uint64_t created;       /* Events created */
    uint64_t patched;       /* series updates written */
    uint64_t dropped_spam;  /* no token in the object's bucket */
    uint64_t dropped_queue; /* the queue of series to create was full, or the series table */
    uint64_t invalid;       /* calls missing a name, reason or action */
    uint64_t failed;        /* writes the server or the network refused */
    size_t series;          /* series tracked now */
} vk_kube_recorder_stats;
void vk_kube_recorder_get_stats(vk_kube_recorder *r, vk_kube_recorder_stats *out);

/* Writes what is pending now (creates, and series counts not yet written, whatever
 * the flush interval) until deadline, then stops the sender and frees. NULL is
 * ignored. */
void vk_kube_recorder_free(vk_kube_recorder *r, int64_t deadline);

#endif
