#include "options.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static const char *const env_names[] = {"CSI_ENDPOINT", "X_CSI_MODE", "X_CSI_NODE_ID", "X_CSI_PLUGIN_NAME",
                                        "X_CSI_LOG_LEVEL", "X_CSI_LOG_FORMAT", "X_CSI_WORKER_THREADS",
                                        "X_CSI_SHUTDOWN_GRACE_MS"};

static int clean_env(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++) unsetenv(env_names[i]);
    return 0;
}

static bool parse_args(csi_options *o, vk_status *st, int argc, char **argv) {
    return csi_options_parse(argc, argv, o, st);
}

static void test_defaults(void **state) {
    (void)state;
    csi_options o;
    vk_status st;
    char *argv[] = {"vast-csi", NULL};
    assert_true(parse_args(&o, &st, 1, argv));
    assert_string_equal(o.driver_name, CSI_DEFAULT_DRIVER_NAME);
    assert_string_equal(o.endpoint.path, "/csi/csi.sock");
    assert_int_equal(o.mode, CSI_MODE_ALL);
    assert_int_equal(o.workers, 128);
    assert_true(o.node_id[0] != '\0');
    assert_false(o.show_help);
}

static void test_flags(void **state) {
    (void)state;
    csi_options o;
    vk_status st;
    char *argv[] = {"vast-csi", "--endpoint", "tcp://127.0.0.1:5000", "--mode", "controller", "--node-id",
                    "n7", "--driver-name", "my.driver", "--log-level", "debug", "--log-format", "json",
                    "--workers", "4", "--shutdown-grace", "250", NULL};
    assert_true(parse_args(&o, &st, 17, argv));
    assert_int_equal(o.endpoint.kind, VK_ENDPOINT_TCP);
    assert_int_equal(o.mode, CSI_MODE_CONTROLLER);
    assert_string_equal(o.node_id, "n7");
    assert_string_equal(o.driver_name, "my.driver");
    assert_int_equal(o.log_level, VK_LOG_DEBUG);
    assert_int_equal(o.log_format, VK_LOG_FORMAT_JSON);
    assert_int_equal(o.workers, 4);
    assert_int_equal(o.shutdown_grace_ms, 250);
}

static void test_environment_and_precedence(void **state) {
    (void)state;
    setenv("X_CSI_MODE", "controller_and_node", 1);
    setenv("X_CSI_WORKER_THREADS", "8", 1);
    setenv("CSI_ENDPOINT", "/run/csi/x.sock", 1);
    csi_options o;
    vk_status st;
    char *argv[] = {"vast-csi", "--workers", "2", NULL};
    assert_true(parse_args(&o, &st, 3, argv));
    assert_int_equal(o.mode, CSI_MODE_ALL); /* the vendor's spelling is accepted */
    assert_int_equal(o.workers, 2);         /* the flag wins */
    assert_string_equal(o.endpoint.path, "/run/csi/x.sock");
}

static void refused(const char *flag, const char *value, const char *why) {
    csi_options o;
    vk_status st;
    char *argv[] = {"vast-csi", (char *)flag, (char *)value, NULL};
    assert_false(parse_args(&o, &st, value ? 3 : 2, argv));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    if (!strstr(st.message, why)) fail_msg("message \"%s\" lacks \"%s\"", st.message, why);
}

static void test_refusals_name_the_setting(void **state) {
    (void)state;
    refused("--mode", "both", "X_CSI_MODE");
    refused("--workers", "0", "1 to 1024");
    refused("--workers", "12x", "--workers");
    refused("--shutdown-grace", "-5", "milliseconds");
    refused("--endpoint", "unix:rel", "absolute");
    refused("--driver-name", "9starts-with-digit", "driver name");
    refused("--log-format", "xml", "logfmt or json");
    refused("--bogus", NULL, "--bogus");
    refused("stray", NULL, "unexpected argument");
    setenv("X_CSI_LOG_LEVEL", "chatty", 1);
    csi_options o;
    vk_status st;
    char *argv[] = {"vast-csi", NULL};
    assert_false(parse_args(&o, &st, 1, argv));
    assert_non_null(strstr(st.message, "X_CSI_LOG_LEVEL"));
}

static void test_driver_name_rule(void **state) {
    (void)state;
    assert_true(csi_driver_name_valid("csi.vast-k8s.io"));
    assert_true(csi_driver_name_valid("ab"));
    assert_false(csi_driver_name_valid("a"));
    assert_false(csi_driver_name_valid("csi.vastdata.com1")); /* must end with a letter */
    assert_false(csi_driver_name_valid("has space.io"));
    char longest[64];
    memset(longest, 'a', 63);
    longest[63] = '\0';
    assert_true(csi_driver_name_valid(longest));
    char too_long[65];
    memset(too_long, 'a', 64);
    too_long[64] = '\0';
    assert_false(csi_driver_name_valid(too_long));
}

static void test_help_and_version(void **state) {
    (void)state;
    csi_options o;
    vk_status st;
    char *argv[] = {"vast-csi", "--help", "--version", NULL};
    assert_true(parse_args(&o, &st, 3, argv));
    assert_true(o.show_help);
    assert_true(o.show_version);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clean_env),
        cmocka_unit_test_setup(test_flags, clean_env),
        cmocka_unit_test_setup(test_environment_and_precedence, clean_env),
        cmocka_unit_test_setup(test_refusals_name_the_setting, clean_env),
        cmocka_unit_test_setup(test_driver_name_rule, clean_env),
        cmocka_unit_test_setup(test_help_and_version, clean_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
