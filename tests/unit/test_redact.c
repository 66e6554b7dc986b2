#include "vk/redact.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_credentials_are_sensitive(void **state) {
    (void)state;
    const char *names[] = {
        "secrets", "password", "PASSWORD", "db_passwd", "token", "api_token", "Api-Token",
        "secret_access_key", "access_secret_key", "private_key", "credentials", "client_secret",
        "authorization", "ssl_key_password", "vms_token", "apikey", "mount_flags",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!vk_redact_is_sensitive(names[i])) fail_msg("%s should be sensitive", names[i]);
    }
}

static void test_ordinary_names_are_not(void **state) {
    (void)state;
    const char *names[] = {
        "name", "volume_id", "parameters", "username", "endpoint", "view_policy", "ssl_cert",
        "starting_token", "next_token", "NEXT_TOKEN", "access_key_id", "node_id", "capacity_range",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (vk_redact_is_sensitive(names[i])) fail_msg("%s should not be sensitive", names[i]);
    }
    assert_false(vk_redact_is_sensitive(NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credentials_are_sensitive),
        cmocka_unit_test(test_ordinary_names_are_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
