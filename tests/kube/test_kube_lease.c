/* Leader election's decisions on an injected clock: expiry is measured from when we
 * observed the record change, never from the server's timestamps; what a renewal, a
 * takeover and a release write; the jitter; refused configurations; a bounded stop
 * with no server to talk to. */
#include "kube_lease_internal.h"
#include "vk/deadline.h"
#include "vk/kube_lease.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* A Lease object as the server would answer it. */
static json_t *lease(const char *holder, int duration_s, const char *renew, int transitions, const char *rv) {
    json_t *j = json_pack("{s:{s:s, s:s}, s:{s:s, s:i, s:s, s:s, s:i}}", "metadata", "name", "l", "resourceVersion", rv,
                          "spec", "holderIdentity", holder, "leaseDurationSeconds", duration_s, "acquireTime",
                          "2001-01-01T00:00:00.000000Z", "renewTime", renew, "leaseTransitions", transitions);
    assert_non_null(j);
    return j;
}

static bool observe(kube_lease_observation *o, json_t *obj, int64_t now_ms) {
    kube_lease_record rec;
    kube_lease_record_from(obj, &rec);
    json_decref(obj);
    return kube_lease_observe(o, &rec, now_ms);
}

/* The server's renewTime says the lease ran out long ago (a wall clock far behind
 * ours, or a holder's): that does not matter; our observation does. */
static void expiry_runs_from_observation(void **state) {
    (void)state;
    kube_lease_observation o = {0};
    assert_true(observe(&o, lease("a", 4, "1999-01-01T00:00:00.000000Z", 3, "10"), 1000));
    assert_true(kube_lease_valid(&o, 1000));
    assert_false(kube_lease_may_take(&o, "b", 1000));
    assert_false(kube_lease_may_take(&o, "b", 4999));
    assert_true(kube_lease_may_take(&o, "b", 5000)); /* 1000 + 4 s */
    kube_lease_observation_free(&o);
}

/* The same record read again does not move the observed time; a renewed one does. A
 * new resourceVersion alone (someone relabelled the Lease) is not a renewal. */
static void only_a_change_moves_the_observed_time(void **state) {
    (void)state;
    kube_lease_observation o = {0};
    observe(&o, lease("a", 4, "2024-01-01T00:00:01.000000Z", 0, "10"), 1000);
    assert_false(observe(&o, lease("a", 4, "2024-01-01T00:00:01.000000Z", 0, "10"), 3000));
    assert_false(observe(&o, lease("a", 4, "2024-01-01T00:00:01.000000Z", 0, "11"), 3500));
    assert_int_equal(o.observed_ms, 1000);
    assert_true(kube_lease_may_take(&o, "b", 5000));
    assert_true(observe(&o, lease("a", 4, "2024-01-01T00:00:03.000000Z", 0, "12"), 4000));
    assert_false(kube_lease_may_take(&o, "b", 5000));
    assert_false(kube_lease_may_take(&o, "b", 7999));
    assert_true(kube_lease_may_take(&o, "b", 8000));
    /* The holder's own duration counts, not ours: a holder asking for 30 s gets it. */
    assert_true(observe(&o, lease("a", 30, "2024-01-01T00:00:03.000000Z", 0, "13"), 8000));
    assert_false(kube_lease_may_take(&o, "b", 37999));
    assert_true(kube_lease_may_take(&o, "b", 38000));
    kube_lease_observation_free(&o);
}

/* No holder (released, or never held) and our own lease may be written at once. */
static void free_or_ours_may_be_taken(void **state) {
    (void)state;
    kube_lease_observation o = {0};
    assert_true(kube_lease_may_take(&o, "b", 0)); /* nothing observed: the create path */
    observe(&o, lease("", 1, "2024-01-01T00:00:00.000000Z", 2, "10"), 1000);
    assert_true(kube_lease_may_take(&o, "b", 1000));
    observe(&o, lease("b", 4, "2024-01-01T00:00:01.000000Z", 3, "11"), 1100);
    assert_true(kube_lease_may_take(&o, "b", 1100));
    assert_false(kube_lease_may_take(&o, "c", 1100));
    kube_lease_observation_free(&o);
}

static const char *spec_text(const json_t *spec, const char *key) {
    return json_string_value(json_object_get(spec, key));
}

static json_int_t spec_int(const json_t *spec, const char *key) { return json_integer_value(json_object_get(spec, key)); }

/* A renewal keeps acquireTime and leaseTransitions; a takeover counts one more
 * transition from now; a first holder starts at 0; a release empties the holder with
 * one second left and keeps the count. */
static void what_is_written(void **state) {
    (void)state;
    const char *now = "2024-05-05T05:05:05.123456Z";
    kube_lease_observation none = {0};
    json_t *spec = kube_lease_spec_for(&none, "a", 4, now);
    assert_string_equal(spec_text(spec, "holderIdentity"), "a");
    assert_int_equal(spec_int(spec, "leaseDurationSeconds"), 4);
    assert_int_equal(spec_int(spec, "leaseTransitions"), 0);
    assert_string_equal(spec_text(spec, "acquireTime"), now);
    json_decref(spec);

    kube_lease_observation o = {0};
    observe(&o, lease("a", 4, "2024-01-01T00:00:01.000000Z", 3, "10"), 1000);
    spec = kube_lease_spec_for(&o, "a", 4, now);
    assert_int_equal(spec_int(spec, "leaseTransitions"), 3);
    assert_string_equal(spec_text(spec, "acquireTime"), "2001-01-01T00:00:00.000000Z");
    assert_string_equal(spec_text(spec, "renewTime"), now);
    json_decref(spec);

    spec = kube_lease_spec_for(&o, "b", 6, now);
    assert_string_equal(spec_text(spec, "holderIdentity"), "b");
    assert_int_equal(spec_int(spec, "leaseTransitions"), 4);
    assert_int_equal(spec_int(spec, "leaseDurationSeconds"), 6);
    assert_string_equal(spec_text(spec, "acquireTime"), now);
    json_decref(spec);

    spec = kube_lease_spec_released(&o, now);
    assert_string_equal(spec_text(spec, "holderIdentity"), "");
    assert_int_equal(spec_int(spec, "leaseDurationSeconds"), 1);
    assert_int_equal(spec_int(spec, "leaseTransitions"), 3);
    json_decref(spec);
    kube_lease_observation_free(&o);
}

static void jitter_bounds(void **state) {
    (void)state;
    assert_int_equal(kube_lease_jittered(2000, 0.0), 2000);
    assert_int_equal(kube_lease_jittered(2000, 0.5), 3200);
    int64_t top = kube_lease_jittered(2000, 1.0);
    assert_true(top < 4400 && top >= 4399);
}

static vk_kube_client *unreachable_client(void) {
    /* Port 1 on loopback: refused at once, so rounds fail fast. */
    vk_kube_config cfg = {.server = "https://127.0.0.1:1", .token = "test-token-0123456789", .insecure_skip_tls_verify = true};
    vk_kube_client *kc;
    vk_status st;
    assert_true(vk_kube_client_new(&cfg, NULL, &kc, &st));
    return kc;
}

static void refused_configurations(void **state) {
    (void)state;
    vk_kube_client *kc = unreachable_client();
    struct { vk_kube_lease_config c; const char *text; } cases[] = {
        {{.namespace_ = "ns"}, "namespace and a name"},
        {{.namespace_ = "ns", .name = "l", .lease_duration_s = 4, .renew_deadline_ms = 4000}, "must exceed the renew deadline"},
        {{.namespace_ = "ns", .name = "l", .lease_duration_s = 4, .renew_deadline_ms = 3000, .retry_period_ms = 2500},
         "1.2 x the retry period"},
        {{.namespace_ = "ns", .name = "l"}, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vk_kube_lease_elector *e = NULL;
        vk_status st;
        bool ok = vk_kube_lease_start(kc, &cases[i].c, &e, &st);
        if (cases[i].text) {
            assert_false(ok);
            assert_null(e);
            assert_int_equal(st.code, VK_INVALID_ARGUMENT);
            assert_non_null(strstr(st.message, cases[i].text));
        } else {
            assert_true(ok);
            /* The default identity is host_pid. */
            assert_non_null(strchr(vk_kube_lease_identity(e), '_'));
            vk_kube_lease_free(e);
        }
    }
    vk_kube_client_free(kc);
}

/* No server: rounds fail, nobody leads, and stop returns well within a renew
 * deadline (nothing is held, nothing is released). */
static void bounded_stop_without_a_server(void **state) {
    (void)state;
    vk_kube_client *kc = unreachable_client();
    vk_kube_lease_config lc = {.namespace_ = "ns", .name = "l", .identity = "me", .lease_duration_s = 4,
                               .renew_deadline_ms = 3000, .retry_period_ms = 100};
    vk_kube_lease_elector *e;
    vk_status st;
    assert_true(vk_kube_lease_start(kc, &lc, &e, &st));
    vk_kube_lease_stats s;
    int64_t until = vk_deadline_in(20000);
    do {
        vk_sleep_ms(50);
        vk_kube_lease_get_stats(e, &s);
    } while (s.errors < 2 && vk_now_ms() < until);
    assert_true(s.errors >= 2); /* a second round came after the first failed */
    assert_false(vk_kube_lease_is_leader(e));
    assert_int_equal(s.acquired, 0);
    int64_t t0 = vk_now_ms();
    vk_kube_lease_stop(e);
    assert_true(vk_now_ms() - t0 < 3000 + 2000); /* a hang would be the test's timeout */
    vk_kube_lease_stop(e); /* idempotent */
    vk_kube_lease_get_stats(e, &s);
    assert_int_equal(s.released, 0);
    vk_kube_lease_free(e);
    vk_kube_client_free(kc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expiry_runs_from_observation),
        cmocka_unit_test(only_a_change_moves_the_observed_time),
        cmocka_unit_test(free_or_ours_may_be_taken),
        cmocka_unit_test(what_is_written),
        cmocka_unit_test(jitter_bounds),
        cmocka_unit_test(refused_configurations),
        cmocka_unit_test(bounded_stop_without_a_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
