/* Who sent an S3 request: the Authorization header checked with AWS Signature Version 4
 * against the secret of its access key (locals3keys/). A key that is unknown, disabled or
 * whose user is gone answers 403 InvalidAccessKeyId, a wrong signature 403
 * SignatureDoesNotMatch, a clock more than 15 minutes off 403 RequestTimeTooSkewed, a
 * body whose SHA-256 is not the signed x-amz-content-sha256 400
 * XAmzContentSHA256Mismatch (UNSIGNED-PAYLOAD is accepted). Runs under the store lock. */
#ifndef SIM_S3_AUTH_H
#define SIM_S3_AUTH_H

#include "s3.h"

#define S3_MAX_SKEW_S (15 * 60)

/* Sets req->user_id and req->tenant_id, or answers the error and returns -1. */
int s3_authenticate(s3_request *req, s3_response *resp);

#endif
