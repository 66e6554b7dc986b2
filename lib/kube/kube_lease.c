/* kube_lease: the leader elector's thread (vk/kube_lease.h) - a round of client-go's
 * tryAcquireOrRenew every retry period through the client's verbs, the renew
 * deadline, the callbacks, and the release on stop. The decisions themselves are
 * kube_lease_record.c's. */
#include "vk/kube_lease.h"

#include "kube_lease_internal.h"
#include "kube_time.h"
#include "vk/deadline.h"
#include "vk/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vk_kube_lease_elector {
    vk_kube_client *kc;
    char *namespace_, *name, *identity;
    char what[320]; /* "lease ns/name" for logs */
    int duration_s;
    int64_t renew_deadline_ms, retry_ms;
    void (*on_started_leading)(void *);
    void (*on_stopped_leading)(void *);
    void (*on_new_leader)(void *, const char *);
    void *ctx;

    pthread_t thread;
    pthread_mutex_t mu; /* guards what other threads read: below, until the thread-only part */
    pthread_cond_t wake;
    bool stopping, joined;
    bool leading;
    int64_t valid_until; /* monotonic ms: the renew deadline of the last successful write */
    char holder[256];
    vk_kube_lease_stats stats;

    /* The elector thread's own. */
    kube_lease_observation obs;
    json_t *lease;   /* the Lease as last read or written (its resourceVersion) */
    char *reported;  /* the holder last told to on_new_leader */
    unsigned seed;
};

typedef enum { ROUND_OK, ROUND_HELD, ROUND_CONFLICT, ROUND_ERROR } round_result;

static char *dup_or_abort(const char *s) {
    char *c = strdup(s);
    if (!c) abort();
    return c;
}

static vk_kube_ref lease_ref(const vk_kube_lease_elector *e) {
    return (vk_kube_ref){.group = "coordination.k8s.io", .version = "v1", .resource = "leases",
                         .namespace_ = e->namespace_, .name = e->name};
}

static void count(vk_kube_lease_elector *e, uint64_t *field) {
    pthread_mutex_lock(&e->mu);
    (*field)++;
    pthread_mutex_unlock(&e->mu);
}

/* A Lease the server answered becomes what we have seen (and the holder others read). */
static void adopt(vk_kube_lease_elector *e, json_t *lease) {
    kube_lease_record rec;
    kube_lease_record_from(lease, &rec);
    kube_lease_observe(&e->obs, &rec, vk_now_ms());
    json_decref(e->lease);
    e->lease = lease;
    pthread_mutex_lock(&e->mu);
    snprintf(e->holder, sizeof e->holder, "%s", e->obs.seen.holder);
    pthread_mutex_unlock(&e->mu);
    if (e->reported && strcmp(e->reported, e->obs.seen.holder) == 0) return;
    free(e->reported);
    e->reported = dup_or_abort(e->obs.seen.holder);
    VK_LOG(VK_LOG_INFO, "lease holder changed", "lease", e->what, "holder", e->reported, "identity", e->identity);
    if (e->on_new_leader) e->on_new_leader(e->ctx, e->reported);
}

/* The Lease we last saw with spec in place of its own (metadata and its
 * resourceVersion kept: the update's precondition). */
static json_t *with_spec(const json_t *lease, json_t *spec) {
    json_t *obj = json_deep_copy(lease);
    if (!obj) abort();
    json_object_del(json_object_get(obj, "metadata"), "managedFields");
    json_object_set_new(obj, "spec", spec);
    return obj;
}

static round_result failed(vk_kube_lease_elector *e, const char *doing, const vk_status *st) {
    bool conflict = st->code == VK_ABORTED || st->code == VK_ALREADY_EXISTS;
    count(e, conflict ? &e->stats.conflicts : &e->stats.errors);
    VK_LOG(conflict ? VK_LOG_DEBUG : VK_LOG_WARN, conflict ? "lease written by another candidate first" : "lease request failed",
           "lease", e->what, "doing", doing, "code", vk_status_name(st->code), "error", st->message);
    return conflict ? ROUND_CONFLICT : ROUND_ERROR;
}

/* Our spec written over the Lease as last seen (kept by adopt on success). */
static round_result write_ours(vk_kube_lease_elector *e, int64_t deadline, const char *doing) {
    char now[KUBE_MICRO_TIME_SIZE];
    json_t *obj = with_spec(e->lease, kube_lease_spec_for(&e->obs, e->identity, e->duration_s,
                                                          kube_micro_time_now(now, sizeof now)));
    vk_kube_ref ref = lease_ref(e);
    vk_status st;
    json_t *answer = vk_kube_update(e->kc, &ref, obj, deadline, &st);
    json_decref(obj);
    if (!answer) return failed(e, doing, &st);
    adopt(e, answer);
    return ROUND_OK;
}

static round_result create_lease(vk_kube_lease_elector *e, int64_t deadline) {
    char now[KUBE_MICRO_TIME_SIZE];
    kube_lease_observation none = {0};
    json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                            "metadata", "name", e->name, "namespace", e->namespace_, "spec",
                            kube_lease_spec_for(&none, e->identity, e->duration_s, kube_micro_time_now(now, sizeof now)));
    if (!obj) abort();
    vk_kube_ref ref = lease_ref(e);
    vk_status st;
    json_t *answer = vk_kube_create(e->kc, &ref, obj, deadline, &st);
    json_decref(obj);
    if (!answer) return failed(e, "create", &st);
    adopt(e, answer);
    return ROUND_OK;
}

/* client-go's tryAcquireOrRenew. */
static round_result try_acquire_or_renew(vk_kube_lease_elector *e, bool leading, int64_t deadline) {
    count(e, &e->stats.attempts);
    /* The leader's fast path: what it wrote last is most likely still the Lease. */
    if (leading && e->lease && strcmp(e->obs.seen.holder, e->identity) == 0) {
        round_result r = write_ours(e, deadline, "renew");
        if (r != ROUND_CONFLICT) return r;
    }
    vk_kube_ref ref = lease_ref(e);
    vk_status st;
    json_t *lease = vk_kube_get(e->kc, &ref, deadline, &st);
    if (!lease) return st.code == VK_NOT_FOUND ? create_lease(e, deadline) : failed(e, "get", &st);
    adopt(e, lease);
    if (!kube_lease_may_take(&e->obs, e->identity, vk_now_ms())) {
        VK_LOG(VK_LOG_DEBUG, "lease held by another", "lease", e->what, "holder", e->obs.seen.holder);
        return ROUND_HELD;
    }
    return write_ours(e, deadline, leading ? "renew" : "acquire");
}

/* Only a Lease we hold, with the resourceVersion we wrote: another holder's Lease
 * fails the precondition and stays theirs. */
static void release(vk_kube_lease_elector *e) {
    if (!e->lease || strcmp(e->obs.seen.holder, e->identity) != 0) return;
    char now[KUBE_MICRO_TIME_SIZE];
    json_t *obj = with_spec(e->lease, kube_lease_spec_released(&e->obs, kube_micro_time_now(now, sizeof now)));
    vk_kube_ref ref = lease_ref(e);
    vk_status st;
    json_t *answer = vk_kube_update(e->kc, &ref, obj, vk_deadline_in(e->renew_deadline_ms), &st);
    json_decref(obj);
    if (!answer) {
        VK_LOG(VK_LOG_WARN, "lease not released", "lease", e->what, "identity", e->identity, "error", st.message);
        return;
    }
    adopt(e, answer);
    count(e, &e->stats.released);
    VK_LOG(VK_LOG_INFO, "lease released", "lease", e->what, "identity", e->identity);
}

static void set_leading(vk_kube_lease_elector *e, bool leading, int64_t valid_until) {
    pthread_mutex_lock(&e->mu);
    e->leading = leading;
    e->valid_until = valid_until;
    if (leading) e->stats.acquired++;
    pthread_mutex_unlock(&e->mu);
}

/* Sleeps until the deadline or stop; true when stopping. */
static bool pause_until(vk_kube_lease_elector *e, int64_t until) {
    pthread_mutex_lock(&e->mu);
    while (!e->stopping && vk_cond_wait_until(&e->wake, &e->mu, until)) {}
    bool stopping = e->stopping;
    pthread_mutex_unlock(&e->mu);
    return stopping;
}

static void *elect(void *arg) {
    vk_kube_lease_elector *e = arg;
    bool leading = false;
    int64_t valid_until = 0;
    char ms[24];
    for (;;) {
        int64_t sent = vk_now_ms();
        int64_t deadline = leading ? valid_until : sent + e->renew_deadline_ms;
        round_result r = try_acquire_or_renew(e, leading, deadline);
        int64_t next;
        if (r == ROUND_OK) {
            /* The deadline runs from the send: the server wrote the record after it,
             * so others observe it later still. */
            valid_until = sent + e->renew_deadline_ms;
            set_leading(e, true, valid_until);
            if (!leading) {
                leading = true;
                VK_LOG(VK_LOG_INFO, "became leader", "lease", e->what, "identity", e->identity, "transitions",
                       vk_fmt(ms, sizeof ms, "%lld", (long long)e->obs.seen.transitions));
                if (e->on_started_leading) e->on_started_leading(e->ctx);
            }
            next = vk_now_ms() + e->retry_ms;
        } else if (leading && vk_now_ms() >= valid_until) {
            leading = false;
            set_leading(e, false, 0);
            count(e, &e->stats.lost);
            VK_LOG(VK_LOG_WARN, "leadership lost: the lease was not renewed within the renew deadline", "lease",
                   e->what, "identity", e->identity, "renew_deadline_ms",
                   vk_fmt(ms, sizeof ms, "%lld", (long long)e->renew_deadline_ms));
            if (e->on_stopped_leading) e->on_stopped_leading(e->ctx);
            next = vk_now_ms() + kube_lease_jittered(e->retry_ms, rand_r(&e->seed) / ((double)RAND_MAX + 1));
        } else if (leading) {
            next = vk_deadline_min(vk_now_ms() + e->retry_ms, valid_until);
        } else {
            next = vk_now_ms() + kube_lease_jittered(e->retry_ms, rand_r(&e->seed) / ((double)RAND_MAX + 1));
        }
        if (pause_until(e, next)) break;
    }
    if (leading) {
        set_leading(e, false, 0);
        if (e->on_stopped_leading) e->on_stopped_leading(e->ctx); /* the work stops before a successor may start */
        release(e);
    }
    return NULL;
}

static bool check_config(const vk_kube_lease_elector *e, vk_status *st) {
    if (e->duration_s * 1000LL <= e->renew_deadline_ms)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "%s: the lease duration (%d s) must exceed the renew deadline (%lld ms)",
                             e->what, e->duration_s, (long long)e->renew_deadline_ms), false;
    if ((double)e->renew_deadline_ms <= VK_KUBE_LEASE_JITTER * (double)e->retry_ms)
        return vk_status_set(st, VK_INVALID_ARGUMENT,
                             "%s: the renew deadline (%lld ms) must exceed %.1f x the retry period (%lld ms)", e->what,
                             (long long)e->renew_deadline_ms, VK_KUBE_LEASE_JITTER, (long long)e->retry_ms), false;
    return true;
}

static char *default_identity(void) {
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !*host) snprintf(host, sizeof host, "unknown-host");
    char id[300];
    snprintf(id, sizeof id, "%s_%ld", host, (long)getpid());
    return dup_or_abort(id);
}

bool vk_kube_lease_start(vk_kube_client *kc, const vk_kube_lease_config *cfg, vk_kube_lease_elector **out,
                         vk_status *st) {
    *out = NULL;
    if (!cfg->namespace_ || !*cfg->namespace_ || !cfg->name || !*cfg->name)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "leader election: the Lease needs a namespace and a name"), false;
    vk_kube_lease_elector *e = calloc(1, sizeof *e);
    if (!e) abort();
    e->kc = kc;
    e->namespace_ = dup_or_abort(cfg->namespace_);
    e->name = dup_or_abort(cfg->name);
    e->identity = cfg->identity && *cfg->identity ? dup_or_abort(cfg->identity) : default_identity();
    snprintf(e->what, sizeof e->what, "lease %s/%s", e->namespace_, e->name);
    e->duration_s = cfg->lease_duration_s > 0 ? cfg->lease_duration_s : VK_KUBE_LEASE_DEFAULT_DURATION_S;
    e->renew_deadline_ms = cfg->renew_deadline_ms > 0 ? cfg->renew_deadline_ms : VK_KUBE_LEASE_DEFAULT_RENEW_DEADLINE_MS;
    e->retry_ms = cfg->retry_period_ms > 0 ? cfg->retry_period_ms : VK_KUBE_LEASE_DEFAULT_RETRY_PERIOD_MS;
    e->on_started_leading = cfg->on_started_leading;
    e->on_stopped_leading = cfg->on_stopped_leading;
    e->on_new_leader = cfg->on_new_leader;
    e->ctx = cfg->ctx;
    e->seed = (unsigned)getpid() ^ (unsigned)vk_now_ms();
    e->joined = true; /* until the thread runs: free then has nothing to join */
    pthread_mutex_init(&e->mu, NULL);
    vk_cond_init_monotonic(&e->wake);
    if (!check_config(e, st)) {
        vk_kube_lease_free(e);
        return false;
    }
    if (pthread_create(&e->thread, NULL, elect, e) != 0) {
        vk_status_set(st, VK_RESOURCE_EXHAUSTED, "%s: cannot start the elector's thread", e->what);
        vk_kube_lease_free(e);
        return false;
    }
    e->joined = false;
    *out = e;
    vk_status_ok(st);
    return true;
}

bool vk_kube_lease_is_leader(vk_kube_lease_elector *e) {
    pthread_mutex_lock(&e->mu);
    bool leader = e->leading && vk_now_ms() < e->valid_until;
    pthread_mutex_unlock(&e->mu);
    return leader;
}

const char *vk_kube_lease_identity(const vk_kube_lease_elector *e) { return e->identity; }

void vk_kube_lease_holder(vk_kube_lease_elector *e, char *buf, size_t size) {
    pthread_mutex_lock(&e->mu);
    snprintf(buf, size, "%s", e->holder);
    pthread_mutex_unlock(&e->mu);
}

void vk_kube_lease_get_stats(vk_kube_lease_elector *e, vk_kube_lease_stats *out) {
    pthread_mutex_lock(&e->mu);
    *out = e->stats;
    pthread_mutex_unlock(&e->mu);
}

void vk_kube_lease_stop(vk_kube_lease_elector *e) {
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    pthread_cond_broadcast(&e->wake);
    bool join = !e->joined;
    e->joined = true;
    pthread_mutex_unlock(&e->mu);
    if (join) pthread_join(e->thread, NULL);
}

void vk_kube_lease_free(vk_kube_lease_elector *e) {
    if (!e) return;
    vk_kube_lease_stop(e);
    kube_lease_observation_free(&e->obs);
    json_decref(e->lease);
    free(e->reported);
    free(e->namespace_);
    free(e->name);
    free(e->identity);
    pthread_cond_destroy(&e->wake);
    pthread_mutex_destroy(&e->mu);
    free(e);
}
