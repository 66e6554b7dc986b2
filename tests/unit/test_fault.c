#include "vk/fault.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int clear(void **state) {
    (void)state;
    vk_status st;
    return vk_fault_configure(NULL, &st) ? 0 : -1;
}

static void test_no_spec_never_fires(void **state) {
    (void)state;
    vk_status st;
    assert_false(vk_fault_point("anything", &st));
}

static void test_error_action(void **state) {
    (void)state;
    vk_status st;
    assert_true(vk_fault_configure("vms.create_view=error:UNAVAILABLE", &st));
    assert_false(vk_fault_point("vms.create_quota", &st));
    assert_true(vk_fault_point("vms.create_view", &st));
    assert_int_equal(st.code, VK_UNAVAILABLE);
    assert_non_null(strstr(st.message, "vms.create_view"));
}

static void test_nth_hit_only(void **state) {
    (void)state;
    vk_status st;
    assert_true(vk_fault_configure("a=error:5@3,b=error:INTERNAL", &st));
    assert_false(vk_fault_point("a", &st));
    assert_false(vk_fault_point("a", &st));
    assert_true(vk_fault_point("a", &st));
    assert_int_equal(st.code, VK_NOT_FOUND);
    assert_false(vk_fault_point("a", &st));
    assert_true(vk_fault_point("b", &st));
    assert_int_equal(st.code, VK_INTERNAL);
}

static void test_sleep_action(void **state) {
    (void)state;
    vk_status st;
    assert_true(vk_fault_configure("slow=sleep:120", &st));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_false(vk_fault_point("slow", &st));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 120);
}

/* exit and kill end the process: observe them in a child. */
static int child_status(const char *spec) {
    pid_t pid = fork();
    if (pid == 0) {
        vk_status st;
        if (!vk_fault_configure(spec, &st)) _exit(100);
        vk_fault_point("p", &st);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return status;
}

static void test_exit_and_kill(void **state) {
    (void)state;
    int status = child_status("p=exit:42");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
    status = child_status("p=kill");
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_malformed_specs(void **state) {
    (void)state;
    const char *bad[] = {"noequals", "=error:5", "a=explode", "a=sleep", "a=sleep:x", "a=error:OK",
                         "a=error:BOGUS", "a=exit:300", "a=kill:now", "a=error:5@0", "a=error:5@x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vk_status st;
        if (vk_fault_configure(bad[i], &st)) fail_msg("spec \"%s\" should be refused", bad[i]);
        assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    }
    /* a refused spec leaves no rule behind */
    vk_status st;
    assert_false(vk_fault_configure("a=error:5,b=nonsense", &st));
    assert_false(vk_fault_point("a", &st));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_spec_never_fires, clear),
        cmocka_unit_test_setup(test_error_action, clear),
        cmocka_unit_test_setup(test_nth_hit_only, clear),
        cmocka_unit_test_setup(test_sleep_action, clear),
        cmocka_unit_test_setup(test_exit_and_kill, clear),
        cmocka_unit_test_setup(test_malformed_specs, clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
