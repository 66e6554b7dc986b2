/* Strings kept until a run's or a test's end (see strings.h). */
#include "strings.h"

#include <stdio.h>
#include <stdlib.h>

char *tc_strings_keep(tc_strings *pool, char *s) {
    if (!s) abort();
    if (pool->n == pool->cap) {
        pool->cap = pool->cap ? pool->cap * 2 : 64;
        pool->items = realloc(pool->items, pool->cap * sizeof *pool->items);
        if (!pool->items) abort();
    }
    pool->items[pool->n++] = s;
    return s;
}

const char *tc_strings_vfmt(tc_strings *pool, const char *fmt, va_list ap) {
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    return tc_strings_keep(pool, s);
}

void tc_strings_free(tc_strings *pool) {
    for (size_t i = 0; i < pool->n; i++) free(pool->items[i]);
    free(pool->items);
    pool->items = NULL;
    pool->n = pool->cap = 0;
}
