/* Watches and informers against the real kube-apiserver (test_informer_real.sh runs it
 * under tests/k8s/lib.sh, with tests/kube/tcp_proxy.py between the informer and the
 * server). kubectl - the real client - makes the changes; the informer must see them.
 *
 *   kube_informer_real behaviour   adds/updates/deletes, a cut, a freeze past the stall
 *                                  bound, a partition with compaction and an API server
 *                                  restart (410: relist and diff), a restart under a
 *                                  watch, resync without requests
 *   kube_informer_real scale       10,000 ConfigMaps listed and watched; figures
 *
 * Environment: KUBECTL, KUBECONFIG (the server itself), PROXY_KUBECONFIG (through the
 * proxy), PROXY_CONTROL (its unix socket), NS. What only the shell can do (compact
 * etcd, restart the API server: lib.sh's processes) is asked for on stdout as
 * "REQUEST <what>", answered on stdin by "ok" or "fail ...". */
#include "vk/deadline.h"
#include "vk/kube_client.h"
#include "vk/kube_informer.h"
#include "vk/kube_watch.h"
#include "vk/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int failures;
static const char *ns;

#define CHECK(cond, ...)                                                                                             \
    do {                                                                                                             \
        if (cond) {                                                                                                  \
            printf("ok: ");                                                                                          \
        } else {                                                                                                     \
            printf("FAIL: ");                                                                                        \
            failures++;                                                                                              \
        }                                                                                                            \
        printf(__VA_ARGS__);                                                                                         \
        printf("\n");                                                                                                \
        fflush(stdout);                                                                                              \
    } while (0)

static void die(const char *what, const vk_status *st) {
    printf("FAIL: %s: %s: %s\n", what, vk_status_name(st->code), st->message);
    exit(1);
}

/* ---- kubectl, the proxy, the shell ---- */

/* Runs argv (execve, no shell); its stdout, or NULL when it failed. */
static char *run(char *const argv[]) {
    int out[2];
    if (pipe(out) != 0) return NULL;
    pid_t pid = fork();
    if (pid < 0) return NULL;
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execve(argv[0], argv, environ);
        _exit(127);
    }
    close(out[1]);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t n;
    while (buf && (n = read(out[0], buf + len, cap - len - 1)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        len += (size_t)n;
        if (cap - len < 2) buf = realloc(buf, cap *= 2);
    }
    close(out[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!buf || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* kubectl -n NS ARGS... (bounded by its request timeout); its output or NULL. */
static char *kubectl_va(const char *first, va_list ap) {
    char *argv[32];
    int n = 0;
    argv[n++] = getenv("KUBECTL");
    argv[n++] = "--request-timeout=30s";
    argv[n++] = "-n";
    argv[n++] = (char *)ns;
    for (const char *a = first; a && n < 31; a = va_arg(ap, const char *)) argv[n++] = (char *)a;
    argv[n] = NULL;
    return run(argv);
}

static char *kubectl(const char *first, ...) {
    va_list ap;
    va_start(ap, first);
    char *out = kubectl_va(first, ap);
    va_end(ap);
    return out;
}

static bool kubectl_ok(const char *first, ...) {
    va_list ap;
    va_start(ap, first);
    char *out = kubectl_va(first, ap);
    va_end(ap);
    free(out);
    return out != NULL;
}

/* The proxy's answer to word ("ok N"), or "" when it did not answer. */
static const char *proxy(const char *word) {
    static char reply[64];
    reply[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", getenv("PROXY_CONTROL"));
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, word, strlen(word)) > 0) {
        ssize_t n = read(fd, reply, sizeof reply - 1);
        reply[n > 0 ? n : 0] = '\0';
    }
    close(fd);
    reply[strcspn(reply, "\n")] = '\0';
    return reply;
}

/* Asks the shell (see the top); true when it answered "ok". */
static bool request(const char *what) {
    printf("REQUEST %s\n", what);
    fflush(stdout);
    char line[256];
    if (!fgets(line, sizeof line, stdin)) return false;
    return strncmp(line, "ok", 2) == 0;
}

/* ---- what the handlers saw ---- */

typedef struct {
    pthread_mutex_t mu;
    json_t *adds, *deletes;   /* name -> count */
    json_t *versions;         /* name -> the last resourceVersion a handler saw */
    uint64_t changes;         /* on_update with another resourceVersion */
    uint64_t resyncs;         /* on_update with old == new */
} seen_log;

static const char *name_of(const json_t *o) {
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
}
static const char *rv_of(const json_t *o) {
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
}

static void bump(json_t *counts, const char *name) {
    json_object_set_new(counts, name, json_integer(json_integer_value(json_object_get(counts, name)) + 1));
}

static void on_add(void *ctx, json_t *o) {
    seen_log *s = ctx;
    pthread_mutex_lock(&s->mu);
    bump(s->adds, name_of(o));
    json_object_set_new(s->versions, name_of(o), json_string(rv_of(o)));
    pthread_mutex_unlock(&s->mu);
}

static void on_update(void *ctx, json_t *old, json_t *o) {
    seen_log *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (old == o) s->resyncs++;
    else s->changes++;
    json_object_set_new(s->versions, name_of(o), json_string(rv_of(o)));
    pthread_mutex_unlock(&s->mu);
}

static void on_delete(void *ctx, json_t *o) {
    seen_log *s = ctx;
    pthread_mutex_lock(&s->mu);
    bump(s->deletes, name_of(o));
    json_object_del(s->versions, name_of(o));
    pthread_mutex_unlock(&s->mu);
}

static void seen_init(seen_log *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->adds = json_object();
    s->deletes = json_object();
    s->versions = json_object();
}

static void seen_free(seen_log *s) {
    json_decref(s->adds);
    json_decref(s->deletes);
    json_decref(s->versions);
    pthread_mutex_destroy(&s->mu);
}

static int64_t count_of(seen_log *s, json_t *counts, const char *name) {
    pthread_mutex_lock(&s->mu);
    int64_t n = json_integer_value(json_object_get(counts, name));
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ---- waiting and comparing ---- */

typedef bool (*predicate)(void *ctx);

/* Polls pred until true or ms pass: bounds against a hang, not a speed. */
static bool eventually(predicate pred, void *ctx, int64_t ms) {
    int64_t until = vk_deadline_in(ms);
    while (!pred(ctx)) {
        if (vk_deadline_remaining(until) == 0) return false;
        vk_sleep_ms(50);
    }
    return true;
}

typedef struct {
    vk_kube_informer *inf;
    const char *name;
    const char *rv; /* NULL: present at all; "": absent */
} cached_want;

static bool cached_is(void *ctx) {
    cached_want *w = ctx;
    json_t *o = vk_kube_informer_get(w->inf, ns, w->name);
    bool ok = w->rv && !*w->rv ? o == NULL : o && (!w->rv || strcmp(rv_of(o), w->rv) == 0);
    json_decref(o);
    return ok;
}

static char *kubectl_rv(const char *name) {
    char *rv = kubectl("get", "configmap", name, "-o", "jsonpath={.metadata.resourceVersion}", NULL);
    return rv ? rv : strdup("?");
}

/* The informer's cache is what kubectl lists: the same names at the same versions. */
static bool cache_matches_kubectl(vk_kube_informer *inf, char *why, size_t size) {
    char *out = kubectl("get", "configmaps", "-o", "json", NULL);
    json_t *list = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    if (!list) return snprintf(why, size, "kubectl get failed"), false;
    json_t *items = json_object_get(list, "items");
    size_t i, mismatched = 0;
    json_t *item;
    json_array_foreach(items, i, item) {
        json_t *o = vk_kube_informer_get(inf, ns, name_of(item));
        if (!o || strcmp(rv_of(o), rv_of(item)) != 0) {
            if (!mismatched++) snprintf(why, size, "%s at %s in kubectl's list, %s in the cache", name_of(item),
                                        rv_of(item), o ? rv_of(o) : "missing");
        }
        json_decref(o);
    }
    size_t listed = json_array_size(items), cached = vk_kube_informer_size(inf);
    json_decref(list);
    if (!mismatched && listed != cached) snprintf(why, size, "kubectl lists %zu, the cache holds %zu", listed, cached);
    else if (!mismatched) snprintf(why, size, "%zu objects, the same versions", listed);
    return !mismatched && listed == cached;
}

typedef struct {
    vk_kube_informer *inf;
    char why[256];
} match_ctx;

static bool matches(void *ctx) {
    match_ctx *m = ctx;
    return cache_matches_kubectl(m->inf, m->why, sizeof m->why);
}

static void stats(vk_kube_informer *inf, vk_kube_informer_stats *s) { vk_kube_informer_get_stats(inf, s); }

static bool stalled_once(void *ctx) {
    vk_kube_informer_stats s;
    stats(ctx, &s);
    return s.stalls > 0;
}

static bool relisted(void *ctx) {
    vk_kube_informer_stats s;
    stats(ctx, &s);
    return s.relists > 0;
}

static vk_kube_client *client_from(const char *kubeconfig, double qps) {
    vk_kube_config cfg;
    vk_status st;
    if (!vk_kube_config_load_file(kubeconfig, NULL, &cfg, &st)) die(kubeconfig, &st);
    vk_kube_client *kc;
    if (!vk_kube_client_new(&cfg, &(vk_kube_client_settings){.qps = qps}, &kc, &st)) die("client", &st);
    vk_kube_config_free(&cfg);
    return kc;
}

static vk_kube_informer *informer_on(vk_kube_client *kc, seen_log *seen, int64_t resync_ms) {
    vk_kube_informer_options o = {
        .ref = {.version = "v1", .resource = "configmaps", .namespace_ = ns},
        .index_label = "app",
        .resync_ms = resync_ms,
        .page_limit = 50,
        .stall_ms = 4000,                              /* the freeze test waits past it */
        .backoff_initial_ms = 200, .backoff_max_ms = 2000, /* a partition's end is seen soon */
        .handlers = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete, .ctx = seen},
    };
    vk_status st;
    vk_kube_informer *inf = vk_kube_informer_new(kc, &o, &st);
    if (!inf) die("informer", &st);
    vk_kube_informer_start(inf);
    if (!vk_kube_informer_wait_synced(inf, vk_deadline_in(60000))) {
        printf("FAIL: the informer did not sync within 60 s\n");
        exit(1);
    }
    return inf;
}

/* ---- behaviour ---- */

static void adds_updates_deletes(vk_kube_informer *inf, seen_log *seen) {
    CHECK(json_object_get(seen->adds, "pre-1") && json_object_get(seen->adds, "pre-2"),
          "the first list told on_add of the ConfigMaps made before it");
    kubectl_ok("create", "configmap", "a", "--from-literal=k=1", NULL);
    kubectl_ok("label", "configmap", "a", "app=web", NULL);
    char *rv = kubectl_rv("a");
    cached_want w = {inf, "a", rv};
    CHECK(eventually(cached_is, &w, 30000), "kubectl's create and label of a: the cache has a at %s", rv);
    json_t *web = vk_kube_informer_by_index(inf, "web");
    CHECK(json_array_size(web) == 1 && strcmp(name_of(json_array_get(web, 0)), "a") == 0,
          "the index by label app: a under web");
    json_decref(web);
    free(rv);
    kubectl_ok("delete", "configmap", "a", NULL);
    w.rv = "";
    CHECK(eventually(cached_is, &w, 30000) && count_of(seen, seen->deletes, "a") == 1,
          "kubectl's delete of a: on_delete once, gone from the cache");
    vk_kube_informer_stats s;
    stats(inf, &s);
    CHECK(s.events[VK_KUBE_WATCH_ADDED] >= 1 && s.events[VK_KUBE_WATCH_MODIFIED] >= 1 &&
              s.events[VK_KUBE_WATCH_DELETED] >= 1 && s.relists == 0,
          "watch events ADDED %llu, MODIFIED %llu, DELETED %llu; no relist",
          (unsigned long long)s.events[VK_KUBE_WATCH_ADDED], (unsigned long long)s.events[VK_KUBE_WATCH_MODIFIED],
          (unsigned long long)s.events[VK_KUBE_WATCH_DELETED]);
}

static void cut_connections(vk_kube_informer *inf, seen_log *seen) {
    vk_kube_informer_stats before, after;
    stats(inf, &before);
    /* A partition while kubectl writes: the informer is cut off, then comes back. */
    printf("proxy refuse: %s, cut: %s\n", proxy("refuse"), proxy("cut"));
    kubectl_ok("create", "configmap", "b", "--from-literal=k=1", NULL);
    kubectl_ok("create", "configmap", "c", "--from-literal=k=1", NULL);
    kubectl_ok("patch", "configmap", "pre-1", "-p", "{\"data\":{\"cut\":\"1\"}}", NULL);
    printf("proxy accept: %s\n", proxy("accept"));
    char *rv = kubectl_rv("pre-1");
    cached_want w = {inf, "pre-1", rv}, wc = {inf, "c", NULL};
    CHECK(eventually(cached_is, &w, 30000) && eventually(cached_is, &wc, 30000),
          "after the cut the cache has b, c and pre-1 at %s", rv);
    free(rv);
    /* And once more, a plain cut with nothing refused. */
    printf("proxy cut: %s\n", proxy("cut"));
    kubectl_ok("patch", "configmap", "c", "-p", "{\"data\":{\"cut\":\"2\"}}", NULL);
    rv = kubectl_rv("c");
    wc.rv = rv;
    CHECK(eventually(cached_is, &wc, 30000), "after a second cut the cache has c at %s", rv);
    free(rv);
    stats(inf, &after);
    CHECK(after.relists == before.relists && after.watches >= before.watches + 2,
          "re-watched (%llu more watches) from the last resourceVersion, no relist (relists %llu)",
          (unsigned long long)(after.watches - before.watches), (unsigned long long)after.relists);
    CHECK(count_of(seen, seen->adds, "b") == 1 && count_of(seen, seen->adds, "c") == 1,
          "no event missed: on_add once each for b and c, made during the partition");
}

static void freeze_past_the_stall(vk_kube_informer *inf) {
    vk_kube_informer_stats before, after;
    stats(inf, &before);
    printf("proxy freeze: %s\n", proxy("freeze"));
    int64_t t0 = vk_now_ms();
    CHECK(eventually(stalled_once, inf, 60000), "the frozen watch was seen as stalled after %lld ms (bound 4000 ms)",
          (long long)(vk_now_ms() - t0));
    kubectl_ok("create", "configmap", "d", "--from-literal=k=1", NULL);
    cached_want w = {inf, "d", NULL};
    CHECK(eventually(cached_is, &w, 30000), "a new connection (the old one still frozen) brought d");
    printf("proxy thaw: %s\n", proxy("thaw"));
    stats(inf, &after);
    CHECK(after.relists == before.relists, "no relist after the stall");
}

static void expired_after_compaction(vk_kube_informer *inf, seen_log *seen) {
    vk_kube_informer_stats before, after;
    stats(inf, &before);
    printf("proxy refuse: %s, cut: %s\n", proxy("refuse"), proxy("cut"));
    char name[32], value[16];
    int written = 0;
    for (int i = 1; i <= 20; i++) {
        snprintf(name, sizeof name, "e%d", i);
        written += kubectl_ok("create", "configmap", name, "--from-literal=k=1", NULL);
    }
    for (int i = 1; i <= 10; i++) {
        char patch[64];
        snprintf(value, sizeof value, "%d", i);
        snprintf(patch, sizeof patch, "{\"data\":{\"k\":\"%s\"}}", value);
        written += kubectl_ok("patch", "configmap", "e1", "-p", patch, NULL);
    }
    written += kubectl_ok("patch", "configmap", "pre-1", "-p", "{\"data\":{\"gap\":\"1\"}}", NULL);
    written += kubectl_ok("delete", "configmap", "pre-2", "b", "e2", NULL);
    CHECK(written == 32, "kubectl made %d of 32 changes during the partition", written);
    CHECK(request("compact"), "etcd compacted past the informer's resourceVersion");
    /* The watch cache keeps its own window of events, compaction or not: it is the API
     * server's restart that leaves the informer's resourceVersion behind its new window. */
    CHECK(request("restart-apiserver"), "kube-apiserver restarted during the partition");
    printf("proxy accept: %s\n", proxy("accept"));
    CHECK(eventually(relisted, inf, 60000), "the informer relisted on 410");
    match_ctx m = {inf, ""};
    CHECK(eventually(matches, &m, 60000), "the cache is what kubectl lists: %s", m.why);
    CHECK(count_of(seen, seen->deletes, "pre-2") == 1 && count_of(seen, seen->deletes, "b") == 1,
          "on_delete once each for pre-2 and b, deleted during the gap (%lld, %lld)",
          (long long)count_of(seen, seen->deletes, "pre-2"), (long long)count_of(seen, seen->deletes, "b"));
    /* e2 came and went within the gap: the informer never had it, so no news of it. */
    CHECK(count_of(seen, seen->adds, "e2") == 0 && count_of(seen, seen->deletes, "e2") == 0,
          "nothing for e2, made and deleted within the gap");
    CHECK(count_of(seen, seen->adds, "e20") == 1, "on_add for e20, made during the gap");
    stats(inf, &after);
    CHECK(after.expired > before.expired, "410s counted: %llu", (unsigned long long)after.expired);
}

static void restart_under_a_watch(vk_kube_informer *inf) {
    vk_kube_informer_stats before, after;
    stats(inf, &before);
    kubectl_ok("create", "configmap", "f", "--from-literal=k=1", NULL);
    cached_want w = {inf, "f", NULL};
    eventually(cached_is, &w, 30000);
    CHECK(request("restart-apiserver"), "kube-apiserver restarted under the watch");
    kubectl_ok("create", "configmap", "g", "--from-literal=k=1", NULL);
    kubectl_ok("delete", "configmap", "f", NULL);
    match_ctx m = {inf, ""};
    CHECK(eventually(matches, &m, 60000), "after the restart the cache converged: %s", m.why);
    stats(inf, &after);
    printf("restart: %llu watches, %llu relists, %llu watch failures since\n",
           (unsigned long long)(after.watches - before.watches), (unsigned long long)(after.relists - before.relists),
           (unsigned long long)(after.watch_failures - before.watch_failures));
}

typedef struct {
    seen_log *seen;
    uint64_t want;
} resync_want;

static bool resynced(void *ctx) {
    resync_want *w = ctx;
    pthread_mutex_lock(&w->seen->mu);
    bool ok = w->seen->resyncs >= w->want;
    pthread_mutex_unlock(&w->seen->mu);
    return ok;
}

static void resync_sends_nothing(void) {
    /* Its own client, so that its requests are counted alone; nothing changes meanwhile. */
    vk_kube_client *kc = client_from(getenv("KUBECONFIG"), 0);
    seen_log seen;
    seen_init(&seen);
    vk_kube_informer *inf = informer_on(kc, &seen, 1000);
    vk_kube_stats a, b;
    vk_kube_get_stats(kc, &a);
    size_t n = vk_kube_informer_size(inf);
    resync_want w = {&seen, 3 * n};
    CHECK(eventually(resynced, &w, 60000), "3 resync periods: on_update(obj, obj) %llu times for %zu objects",
          (unsigned long long)seen.resyncs, n);
    vk_kube_get_stats(kc, &b);
    uint64_t writes = 0;
    for (int v = VK_KUBE_VERB_CREATE; v <= VK_KUBE_VERB_DELETE; v++) writes += b.requests[v] - a.requests[v];
    CHECK(writes == 0 && b.requests[VK_KUBE_VERB_LIST] == a.requests[VK_KUBE_VERB_LIST] &&
              b.requests[VK_KUBE_VERB_GET] == a.requests[VK_KUBE_VERB_GET],
          "during them: %llu writes, %llu lists, %llu gets (watches, ended at each resync: %llu)",
          (unsigned long long)writes, (unsigned long long)(b.requests[VK_KUBE_VERB_LIST] - a.requests[VK_KUBE_VERB_LIST]),
          (unsigned long long)(b.requests[VK_KUBE_VERB_GET] - a.requests[VK_KUBE_VERB_GET]),
          (unsigned long long)(b.requests[VK_KUBE_VERB_RAW] - a.requests[VK_KUBE_VERB_RAW]));
    CHECK(seen.changes == 0, "no change was reported (%llu)", (unsigned long long)seen.changes);
    int64_t t0 = vk_now_ms();
    CHECK(vk_kube_informer_stop(inf, vk_deadline_in(10000)), "stop joined the informer in %lld ms",
          (long long)(vk_now_ms() - t0));
    vk_kube_informer_free(inf);
    seen_free(&seen);
    vk_kube_client_free(kc);
}

static void raw_watch(void) {
    /* One watch alone: events by type, and an old resourceVersion after a restart is
     * OUT_OF_RANGE (tested above through the informer); here a cancel ends it promptly. */
    vk_kube_client *kc = client_from(getenv("KUBECONFIG"), 0);
    vk_kube_ref ref = {.version = "v1", .resource = "configmaps", .namespace_ = ns};
    atomic_bool cancel = true;
    vk_kube_watch_result r;
    vk_status st;
    int64_t t0 = vk_now_ms();
    vk_kube_watch(kc, &(vk_kube_watch_options){.ref = &ref, .cancel = &cancel}, &r, &st);
    CHECK(st.code == VK_CANCELLED && vk_now_ms() - t0 < 10000, "a cancelled watch ends (%s) in %lld ms",
          vk_status_name(st.code), (long long)(vk_now_ms() - t0));
    free(r.resource_version);
    vk_kube_client_free(kc);
}

static int behaviour(void) {
    kubectl_ok("create", "configmap", "pre-1", "--from-literal=k=1", NULL);
    kubectl_ok("create", "configmap", "pre-2", "--from-literal=k=1", NULL);
    vk_kube_client *kc = client_from(getenv("PROXY_KUBECONFIG"), 0);
    seen_log seen;
    seen_init(&seen);
    vk_kube_informer *inf = informer_on(kc, &seen, 0);
    adds_updates_deletes(inf, &seen);
    cut_connections(inf, &seen);
    freeze_past_the_stall(inf);
    expired_after_compaction(inf, &seen);
    restart_under_a_watch(inf);
    vk_kube_informer_stats s;
    stats(inf, &s);
    printf("informer: %llu lists (%llu relists), %llu watches (%llu failed, %llu stalled), %llu expired, events "
           "%llu/%llu/%llu, %llu bookmarks\n",
           (unsigned long long)s.lists, (unsigned long long)s.relists, (unsigned long long)s.watches,
           (unsigned long long)s.watch_failures, (unsigned long long)s.stalls, (unsigned long long)s.expired,
           (unsigned long long)s.events[0], (unsigned long long)s.events[1], (unsigned long long)s.events[2],
           (unsigned long long)s.events[VK_KUBE_WATCH_BOOKMARK]);
    int64_t t0 = vk_now_ms();
    CHECK(vk_kube_informer_stop(inf, vk_deadline_in(10000)), "stop joined the informer in %lld ms",
          (long long)(vk_now_ms() - t0));
    vk_kube_informer_free(inf);
    seen_free(&seen);
    vk_kube_client_free(kc);
    resync_sends_nothing();
    raw_watch();
    return failures ? 1 : 0;
}

/* ---- scale: figures, not assertions on speed ---- */

static long status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) kb = strtol(line + n + 1, NULL, 10);
    if (f) fclose(f);
    return kb;
}

typedef struct {
    vk_kube_client *kc;
    int from, to;
    bool update; /* else create */
    int failed;
} writer;

static void *write_range(void *arg) {
    writer *w = arg;
    vk_kube_ref ref = {.version = "v1", .resource = "configmaps", .namespace_ = ns};
    char name[32], value[32];
    for (int i = w->from; i < w->to; i++) {
        vk_status st;
        json_t *got;
        if (w->update) {
            snprintf(name, sizeof name, "s-%d", i % 100); /* 100 objects, many updates each */
            snprintf(value, sizeof value, "%d", i);
            ref.name = name;
            json_t *patch = json_pack("{s:{s:s}}", "data", "n", value);
            got = vk_kube_merge_patch(w->kc, &ref, patch, vk_deadline_in(60000), &st);
            json_decref(patch);
        } else {
            snprintf(name, sizeof name, "s-%d", i);
            json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                                    "metadata", "name", name, "labels", "app", "scale", "data", "k", "value");
            got = vk_kube_create(w->kc, &ref, obj, vk_deadline_in(60000), &st);
            json_decref(obj);
        }
        if (!got) w->failed++;
        json_decref(got);
    }
    return NULL;
}

static int run_writers(vk_kube_client *kc, int total, bool update) {
    enum { THREADS = 4 };
    writer w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (writer){.kc = kc, .from = total * i / THREADS, .to = total * (i + 1) / THREADS, .update = update};
        pthread_create(&t[i], NULL, write_range, &w[i]);
    }
    int failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        failed += w[i].failed;
    }
    return failed;
}

/* The scale run's handlers only count, so that the RSS growth is the cache's. */
static atomic_uint_fast64_t scale_adds, scale_changes;
static void count_add(void *ctx, json_t *o) {
    (void)ctx, (void)o;
    atomic_fetch_add(&scale_adds, 1);
}
static void count_update(void *ctx, json_t *old, json_t *o) {
    (void)ctx;
    if (old != o) atomic_fetch_add(&scale_changes, 1);
}

typedef struct {
    uint64_t want;
} changes_want;

static bool changed_enough(void *ctx) {
    changes_want *w = ctx;
    return atomic_load(&scale_changes) >= w->want;
}

static int scale(void) {
    enum { OBJECTS = 10000, UPDATES = 2000 };
    vk_kube_client *writers = client_from(getenv("KUBECONFIG"), -1); /* no client-side limit: the server's APF */
    int64_t t0 = vk_now_ms();
    int failed = run_writers(writers, OBJECTS, false);
    CHECK(failed == 0, "%d ConfigMaps created by 4 threads in %lld ms (%d failed)", OBJECTS,
          (long long)(vk_now_ms() - t0), failed);
    printf("FIGURE create_per_s=%.0f\n", OBJECTS * 1000.0 / (double)(vk_now_ms() - t0 + 1));

    vk_kube_client *kc = client_from(getenv("KUBECONFIG"), 0);
    long rss0 = status_kb("VmRSS:");
    t0 = vk_now_ms();
    vk_kube_informer_options o = {.ref = {.version = "v1", .resource = "configmaps", .namespace_ = ns},
                                  .index_label = "app",
                                  .handlers = {.on_add = count_add, .on_update = count_update}};
    vk_status st;
    vk_kube_informer *inf = vk_kube_informer_new(kc, &o, &st);
    if (!inf) die("informer", &st);
    vk_kube_informer_start(inf);
    bool synced = vk_kube_informer_wait_synced(inf, vk_deadline_in(300000));
    int64_t list_ms = vk_now_ms() - t0;
    size_t n = vk_kube_informer_size(inf);
    long rss1 = status_kb("VmRSS:"), hwm = status_kb("VmHWM:");
    CHECK(synced && n >= OBJECTS && atomic_load(&scale_adds) == n, "the informer synced %zu objects (on_add %llu)", n,
          (unsigned long long)atomic_load(&scale_adds));
    json_t *indexed = vk_kube_informer_by_index(inf, "scale");
    CHECK(json_array_size(indexed) == OBJECTS, "%zu under the index app=scale", json_array_size(indexed));
    json_decref(indexed);
    printf("FIGURE list_10000_ms=%lld\n", (long long)list_ms);
    printf("FIGURE rss_before_kb=%ld\nFIGURE rss_synced_kb=%ld\nFIGURE vm_hwm_kb=%ld\n", rss0, rss1, hwm);
    printf("FIGURE rss_growth_per_object_bytes=%.0f\n", (double)(rss1 - rss0) * 1024.0 / (double)(n ? n : 1));
    char *text = kubectl("get", "configmap", "s-1", "-o", "json", NULL);
    printf("FIGURE one_object_json_bytes=%zu\n", text ? strlen(text) : 0);
    free(text);

    t0 = vk_now_ms();
    failed = run_writers(writers, UPDATES, true);
    int64_t write_ms = vk_now_ms() - t0;
    changes_want w = {(uint64_t)(UPDATES - failed)};
    bool all = eventually(changed_enough, &w, 300000);
    int64_t seen_ms = vk_now_ms() - t0;
    CHECK(all && failed == 0, "the informer saw all %d updates (%d failed) of 4 writer threads", UPDATES, failed);
    printf("FIGURE updates_written_ms=%lld\nFIGURE updates_seen_ms=%lld\n", (long long)write_ms, (long long)seen_ms);
    printf("FIGURE informer_events_per_s=%.0f\n", UPDATES * 1000.0 / (double)(seen_ms + 1));
    printf("FIGURE informer_lag_after_last_write_ms=%lld\n", (long long)(seen_ms - write_ms));
    vk_kube_informer_stop(inf, vk_deadline_in(10000));
    vk_kube_informer_free(inf);
    vk_kube_client_free(kc);
    vk_kube_client_free(writers);
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    vk_log_level level;
    if (getenv("VK_LOG_LEVEL") && vk_log_level_parse(getenv("VK_LOG_LEVEL"), &level)) vk_log_set_level(level);
    ns = getenv("NS");
    if (argc != 2 || !ns || !getenv("KUBECTL") || !getenv("KUBECONFIG")) {
        fprintf(stderr, "usage: NS=... KUBECTL=... KUBECONFIG=... %s behaviour|scale\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(argv[1], "behaviour") == 0) return behaviour();
    if (strcmp(argv[1], "scale") == 0) return scale();
    return 2;
}
