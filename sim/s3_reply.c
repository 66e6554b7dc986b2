/* Request look-ups and S3 answers; see s3.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3.h"
#include "s3_buf.h"

const char *s3_header(const s3_request *req, const char *name) {
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
    }
    return NULL;
}

const char *s3_query(const s3_request *req, const char *key) {
    for (size_t i = 0; i < req->n_query; i++) {
        if (strcmp(req->query[i].key, key) == 0) return req->query[i].value;
    }
    return NULL;
}

void s3_set_header(s3_response *resp, const char *name, const char *fmt, ...) {
    if (resp->n_headers == S3_MAX_HEADERS_OUT) return;
    s3_header_out *h = &resp->headers[resp->n_headers++];
    snprintf(h->name, sizeof h->name, "%s", name);
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&h->value, fmt, ap) < 0) abort();
    va_end(ap);
}

int s3_error_with(const s3_request *req, s3_response *resp, int status, const char *code, const char *message,
                  const char *extra_xml) {
    s3_buf b = {0};
    s3_buf_add(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    s3_xml_elem(&b, "Code", code);
    s3_xml_elem(&b, "Message", message);
    s3_xml_elem(&b, "Resource", req->path);
    s3_xml_elem(&b, "RequestId", req->request_id);
    if (extra_xml) s3_buf_add(&b, extra_xml);
    s3_buf_add(&b, "</Error>");
    free(resp->body);
    resp->status = status;
    resp->body = s3_buf_take(&b);
    return -1;
}

int s3_error(const s3_request *req, s3_response *resp, int status, const char *code, const char *message) {
    return s3_error_with(req, resp, status, code, message, NULL);
}

int s3_xml_ok(s3_response *resp, char *body) {
    free(resp->body);
    resp->status = 200;
    resp->body = body;
    return 0;
}

void s3_response_free(s3_response *resp) {
    free(resp->body);
    resp->body = NULL;
    for (size_t i = 0; i < resp->n_headers; i++) free(resp->headers[i].value);
    resp->n_headers = 0;
}
