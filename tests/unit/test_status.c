#include "vk/status.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

static void test_names_match_grpc_codes(void **state) {
    (void)state;
    assert_string_equal(vk_status_name(VK_OK), "OK");
    assert_string_equal(vk_status_name(VK_INVALID_ARGUMENT), "INVALID_ARGUMENT");
    assert_string_equal(vk_status_name(VK_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(vk_status_name(VK_FAILED_PRECONDITION), "FAILED_PRECONDITION");
    assert_string_equal(vk_status_name(VK_UNIMPLEMENTED), "UNIMPLEMENTED");
    assert_string_equal(vk_status_name(VK_UNAUTHENTICATED), "UNAUTHENTICATED");
    assert_string_equal(vk_status_name((vk_code)17), "UNKNOWN_CODE");
    assert_string_equal(vk_status_name((vk_code)-1), "UNKNOWN_CODE");
}

static void test_parse_round_trips_every_code(void **state) {
    (void)state;
    for (int code = 0; code <= 16; code++) {
        vk_code parsed;
        assert_true(vk_status_parse(vk_status_name((vk_code)code), &parsed));
        assert_int_equal(parsed, code);
    }
}

static void test_parse_loose_forms(void **state) {
    (void)state;
    vk_code c;
    assert_true(vk_status_parse("NotFound", &c));
    assert_int_equal(c, VK_NOT_FOUND);
    assert_true(vk_status_parse("resource_exhausted", &c));
    assert_int_equal(c, VK_RESOURCE_EXHAUSTED);
    assert_true(vk_status_parse("14", &c));
    assert_int_equal(c, VK_UNAVAILABLE);
    assert_false(vk_status_parse("17", &c));
    assert_false(vk_status_parse("NOT_A_CODE", &c));
    assert_false(vk_status_parse("", &c));
    assert_false(vk_status_parse(NULL, &c));
    assert_false(vk_status_parse("NOT_FOUNDX", &c));
}

static void test_set_formats_and_truncates(void **state) {
    (void)state;
    vk_status st;
    assert_int_equal(vk_status_set(&st, VK_NOT_FOUND, "volume %s on %s", "v1", "c1"),
                     VK_NOT_FOUND);
    assert_string_equal(st.message, "volume v1 on c1");
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    vk_status_set(&st, VK_INTERNAL, "%s", big);
    assert_int_equal(strlen(st.message), VK_STATUS_MESSAGE_MAX - 1);
    vk_status_ok(&st);
    assert_int_equal(st.code, VK_OK);
    assert_string_equal(st.message, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_match_grpc_codes),
        cmocka_unit_test(test_parse_round_trips_every_code),
        cmocka_unit_test(test_parse_loose_forms),
        cmocka_unit_test(test_set_formats_and_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
