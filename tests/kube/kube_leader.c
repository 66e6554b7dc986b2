/* A leader-election candidate for test_lease_real.sh, against the real kube-apiserver:
 *
 *   kube_leader --identity ID --log FILE [--namespace NS] [--name LEASE]
 *               [--lease-s N] [--renew-ms N] [--retry-ms N]
 *
 * Takes part in the election on KUBECONFIG's server and appends lines to FILE (shared
 * by all candidates; O_APPEND, one write per line) stamped with CLOCK_MONOTONIC
 * milliseconds, comparable across processes on this machine:
 *
 *   <ms> <id> start | stop | work | term | exit released=N lost=N
 *
 * "work" is the guarded work: every 100 ms a worker thread asks vk_kube_lease_is_leader
 * (stamped before it asks) and writes a line only when told yes, so two identities'
 * work lines interleaving would be two leaders acting at once. SIGTERM stops the
 * elector (work stopped, the lease released) and exits 0. stdout says "leading ID". */
#include "vk/deadline.h"
#include "vk/kube_client.h"
#include "vk/kube_config.h"
#include "vk/kube_lease.h"
#include "vk/signals.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_fd = -1;
static const char *identity;

static void note(int64_t ms, const char *what) {
    char line[256];
    int n = snprintf(line, sizeof line, "%lld %s %s\n", (long long)ms, identity, what);
    if (write(log_fd, line, (size_t)n) != n) perror("kube_leader: log");
}

static void started(void *ctx) {
    (void)ctx;
    note(vk_now_ms(), "start");
    printf("leading %s\n", identity);
    fflush(stdout);
}

static void stopped(void *ctx) {
    (void)ctx;
    note(vk_now_ms(), "stop");
}

static void new_leader(void *ctx, const char *who) {
    (void)ctx;
    fprintf(stderr, "kube_leader %s: the holder is now \"%s\"\n", identity, who);
}

static atomic_bool quit;

static void *work(void *arg) {
    vk_kube_lease_elector *e = arg;
    while (!atomic_load(&quit)) {
        int64_t t = vk_now_ms();
        if (vk_kube_lease_is_leader(e)) note(t, "work");
        vk_sleep_ms(100);
    }
    return NULL;
}

static int usage(void) {
    fprintf(stderr, "usage: kube_leader --identity ID --log FILE [--namespace NS] [--name LEASE] [--lease-s N] "
                    "[--renew-ms N] [--retry-ms N]\n");
    return 2;
}

int main(int argc, char **argv) {
    vk_kube_lease_config lc = {.namespace_ = "default", .name = "vk-test-leader", .on_started_leading = started,
                               .on_stopped_leading = stopped, .on_new_leader = new_leader};
    const char *log_path = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--identity")) lc.identity = v;
        else if (!strcmp(k, "--log")) log_path = v;
        else if (!strcmp(k, "--namespace")) lc.namespace_ = v;
        else if (!strcmp(k, "--name")) lc.name = v;
        else if (!strcmp(k, "--lease-s")) lc.lease_duration_s = atoi(v);
        else if (!strcmp(k, "--renew-ms")) lc.renew_deadline_ms = atoll(v);
        else if (!strcmp(k, "--retry-ms")) lc.retry_period_ms = atoll(v);
        else return usage();
    }
    if (!lc.identity || !log_path || argc % 2 == 0) return usage();
    identity = lc.identity;
    log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log_fd < 0) return perror(log_path), 1;

    sigset_t stop = vk_block_stop_signals(); /* before any thread: all inherit the mask */
    vk_kube_config cfg;
    vk_status st;
    if (!vk_kube_config_load_file(getenv("KUBECONFIG"), NULL, &cfg, &st)) {
        fprintf(stderr, "kube_leader: kubeconfig: %s\n", st.message);
        return 1;
    }
    vk_kube_client *kc;
    if (!vk_kube_client_new(&cfg, NULL, &kc, &st)) {
        fprintf(stderr, "kube_leader: client: %s\n", st.message);
        return 1;
    }
    vk_kube_lease_elector *e;
    if (!vk_kube_lease_start(kc, &lc, &e, &st)) {
        fprintf(stderr, "kube_leader: %s\n", st.message);
        return 1;
    }
    pthread_t worker;
    if (pthread_create(&worker, NULL, work, e) != 0) return 1;
    int sig;
    sigwait(&stop, &sig);
    note(vk_now_ms(), "term");
    /* The elector first: from its on_stopped_leading on, is_leader says no and the
     * worker writes nothing more; the worker is joined before the elector is freed. */
    vk_kube_lease_stop(e);
    atomic_store(&quit, true);
    pthread_join(worker, NULL);
    vk_kube_lease_stats s;
    vk_kube_lease_get_stats(e, &s);
    char line[96];
    snprintf(line, sizeof line, "exit released=%llu lost=%llu", (unsigned long long)s.released,
             (unsigned long long)s.lost);
    note(vk_now_ms(), line);
    vk_kube_lease_free(e);
    vk_kube_client_free(kc);
    vk_kube_config_free(&cfg);
    close(log_fd);
    return 0;
}
