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
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define START_TIMEOUT_MS 20000
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

/* The parent temp directory holds data/ (the simulator's) and sim.log (ours). */
static void parent_dir(const sim_instance *sim, char *buf, size_t size) {
    snprintf(buf, size, "%.*s", (int)(strrchr(sim->dir, '/') - sim->dir), sim->dir);
}

static void print_log_tail(const sim_instance *sim) {
    char parent[256], log[300];
    parent_dir(sim, parent, sizeof parent);
    snprintf(log, sizeof log, "%s/sim.log", parent);
    char *text = sim_read_file(log);
    if (!text) return;
    size_t len = strlen(text);
    print_error("--- vms-sim log (tail) ---\n%s\n", len > 3000 ? text + len - 3000 : text);
    free(text);
}

static void make_temp_dir(char *parent, size_t size) {
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(parent, size, "%s/vms-sim-test.XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(parent)) fail_msg("mkdtemp %s: %s", parent, strerror(errno));
}

static bool read_ports(sim_instance *sim, const char *port_file) {
    json_t *ports = json_load_file(port_file, 0, NULL);
    if (!ports) return false;
    sim->http_port = (int)json_integer_value(json_object_get(ports, "http"));
    sim->https_port = (int)json_integer_value(json_object_get(ports, "https"));
    json_decref(ports);
    return sim->http_port > 0 || sim->https_port > 0;
}

void sim_start(sim_instance *sim, const sim_options *options) {
    memset(sim, 0, sizeof *sim);
    const char *binary = getenv("VMS_SIM");
    if (!binary || !*binary) fail_msg("VMS_SIM is not set (CMake sets it to the built vms-sim)");

    char parent[200], port_file[256], log[256];
    make_temp_dir(parent, sizeof parent);
    snprintf(sim->dir, sizeof sim->dir, "%s/data", parent);
    snprintf(port_file, sizeof port_file, "%s/ports.json", parent);
    snprintf(log, sizeof log, "%s/sim.log", parent);
    snprintf(sim->ca_file, sizeof sim->ca_file, "%s/tls/cert.pem", sim->dir);

    const char *argv[64];
    int argc = 0;
    argv[argc++] = binary;
    argv[argc++] = "--data-dir";
    argv[argc++] = sim->dir;
    argv[argc++] = "--port-file";
    argv[argc++] = port_file;
    if (options->http) {
        argv[argc++] = "--http";
        argv[argc++] = "127.0.0.1:0";
    }
    if (options->https) {
        argv[argc++] = "--https";
        argv[argc++] = "127.0.0.1:0";
    }
    if (options->seed) argv[argc++] = "--seed";
    for (size_t i = 0; options->extra_args && options->extra_args[i] && argc < 63; i++)
        argv[argc++] = options->extra_args[i];
    argv[argc] = NULL;

    pid_t pid = fork();
    if (pid < 0) fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execve(binary, (char *const *)argv, environ);
        _exit(127);
    }
    sim->pid = pid;

    for (long start = vk_now_ms(); vk_now_ms() - start < START_TIMEOUT_MS; sleep_ms(20)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            sim->pid = 0;
            print_log_tail(sim);
            fail_msg("vms-sim exited during start-up (status %d)", status);
        }
        if (access(port_file, R_OK) == 0 && read_ports(sim, port_file)) {
            snprintf(sim->http_url, sizeof sim->http_url, "http://127.0.0.1:%d", sim->http_port);
            snprintf(sim->https_url, sizeof sim->https_url, "https://127.0.0.1:%d", sim->https_port);
            return;
        }
    }
    print_log_tail(sim);
    sim_stop(sim);
    fail_msg("vms-sim did not write its port file within %d ms", START_TIMEOUT_MS);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void sim_stop(sim_instance *sim) {
    int status = 0;
    bool exited = sim->pid == 0;
    if (sim->pid > 0) {
        kill(sim->pid, SIGTERM);
        for (long start = vk_now_ms(); vk_now_ms() - start < STOP_TIMEOUT_MS; sleep_ms(10)) {
            if (waitpid(sim->pid, &status, WNOHANG) == sim->pid) {
                exited = true;
                break;
            }
        }
        if (!exited) {
            kill(sim->pid, SIGKILL);
            waitpid(sim->pid, &status, 0);
        }
    }
    bool clean = exited && (sim->pid == 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
    if (!clean) print_log_tail(sim);
    pid_t pid = sim->pid;
    sim->pid = 0;
    char parent[256];
    parent_dir(sim, parent, sizeof parent);
    nftw(parent, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (pid > 0 && !exited) fail_msg("vms-sim did not stop within %d ms of SIGTERM", STOP_TIMEOUT_MS);
    if (pid > 0 && !clean) fail_msg("vms-sim exited with status %d after SIGTERM (expected 0)", status);
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
