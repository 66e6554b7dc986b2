/* Address ranges; see ip_ranges.h. */
#include "ip_ranges.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is that IPv4 address: the same client. */
static int parse_address(const char *text, uint8_t out[16]) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1) return AF_INET;
    if (inet_pton(AF_INET6, text, out) != 1) return 0;
    if (memcmp(out, mapped, sizeof mapped) != 0) return AF_INET6;
    memmove(out, out + 12, 4);
    memset(out + 4, 0, 12);
    return AF_INET;
}

bool ip_range_parse(json_t *pair, ip_range *out, char *why, size_t size) {
    const char *start = json_string_value(json_array_get(pair, 0)), *end = json_string_value(json_array_get(pair, 1));
    if (!json_is_array(pair) || json_array_size(pair) != 2 || !start || !end) {
        snprintf(why, size, "Expected a list of [start, end] address pairs.");
        return false;
    }
    int start_family = parse_address(start, out->start), end_family = parse_address(end, out->end);
    if (!start_family || !end_family) {
        snprintf(why, size, "\"%s\" is not an IPv4 or IPv6 address.", start_family ? end : start);
        return false;
    }
    if (start_family != end_family) {
        snprintf(why, size, "Range %s-%s mixes IPv4 and IPv6.", start, end);
        return false;
    }
    out->family = start_family;
    if (memcmp(out->start, out->end, 16) > 0) {
        snprintf(why, size, "Range %s-%s starts after it ends.", start, end);
        return false;
    }
    return true;
}

bool ip_ranges_overlap(const ip_range *a, const ip_range *b) {
    return a->family == b->family && memcmp(a->start, b->end, 16) <= 0 && memcmp(b->start, a->end, 16) <= 0;
}
