/* Address ranges as VMS writes them, [start, end] pairs of IPv4 or IPv6 text (tenants'
 * client_ip_ranges), parsed so that two tenants' ranges can be compared. */
#ifndef SIM_IP_RANGES_H
#define SIM_IP_RANGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int family; /* AF_INET or AF_INET6: ranges of different families never overlap */
    uint8_t start[16], end[16]; /* network byte order; IPv4 uses the first 4 bytes */
} ip_range;

/* Parses one [start, end] pair: both addresses of one family, start <= end. false with
 * why (for a 400) otherwise. */
bool ip_range_parse(json_t *pair, ip_range *out, char *why, size_t size);
bool ip_ranges_overlap(const ip_range *a, const ip_range *b);

#endif
