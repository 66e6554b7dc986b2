/* vast-csi for the plugin-running suites (see plugin.h). */
#include "plugin.h"

#include "../vms/sim_harness.h"
#include "csi.pb-c.h"
#include "vk/deadline.h"
#include "vk/rpc_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { PROBE_WAIT_MS = 30000, PROBE_TIMEOUT_MS = 1000, STOP_TIMEOUT_MS = 15000, TAIL_BYTES = 4000 };

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void tc_plugin_print_log_tail(const tc_plugin *p) {
    char *text = sim_read_file(p->log);
    if (!text) return;
    size_t len = strlen(text);
    fprintf(stderr, "--- vast-csi log (tail) ---\n%s\n", len > TAIL_BYTES ? text + len - TAIL_BYTES : text);
    free(text);
}

static bool overridden(const char *entry, const char *const *env) {
    for (size_t i = 0; env && env[i]; i++) {
        size_t name = strcspn(env[i], "=");
        if (strncmp(entry, env[i], name + 1) == 0) return true;
    }
    return false;
}

/* This process's environment with o->env in place of what it names. */
static const char **plugin_env(const tc_plugin_options *o) {
    size_t n = 0, extra = 0;
    while (environ[n]) n++;
    while (o->env && o->env[extra]) extra++;
    const char **envp = calloc(n + extra + 1, sizeof *envp);
    if (!envp) abort();
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        if (!overridden(environ[i], o->env)) envp[e++] = environ[i];
    }
    for (size_t i = 0; i < extra; i++) envp[e++] = o->env[i];
    return envp;
}

static pid_t spawn(const char *binary, const tc_plugin *p, const tc_plugin_options *o) {
    size_t n_args = 0;
    while (o->args && o->args[n_args]) n_args++;
    const char **argv = calloc(n_args + 4, sizeof *argv);
    if (!argv) abort();
    argv[0] = binary;
    argv[1] = "--endpoint";
    argv[2] = o->endpoint;
    for (size_t i = 0; i < n_args; i++) argv[3 + i] = o->args[i];
    const char **envp = plugin_env(o);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed test */
        /* a driver that takes a relative path takes it from there: inside the run, where
         * the teardown finds whatever it made */
        if (o->cwd && chdir(o->cwd) != 0) _exit(127);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execve(binary, (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    free(argv);
    free(envp);
    return pid;
}

static bool wait_for_probe(tc_plugin *p) {
    vk_status st = {0};
    vk_code code = VK_UNAVAILABLE;
    for (int64_t start = vk_now_ms(); vk_now_ms() - start < PROBE_WAIT_MS; sleep_ms(50)) {
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = 0;
            tc_plugin_print_log_tail(p);
            fprintf(stderr, "vast-csi exited during start-up (status 0x%x)\n", status);
            return false;
        }
        vk_rpc_client *probe = vk_rpc_client_new(&p->endpoint);
        ProtobufCMessage *resp = NULL;
        code = vk_rpc_client_call(probe, "/csi.v1.Identity/Probe", NULL, &csi__v1__probe_response__descriptor,
                                  PROBE_TIMEOUT_MS, &resp, &st);
        if (resp) protobuf_c_message_free_unpacked(resp, NULL);
        vk_rpc_client_free(probe);
        if (code == VK_OK) return true;
    }
    tc_plugin_print_log_tail(p);
    fprintf(stderr, "vast-csi did not answer Probe within %d ms: %s: %s\n", PROBE_WAIT_MS, vk_status_name(code),
            st.message);
    return false;
}

bool tc_plugin_start(tc_plugin *p, const tc_plugin_options *o) {
    memset(p, 0, sizeof *p);
    const char *binary = getenv("VAST_CSI");
    if (!binary || !*binary) {
        fprintf(stderr, "VAST_CSI is not set (CMake sets it to the built vast-csi)\n");
        return false;
    }
    snprintf(p->log, sizeof p->log, "%s/vast-csi.log", o->dir);
    vk_status st;
    if (!vk_endpoint_parse(o->endpoint, &p->endpoint, &st)) {
        fprintf(stderr, "endpoint %s: %s\n", o->endpoint, st.message);
        return false;
    }
    p->pid = spawn(binary, p, o);
    if (p->pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        p->pid = 0;
        return false;
    }
    if (!wait_for_probe(p)) return false;
    p->client = vk_rpc_client_new(&p->endpoint);
    return true;
}

bool tc_plugin_stop(tc_plugin *p) {
    if (p->client) vk_rpc_client_free(p->client);
    p->client = NULL;
    if (p->pid <= 0) return true;
    kill(p->pid, SIGTERM);
    int status = 0;
    bool exited = false;
    for (int64_t start = vk_now_ms(); vk_now_ms() - start < STOP_TIMEOUT_MS; sleep_ms(10)) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            exited = true;
            break;
        }
    }
    if (!exited) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
    }
    p->pid = 0;
    bool clean = exited && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean) {
        tc_plugin_print_log_tail(p);
        fprintf(stderr, "vast-csi %s after SIGTERM (status 0x%x)\n", exited ? "did not exit 0" : "did not stop",
                status);
    }
    return clean;
}
