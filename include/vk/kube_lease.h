/* Leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm
 * (tools/leaderelection):
 *
 *   vk_kube_lease_elector *e;
 *   vk_kube_lease_config lc = {.namespace_ = "vast-system", .name = "vast-operator",
 *                              .on_started_leading = start_workers,
 *                              .on_stopped_leading = stop_workers_now, .ctx = app};
 *   if (!vk_kube_lease_start(kc, &lc, &e, &st)) ...
 *   ...sigwait(SIGTERM)
 *   vk_kube_lease_stop(e);      (work stopped, the lease released: a successor starts at once)
 *   vk_kube_lease_free(e);
 *
 * How it decides:
 *   - a candidate reads the Lease every retry period (jittered by up to 1.2 x, as
 *     client-go's JitterUntil); it creates it when there is none, and takes it by an
 *     update with the read's resourceVersion as precondition when it is free: no holder,
 *     or the holder's record has not changed for leaseDurationSeconds *as observed
 *     here*. The time is our monotonic clock since we last saw the record change,
 *     never the server's renewTime against our wall clock, so clock skew between
 *     nodes cannot hand the lease out early. A 409 means another candidate won; the
 *     next round reads again. A takeover increments leaseTransitions;
 *   - the leader renews every retry period (an update of renewTime with the
 *     resourceVersion it last wrote; on a conflict it reads and decides as above);
 *   - leadership ends renew_deadline after the *send* of the last successful renew
 *     (or acquisition). Every renew request carries that moment as its deadline, and
 *     is_leader answers false from then on even before the elector thread has run.
 *     A candidate elsewhere waits lease duration from when it saw that renew's record,
 *     which is after the send, and lease duration > renew deadline: the old leader has
 *     stopped before the new one can start (a paused process cannot act while paused;
 *     woken, it checks is_leader or is told by on_stopped_leading);
 *   - on stop, a leader calls on_stopped_leading first, then releases: holderIdentity
 *     "" and leaseDurationSeconds 1 (client-go's ReleaseOnCancel), with the
 *     resourceVersion it last wrote as precondition, so a lease another identity has
 *     taken since is never released by us. (client-go releases before its
 *     OnStoppedLeading runs, and asks callers to have stopped their work first.)
 *   - after losing the lease the elector calls on_stopped_leading and becomes a
 *     candidate again (client-go's Run returns and its callers usually exit).
 *
 * Callbacks run on the elector's thread, one at a time, and delay its renewals while
 * they run: on_started_leading starts the work and returns; on_stopped_leading must
 * stop the work before it returns (it has at most lease duration - renew deadline
 * before a successor may start); on_new_leader(identity) tells of each change of the
 * observed holder ("" when released). None may call vk_kube_lease_stop or _free. */
#ifndef VK_KUBE_LEASE_H
#define VK_KUBE_LEASE_H

#include "vk/kube_client.h"
#include "vk/status.h"

#include <stdbool.h>
#include <stdint.h>

/* client-go's defaults (and kube-controller-manager's). */
#define VK_KUBE_LEASE_DEFAULT_DURATION_S 15
#define VK_KUBE_LEASE_DEFAULT_RENEW_DEADLINE_MS 10000
#define VK_KUBE_LEASE_DEFAULT_RETRY_PERIOD_MS 2000
/* client-go's JitterFactor: a candidate's wait is retry .. retry * (1 + 1.2). */
#define VK_KUBE_LEASE_JITTER 1.2

typedef struct vk_kube_lease_elector vk_kube_lease_elector;

/* Zero members take the defaults. lease_duration_s > renew_deadline_ms / 1000 >
 * 1.2 x retry_period_ms (client-go's rules) or start refuses. */
typedef struct {
    const char *namespace_;      /* the Lease's (required) */
    const char *name;            /* the Lease's (required) */
    const char *identity;        /* NULL: "<hostname>_<pid>"; unique among candidates */
    int lease_duration_s;        /* leaseDurationSeconds written: 15 */
    int64_t renew_deadline_ms;   /* 10000 */
    int64_t retry_period_ms;     /* 2000 */
    void (*on_started_leading)(void *ctx);
    void (*on_stopped_leading)(void *ctx);
    void (*on_new_leader)(void *ctx, const char *identity);
    void *ctx;
} vk_kube_lease_config;

/* Starts the elector's thread (it sends the first read at once). kc must outlive the
 * elector. cfg's strings are copied. */
bool vk_kube_lease_start(vk_kube_client *kc, const vk_kube_lease_config *cfg, vk_kube_lease_elector **out,
                         vk_status *st);

/* True while we lead and the renew deadline has not passed (safe from any thread). */
bool vk_kube_lease_is_leader(vk_kube_lease_elector *e);

/* Our identity (valid until free). */
const char *vk_kube_lease_identity(const vk_kube_lease_elector *e);

/* The holder last observed into buf ("" for none or not yet read). */
void vk_kube_lease_holder(vk_kube_lease_elector *e, char *buf, size_t size);

typedef struct {
    uint64_t attempts;     /* acquire or renew rounds */
    uint64_t acquired;     /* times we became leader */
    uint64_t lost;         /* leaderships that ended at the renew deadline */
    uint64_t conflicts;    /* 409s: another candidate wrote first */
    uint64_t errors;       /* other failed requests */
    uint64_t released;     /* successful releases */
} vk_kube_lease_stats;
void vk_kube_lease_get_stats(vk_kube_lease_elector *e, vk_kube_lease_stats *out);

/* Stops the elector: a leader calls on_stopped_leading, then releases the lease.
 * Returns when the thread has ended: at once when idle, at worst after an in-flight
 * request (bounded by the renew deadline) and the release (the same bound). Idempotent. */
void vk_kube_lease_stop(vk_kube_lease_elector *e);

/* Stops it if needed, then frees it. NULL is ignored. */
void vk_kube_lease_free(vk_kube_lease_elector *e);

#endif
