/* SigV4 authentication of S3 requests; see s3_auth.h. */
#include "s3_auth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "s3_buf.h"
#include "s3keys.h"
#include "store.h"
#include "support.h"

#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

static bool is_hex64(const char *text) {
    if (strlen(text) != SIGV4_HEX_LEN) return false;
    for (const char *p = text; *p; p++) {
        if (!isxdigit((unsigned char)*p)) return false;
    }
    return true;
}

/* Whether name is one of the ';'-separated signed headers. */
static bool is_signed(const char *signed_headers, const char *name) {
    size_t n = strlen(name);
    for (const char *p = signed_headers; *p;) {
        size_t len = strcspn(p, ";");
        if (len == n && strncasecmp(p, name, n) == 0) return true;
        p += len + (p[len] == ';');
    }
    return false;
}

/* host and every x-amz-* header sent must be signed, as S3 insists. */
static int check_signed_headers(const s3_request *req, const sigv4_auth *auth, s3_response *resp) {
    if (!is_signed(auth->signed_headers, "host"))
        return s3_error(req, resp, 403, "AccessDenied", "The host header must be signed.");
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strncasecmp(req->headers[i].name, "x-amz-", 6) == 0 && !is_signed(auth->signed_headers, req->headers[i].name))
            return s3_error(req, resp, 403, "AccessDenied", "There were headers present in the request which were not signed");
    }
    return 0;
}

/* X-Amz-Date: YYYYMMDDTHHMMSSZ, on the credential's date and within the allowed skew. */
static int check_date(const s3_request *req, const sigv4_auth *auth, const char *amz_date, s3_response *resp) {
    struct tm tm = {0};
    const char *end = amz_date ? strptime(amz_date, "%Y%m%dT%H%M%SZ", &tm) : NULL;
    if (!end || *end)
        return s3_error(req, resp, 403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
    if (strncmp(amz_date, auth->date, 8) != 0)
        return s3_error(req, resp, 400, "AuthorizationHeaderMalformed",
                        "The authorization header is malformed; the credential date does not match X-Amz-Date.");
    long long skew = (long long)timegm(&tm) - (long long)(sim_now_ms() / 1000);
    if (skew <= S3_MAX_SKEW_S && skew >= -S3_MAX_SKEW_S) return 0;
    char now[24], extra[160];
    time_t secs = (time_t)(sim_now_ms() / 1000);
    strftime(now, sizeof now, "%Y%m%dT%H%M%SZ", gmtime_r(&secs, &tm));
    snprintf(extra, sizeof extra,
             "<RequestTime>%s</RequestTime><ServerTime>%s</ServerTime><MaxAllowedSkewMilliseconds>%d"
             "</MaxAllowedSkewMilliseconds>",
             amz_date, now, S3_MAX_SKEW_S * 1000);
    return s3_error_with(req, resp, 403, "RequestTimeTooSkewed",
                         "The difference between the request time and the current time is too large.", extra);
}

static int signature_mismatch(const s3_request *req, const sigv4_auth *auth, const char *sts, const char *canonical,
                              s3_response *resp) {
    s3_buf extra = {0};
    s3_xml_elem(&extra, "AWSAccessKeyId", auth->access_key);
    s3_xml_elem(&extra, "StringToSign", sts);
    s3_xml_elem(&extra, "SignatureProvided", auth->signature);
    s3_xml_elem(&extra, "CanonicalRequest", canonical);
    s3_error_with(req, resp, 403, "SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you provided. Check your key "
                  "and signing method.",
                  extra.data);
    s3_buf_free(&extra);
    return -1;
}

/* Compares the signature made with the key's secret; the secret is used here only. */
static int check_signature(const s3_request *req, const sigv4_auth *auth, const char *amz_date, const char *payload,
                           const char *secret, s3_response *resp) {
    sigv4_request sr = {.method = req->method, .path = req->path, .query = req->query, .n_query = req->n_query,
                        .headers = req->headers, .n_headers = req->n_headers};
    char *canonical = sigv4_canonical_request(&sr, auth, payload);
    char *sts = sigv4_string_to_sign(auth, amz_date, canonical);
    char expected[SIGV4_HEX_LEN + 1];
    sigv4_sign(auth, secret, sts, expected);
    int rc = sigv4_equal(expected, auth->signature) ? 0 : signature_mismatch(req, auth, sts, canonical, resp);
    free(canonical);
    free(sts);
    return rc;
}

static int invalid_key(const s3_request *req, const sigv4_auth *auth, s3_response *resp) {
    s3_buf extra = {0};
    s3_xml_elem(&extra, "AWSAccessKeyId", auth->access_key);
    s3_error_with(req, resp, 403, "InvalidAccessKeyId",
                  "The AWS Access Key Id you provided does not exist in our records.", extra.data);
    s3_buf_free(&extra);
    return -1;
}

/* x-amz-content-sha256: present, and either UNSIGNED-PAYLOAD or a SHA-256 (compared
 * with the body once the signature is known to be good, as S3 orders its errors). */
static int check_payload_form(const s3_request *req, const char *payload, s3_response *resp) {
    if (!payload)
        return s3_error(req, resp, 400, "InvalidRequest",
                        "Missing required header for this request: x-amz-content-sha256");
    if (strcmp(payload, UNSIGNED_PAYLOAD) == 0 || is_hex64(payload)) return 0;
    if (strncmp(payload, "STREAMING-", 10) == 0)
        return s3_error(req, resp, 501, "NotImplemented", "vms-sim does not implement streaming (aws-chunked) uploads.");
    return s3_error(req, resp, 400, "InvalidArgument",
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256 hex digest.");
}

static int check_payload_hash(const s3_request *req, const char *payload, s3_response *resp) {
    if (strcmp(payload, UNSIGNED_PAYLOAD) == 0) return 0;
    char hash[SIGV4_HEX_LEN + 1];
    sigv4_sha256_hex(req->body ? req->body : "", req->body_len, hash);
    if (strcasecmp(hash, payload) == 0) return 0;
    return s3_error(req, resp, 400, "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

int s3_authenticate(s3_request *req, s3_response *resp) {
    const char *authorization = s3_header(req, "Authorization");
    if (!authorization) return s3_error(req, resp, 403, "AccessDenied", "Access Denied (anonymous requests are refused)");
    sigv4_auth auth;
    char why[256];
    if (!sigv4_parse(authorization, &auth, why, sizeof why))
        return s3_error(req, resp, 400, "AuthorizationHeaderMalformed", why);
    if (strcmp(auth.service, "s3") != 0 || strcmp(auth.terminator, "aws4_request") != 0)
        return s3_error(req, resp, 400, "AuthorizationHeaderMalformed",
                        "The authorization header is malformed; the credential scope must end in s3/aws4_request.");
    const char *amz_date = s3_header(req, "x-amz-date");
    const char *payload = s3_header(req, "x-amz-content-sha256");
    if (check_signed_headers(req, &auth, resp) != 0 || check_date(req, &auth, amz_date, resp) != 0) return -1;
    json_t *key = s3keys_find(req->ctx, auth.access_key);
    json_t *user = key ? store_get(req->ctx->store, "users", json_integer_value(json_object_get(key, "user_id"))) : NULL;
    if (!user || !json_is_true(json_object_get(key, "enabled")) || !s3keys_secret(key))
        return invalid_key(req, &auth, resp);
    if (check_payload_form(req, payload, resp) != 0 ||
        check_signature(req, &auth, amz_date, payload, s3keys_secret(key), resp) != 0 ||
        check_payload_hash(req, payload, resp) != 0)
        return -1;
    req->user_id = json_integer_value(json_object_get(user, "id"));
    req->tenant_id = json_integer_value(json_object_get(key, "tenant_id"));
    return 0;
}
