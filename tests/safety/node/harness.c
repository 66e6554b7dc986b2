/* The node's hostile-input suite: harness (see harness.h). */
#include "harness.h"

#include "vk/deadline.h"
#include "vk/endpoint.h"
#include "vk/pbjson.h"
#include "vk/rpc_client.h"

#include <grpc/grpc.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { CALL_TIMEOUT_MS = 60000, PROBE_WAIT_MS = 30000, STOP_TIMEOUT_MS = 15000 };

node_run node;
int node_failures;

static struct {
    pid_t csi_pid, janitor_pid;
    int janitor_pipe;
    bool sim_started;
    vk_endpoint endpoint;
    vk_rpc_client *client;
    char **strings;
    size_t n_strings, cap_strings;
} run = {.janitor_pipe = -1};

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

const char *node_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    va_end(ap);
    if (run.n_strings == run.cap_strings) {
        run.cap_strings = run.cap_strings ? run.cap_strings * 2 : 64;
        run.strings = realloc(run.strings, run.cap_strings * sizeof *run.strings);
        if (!run.strings) abort();
    }
    run.strings[run.n_strings++] = s;
    return s;
}

/* ---- expectations ---- */

static void failv(const char *fmt, va_list ap) {
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) abort();
    print_error("FAIL: %s\n", text);
    free(text);
    node_failures++;
}

bool node_check(bool ok, const char *fmt, ...) {
    if (ok) return true;
    va_list ap;
    va_start(ap, fmt);
    failv(fmt, ap);
    va_end(ap);
    return false;
}

bool node_expect(const char *what, vk_code got, const vk_status *st, vk_code want,
                 const char *needle) {
    if (got != want) {
        return node_check(false, "%s: expected %s, got %s: \"%s\"", what, vk_status_name(want), vk_status_name(got),
                          st->message);
    }
    if (want != VK_OK && needle && !strstr(st->message, needle)) {
        return node_check(false, "%s: %s as expected, but the message does not name \"%s\": \"%s\"", what,
                          vk_status_name(got), needle, st->message);
    }
    return true;
}

void node_end_case(void) {
    int n = node_failures;
    node_failures = 0;
    if (n) fail_msg("%d expectation(s) failed (listed above)", n);
}

/* ---- the mount table ---- */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
    char *out = s;
    for (char *in = s; *in;) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '7' && in[2] && in[3]) {
            *out++ = (char)(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
            in += 4;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
}

/* Calls fn with every mount point (newest last). */
static void each_mount_point(void (*fn)(const char *target, void *ctx), void *ctx) {
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        /* id parent major:minor root target ... */
        char *save = NULL, *field = strtok_r(line, " ", &save);
        for (int i = 0; field && i < 4; i++) field = strtok_r(NULL, " ", &save);
        if (!field) continue;
        unescape(field);
        fn(field, ctx);
    }
    free(line);
    fclose(f);
}

static void count_one(const char *target, void *ctx) {
    (void)target;
    (*(int *)ctx)++;
}

int node_mount_count(void) {
    int n = 0;
    each_mount_point(count_one, &n);
    return n;
}

typedef struct {
    const char *path;
    int n;
} at_ctx;

static void count_at(const char *target, void *p) {
    at_ctx *ctx = p;
    if (strcmp(target, ctx->path) == 0) ctx->n++;
}

int node_mounts_at(const char *path) {
    at_ctx ctx = {path, 0};
    each_mount_point(count_at, &ctx);
    return ctx.n;
}

uint64_t node_mount_id(const char *path) {
    struct statx sx;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) != 0) return 0;
    bool root = (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
    return root ? sx.stx_mnt_id : 0;
}

void node_bind(const char *source, const char *target) {
    if (mount(source, target, NULL, MS_BIND, NULL) != 0) fail_msg("bind %s on %s: %s", source, target, strerror(errno));
}

typedef struct {
    const char *prefix;
    size_t len;
    char *deepest;
} under_ctx;

static void find_deepest(const char *target, void *p) {
    under_ctx *ctx = p;
    if (strncmp(target, ctx->prefix, ctx->len) != 0 || (target[ctx->len] != '/' && target[ctx->len])) return;
    if (!ctx->deepest || strlen(target) >= strlen(ctx->deepest)) {
        free(ctx->deepest);
        ctx->deepest = strdup(target);
    }
}

/* Detaches every mount at or under dir, deepest (then newest) first. */
static int detach_all_under(const char *dir) {
    int detached = 0;
    for (int i = 0; i < 10000; i++) {
        under_ctx ctx = {dir, strlen(dir), NULL};
        each_mount_point(find_deepest, &ctx);
        if (!ctx.deepest) break;
        int rc = umount2(ctx.deepest, MNT_DETACH | UMOUNT_NOFOLLOW);
        free(ctx.deepest);
        if (rc != 0) break;
        detached++;
    }
    return detached;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* FTW_MOUNT: never into a mount a failed detach left behind. */
static void remove_tree(const char *dir) { nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT); }

/* The janitor: a child that waits for this process to end however it ends (the pipe's
 * write end closes with it), then leaves no mount and no directory behind. */
static void start_janitor(bool keep) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[1]);
        char c;
        while (read(fds[0], &c, 1) > 0) {
        }
        detach_all_under(node.dir);
        if (!keep) remove_tree(node.dir);
        _exit(0);
    }
    close(fds[0]);
    run.janitor_pid = pid;
    run.janitor_pipe = fds[1];
    fcntl(run.janitor_pipe, F_SETFD, FD_CLOEXEC);
}

int node_case_teardown(void **state) {
    (void)state;
    int n = detach_all_under(node.dir);
    if (n) print_message("(teardown detached %d mount(s) the test left)\n", n);
    return 0;
}

/* ---- files ---- */

void node_mkdirs(const char *path) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(buf, 0755);
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) fail_msg("mkdir %s: %s", path, strerror(errno));
}

void node_write(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) fail_msg("write %s: %s", path, strerror(errno));
}

bool node_file_is(const char *path, const char *text) {
    char *got = sim_read_file(path);
    bool same = got && strcmp(got, text) == 0;
    free(got);
    return same;
}

void node_make_volume(const char *vast_path, const char *text) {
    const char *dir = node_fmt("%s%s", node.fs, vast_path);
    node_mkdirs(dir);
    node_write(node_fmt("%s/data", dir), text);
}

/* ---- calls ---- */

static const ProtobufCMethodDescriptor *node_method(const char *name) {
    const ProtobufCServiceDescriptor *s = &csi__v1__node__descriptor;
    for (unsigned m = 0; m < s->n_methods; m++) {
        if (strcmp(s->methods[m].name, name) == 0) return &s->methods[m];
    }
    fail_msg("no Node method %s", name);
    return NULL;
}

vk_code node_call(const char *method, json_t *request, vk_status *st) {
    const ProtobufCMethodDescriptor *m = node_method(method);
    char err[512];
    ProtobufCMessage *req = vk_pbjson_to_message(m->input, request, err, sizeof err);
    json_decref(request);
    if (!req) fail_msg("cannot build %s: %s", m->input->name, err);
    char path[160];
    snprintf(path, sizeof path, "/%s/%s", csi__v1__node__descriptor.name, m->name);
    ProtobufCMessage *resp = NULL;
    vk_code code = vk_rpc_client_call(run.client, path, req, m->output, CALL_TIMEOUT_MS, &resp, st);
    protobuf_c_message_free_unpacked(req, NULL);
    if (resp) protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

static json_t *capability(void) {
    return json_pack("{s:{s:s}, s:{}}", "access_mode", "mode", "MULTI_NODE_MULTI_WRITER", "mount");
}

json_t *node_stage_req(const char *volume_id, const char *staging) {
    return json_pack("{s:s, s:s, s:o}", "volume_id", volume_id, "staging_target_path", staging, "volume_capability",
                     capability());
}

json_t *node_publish_req(const char *volume_id, const char *staging, const char *target) {
    return json_pack("{s:s, s:s, s:s, s:o}", "volume_id", volume_id, "staging_target_path", staging, "target_path",
                     target, "volume_capability", capability());
}

json_t *node_unstage_req(const char *volume_id, const char *staging) {
    return json_pack("{s:s, s:s}", "volume_id", volume_id, "staging_target_path", staging);
}

json_t *node_unpublish_req(const char *volume_id, const char *target) {
    return json_pack("{s:s, s:s}", "volume_id", volume_id, "target_path", target);
}

/* ---- the run ---- */

static void print_csi_log_tail(void) {
    char *text = sim_read_file(node_fmt("%s/vast-csi.log", node.dir));
    if (!text) return;
    size_t len = strlen(text);
    print_error("--- vast-csi log (tail) ---\n%s\n", len > 4000 ? text + len - 4000 : text);
    free(text);
}

static pid_t spawn_csi(const char *binary, const char *endpoint) {
    const char *log = node_fmt("%s/vast-csi.log", node.dir);
    const char *argv[] = {binary,
                          "--endpoint", endpoint,
                          "--mode", "node",
                          "--node-id", "safety-node",
                          "--mount-mode", "bind",
                          "--bind-root", node.fs,
                          "--state-dir", node_fmt("%s/state", node.dir),
                          "--vms-secret-dir", node_fmt("%s/secret", node.dir),
                          NULL};
    /* --kubelet-dir and --ephemeral-parameters through their variables, which a driver
     * from before the flags ignores, so the suite also runs (and lists its failures)
     * against older builds */
    size_t n_env = 0;
    while (environ[n_env]) n_env++;
    const char **envp = calloc(n_env + 3, sizeof *envp);
    if (!envp) abort();
    size_t e = 0;
    for (size_t i = 0; i < n_env; i++) {
        if (strncmp(environ[i], "X_CSI_KUBELET_DIR=", 18) != 0 && strncmp(environ[i], "X_CSI_EPHEMERAL_PARAMETERS=", 27) != 0) {
            envp[e++] = environ[i];
        }
    }
    envp[e++] = node_fmt("X_CSI_KUBELET_DIR=%s", node.kubelet);
    envp[e++] = "X_CSI_EPHEMERAL_PARAMETERS=" NODE_EPHEMERAL_PARAMETERS;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed test */
        /* a driver that takes a relative path takes it from here: inside the run, where
         * the teardown finds whatever it mounted */
        if (chdir(node.dir) != 0) _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execve(binary, (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    free(envp);
    return pid;
}

static bool wait_for_probe(void) {
    vk_status st = {0};
    vk_code code = VK_UNAVAILABLE;
    for (int64_t start = vk_now_ms(); vk_now_ms() - start < PROBE_WAIT_MS; sleep_ms(50)) {
        int status;
        if (waitpid(run.csi_pid, &status, WNOHANG) == run.csi_pid) {
            run.csi_pid = 0;
            print_csi_log_tail();
            print_error("vast-csi exited during start-up (status 0x%x)\n", status);
            return false;
        }
        vk_rpc_client *probe = vk_rpc_client_new(&run.endpoint);
        ProtobufCMessage *resp = NULL;
        code = vk_rpc_client_call(probe, "/csi.v1.Identity/Probe", NULL, &csi__v1__probe_response__descriptor, 1000,
                                  &resp, &st);
        if (resp) protobuf_c_message_free_unpacked(resp, NULL);
        vk_rpc_client_free(probe);
        if (code == VK_OK) return true;
    }
    print_csi_log_tail();
    print_error("vast-csi did not answer Probe within %d ms: %s\n", PROBE_WAIT_MS, st.message);
    return false;
}

static bool stop_csi(void) {
    if (run.csi_pid <= 0) return true;
    kill(run.csi_pid, SIGTERM);
    int status = 0;
    bool exited = false;
    for (int64_t start = vk_now_ms(); vk_now_ms() - start < STOP_TIMEOUT_MS; sleep_ms(10)) {
        if (waitpid(run.csi_pid, &status, WNOHANG) == run.csi_pid) {
            exited = true;
            break;
        }
    }
    if (!exited) {
        kill(run.csi_pid, SIGKILL);
        waitpid(run.csi_pid, &status, 0);
    }
    run.csi_pid = 0;
    bool clean = exited && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean) {
        print_csi_log_tail();
        print_error("vast-csi %s after SIGTERM (status 0x%x)\n", exited ? "did not exit 0" : "did not stop", status);
    }
    return clean;
}

static bool write_secret(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

int node_start(void **state) {
    (void)state;
    const char *binary = getenv("VAST_CSI");
    if (!binary || !*binary) {
        print_error("VAST_CSI is not set (CMake sets it to the built vast-csi)\n");
        return -1;
    }
    snprintf(node.dir, sizeof node.dir, "/tmp/vk-safety-node-XXXXXX");
    if (!mkdtemp(node.dir)) {
        print_error("mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    const char *keep = getenv("SAFETY_KEEP");
    start_janitor(keep && strcmp(keep, "1") == 0);
    snprintf(node.kubelet, sizeof node.kubelet, "%s/kubelet", node.dir);
    snprintf(node.outside, sizeof node.outside, "%s/outside", node.dir);
    node_mkdirs(node.kubelet);
    node_mkdirs(node.outside);
    const char *endpoint = node_fmt("unix://%s/csi.sock", node.dir);
    vk_status st;
    if (!vk_endpoint_parse(endpoint, &run.endpoint, &st)) {
        print_error("endpoint %s: %s\n", endpoint, st.message);
        return -1;
    }
    sim_options options = {.http = true, .https = true, .seed = true};
    sim_start(&node.sim, &options);
    run.sim_started = true;
    snprintf(node.fs, sizeof node.fs, "%s/fs", node.sim.dir);
    node_mkdirs(node.fs);

    const char *secret = node_fmt("%s/secret", node.dir);
    char *cert = sim_read_file(node.sim.ca_file);
    bool ok = cert && mkdir(secret, 0700) == 0 &&
              write_secret(secret, "endpoint", node_fmt("127.0.0.1:%d", node.sim.https_port)) &&
              write_secret(secret, "username", "admin") && write_secret(secret, "password", "123456") &&
              write_secret(secret, "ssl_cert", cert);
    free(cert);
    if (!ok) {
        print_error("cannot write the secret %s: %s\n", secret, strerror(errno));
        return -1;
    }
    grpc_init();
    run.csi_pid = spawn_csi(binary, endpoint);
    if (run.csi_pid < 0 || !wait_for_probe()) return -1;
    run.client = vk_rpc_client_new(&run.endpoint);
    return 0;
}

int node_stop(void **state) {
    (void)state;
    if (run.client) vk_rpc_client_free(run.client);
    run.client = NULL;
    bool clean = stop_csi();
    detach_all_under(node.dir);
    if (run.sim_started) sim_stop(&node.sim);
    run.sim_started = false;
    const char *keep = getenv("SAFETY_KEEP");
    if (keep && strcmp(keep, "1") == 0) {
        print_message("run directory kept: %s\n", node.dir);
    } else {
        remove_tree(node.dir);
    }
    if (run.janitor_pipe >= 0) {
        close(run.janitor_pipe); /* the janitor finds nothing left and exits */
        waitpid(run.janitor_pid, NULL, 0);
        run.janitor_pipe = -1;
    }
    for (size_t i = 0; i < run.n_strings; i++) free(run.strings[i]);
    free(run.strings);
    run.strings = NULL;
    run.n_strings = run.cap_strings = 0;
    grpc_shutdown();
    return clean ? 0 : -1;
}
