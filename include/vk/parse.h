/* Values as Kubernetes objects write them: quantities and booleans of parameters,
 * attributes and flags. */
#ifndef VK_PARSE_H
#define VK_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* A Kubernetes quantity ("1Gi", "500Mi", "10G", "1073741824") in bytes; false for
 * anything else, negative values and overflow. */
bool vk_parse_quantity(const char *text, int64_t *bytes);

/* True for "true"/"yes"/"1" (any case), false for "false"/"no"/"0"; anything else fails. */
bool vk_parse_bool(const char *text, bool *out);

#endif
