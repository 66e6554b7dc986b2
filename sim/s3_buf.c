/* Text buffer and XML output; see s3_buf.h. */
#include "s3_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

void s3_buf_addn(s3_buf *b, const char *text, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (!b->data) abort();
    }
    memcpy(b->data + b->len, text, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void s3_buf_add(s3_buf *b, const char *text) { s3_buf_addn(b, text, strlen(text)); }

void s3_buf_addf(s3_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    s3_buf_addn(b, text, (size_t)n);
    free(text);
}

char *s3_buf_take(s3_buf *b) {
    char *text = b->data ? b->data : sim_strdup("");
    *b = (s3_buf){0};
    return text;
}

void s3_buf_free(s3_buf *b) {
    free(b->data);
    *b = (s3_buf){0};
}

void s3_xml_escaped(s3_buf *b, const char *text) {
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': s3_buf_add(b, "&amp;"); break;
        case '<': s3_buf_add(b, "&lt;"); break;
        case '>': s3_buf_add(b, "&gt;"); break;
        case '"': s3_buf_add(b, "&quot;"); break;
        case '\'': s3_buf_add(b, "&apos;"); break;
        default: s3_buf_addn(b, p, 1);
        }
    }
}

void s3_xml_elem(s3_buf *b, const char *tag, const char *text) {
    s3_buf_addf(b, "<%s>", tag);
    s3_xml_escaped(b, text);
    s3_buf_addf(b, "</%s>", tag);
}
