#include "vk/status.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};
#define STATUS_COUNT ((int)(sizeof status_names / sizeof status_names[0]))

vk_code vk_status_set(vk_status *st, vk_code code, const char *fmt, ...) {
    st->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
    return code;
}

const char *vk_status_name(vk_code code) {
    if ((int)code < 0 || (int)code >= STATUS_COUNT) return "UNKNOWN_CODE";
    return status_names[code];
}

/* Compares ignoring case and underscores, so "NotFound" matches "NOT_FOUND". */
static bool loose_equal(const char *a, const char *b) {
    for (;;) {
        while (*a == '_') a++;
        while (*b == '_') b++;
        if (!*a || !*b) return !*a && !*b;
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b)) return false;
        a++;
        b++;
    }
}

bool vk_status_parse(const char *text, vk_code *out) {
    if (!text || !*text) return false;
    if (isdigit((unsigned char)text[0])) {
        char *end;
        long v = strtol(text, &end, 10);
        if (*end || v < 0 || v >= STATUS_COUNT) return false;
        *out = (vk_code)v;
        return true;
    }
    for (int i = 0; i < STATUS_COUNT; i++) {
        if (loose_equal(text, status_names[i])) {
            *out = (vk_code)i;
            return true;
        }
    }
    return false;
}
