/* vk_base64: the RFC 4648 test vectors both ways, the alphabets and the forms
 * Kubernetes and protobuf JSON hand us, and what must be refused. */
#include "vk/base64.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

static void rfc4648_vectors_round_trip(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        char *text = vk_base64_encode((const uint8_t *)plain[i], strlen(plain[i]));
        assert_string_equal(text, coded[i]);
        size_t len = 99;
        uint8_t *back = vk_base64_decode(text, &len);
        assert_non_null(back);
        assert_int_equal(len, strlen(plain[i]));
        assert_memory_equal(back, plain[i], len);
        assert_int_equal(back[len], 0); /* usable as a string */
        free(back);
        free(text);
    }
}

static void binary_bytes_and_both_alphabets(void **state) {
    (void)state;
    const uint8_t bytes[] = {0xfb, 0xff, 0x00, 0xfe};
    char *text = vk_base64_encode(bytes, sizeof bytes);
    assert_string_equal(text, "+/8A/g==");
    free(text);
    const char *const forms[] = {"+/8A/g==", "-_8A_g==", "+/8A/g", "+/8A\n/g==\n"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        size_t len = 0;
        uint8_t *back = vk_base64_decode(forms[i], &len);
        assert_non_null(back);
        assert_int_equal(len, sizeof bytes);
        assert_memory_equal(back, bytes, sizeof bytes);
        free(back);
    }
}

static void malformed_text_is_refused(void **state) {
    (void)state;
    const char *const bad[] = {"Zm9v!", "Zg==Zg==", "Z", "Zm9vY", "é"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_null(vk_base64_decode(bad[i], NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors_round_trip),
        cmocka_unit_test(binary_bytes_and_both_alphabets),
        cmocka_unit_test(malformed_text_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
