#include "vk/arena.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdalign.h>
#include <stdio.h>
#include <string.h>

static void test_alloc_is_zeroed_and_aligned(void **state) {
    (void)state;
    vk_arena *a = vk_arena_new();
    for (size_t size = 1; size < 200; size += 7) {
        unsigned char *p = vk_arena_alloc(a, size);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        for (size_t i = 0; i < size; i++) assert_int_equal(p[i], 0);
        memset(p, 0xab, size);
    }
    vk_arena_free(a);
}

static void test_large_and_many_allocations_stay_valid(void **state) {
    (void)state;
    vk_arena *a = vk_arena_new();
    char *first = vk_arena_strdup(a, "first");
    char *big = vk_arena_alloc(a, 100000); /* larger than a block */
    memset(big, 'x', 100000);
    char *strings[500];
    for (int i = 0; i < 500; i++) strings[i] = vk_arena_sprintf(a, "item-%d", i);
    for (int i = 0; i < 500; i++) {
        char want[16];
        snprintf(want, sizeof want, "item-%d", i);
        assert_string_equal(strings[i], want);
    }
    assert_string_equal(first, "first");
    assert_int_equal(big[99999], 'x');
    assert_null(vk_arena_strdup(a, NULL));
    vk_arena_free(a);
    vk_arena_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_is_zeroed_and_aligned),
        cmocka_unit_test(test_large_and_many_allocations_stay_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
