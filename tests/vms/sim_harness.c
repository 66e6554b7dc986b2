#include "sim_harness.h"
#include "vk/deadline.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define READ_TIMEOUT_MS 30000 /* the launcher's own bound for the start is 20 s */
#define STOP_TIMEOUT_MS 15000

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

char *sim_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, out);
    fclose(f);
    fclose(out);
    return text;
}

/* The launcher: $VMS_SIM_LAUNCH, else vms-sim-launch beside $VMS_SIM (as the shell and
 * Python tests find it). */
static void launcher_path(const char *sim, char *buf, size_t size) {
    const char *given = getenv("VMS_SIM_LAUNCH");
    const char *slash = strrchr(sim, '/');
    if (given && *given) snprintf(buf, size, "%s", given);
    else if (slash) snprintf(buf, size, "%.*s/vms-sim-launch", (int)(slash - sim), sim);
    else snprintf(buf, size, "vms-sim-launch");
}

/* Everything the launcher prints, up to its EOF (it closes stdout once the simulator is
 * up, or when it gives up); bounded, in case it hangs. */
static char *read_facts(int fd) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) abort();
    long start = vk_now_ms();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (vk_now_ms() - start < READ_TIMEOUT_MS) {
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[1024];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        fwrite(buf, 1, (size_t)n, out);
    }
    fclose(out);
    return text;
}

/* The value of KEY='VALUE' in the facts, into buf ("" when absent). */
static const char *fact(const char *facts, const char *key, char *buf, size_t size) {
    size_t klen = strlen(key);
    buf[0] = '\0';
    for (const char *line = facts; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, klen) != 0 || line[klen] != '=' || line[klen + 1] != '\'') continue;
        const char *v = line + klen + 2, *q = strchr(v, '\'');
        if (q) snprintf(buf, size, "%.*s", (int)(q - v), v);
        break;
    }
    return buf;
}

void sim_start(sim_instance *sim, const sim_options *options) {
    memset(sim, 0, sizeof *sim);
    const char *binary = getenv("VMS_SIM");
    if (!binary || !*binary) fail_msg("VMS_SIM is not set (CMake sets it to the built vms-sim)");
    char launcher[512];
    launcher_path(binary, launcher, sizeof launcher);

    const char *argv[80];
    int argc = 0;
    argv[argc++] = launcher;
    argv[argc++] = "--sim";
    argv[argc++] = binary;
    if (options->http) argv[argc++] = "--listen", argv[argc++] = "http";
    if (options->https) argv[argc++] = "--listen", argv[argc++] = "https";
    argv[argc++] = "--";
    if (options->seed) argv[argc++] = "--seed";
    for (size_t i = 0; options->extra_args && options->extra_args[i] && argc < 79; i++)
        argv[argc++] = options->extra_args[i];
    argv[argc] = NULL;

    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) fail_msg("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO); /* the launcher's stderr stays the test's: its reasons show */
        execve(launcher, (char *const *)argv, environ);
        _exit(127);
    }
    close(out[1]);
    char *facts = read_facts(out[0]);
    close(out[0]);
    char value[320];
    sim->launcher_pid = pid;
    sim->pid = (pid_t)atol(fact(facts, "VMS_SIM_PID", value, sizeof value));
    if (sim->pid <= 0) {
        free(facts);
        int status = 0;
        kill(pid, SIGTERM); /* only if it hung: it exits by itself when it gives up */
        waitpid(pid, &status, 0);
        sim->launcher_pid = 0;
        fail_msg("vms-sim did not start: %s exited with status 0x%x (its reason is above)", launcher, status);
    }
    snprintf(sim->dir, sizeof sim->dir, "%s", fact(facts, "VMS_SIM_DIR", value, sizeof value));
    snprintf(sim->ca_file, sizeof sim->ca_file, "%s/tls/cert.pem", sim->dir);
    snprintf(sim->http_url, sizeof sim->http_url, "http://127.0.0.1:%s", fact(facts, "VMS_SIM_HTTP_PORT", value, sizeof value));
    sim->http_port = atoi(value);
    snprintf(sim->https_url, sizeof sim->https_url, "https://127.0.0.1:%s", fact(facts, "VMS_SIM_HTTPS_PORT", value, sizeof value));
    sim->https_port = atoi(value);
    free(facts);
}

void sim_stop(sim_instance *sim) {
    pid_t launcher = sim->launcher_pid;
    sim->pid = sim->launcher_pid = 0;
    if (launcher <= 0) return;
    /* to the launcher, which passes it on and ends as the simulator does (and removes the
     * data directory); it is our child, so its PID cannot have been reused */
    kill(launcher, SIGTERM);
    int status = 0;
    bool exited = false;
    for (long start = vk_now_ms(); vk_now_ms() - start < STOP_TIMEOUT_MS; sleep_ms(10)) {
        if (waitpid(launcher, &status, WNOHANG) == launcher) {
            exited = true;
            break;
        }
    }
    if (!exited) {
        kill(launcher, SIGKILL); /* the simulator gets SIGTERM when its launcher dies */
        waitpid(launcher, &status, 0);
        fail_msg("vms-sim did not stop within %d ms of SIGTERM", STOP_TIMEOUT_MS);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("vms-sim ended with status 0x%x after SIGTERM (expected exit 0; the launcher printed its log)", status);
}

/* ---- Admin API ---- */

static size_t collect(char *data, size_t size, size_t count, void *userp) {
    fwrite(data, size, count, userp);
    return size * count;
}

json_t *sim_admin(const sim_instance *sim, const char *method, const char *path, const char *body) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", sim->http_port ? sim->http_url : sim->https_url, path);
    char *text = NULL;
    size_t len = 0;
    FILE *sink = open_memstream(&text, &len);
    CURL *h = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L); /* admin calls only; the client tests check TLS */
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    if (body) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    fclose(sink);
    if (rc != CURLE_OK || status >= 300) {
        print_error("admin %s %s: %s, HTTP %ld: %s\n", method, path, curl_easy_strerror(rc), status, text);
        free(text);
        fail_msg("vms-sim admin request failed");
    }
    json_t *json = len ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    free(text);
    return json;
}

long sim_stat(const sim_instance *sim, const char *key) {
    json_t *stats = sim_admin(sim, "GET", "/_sim/stats", NULL);
    json_t *v = json_object_get(stats, key);
    if (!v) v = json_object_get(json_object_get(stats, "requests"), key);
    long n = (long)json_integer_value(v);
    json_decref(stats);
    return n;
}

void sim_reset_stats(const sim_instance *sim) { json_decref(sim_admin(sim, "POST", "/_sim/stats/reset", NULL)); }

void sim_set_faults(const sim_instance *sim, const char *rules_json) {
    char *body;
    if (asprintf(&body, "{\"rules\": [%s]}", rules_json) < 0) abort();
    json_decref(sim_admin(sim, "POST", "/_sim/faults", body));
    free(body);
}

vms_config sim_client_config(const sim_instance *sim) {
    return (vms_config){
        .endpoint = sim->http_url,
        .allow_http = true,
        .username = "admin",
        .password = "123456",
        .request_timeout_ms = 20000,
        .retry_initial_ms = 20,
        .retry_max_ms = 200,
    };
}

vms_client *sim_client(const vms_config *cfg) {
    vms_client *c = NULL;
    vms_error err;
    if (!vms_client_new(cfg, &c, &err)) fail_msg("vms_client_new: %s", err.message);
    return c;
}

void assert_vms_code(const vms_error *err, int code) {
    vk_status st;
    vms_error_to_status(err, &st);
    if ((int)st.code != code)
        print_error("expected %s, got %s: %s\n", vk_status_name((vk_code)code), vk_status_name(st.code),
                    st.message);
    assert_int_equal(st.code, code);
}
