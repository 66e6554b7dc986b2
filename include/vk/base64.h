/* Base64 (RFC 4648), for Kubernetes Secret data, kubeconfig *-data fields and protobuf
 * bytes in JSON. Decoding takes the standard and the URL-safe alphabet, skips
 * whitespace (kubeconfigs wrap lines) and accepts missing padding. */
#ifndef VK_BASE64_H
#define VK_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* The standard alphabet with padding; malloc'd, NUL-terminated; NULL when out of memory. */
char *vk_base64_encode(const uint8_t *data, size_t len);

/* malloc'd bytes with a NUL after them (text stays usable as a string), their count in
 * *len (may be NULL); NULL for text that is not base64 (a foreign character, '=' before
 * the end, a lone trailing digit) or out of memory. */
uint8_t *vk_base64_decode(const char *text, size_t *len);

#endif
