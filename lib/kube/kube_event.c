/* kube_event: the Event recorder (vk/kube_event.h) - an occurrence formatted, cut,
 * redacted and noted in the book (kube_event_book.c) under the recorder's mutex; the
 * sender thread writes what the book says is due: a create, or a merge patch of the
 * series. */
#include "vk/kube_event.h"

#include "kube_client_internal.h"
#include "kube_event_internal.h"
#include "kube_time.h"
#include "vk/deadline.h"
#include "vk/log.h"
#include "vk/redact.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_REQUEST_TIMEOUT_MS 10000
/* The longest the sender sleeps without looking (a stop or a flush wakes it sooner). */
#define SENDER_NAP_MS 1000

struct vk_kube_recorder {
    vk_kube_client *kc;
    char *controller, *instance;
    int64_t request_timeout_ms;
    int64_t (*now_ms)(void *);
    void *clock_ctx;

    pthread_mutex_t mu;
    pthread_cond_t wake;
    kube_event_book book;
    vk_kube_recorder_stats stats;
    bool stopping;
    bool flush_all;       /* free: everything pending is due now */
    int64_t stop_deadline;
    uint64_t last_suffix; /* names: the wall clock in ns, kept increasing */
    pthread_t thread;
};

static int64_t now_of(const vk_kube_recorder *r) { return r->now_ms ? r->now_ms(r->clock_ctx) : vk_now_ms(); }

static char *dup_or_abort(const char *s) {
    char *c = strdup(s);
    if (!c) abort();
    return c;
}

static bool given(const char *s) { return s && *s; }

/* The note as it may be stored: at most VK_KUBE_EVENT_NOTE_MAX bytes, cut on a UTF-8
 * boundary, credentials we can recognise replaced. */
static void clean_note(vk_kube_recorder *r, const char *fmt, va_list ap, char *out, size_t size) {
    char raw[4 * VK_KUBE_EVENT_NOTE_MAX];
    vsnprintf(raw, sizeof raw, fmt ? fmt : "", ap);
    char *token = kube_token_copy(&r->kc->token);
    vk_secrets secrets = {0};
    vk_secrets_add(&secrets, token);
    vk_redact_into(raw, &secrets, out, size); /* cuts on a UTF-8 boundary */
    kube_secret_free(token);
}

static json_t *event_body(const vk_kube_recorder *r, const vk_kube_object_ref *o, const char *type,
                          const char *reason, const char *action, const char *note, const char *wall) {
    json_t *regarding = json_pack("{s:s, s:s, s:s}", "apiVersion", o->api_version ? o->api_version : "", "kind",
                                  o->kind ? o->kind : "", "name", o->name);
    if (!regarding) abort();
    if (given(o->namespace_)) json_object_set_new(regarding, "namespace", json_string(o->namespace_));
    if (given(o->uid)) json_object_set_new(regarding, "uid", json_string(o->uid));
    json_t *ev = json_pack("{s:s, s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "apiVersion",
                           "events.k8s.io/v1", "kind", "Event", "metadata", "namespace",
                           given(o->namespace_) ? o->namespace_ : "default", "eventTime", wall,
                           "reportingController", r->controller, "reportingInstance", r->instance, "action", action,
                           "reason", reason, "note", note, "type", type, "regarding", regarding);
    if (!ev) abort();
    return ev;
}

void vk_kube_event(vk_kube_recorder *r, const vk_kube_object_ref *regarding, vk_kube_event_type type,
                   const char *reason, const char *action, const char *note_fmt, ...) {
    if (!regarding || !given(regarding->name) || !given(reason) || !given(action)) {
        pthread_mutex_lock(&r->mu);
        r->stats.occurrences++;
        r->stats.invalid++;
        pthread_mutex_unlock(&r->mu);
        return;
    }
    char note[VK_KUBE_EVENT_NOTE_MAX + 1];
    va_list ap;
    va_start(ap, note_fmt);
    clean_note(r, note_fmt, ap, note, sizeof note);
    va_end(ap);
    const char *type_name = type == VK_KUBE_EVENT_WARNING ? "Warning" : "Normal";
    char *key = kube_event_key(regarding->api_version, regarding->kind, regarding->namespace_, regarding->name,
                               regarding->uid, type_name, reason, action, note);
    /* The object's key: the first five fields of the series key. */
    char *object_key = kube_event_key(regarding->api_version, regarding->kind, regarding->namespace_,
                                      regarding->name, regarding->uid, NULL, NULL, NULL, NULL);
    char wall[KUBE_MICRO_TIME_SIZE];
    kube_micro_time_now(wall, sizeof wall);
    json_t *body = event_body(r, regarding, type_name, reason, action, note, wall);

    pthread_mutex_lock(&r->mu);
    r->stats.occurrences++;
    kube_note_result res = r->stopping ? NOTE_FULL : kube_event_book_note(&r->book, key, object_key, now_of(r), wall, body);
    switch (res) {
    case NOTE_QUEUED: pthread_cond_signal(&r->wake); break;
    case NOTE_FOLDED: r->stats.folded++; break;
    case NOTE_SPAM: r->stats.dropped_spam++; break;
    case NOTE_FULL: r->stats.dropped_queue++; break;
    }
    r->stats.series = r->book.nseries;
    pthread_mutex_unlock(&r->mu);
    if (res != NOTE_QUEUED) json_decref(body);
    if (res == NOTE_SPAM || res == NOTE_FULL)
        VK_LOG(VK_LOG_DEBUG, "event dropped", "reason", reason, "object", regarding->name, "why",
               res == NOTE_SPAM ? "the object's spam filter" : "the queue is full");
    free(key);
    free(object_key);
}

/* "<regarding name>.<hex ns>", as client-go names them; the suffix never repeats
 * within a recorder. Called with the lock held. */
static char *event_name(vk_kube_recorder *r, const json_t *event) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    if (ns <= r->last_suffix) ns = r->last_suffix + 1;
    r->last_suffix = ns;
    const char *base = json_string_value(json_object_get(json_object_get(event, "regarding"), "name"));
    char name[254];
    snprintf(name, sizeof name, "%.*s.%llx", 253 - 17, base ? base : "event", (unsigned long long)ns);
    return dup_or_abort(name);
}

static json_t *series_of(uint64_t count, const char *wall) {
    json_t *s = json_pack("{s:I, s:s}", "count", (json_int_t)count, "lastObservedTime", wall);
    if (!s) abort();
    return s;
}

/* One write outside the lock: what it needs is copied under it. */
static void write_job(vk_kube_recorder *r, kube_series *s, kube_job_kind kind) {
    uint64_t sent = s->count;
    json_t *body;
    if (kind == JOB_CREATE) {
        if (!s->name) s->name = event_name(r, s->event);
        body = json_deep_copy(s->event);
        if (!body) abort();
        json_object_set_new(json_object_get(body, "metadata"), "name", json_string(s->name));
        if (sent >= 2) json_object_set_new(body, "series", series_of(sent, s->last_seen_wall));
    } else {
        body = json_pack("{s:o}", "series", series_of(sent, s->last_seen_wall));
        if (!body) abort();
    }
    char *name = dup_or_abort(s->name);
    char *ns = dup_or_abort(json_string_value(json_object_get(json_object_get(s->event, "metadata"), "namespace")));
    pthread_mutex_unlock(&r->mu);

    vk_kube_ref ref = {.group = "events.k8s.io", .version = "v1", .resource = "events", .namespace_ = ns, .name = name};
    vk_status st;
    int64_t deadline = vk_deadline_min(vk_deadline_in(r->request_timeout_ms), r->stop_deadline);
    json_t *answer = kind == JOB_CREATE ? vk_kube_create(r->kc, &ref, body, deadline, &st)
                                        : vk_kube_merge_patch(r->kc, &ref, body, deadline, &st);
    bool gone = !answer && kind == JOB_PATCH && st.code == VK_NOT_FOUND;
    if (!answer && !gone)
        VK_LOG(VK_LOG_WARN, "event not written", "event", name, "namespace", ns, "code", vk_status_name(st.code),
               "error", st.message);
    json_decref(answer);
    json_decref(body);
    free(name);
    free(ns);

    pthread_mutex_lock(&r->mu);
    if (answer && kind == JOB_CREATE) r->stats.created++;
    else if (answer) r->stats.patched++;
    else if (!gone) r->stats.failed++;
    kube_event_book_done(&r->book, s, kind, sent, answer != NULL, gone, now_of(r));
    r->stats.series = r->book.nseries;
}

static void *send_events(void *arg) {
    vk_kube_recorder *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (r->stopping && vk_now_ms() >= r->stop_deadline) break;
        kube_series *s;
        int64_t wake;
        kube_job_kind kind = kube_event_book_next(&r->book, now_of(r), r->flush_all, &s, &wake);
        if (kind != JOB_NONE) {
            write_job(r, s, kind);
            continue;
        }
        if (r->stopping) break; /* everything due is written */
        /* wake is on the book's clock, which may be a test's: nap at most a second. */
        int64_t now = now_of(r);
        int64_t nap = wake == INT64_MAX ? SENDER_NAP_MS : wake - now;
        if (nap > SENDER_NAP_MS) nap = SENDER_NAP_MS;
        if (nap < 1) nap = 1;
        vk_cond_wait_until(&r->wake, &r->mu, vk_deadline_in(nap));
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

vk_kube_recorder *vk_kube_recorder_new(vk_kube_client *kc, const vk_kube_recorder_settings *s, vk_status *st) {
    if (!s || !given(s->reporting_controller))
        return vk_status_set(st, VK_INVALID_ARGUMENT, "event recorder: a reporting controller is required "
                                                      "(\"vast-k8s.io/operator\")"), NULL;
    vk_kube_recorder *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->kc = kc;
    r->controller = dup_or_abort(s->reporting_controller);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !*host) snprintf(host, sizeof host, "unknown-host");
    r->instance = dup_or_abort(given(s->reporting_instance) ? s->reporting_instance : host);
    r->request_timeout_ms = s->request_timeout_ms > 0 ? s->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
    r->now_ms = s->now_ms;
    r->clock_ctx = s->clock_ctx;
    r->stop_deadline = VK_DEADLINE_NONE;
    r->book = (kube_event_book){.queue_size = s->queue_size, .spam_burst = s->spam_burst,
                                .spam_refill_ms = s->spam_refill_ms, .window_ms = s->series_window_ms,
                                .flush_ms = s->flush_ms};
    kube_event_book_init(&r->book);
    pthread_mutex_init(&r->mu, NULL);
    vk_cond_init_monotonic(&r->wake);
    if (pthread_create(&r->thread, NULL, send_events, r) != 0) {
        vk_status_set(st, VK_RESOURCE_EXHAUSTED, "event recorder: cannot start its sender thread");
        kube_event_book_free(&r->book);
        free(r->controller);
        free(r->instance);
        free(r);
        return NULL;
    }
    vk_status_ok(st);
    return r;
}

void vk_kube_recorder_get_stats(vk_kube_recorder *r, vk_kube_recorder_stats *out) {
    pthread_mutex_lock(&r->mu);
    *out = r->stats;
    out->series = r->book.nseries;
    pthread_mutex_unlock(&r->mu);
}

void vk_kube_recorder_free(vk_kube_recorder *r, int64_t deadline) {
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    r->flush_all = true;
    r->stop_deadline = deadline;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    kube_event_book_free(&r->book);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->mu);
    free(r->controller);
    free(r->instance);
    free(r);
}
