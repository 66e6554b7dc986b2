#include "vk/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool vk_parse_quantity(const char *text, int64_t *bytes) {
    static const struct {
        const char *suffix;
        int64_t factor;
    } units[] = {
        {"Ki", 1LL << 10}, {"Mi", 1LL << 20}, {"Gi", 1LL << 30}, {"Ti", 1LL << 40}, {"Pi", 1LL << 50},
        {"k", 1000LL}, {"K", 1000LL}, {"M", 1000000LL}, {"G", 1000000000LL}, {"T", 1000000000000LL},
        {"P", 1000000000000000LL}, {"", 1},
    };
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || errno || v < 0) return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suffix) != 0) continue;
        if (v > INT64_MAX / units[i].factor) return false;
        *bytes = v * units[i].factor;
        return true;
    }
    return false;
}

bool vk_parse_bool(const char *text, bool *out) {
    static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no", "0"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(text, yes[i]) == 0) return (*out = true), true;
        if (strcasecmp(text, no[i]) == 0) return (*out = false), true;
    }
    return false;
}
