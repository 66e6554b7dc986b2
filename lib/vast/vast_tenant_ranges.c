/* Client networks as VMS wants them: a tenant's client_ip_ranges are [first, last]
 * address pairs, the spec has CIDRs (IPv4 or IPv6, or a lone address). */
#include "vast_tenant_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* The prefix length after the slash: digits only, at most bits. */
static bool parse_prefix(const char *text, unsigned bits, unsigned *out) {
    if (!*text || strlen(text) > 3) return false;
    unsigned n = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        n = n * 10 + (unsigned)(*p - '0');
    }
    if (n > bits) return false;
    *out = n;
    return true;
}

json_t *vast_cidr_range(const char *text) {
    if (!text) return NULL;
    char addr[INET6_ADDRSTRLEN];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    if (len == 0 || len >= sizeof addr) return NULL;
    memcpy(addr, text, len);
    addr[len] = '\0';
    unsigned char bytes[16];
    int family = AF_INET;
    size_t size = 4;
    if (inet_pton(AF_INET, addr, bytes) != 1) {
        if (inet_pton(AF_INET6, addr, bytes) != 1) return NULL;
        family = AF_INET6;
        size = 16;
    }
    unsigned prefix = (unsigned)size * 8;
    if (slash && !parse_prefix(slash + 1, prefix, &prefix)) return NULL;
    unsigned char first[16], last[16];
    for (size_t i = 0; i < size; i++) {
        unsigned kept = prefix > 8 * i ? prefix - 8 * (unsigned)i : 0; /* network bits in this byte */
        unsigned char mask = kept >= 8 ? 0xff : (unsigned char)(0xff << (8 - kept));
        first[i] = bytes[i] & mask;
        last[i] = (unsigned char)(bytes[i] | (unsigned char)~mask);
    }
    char start[INET6_ADDRSTRLEN], end[INET6_ADDRSTRLEN];
    if (!inet_ntop(family, first, start, sizeof start) || !inet_ntop(family, last, end, sizeof end)) return NULL;
    return json_pack("[ss]", start, end);
}
