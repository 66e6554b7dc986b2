/* Private to leader election (vk/kube_lease.h): the Lease record and the decisions on
 * it, as pure functions of what was read and a monotonic "now", so the unit tests can
 * drive them on an injected clock (kube_lease_record.c); kube_lease.c runs the thread
 * and the requests. */
#ifndef VK_KUBE_LEASE_INTERNAL_H
#define VK_KUBE_LEASE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* A Lease's spec as client-go's LeaderElectionRecord sees it. */
typedef struct {
    char *holder;       /* "" when released or never held */
    int64_t duration_s; /* leaseDurationSeconds */
    char *acquire_time; /* MicroTime text as the server holds it ("" when absent) */
    char *renew_time;
    int64_t transitions; /* leaseTransitions */
} kube_lease_record;

/* The record of a Lease object (its spec; missing fields empty or 0). Never fails. */
void kube_lease_record_from(const json_t *lease, kube_lease_record *out);
void kube_lease_record_free(kube_lease_record *r);
/* client-go compares the whole record, not the resourceVersion: a Lease relabelled
 * by someone is not a renewal. */
bool kube_lease_record_equal(const kube_lease_record *a, const kube_lease_record *b);

/* What a candidate has seen: the last record and, on our monotonic clock, when it
 * last changed. */
typedef struct {
    bool have;
    kube_lease_record seen;
    int64_t observed_ms;
} kube_lease_observation;

/* Records a read at now_ms, taking rec over (it is left empty). The observed time
 * moves only when the record differs from the last one: true then. */
bool kube_lease_observe(kube_lease_observation *o, kube_lease_record *rec, int64_t now_ms);
void kube_lease_observation_free(kube_lease_observation *o);

/* The observed holder's lease still runs at now_ms: observed time + its duration
 * (isLeaseValid). */
bool kube_lease_valid(const kube_lease_observation *o, int64_t now_ms);

/* May identity write itself into the observed record at now_ms: no holder, we hold
 * it, or the holder's lease has run out as observed here. */
bool kube_lease_may_take(const kube_lease_observation *o, const char *identity, int64_t now_ms);

/* The spec identity writes over the observed record at a wall time (MicroTime text):
 * holding it already, acquireTime and leaseTransitions stay; taking it over,
 * acquireTime is now and leaseTransitions one more (no observation: 0). */
json_t *kube_lease_spec_for(const kube_lease_observation *o, const char *identity, int duration_s,
                            const char *wall_now);

/* The release: no holder, leaseDurationSeconds 1, the transitions kept. */
json_t *kube_lease_spec_released(const kube_lease_observation *o, const char *wall_now);

/* A candidate's wait: retry_ms .. retry_ms * (1 + VK_KUBE_LEASE_JITTER), from a
 * uniform number in [0, 1). */
int64_t kube_lease_jittered(int64_t retry_ms, double uniform);

#endif
