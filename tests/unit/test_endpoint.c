#include "vk/endpoint.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void parses(const char *text, vk_endpoint_kind kind, const char *target) {
    vk_endpoint ep;
    vk_status st;
    assert_true(vk_endpoint_parse(text, &ep, &st));
    assert_int_equal(ep.kind, kind);
    assert_string_equal(ep.target, target);
}

static void refuses(const char *text, const char *why) {
    vk_endpoint ep;
    vk_status st;
    assert_false(vk_endpoint_parse(text, &ep, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, why));
}

static void test_unix_forms(void **state) {
    (void)state;
    parses("unix:///csi/csi.sock", VK_ENDPOINT_UNIX, "unix:/csi/csi.sock");
    parses("unix:/csi/csi.sock", VK_ENDPOINT_UNIX, "unix:/csi/csi.sock");
    parses("/var/lib/kubelet/plugins/x/csi.sock", VK_ENDPOINT_UNIX, "unix:/var/lib/kubelet/plugins/x/csi.sock");
    vk_endpoint ep;
    vk_status st;
    assert_true(vk_endpoint_parse("unix:///a/b.sock", &ep, &st));
    assert_string_equal(ep.path, "/a/b.sock");
}

static void test_tcp_forms(void **state) {
    (void)state;
    parses("tcp://127.0.0.1:10000", VK_ENDPOINT_TCP, "127.0.0.1:10000");
    parses("localhost:50051", VK_ENDPOINT_TCP, "localhost:50051");
    parses("[::1]:9000", VK_ENDPOINT_TCP, "[::1]:9000");
    parses("tcp://[::1]:9000", VK_ENDPOINT_TCP, "[::1]:9000");
    vk_endpoint ep;
    vk_status st;
    assert_true(vk_endpoint_parse("tcp://[::1]:9000", &ep, &st));
    assert_string_equal(ep.host, "::1");
    assert_int_equal(ep.port, 9000);
}

static void test_refusals(void **state) {
    (void)state;
    refuses("", "empty");
    refuses("unix:relative.sock", "absolute");
    refuses("unix:///dir/", "directory");
    refuses("http://host:80", "unsupported scheme");
    refuses("host:0", "1 to 65535");
    refuses("host:70000", "1 to 65535");
    refuses("host:12ab", "1 to 65535");
    refuses("host", "not understood");
    refuses("::1:80", "not understood");
    char longpath[200] = "unix:///";
    memset(longpath + 8, 'x', 120);
    strcat(longpath, "/s.sock");
    refuses(longpath, "107");
}

static void test_exactly_107_bytes_is_accepted(void **state) {
    (void)state;
    char text[200] = "unix://";
    char *path = text + strlen(text);
    path[0] = '/';
    memset(path + 1, 'p', 106);
    path[107] = '\0';
    vk_endpoint ep;
    vk_status st;
    assert_true(vk_endpoint_parse(text, &ep, &st));
    assert_int_equal(strlen(ep.path), 107);
    strcat(text, "q");
    assert_false(vk_endpoint_parse(text, &ep, &st));
}

/* prepare_listen on the file system: directories, stale sockets, refusals. */
static char scratch[64];

static int make_scratch(void **state) {
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/vk-endpoint-XXXXXX");
    return mkdtemp(scratch) ? 0 : -1;
}

static int remove_scratch(void **state) {
    (void)state;
    char path[128];
    /* remove what the tests may have left */
    const char *names[] = {"a/b/c/csi.sock", "stale.sock", "live.sock", "file.sock"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", scratch, names[i]);
        unlink(path);
    }
    const char *dirs[] = {"a/b/c", "a/b", "a"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", scratch, dirs[i]);
        rmdir(path);
    }
    return rmdir(scratch);
}

static int bind_socket(const char *path, int listen_too) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n = snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    assert_true(n > 0 && (size_t)n < sizeof addr.sun_path);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    if (listen_too) assert_int_equal(listen(fd, 1), 0);
    return fd;
}

static void prepare(const char *name, bool expect_ok, const char *why) {
    char text[160];
    snprintf(text, sizeof text, "unix://%s/%s", scratch, name);
    vk_endpoint ep;
    vk_status st;
    assert_true(vk_endpoint_parse(text, &ep, &st));
    bool ok = vk_endpoint_prepare_listen(&ep, &st);
    assert_int_equal(ok, expect_ok);
    if (!expect_ok) {
        assert_int_equal(st.code, VK_FAILED_PRECONDITION);
        assert_non_null(strstr(st.message, why));
    }
}

static void test_prepare_creates_directories(void **state) {
    (void)state;
    prepare("a/b/c/csi.sock", true, NULL);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/a/b/c", scratch);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
}

static void test_prepare_removes_stale_socket(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/stale.sock", scratch);
    close(bind_socket(path, 0)); /* bound, nobody listening: what a crash leaves */
    prepare("stale.sock", true, NULL);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_prepare_refuses_live_socket(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/live.sock", scratch);
    int fd = bind_socket(path, 1);
    prepare("live.sock", false, "another process");
    assert_int_equal(access(path, F_OK), 0);
    close(fd);
}

static void test_prepare_refuses_regular_file(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/file.sock", scratch);
    FILE *f = fopen(path, "w");
    fputs("data", f);
    fclose(f);
    prepare("file.sock", false, "not a socket");
    assert_int_equal(access(path, F_OK), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix_forms),
        cmocka_unit_test(test_tcp_forms),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_exactly_107_bytes_is_accepted),
        cmocka_unit_test(test_prepare_creates_directories),
        cmocka_unit_test(test_prepare_removes_stale_socket),
        cmocka_unit_test(test_prepare_refuses_live_socket),
        cmocka_unit_test(test_prepare_refuses_regular_file),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
