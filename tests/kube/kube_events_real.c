/* The Event recorder against the real kube-apiserver (test_event_real.sh starts it
 * and then reads back with kubectl what this wrote). On ConfigMaps it makes in
 * "default":
 *   - vk-ev-flap: 1,000 occurrences of one warning in ~3 s through a recorder with a
 *     1 s flush interval: the recorder's own client counts its writes (a handful:
 *     one create and a patch per interval) - FIGURE event_api_writes_1000_repeats;
 *   - vk-ev-distinct: three reasons, three Events;
 *   - vk-ev-spam: 30 reasons at once: 25 Events, 5 dropped by the spam filter;
 *   - vk-ev-secret: a note quoting a URL with userinfo and the client's own token.
 * Prints "uid NAME UID" per object for the script, and exits non-zero on a failed
 * check of its own counters. */
#include "vk/deadline.h"
#include "vk/kube_client.h"
#include "vk/kube_config.h"
#include "vk/kube_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vk_kube_config cfg;

static vk_kube_client *client(void) {
    vk_kube_client *kc;
    vk_status st;
    if (!vk_kube_client_new(&cfg, NULL, &kc, &st)) {
        fprintf(stderr, "FAIL: client: %s\n", st.message);
        exit(1);
    }
    return kc;
}

/* A ConfigMap to be the regarding object; its uid into uid. */
static void target(vk_kube_client *kc, const char *name, char *uid, size_t size) {
    vk_kube_ref ref = {.version = "v1", .resource = "configmaps", .namespace_ = "default", .name = name};
    json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", name);
    vk_status st;
    json_t *made = vk_kube_create(kc, &ref, obj, vk_deadline_in(30000), &st);
    json_decref(obj);
    if (!made) {
        fprintf(stderr, "FAIL: create configmap %s: %s\n", name, st.message);
        exit(1);
    }
    snprintf(uid, size, "%s", json_string_value(json_object_get(json_object_get(made, "metadata"), "uid")));
    printf("uid %s %s\n", name, uid);
    json_decref(made);
}

static int failures;
static void check(bool ok, const char *what) {
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) failures++;
}

static vk_kube_recorder *recorder(vk_kube_client *kc) {
    vk_status st;
    vk_kube_recorder *r = vk_kube_recorder_new(
        kc, &(vk_kube_recorder_settings){.reporting_controller = "vast-k8s.io/test", .reporting_instance = "test-1",
                                         .flush_ms = 1000}, &st);
    if (!r) {
        fprintf(stderr, "FAIL: recorder: %s\n", st.message);
        exit(1);
    }
    return r;
}

int main(void) {
    vk_status st;
    if (!vk_kube_config_load_file(getenv("KUBECONFIG"), NULL, &cfg, &st)) {
        fprintf(stderr, "FAIL: kubeconfig: %s\n", st.message);
        return 1;
    }
    vk_kube_client *kc = client();
    char uid[64];

    /* 1,000 repeats on their own client, so its counters are the recorder's writes. */
    target(kc, "vk-ev-flap", uid, sizeof uid);
    vk_kube_client *flap_kc = client();
    vk_kube_recorder *r = recorder(flap_kc);
    vk_kube_object_ref flap = {.api_version = "v1", .kind = "ConfigMap", .namespace_ = "default", .name = "vk-ev-flap",
                               .uid = uid};
    int64_t t0 = vk_now_ms();
    for (int i = 0; i < 1000; i++) {
        vk_kube_event(r, &flap, VK_KUBE_EVENT_WARNING, "ProvisioningFailed", "Provision",
                      "view /vk-ev-flap: quota exceeded");
        vk_sleep_ms(3);
    }
    int64_t spent = vk_now_ms() - t0;
    vk_kube_recorder_stats rs;
    vk_kube_recorder_get_stats(r, &rs);
    vk_kube_recorder_free(r, vk_deadline_in(20000));
    vk_kube_stats ks;
    vk_kube_get_stats(flap_kc, &ks);
    uint64_t writes = ks.requests[VK_KUBE_VERB_CREATE] + ks.requests[VK_KUBE_VERB_PATCH];
    printf("FIGURE event_repeats_ms=%lld\n", (long long)spent);
    printf("FIGURE event_api_writes_1000_repeats=%llu\n", (unsigned long long)writes);
    printf("writes: %llu creates, %llu patches; folded %llu\n", (unsigned long long)ks.requests[VK_KUBE_VERB_CREATE],
           (unsigned long long)ks.requests[VK_KUBE_VERB_PATCH], (unsigned long long)rs.folded);
    check(rs.folded == 999 && rs.dropped_spam == 0 && rs.dropped_queue == 0, "999 repeats folded into one series");
    check(ks.requests[VK_KUBE_VERB_CREATE] == 1, "one create for 1,000 occurrences");
    /* One create, then at most one patch per 1 s interval while they came, and the last. */
    check(writes <= 2 + (uint64_t)(spent / 1000) + 1, "a patch per flush interval at most");
    vk_kube_client_free(flap_kc);

    /* Distinct reasons are distinct Events; then the spam filter. */
    target(kc, "vk-ev-distinct", uid, sizeof uid);
    r = recorder(kc);
    vk_kube_object_ref distinct = {.api_version = "v1", .kind = "ConfigMap", .namespace_ = "default",
                                   .name = "vk-ev-distinct", .uid = uid};
    const char *reasons[] = {"Created", "Updated", "Synced"};
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3; i++) vk_kube_event(r, &distinct, VK_KUBE_EVENT_NORMAL, reasons[i], "Sync", "ok");
    char spam_uid[64];
    target(kc, "vk-ev-spam", spam_uid, sizeof spam_uid);
    vk_kube_object_ref spam = {.api_version = "v1", .kind = "ConfigMap", .namespace_ = "default", .name = "vk-ev-spam",
                               .uid = spam_uid};
    for (int i = 0; i < 30; i++) {
        char reason[32];
        snprintf(reason, sizeof reason, "Reason%d", i);
        vk_kube_event(r, &spam, VK_KUBE_EVENT_WARNING, reason, "Check", "attempt %d", i);
    }
    char secret_uid[64];
    target(kc, "vk-ev-secret", secret_uid, sizeof secret_uid);
    vk_kube_object_ref secret = {.api_version = "v1", .kind = "ConfigMap", .namespace_ = "default",
                                 .name = "vk-ev-secret", .uid = secret_uid};
    vk_kube_event(r, &secret, VK_KUBE_EVENT_WARNING, "LoginFailed", "Login",
                  "https://admin:Hunter2-Pass@vms.example/api refused; Authorization: Bearer %s", cfg.token);
    vk_kube_recorder_get_stats(r, &rs);
    vk_kube_recorder_free(r, vk_deadline_in(20000));
    check(rs.dropped_spam == 5, "the spam filter dropped 5 of 30 reasons on one object");
    check(rs.folded == 3, "the repeated three reasons folded");

    vk_kube_client_free(kc);
    vk_kube_config_free(&cfg);
    return failures ? 1 : 0;
}
