#include "vk/base64.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *vk_base64_encode(const uint8_t *data, size_t len) {
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t n = (uint32_t)data[i] << 16;
        if (i + 1 < len) n |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len) n |= data[i + 2];
        *o++ = alphabet[n >> 18 & 63];
        *o++ = alphabet[n >> 12 & 63];
        *o++ = i + 1 < len ? alphabet[n >> 6 & 63] : '=';
        *o++ = i + 2 < len ? alphabet[n & 63] : '=';
    }
    *o = '\0';
    return out;
}

static int digit_of(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static bool is_space(unsigned char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

uint8_t *vk_base64_decode(const char *text, size_t *len) {
    size_t n = strlen(text);
    uint8_t *out = malloc(n / 4 * 3 + 4);
    if (!out) return NULL;
    size_t o = 0, digits = 0;
    uint32_t acc = 0;
    int bits = 0;
    bool padding = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (is_space(c)) continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        int v = digit_of(c);
        if (v < 0 || padding) { /* a foreign character, or a digit after '=' */
            free(out);
            return NULL;
        }
        digits++;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)((acc >> bits) & 0xff);
        }
    }
    if (digits % 4 == 1) { /* six bits cannot make a byte */
        free(out);
        return NULL;
    }
    out[o] = '\0';
    if (len) *len = o;
    return out;
}
