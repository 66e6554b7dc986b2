/* AWS Signature Version 4 as S3 checks it (Authorization header form): the header's
 * parts, the canonical request, the string to sign, the derived signing key and the
 * signature. Pure computation over what the client sent, so the data plane can compare
 * signatures without trusting any client's library (docs/vms-sim.md, "S3 data plane").
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html */
#ifndef SIM_SIGV4_H
#define SIM_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

#include "sim.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_HEX_LEN 64

typedef struct {
    const char *name; /* as received; compared without case */
    const char *value;
} sigv4_header;

/* A request as the client signed it. Path and query are percent-decoded; they are
 * encoded again here the way SigV4 prescribes, so the client's own encoding choices
 * (which characters it escaped) do not matter. */
typedef struct {
    const char *method;
    const char *path; /* "/bucket/some key" */
    const sim_param *query;
    size_t n_query;
    const sigv4_header *headers;
    size_t n_headers;
} sigv4_request;

/* Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260131/us-east-1/s3/aws4_request,
 * SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=<64 hex> */
typedef struct {
    char access_key[129];
    char date[9];    /* YYYYMMDD of the credential scope */
    char region[64];
    char service[32];
    char terminator[16];
    char signed_headers[1024]; /* "host;x-amz-date", lowercase, ';'-separated */
    char signature[SIGV4_HEX_LEN + 1];
} sigv4_auth;

/* Splits the header; false with why set when it is not this form. */
bool sigv4_parse(const char *authorization, sigv4_auth *out, char *why, size_t size);
/* The canonical request (malloc'd) for payload_hash (the x-amz-content-sha256 value). */
char *sigv4_canonical_request(const sigv4_request *req, const sigv4_auth *auth, const char *payload_hash);
/* The string to sign (malloc'd) for a canonical request and the request's X-Amz-Date. */
char *sigv4_string_to_sign(const sigv4_auth *auth, const char *amz_date, const char *canonical);
/* The hex signature of string_to_sign with secret, for the auth's date and scope. */
void sigv4_sign(const sigv4_auth *auth, const char *secret, const char *string_to_sign, char out[SIGV4_HEX_LEN + 1]);
/* Lowercase hex SHA-256 of data. */
void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1]);
/* Whether two NUL-terminated strings are equal, in time that does not depend on where
 * they differ (signature comparison). */
bool sigv4_equal(const char *a, const char *b);
/* AWS's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ as %XX (and '/' too unless
 * keep_slash). malloc'd. */
char *sigv4_uri_encode(const char *text, bool keep_slash);

#endif
