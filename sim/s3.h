/* The S3 data plane's request and response, shared by its listener (s3_listener.c),
 * authentication (s3_auth.c), access rules (s3_access.c) and operations (s3_ops.c,
 * s3_list.c, s3_fs.c). Path-style S3 over the view directories of buckets: see
 * docs/vms-sim.md, "S3 data plane". */
#ifndef SIM_S3_H
#define SIM_S3_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sigv4.h"
#include "sim.h"

#define S3_MAX_BODY_BYTES (64u << 20)
#define S3_MAX_HEADERS_OUT 8

/* Everything is borrowed from the listener for the duration of the call. */
typedef struct {
    sim_ctx *ctx;
    const char *method;
    const char *path; /* percent-decoded: "/", "/bucket", "/bucket/some/key" */
    const sim_param *query; /* percent-decoded */
    size_t n_query;
    const sigv4_header *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
    bool too_large;
    char request_id[17];
    /* set by s3_authenticate */
    json_int_t user_id;
    json_int_t tenant_id; /* the key's tenant: the only one it works in */
} s3_request;

typedef struct {
    char name[40];
    char *value; /* malloc'd */
} s3_header_out;

typedef struct {
    int status;
    char *body;       /* malloc'd XML, or NULL */
    int fd;           /* an object's file to send (GET, HEAD), or -1 */
    uint64_t offset, length; /* the part of fd to send */
    s3_header_out headers[S3_MAX_HEADERS_OUT];
    size_t n_headers;
} s3_response;

/* Serves one request (s3_ops.c); on return resp is complete. */
void s3_serve(s3_request *req, s3_response *resp);

/* A request header's value (name compared without case), or NULL. */
const char *s3_header(const s3_request *req, const char *name);
/* A query parameter's value, or NULL. */
const char *s3_query(const s3_request *req, const char *key);
/* Adds a response header (dropped past S3_MAX_HEADERS_OUT, which no answer reaches). */
void s3_set_header(s3_response *resp, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An S3 error: <Error><Code>..</Code><Message>..</Message><Resource>..</Resource>
 * <RequestId>..</RequestId></Error> with status. Returns -1 for `return s3_error(...)`. */
int s3_error(const s3_request *req, s3_response *resp, int status, const char *code, const char *message);
/* The same with extra elements (already XML) before the closing tag. */
int s3_error_with(const s3_request *req, s3_response *resp, int status, const char *code, const char *message,
                  const char *extra_xml);
/* A 200 XML answer (body malloc'd, taken). */
int s3_xml_ok(s3_response *resp, char *body);
/* Frees what the response holds (not the fd, which the listener hands to MHD). */
void s3_response_free(s3_response *resp);

#endif
