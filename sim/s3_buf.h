/* A growable text buffer and the XML the S3 data plane answers with (written, never
 * parsed: no request the simulator serves carries an XML body). */
#ifndef SIM_S3_BUF_H
#define SIM_S3_BUF_H

#include <stddef.h>

typedef struct {
    char *data; /* NUL-terminated once anything was added */
    size_t len, cap;
} s3_buf;

void s3_buf_addn(s3_buf *b, const char *text, size_t n);
void s3_buf_add(s3_buf *b, const char *text);
void s3_buf_addf(s3_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (malloc'd, "" when empty); the buffer is empty again. */
char *s3_buf_take(s3_buf *b);
void s3_buf_free(s3_buf *b);

/* Text with & < > " ' escaped. */
void s3_xml_escaped(s3_buf *b, const char *text);
/* <tag>escaped text</tag> */
void s3_xml_elem(s3_buf *b, const char *tag, const char *text);

#endif
