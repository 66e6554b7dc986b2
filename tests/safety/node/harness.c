/* The node's hostile-input suite: harness (see harness.h). */
#include "harness.h"

#include "../../common/csi_call.h"
#include "../../common/mounts.h"
#include "../../common/plugin.h"
#include "../../common/run.h"
#include "../../common/strings.h"
#include "vk/rpc_client.h"

#include <grpc/grpc.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CALL_TIMEOUT_MS = 60000 };

node_run node;
int node_failures;

static struct {
    tc_plugin plugin;
    pid_t janitor_pid;
    int janitor_pipe;
    bool sim_started;
    tc_strings strings;
} run = {.janitor_pipe = -1};

const char *node_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *s = tc_strings_vfmt(&run.strings, fmt, ap);
    va_end(ap);
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

/* ---- the mount table (tests/common/mounts.c) ---- */

static void count_one(const char *target, void *ctx) {
    (void)target;
    (*(int *)ctx)++;
}

int node_mount_count(void) {
    int n = 0;
    tc_each_mount(count_one, &n);
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
    tc_each_mount(count_at, &ctx);
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
        tc_detach_under(node.dir);
        if (!keep) tc_remove_tree(node.dir);
        _exit(0);
    }
    close(fds[0]);
    run.janitor_pid = pid;
    run.janitor_pipe = fds[1];
    fcntl(run.janitor_pipe, F_SETFD, FD_CLOEXEC);
}

int node_case_teardown(void **state) {
    (void)state;
    int n = tc_detach_under(node.dir);
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

vk_code node_call(const char *method, json_t *request, vk_status *st) {
    const ProtobufCServiceDescriptor *service = &csi__v1__node__descriptor;
    const ProtobufCMethodDescriptor *m = tc_csi_method(service, method);
    return tc_csi_send(run.plugin.client, service, m, tc_csi_request(m, request), CALL_TIMEOUT_MS, NULL, st);
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

/* ---- the run (tests/common) ---- */

int node_start(void **state) {
    (void)state;
    if (!tc_run_dir_make(node.dir, sizeof node.dir, "safety-node")) return -1;
    const char *keep = getenv("SAFETY_KEEP");
    start_janitor(keep && strcmp(keep, "1") == 0);
    snprintf(node.kubelet, sizeof node.kubelet, "%s/kubelet", node.dir);
    snprintf(node.outside, sizeof node.outside, "%s/outside", node.dir);
    node_mkdirs(node.kubelet);
    node_mkdirs(node.outside);
    const char *endpoint = node_fmt("unix://%s/csi.sock", node.dir);
    sim_options options = {.http = true, .https = true, .seed = true};
    sim_start(&node.sim, &options);
    run.sim_started = true;
    snprintf(node.fs, sizeof node.fs, "%s/fs", node.sim.dir);
    node_mkdirs(node.fs);
    const char *secret = node_fmt("%s/secret", node.dir);
    if (!tc_write_secret_dir(secret, &node.sim, "admin", "123456")) return -1;

    grpc_init();
    const char *const args[] = {"--mode", "node", "--node-id", "safety-node", "--mount-mode", "bind",
                                "--bind-root", node.fs, "--state-dir", node_fmt("%s/state", node.dir),
                                "--vms-secret-dir", secret, NULL};
    /* --kubelet-dir and --ephemeral-parameters through their variables, which a driver
     * from before the flags ignores, so the suite also runs (and lists its failures)
     * against older builds; it runs in DIR, so a relative path it takes stays inside */
    const char *const env[] = {node_fmt("X_CSI_KUBELET_DIR=%s", node.kubelet),
                               "X_CSI_EPHEMERAL_PARAMETERS=" NODE_EPHEMERAL_PARAMETERS, NULL};
    tc_plugin_options plugin = {.dir = node.dir, .endpoint = endpoint, .args = args, .env = env, .cwd = node.dir};
    if (!tc_plugin_start(&run.plugin, &plugin)) return -1;
    return 0;
}

int node_stop(void **state) {
    (void)state;
    bool clean = tc_plugin_stop(&run.plugin);
    tc_detach_under(node.dir);
    if (run.sim_started) sim_stop(&node.sim);
    run.sim_started = false;
    tc_run_dir_finish(node.dir, "SAFETY_KEEP");
    if (run.janitor_pipe >= 0) {
        close(run.janitor_pipe); /* the janitor finds nothing left and exits */
        waitpid(run.janitor_pid, NULL, 0);
        run.janitor_pipe = -1;
    }
    tc_strings_free(&run.strings);
    grpc_shutdown();
    return clean ? 0 : -1;
}
