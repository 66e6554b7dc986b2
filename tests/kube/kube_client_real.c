/* The Kubernetes client against the real kube-apiserver (test_client_real.sh starts it
 * and prepares what a phase needs). One phase per run:
 *
 *   kube_client_real verbs KUBECONFIG      every verb and its errors, in namespace vk-client
 *   kube_client_real rotate KUBECONFIG TOKEN_FILE SECOND_TOKEN
 *                                          a tokenFile rewritten with another valid token,
 *                                          then a wrong one (401)
 *   kube_client_real cert KUBECONFIG       a client certificate (no token) is enough
 *   kube_client_real expired KUBECONFIG    an expired client certificate is refused (401)
 *   kube_client_real storm KUBECONFIG      many concurrent lists from a user that API
 *                                          Priority and Fairness holds to a tiny share
 *
 * Each check prints "ok: ..." or "FAIL: ..."; the exit status is 1 on any failure. */
#include "vk/deadline.h"
#include "vk/kube_client.h"
#include "vk/kube_config.h"
#include "vk/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS "vk-client"
#define PAGED 23
#define PAGE_LIMIT 5
#define STORM_THREADS 24
#define STORM_CALLS 8

static int failures;

static void check(bool ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", ok ? "ok" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (!ok) failures++;
}

static vk_kube_client *client(const char *kubeconfig, const vk_kube_client_settings *s) {
    vk_kube_config cfg;
    vk_status st;
    if (!vk_kube_config_load_file(kubeconfig, NULL, &cfg, &st)) {
        printf("FAIL: kubeconfig %s: %s\n", kubeconfig, st.message);
        exit(1);
    }
    vk_kube_client *c;
    bool ok = vk_kube_client_new(&cfg, s, &c, &st);
    vk_kube_config_free(&cfg);
    if (!ok) {
        printf("FAIL: client: %s\n", st.message);
        exit(1);
    }
    return c;
}

static int64_t in_30s(void) { return vk_deadline_in(30000); }

static const char *str_at(const json_t *obj, const char *a, const char *b) {
    return json_string_value(json_object_get(json_object_get(obj, a), b));
}

static const char *meta(const json_t *obj, const char *field) { return str_at(obj, "metadata", field); }

static vk_kube_ref cm(const char *name) {
    return (vk_kube_ref){.version = "v1", .resource = "configmaps", .namespace_ = NS, .name = name};
}

static json_t *configmap(const char *name, const char *key, const char *value) {
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                     "name", name, "labels", "app", "vk", "data", key, value);
}

/* st's code is want and its message holds text. */
static void expect(const char *what, json_t *got, const vk_status *st, vk_code want, const char *text) {
    bool ok = !got && st->code == want && (!text || strstr(st->message, text));
    check(ok, "%s -> %s (%s)", what, vk_status_name(st->code), st->message);
    json_decref(got);
}

/* ---- verbs ---- */

static void namespace_and_get(vk_kube_client *c) {
    vk_status st;
    json_t *ns = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", NS);
    vk_kube_ref nsref = {.version = "v1", .resource = "namespaces", .name = NS};
    json_t *made = vk_kube_create(c, &nsref, ns, in_30s(), &st);
    check(made && strcmp(meta(made, "name"), NS) == 0, "create namespace %s (cluster-scoped) %s", NS, st.message);
    json_decref(made);
    json_decref(ns);
    nsref.subresource = "status";
    json_t *status = vk_kube_get(c, &nsref, in_30s(), &st);
    check(status && strcmp(str_at(status, "status", "phase"), "Active") == 0, "get namespace %s/status: Active", NS);
    json_decref(status);
    vk_kube_ref missing = cm("none-here");
    expect("get a missing configmap", vk_kube_get(c, &missing, in_30s(), &st), &st, VK_NOT_FOUND, "not found");
}

static void create_twice(vk_kube_client *c) {
    vk_status st;
    json_t *obj = configmap("one", "a", "1");
    vk_kube_ref r = cm("one");
    json_t *made = vk_kube_create(c, &r, obj, in_30s(), &st);
    check(made && meta(made, "uid") && meta(made, "resourceVersion"), "create configmap one: uid %s",
          made ? meta(made, "uid") : st.message);
    json_decref(made);
    expect("create configmap one again", vk_kube_create(c, &r, obj, in_30s(), &st), &st, VK_ALREADY_EXISTS,
           "already exists");
    json_decref(obj);
    json_t *bad = configmap("Bad_Name", "a", "1");
    expect("create an invalid name", vk_kube_create(c, &r, bad, in_30s(), &st), &st, VK_INVALID_ARGUMENT,
           "metadata.name: Invalid value");
    json_decref(bad);
}

typedef struct {
    int pages, items;
    bool seen[PAGED];
    int stop_after; /* items; 0: never */
} list_count;

static bool count_page(void *ctx, json_t *page) {
    (void)page;
    ((list_count *)ctx)->pages++;
    return true;
}

static bool count_item(void *ctx, json_t *item) {
    list_count *n = ctx;
    int i;
    if (sscanf(meta(item, "name"), "page-%d", &i) == 1 && i >= 0 && i < PAGED) n->seen[i] = true;
    return ++n->items != n->stop_after;
}

static void paged_list(vk_kube_client *c) {
    vk_status st;
    for (int i = 0; i < PAGED; i++) {
        char name[32];
        snprintf(name, sizeof name, "page-%02d", i);
        json_t *obj = configmap(name, "i", name);
        json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "labels"), "set", json_string("paged"));
        vk_kube_ref r = cm(name);
        json_t *made = vk_kube_create(c, &r, obj, in_30s(), &st);
        if (!made) check(false, "create %s: %s", name, st.message);
        json_decref(made);
        json_decref(obj);
    }
    list_count n = {0};
    vk_kube_ref all = cm(NULL);
    vk_kube_list_options o = {.label_selector = "set=paged", .limit = PAGE_LIMIT, .on_page = count_page,
                              .on_item = count_item, .ctx = &n};
    vk_kube_list_result r;
    bool ok = vk_kube_list(c, &all, &o, in_30s(), &r, &st);
    bool all_seen = true;
    for (int i = 0; i < PAGED; i++) all_seen = all_seen && n.seen[i];
    int want_pages = (PAGED + PAGE_LIMIT - 1) / PAGE_LIMIT;
    check(ok && n.pages == want_pages && r.pages == want_pages && n.items == PAGED && r.items == PAGED && all_seen &&
              r.resource_version && *r.resource_version,
          "list %d configmaps by %d: %d pages, %d items, all seen: %s, resourceVersion %s %s", PAGED, PAGE_LIMIT,
          n.pages, n.items, all_seen ? "yes" : "no", ok ? r.resource_version : "-", st.message);
    if (ok) free(r.resource_version);

    list_count one = {0};
    o = (vk_kube_list_options){.field_selector = "metadata.name=page-07", .on_item = count_item, .ctx = &one};
    ok = vk_kube_list(c, &all, &o, in_30s(), NULL, &st);
    check(ok && one.items == 1 && one.seen[7], "list with fieldSelector metadata.name=page-07: %d item", one.items);

    list_count early = {.stop_after = 7};
    o = (vk_kube_list_options){.label_selector = "set=paged", .limit = PAGE_LIMIT, .on_page = count_page,
                               .on_item = count_item, .ctx = &early};
    ok = vk_kube_list(c, &all, &o, in_30s(), &r, &st);
    check(ok && early.items == 7 && early.pages == 2, "a list stopped by its callback after 7 items: %d pages",
          early.pages);
    if (ok) free(r.resource_version);
}

static void update_and_conflict(vk_kube_client *c) {
    vk_status st;
    vk_kube_ref r = cm("one");
    json_t *old = vk_kube_get(c, &r, in_30s(), &st);
    json_t *changed = json_deep_copy(old);
    json_object_set_new(json_object_get(changed, "data"), "a", json_string("2"));
    json_t *updated = vk_kube_update(c, &r, changed, in_30s(), &st);
    check(updated && strcmp(str_at(updated, "data", "a"), "2") == 0 &&
              strcmp(meta(updated, "resourceVersion"), meta(old, "resourceVersion")) != 0,
          "update configmap one: data.a=2, resourceVersion %s -> %s", old ? meta(old, "resourceVersion") : "-",
          updated ? meta(updated, "resourceVersion") : st.message);
    json_decref(updated);
    json_decref(changed);
    json_object_set_new(json_object_get(old, "data"), "a", json_string("stale"));
    expect("update with a stale resourceVersion", vk_kube_update(c, &r, old, in_30s(), &st), &st, VK_ABORTED,
           "the object has been modified");
    json_decref(old);
}

static void merge_patch(vk_kube_client *c) {
    vk_status st;
    vk_kube_ref r = cm("one");
    json_t *patch = json_pack("{s:{s:s}, s:{s:{s:s}}}", "data", "b", "3", "metadata", "labels", "patched", "yes");
    json_t *got = vk_kube_merge_patch(c, &r, patch, in_30s(), &st);
    check(got && strcmp(str_at(got, "data", "a"), "2") == 0 && strcmp(str_at(got, "data", "b"), "3") == 0 &&
              strcmp(json_string_value(json_object_get(json_object_get(json_object_get(got, "metadata"), "labels"),
                                                       "patched")), "yes") == 0,
          "merge patch: data.b=3 added, data.a kept, label patched=yes %s", st.message);
    json_decref(got);
    json_decref(patch);
}

static bool has_manager(const json_t *obj, const char *manager) {
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "managedFields"), i, f) {
        if (strcmp(json_string_value(json_object_get(f, "manager")), manager) == 0) return true;
    }
    return false;
}

static void server_side_apply(const char *kubeconfig) {
    vk_status st;
    vk_kube_client *a = client(kubeconfig, &(vk_kube_client_settings){.field_manager = "vk-manager-a"});
    vk_kube_client *b = client(kubeconfig, &(vk_kube_client_settings){.field_manager = "vk-manager-b"});
    vk_kube_ref r = cm("applied");
    json_t *intent = configmap("applied", "k", "from-a");
    json_t *got = vk_kube_apply(a, &r, intent, false, in_30s(), &st);
    check(got && strcmp(str_at(got, "data", "k"), "from-a") == 0 && has_manager(got, "vk-manager-a"),
          "apply by vk-manager-a creates it: data.k=from-a %s", st.message);
    json_decref(got);
    got = vk_kube_apply(a, &r, intent, false, in_30s(), &st); /* the same intent again: no change */
    check(got != NULL, "apply the same intent again %s", st.message);
    json_decref(got);
    json_decref(intent);
    intent = configmap("applied", "k", "from-b");
    expect("apply by vk-manager-b of the same field, not forced", vk_kube_apply(b, &r, intent, false, in_30s(), &st),
           &st, VK_ABORTED, "vk-manager-a");
    got = vk_kube_apply(b, &r, intent, true, in_30s(), &st);
    check(got && strcmp(str_at(got, "data", "k"), "from-b") == 0 && has_manager(got, "vk-manager-b"),
          "apply by vk-manager-b forced: data.k=from-b, managed by vk-manager-b %s", st.message);
    json_decref(got);
    json_decref(intent);
    vk_kube_stats s;
    vk_kube_get_stats(a, &s);
    check(s.requests[VK_KUBE_VERB_APPLY] == 2, "client a counted 2 applies (%llu)",
          (unsigned long long)s.requests[VK_KUBE_VERB_APPLY]);
    vk_kube_client_free(a);
    vk_kube_client_free(b);
}

static void delete_with_preconditions(vk_kube_client *c) {
    vk_status st;
    json_t *obj = configmap("doomed", "x", "y");
    vk_kube_ref r = cm("doomed");
    json_t *made = vk_kube_create(c, &r, obj, in_30s(), &st);
    json_decref(obj);
    const char *uid = made ? meta(made, "uid") : "none";
    vk_kube_delete_options wrong = {.uid = "00000000-0000-0000-0000-000000000000"};
    expect("delete with a wrong uid precondition", vk_kube_delete(c, &r, &wrong, in_30s(), &st), &st, VK_ABORTED,
           "the UID in the precondition");
    vk_kube_delete_options stale = {.resource_version = "1"};
    expect("delete with a stale resourceVersion precondition", vk_kube_delete(c, &r, &stale, in_30s(), &st), &st,
           VK_ABORTED, "the ResourceVersion in the precondition");
    vk_kube_delete_options right = {.uid = uid, .resource_version = made ? meta(made, "resourceVersion") : NULL};
    json_t *gone = vk_kube_delete(c, &r, &right, in_30s(), &st);
    check(gone != NULL, "delete with the right uid and resourceVersion %s", st.message);
    json_decref(gone);
    json_decref(made);
    expect("get after delete", vk_kube_get(c, &r, in_30s(), &st), &st, VK_NOT_FOUND, NULL);
}

/* Polls until ref is gone (NOT_FOUND) or 90 s passed. */
static bool wait_gone(vk_kube_client *c, const vk_kube_ref *ref) {
    int64_t until = vk_deadline_in(90000);
    while (vk_deadline_remaining(until) > 0) {
        vk_status st;
        json_t *o = vk_kube_get(c, ref, in_30s(), &st);
        json_decref(o);
        if (!o && st.code == VK_NOT_FOUND) return true;
        vk_sleep_ms(200);
    }
    return false;
}

static void foreground_deletion(vk_kube_client *c) {
    vk_status st;
    vk_kube_ref owner_ref = cm("owner"), dep_ref = cm("dependent");
    json_t *owner_obj = configmap("owner", "role", "owner");
    json_t *owner = vk_kube_create(c, &owner_ref, owner_obj, in_30s(), &st);
    json_decref(owner_obj);
    json_t *dep = configmap("dependent", "role", "dependent");
    json_object_set_new(json_object_get(dep, "metadata"), "ownerReferences",
                        json_pack("[{s:s, s:s, s:s, s:s, s:b}]", "apiVersion", "v1", "kind", "ConfigMap", "name",
                                  "owner", "uid", owner ? meta(owner, "uid") : "x", "blockOwnerDeletion", 1));
    json_t *made = vk_kube_create(c, &dep_ref, dep, in_30s(), &st);
    check(made != NULL, "create a dependent with an ownerReference %s", st.message);
    json_decref(made);
    json_decref(dep);
    json_decref(owner);
    vk_kube_delete_options fg = {.propagation = "Foreground"};
    json_t *marked = vk_kube_delete(c, &owner_ref, &fg, in_30s(), &st);
    json_t *fins = json_object_get(json_object_get(marked, "metadata"), "finalizers");
    bool has_fg = false;
    size_t i;
    json_t *f;
    json_array_foreach(fins, i, f) has_fg = has_fg || strcmp(json_string_value(f), "foregroundDeletion") == 0;
    check(marked && meta(marked, "deletionTimestamp") && has_fg,
          "delete owner with propagationPolicy Foreground: marked, finalizer foregroundDeletion %s", st.message);
    json_decref(marked);
    int64_t t0 = vk_now_ms();
    bool dep_gone = wait_gone(c, &dep_ref), owner_gone = dep_gone && wait_gone(c, &owner_ref);
    check(dep_gone && owner_gone, "the garbage collector removed the dependent, then the owner (%lld ms)",
          (long long)(vk_now_ms() - t0));
}

static vk_kube_ref widget(const char *name, const char *sub) {
    return (vk_kube_ref){.group = "vk-test.example.com", .version = "v1", .resource = "widgets", .namespace_ = NS,
                         .name = name, .subresource = sub};
}

static void status_subresource(vk_kube_client *c) {
    vk_status st;
    vk_kube_ref main = widget("w", NULL), status = widget("w", "status");
    json_t *obj = json_pack("{s:s, s:s, s:{s:s}, s:{s:i}}", "apiVersion", "vk-test.example.com/v1", "kind", "Widget",
                            "metadata", "name", "w", "spec", "size", 1);
    json_t *made = vk_kube_create(c, &main, obj, in_30s(), &st);
    check(made != NULL, "create widget w (a CRD with a status subresource) %s", st.message);
    json_decref(obj);
    /* PUT on /status changes the status only */
    json_object_set_new(made, "status", json_pack("{s:s}", "phase", "Ready"));
    json_object_set_new(json_object_get(made, "spec"), "size", json_integer(99));
    json_t *got = vk_kube_update(c, &status, made, in_30s(), &st);
    check(got && strcmp(str_at(got, "status", "phase"), "Ready") == 0 &&
              json_integer_value(json_object_get(json_object_get(got, "spec"), "size")) == 1,
          "update widget w/status: phase Ready, spec.size left at 1 %s", st.message);
    json_decref(got);
    json_decref(made);
    json_t *patch = json_pack("{s:{s:s}}", "status", "observed", "yes");
    got = vk_kube_merge_patch(c, &status, patch, in_30s(), &st);
    check(got && strcmp(str_at(got, "status", "observed"), "yes") == 0 && strcmp(str_at(got, "status", "phase"), "Ready") == 0,
          "merge patch widget w/status: observed=yes, phase kept %s", st.message);
    json_decref(got);
    json_decref(patch);
    json_t *intent = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "vk-test.example.com/v1", "kind",
                               "Widget", "metadata", "name", "w", "status", "phase", "Applied");
    got = vk_kube_apply(c, &status, intent, true, in_30s(), &st);
    check(got && strcmp(str_at(got, "status", "phase"), "Applied") == 0, "apply widget w/status: phase Applied %s",
          st.message);
    json_decref(got);
    json_decref(intent);
    got = vk_kube_get(c, &status, in_30s(), &st);
    check(got && strcmp(str_at(got, "status", "phase"), "Applied") == 0, "get widget w/status %s", st.message);
    json_decref(got);
    /* a /status update with a stale resourceVersion is a conflict too */
    got = vk_kube_get(c, &main, in_30s(), &st);
    json_object_set_new(json_object_get(got, "metadata"), "resourceVersion", json_string("1"));
    expect("update widget w/status with a stale resourceVersion", vk_kube_update(c, &status, got, in_30s(), &st), &st,
           VK_ABORTED, NULL);
    json_decref(got);
}

static int phase_verbs(const char *kubeconfig) {
    vk_kube_client *c = client(kubeconfig, NULL);
    namespace_and_get(c);
    create_twice(c);
    paged_list(c);
    update_and_conflict(c);
    merge_patch(c);
    server_side_apply(kubeconfig);
    delete_with_preconditions(c);
    foreground_deletion(c);
    status_subresource(c);
    vk_kube_stats s;
    vk_kube_get_stats(c, &s);
    printf("stats: get %llu list %llu create %llu update %llu patch %llu apply %llu delete %llu; attempts %llu "
           "retries %llu throttled %llu limiter waits %llu\n",
           (unsigned long long)s.requests[VK_KUBE_VERB_GET], (unsigned long long)s.requests[VK_KUBE_VERB_LIST],
           (unsigned long long)s.requests[VK_KUBE_VERB_CREATE], (unsigned long long)s.requests[VK_KUBE_VERB_UPDATE],
           (unsigned long long)s.requests[VK_KUBE_VERB_PATCH], (unsigned long long)s.requests[VK_KUBE_VERB_APPLY],
           (unsigned long long)s.requests[VK_KUBE_VERB_DELETE], (unsigned long long)s.attempts,
           (unsigned long long)s.retries, (unsigned long long)s.throttled, (unsigned long long)s.limiter_waits);
    /* 23 creates in a row exceed the burst of 30 with the rest: the bucket made some wait */
    check(s.requests[VK_KUBE_VERB_LIST] == 5 + 1 + 2 && s.limiter_waits > 0,
          "counters: 8 list pages, the rate limit (20 QPS, burst 30) made %llu requests wait",
          (unsigned long long)s.limiter_waits);
    vk_kube_client_free(c);
    return failures ? 1 : 0;
}

/* ---- token rotation, client certificate ---- */

static bool get_default_ns(vk_kube_client *c, vk_status *st) {
    vk_kube_ref r = {.version = "v1", .resource = "namespaces", .name = "default"};
    json_t *o = vk_kube_get(c, &r, in_30s(), st);
    json_decref(o);
    return o != NULL;
}

static void write_token(const char *path, const char *token) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", token) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        printf("FAIL: cannot write %s\n", path);
        exit(1);
    }
}

static int phase_rotate(const char *kubeconfig, const char *token_file, const char *second) {
    vk_kube_client *c = client(kubeconfig, NULL);
    vk_status st;
    check(get_default_ns(c, &st), "with the first token from the file %s", st.message);
    write_token(token_file, second);
    bool ok = true;
    for (int i = 0; i < 5 && ok; i++) ok = get_default_ns(c, &st);
    vk_kube_stats s;
    vk_kube_get_stats(c, &s);
    check(ok && s.token_reloads == 1, "after the file was rewritten with another valid token: 5 gets, %llu re-read",
          (unsigned long long)s.token_reloads);
    const char *wrong = "wrong-token-0123456789abcdef";
    write_token(token_file, wrong);
    ok = get_default_ns(c, &st);
    check(!ok && st.code == VK_UNAUTHENTICATED && strstr(st.message, "401") && !strstr(st.message, wrong),
          "a wrong token -> %s (%s)", vk_status_name(st.code), st.message);
    vk_kube_get_stats(c, &s);
    /* the stat change read it once; the 401's forced re-read found the same token: no resend */
    check(s.token_reloads == 3 && s.attempts == 7, "the 401 re-read the file once and did not resend it unchanged "
          "(reloads %llu, attempts %llu)", (unsigned long long)s.token_reloads, (unsigned long long)s.attempts);
    write_token(token_file, second);
    check(get_default_ns(c, &st), "the good token back in the file: works again %s", st.message);
    vk_kube_client_free(c);
    return failures ? 1 : 0;
}

static int phase_cert(const char *kubeconfig) {
    vk_kube_client *c = client(kubeconfig, &(vk_kube_client_settings){.field_manager = "vk-cert-user"});
    vk_status st;
    check(get_default_ns(c, &st), "a client certificate (CN=vk-cert-user, O=system:masters) authenticates %s",
          st.message);
    vk_kube_ref r = cm("by-cert");
    json_t *obj = configmap("by-cert", "who", "cert");
    json_t *made = vk_kube_create(c, &r, obj, in_30s(), &st);
    check(made != NULL, "create configmap by-cert as the certificate's user %s", st.message);
    json_decref(made);
    json_decref(obj);
    vk_kube_client_free(c);
    return failures ? 1 : 0;
}

/* A certificate of the cluster's CA whose validity has ended: the server refuses it, and
 * the answer says so at once (no resend: nothing the client holds could cure it). */
static int phase_expired(const char *kubeconfig) {
    vk_kube_client *c = client(kubeconfig, NULL);
    vk_status st;
    bool ok = get_default_ns(c, &st);
    vk_kube_stats s;
    vk_kube_get_stats(c, &s);
    check(!ok && st.code == VK_UNAUTHENTICATED && strstr(st.message, "401"),
          "an expired client certificate -> %s (%s)", vk_status_name(st.code), st.message);
    check(s.attempts == 1, "refused once, not resent (%llu attempts)", (unsigned long long)s.attempts);
    vk_kube_client_free(c);
    return failures ? 1 : 0;
}

/* ---- 429 storm ---- */

typedef struct {
    const char *kubeconfig;
    pthread_barrier_t *start;
    int ok, exhausted, other;
    int64_t longest_exhausted_over_ms; /* how far past its deadline a RESOURCE_EXHAUSTED ended */
    vk_kube_stats stats;
    int64_t elapsed_ms;
    char last_error[VK_STATUS_MESSAGE_MAX];
} storm_thread;

#define STORM_DEADLINE_MS 20000

static void *storm_run(void *arg) {
    storm_thread *t = arg;
    /* No client-side limit and a connection per call: only the server throttles. */
    vk_kube_client *c = client(t->kubeconfig, &(vk_kube_client_settings){.qps = -1, .max_connections = 4});
    pthread_barrier_wait(t->start);
    int64_t t0 = vk_now_ms();
    for (int i = 0; i < STORM_CALLS; i++) {
        vk_status st;
        int64_t deadline = vk_deadline_in(STORM_DEADLINE_MS);
        vk_kube_ref all = cm(NULL);
        vk_kube_list_options o = {.limit = 500};
        bool ok = vk_kube_list(c, &all, &o, deadline, NULL, &st);
        if (ok) t->ok++;
        else if (st.code == VK_RESOURCE_EXHAUSTED) {
            t->exhausted++;
            int64_t over = vk_now_ms() - deadline;
            if (over > t->longest_exhausted_over_ms) t->longest_exhausted_over_ms = over;
        } else {
            t->other++;
            snprintf(t->last_error, sizeof t->last_error, "%s", st.message);
        }
    }
    t->elapsed_ms = vk_now_ms() - t0;
    vk_kube_get_stats(c, &t->stats);
    vk_kube_client_free(c);
    return NULL;
}

static int phase_storm(const char *kubeconfig) {
    pthread_t th[STORM_THREADS];
    storm_thread t[STORM_THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, STORM_THREADS);
    for (int i = 0; i < STORM_THREADS; i++) {
        t[i] = (storm_thread){.kubeconfig = kubeconfig, .start = &start, .longest_exhausted_over_ms = INT64_MIN};
        pthread_create(&th[i], NULL, storm_run, &t[i]);
    }
    int ok = 0, exhausted = 0, other = 0;
    uint64_t throttled = 0, waits = 0;
    bool waited_enough = true;
    int64_t longest_over = INT64_MIN;
    for (int i = 0; i < STORM_THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += t[i].ok;
        exhausted += t[i].exhausted;
        other += t[i].other;
        throttled += t[i].stats.throttled;
        waits += t[i].stats.throttle_waits;
        if (t[i].longest_exhausted_over_ms > longest_over) longest_over = t[i].longest_exhausted_over_ms;
        /* Retry-After of the API server is at least 1 s: a thread that waited n times
         * spent n s at least (a client that ignored it would resend in ~100 ms) */
        if ((uint64_t)t[i].elapsed_ms < t[i].stats.throttle_waits * 1000) waited_enough = false;
        if (t[i].other) printf("thread %d: %s\n", i, t[i].last_error);
    }
    pthread_barrier_destroy(&start);
    printf("storm: %d threads x %d lists: %d ok, %d RESOURCE_EXHAUSTED, %d other; %llu answers 429, %llu waited "
           "and resent\n", STORM_THREADS, STORM_CALLS, ok, exhausted, other, (unsigned long long)throttled,
           (unsigned long long)waits);
    check(throttled > 0, "API Priority and Fairness answered 429 (%llu times)", (unsigned long long)throttled);
    check(other == 0 && ok + exhausted == STORM_THREADS * STORM_CALLS,
          "every list succeeded or ended RESOURCE_EXHAUSTED (%d ok, %d exhausted)", ok, exhausted);
    check(waits > 0 && waited_enough, "429s were waited out by their Retry-After (%llu waits)",
          (unsigned long long)waits);
    /* RESOURCE_EXHAUSTED comes when the next wait would pass the deadline: never
     * after it by more than an attempt's time */
    check(exhausted == 0 || longest_over < 5000, "no RESOURCE_EXHAUSTED ended long after its deadline (%lld ms)",
          (long long)(exhausted ? longest_over : 0));
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    vk_log_level level; /* VK_LOG_LEVEL=debug shows every attempt and 429 wait */
    if (getenv("VK_LOG_LEVEL") && vk_log_level_parse(getenv("VK_LOG_LEVEL"), &level)) vk_log_set_level(level);
    if (argc >= 3 && strcmp(argv[1], "verbs") == 0) return phase_verbs(argv[2]);
    if (argc >= 5 && strcmp(argv[1], "rotate") == 0) return phase_rotate(argv[2], argv[3], argv[4]);
    if (argc >= 3 && strcmp(argv[1], "cert") == 0) return phase_cert(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "expired") == 0) return phase_expired(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "storm") == 0) return phase_storm(argv[2]);
    fprintf(stderr, "usage: kube_client_real verbs|cert|expired|storm KUBECONFIG | rotate KUBECONFIG TOKEN_FILE TOKEN\n");
    return 2;
}
