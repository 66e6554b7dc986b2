/* Strings a run or a test keeps until its end: the harnesses hand out printf'd paths
 * and names that callers never free. */
#ifndef VK_TESTS_COMMON_STRINGS_H
#define VK_TESTS_COMMON_STRINGS_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char **items;
    size_t n, cap;
} tc_strings;

/* Takes s (malloc'd; aborts on NULL) into the pool and returns it. */
char *tc_strings_keep(tc_strings *pool, char *s);
/* A vprintf'd string kept in the pool. */
const char *tc_strings_vfmt(tc_strings *pool, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Frees every string kept; the pool is empty (and usable) again. */
void tc_strings_free(tc_strings *pool);

#endif
