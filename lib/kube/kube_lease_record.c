/* kube_lease_record: the Lease record and client-go's decisions on it
 * (tryAcquireOrRenew's rules), without I/O or a clock of their own. */
#include "kube_lease_internal.h"
#include "vk/kube_lease.h"

#include <stdlib.h>
#include <string.h>

static char *dup_text(const char *s) {
    char *c = strdup(s ? s : "");
    if (!c) abort();
    return c;
}

void kube_lease_record_from(const json_t *lease, kube_lease_record *out) {
    const json_t *spec = json_object_get(lease, "spec");
    out->holder = dup_text(json_string_value(json_object_get(spec, "holderIdentity")));
    out->duration_s = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
    out->acquire_time = dup_text(json_string_value(json_object_get(spec, "acquireTime")));
    out->renew_time = dup_text(json_string_value(json_object_get(spec, "renewTime")));
    out->transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
}

void kube_lease_record_free(kube_lease_record *r) {
    free(r->holder);
    free(r->acquire_time);
    free(r->renew_time);
    memset(r, 0, sizeof *r);
}

bool kube_lease_record_equal(const kube_lease_record *a, const kube_lease_record *b) {
    return strcmp(a->holder, b->holder) == 0 && a->duration_s == b->duration_s &&
           strcmp(a->acquire_time, b->acquire_time) == 0 && strcmp(a->renew_time, b->renew_time) == 0 &&
           a->transitions == b->transitions;
}

bool kube_lease_observe(kube_lease_observation *o, kube_lease_record *rec, int64_t now_ms) {
    bool changed = !o->have || !kube_lease_record_equal(&o->seen, rec);
    if (changed) {
        if (o->have) kube_lease_record_free(&o->seen);
        o->seen = *rec;
        o->observed_ms = now_ms;
        o->have = true;
    } else {
        kube_lease_record_free(rec);
    }
    memset(rec, 0, sizeof *rec);
    return changed;
}

void kube_lease_observation_free(kube_lease_observation *o) {
    if (o->have) kube_lease_record_free(&o->seen);
    o->have = false;
}

bool kube_lease_valid(const kube_lease_observation *o, int64_t now_ms) {
    return o->have && o->observed_ms + o->seen.duration_s * 1000 > now_ms;
}

bool kube_lease_may_take(const kube_lease_observation *o, const char *identity, int64_t now_ms) {
    if (!o->have || !*o->seen.holder || strcmp(o->seen.holder, identity) == 0) return true;
    return !kube_lease_valid(o, now_ms);
}

json_t *kube_lease_spec_for(const kube_lease_observation *o, const char *identity, int duration_s,
                            const char *wall_now) {
    bool ours = o->have && strcmp(o->seen.holder, identity) == 0;
    const char *acquired = ours && *o->seen.acquire_time ? o->seen.acquire_time : wall_now;
    json_int_t transitions = !o->have ? 0 : ours ? o->seen.transitions : o->seen.transitions + 1;
    json_t *spec = json_pack("{s:s, s:i, s:s, s:s, s:I}", "holderIdentity", identity, "leaseDurationSeconds",
                             duration_s, "acquireTime", acquired, "renewTime", wall_now, "leaseTransitions",
                             transitions);
    if (!spec) abort();
    return spec;
}

json_t *kube_lease_spec_released(const kube_lease_observation *o, const char *wall_now) {
    json_t *spec = json_pack("{s:s, s:i, s:s, s:s, s:I}", "holderIdentity", "", "leaseDurationSeconds", 1,
                             "acquireTime", wall_now, "renewTime", wall_now, "leaseTransitions",
                             (json_int_t)(o->have ? o->seen.transitions : 0));
    if (!spec) abort();
    return spec;
}

int64_t kube_lease_jittered(int64_t retry_ms, double uniform) {
    if (uniform < 0) uniform = 0;
    if (uniform >= 1) uniform = 0.999999;
    return retry_ms + (int64_t)(uniform * VK_KUBE_LEASE_JITTER * (double)retry_ms);
}
