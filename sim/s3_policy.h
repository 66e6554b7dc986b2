/* S3 identity policies: the IAM-style JSON documents of s3policies/ (stored as text, as
 * VMS takes them), checked when stored and evaluated by the S3 data plane.
 *
 * Supported: {"Statement": [...] or {...}} with statements of "Effect" (Allow | Deny),
 * "Action" and "Resource" (a string or a list of strings; '*' and '?' wildcards, actions
 * compared without case as IAM does). "NotAction", "NotResource" and "NotPrincipal" are
 * refused when stored rather than silently misread. A statement with a "Condition"
 * cannot be evaluated here, so it is read on the safe side: its Deny always applies, its
 * Allow never does. A Deny wins over every Allow. */
#ifndef SIM_S3_POLICY_H
#define SIM_S3_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { S3_POLICY_NONE, S3_POLICY_ALLOW, S3_POLICY_DENY } s3_policy_effect;

/* The parsed document of a policy text if it is one we can evaluate (new ref); else NULL
 * and why in `why`. */
json_t *s3_policy_parse(const char *text, char *why, size_t size);
/* What the document says about action ("s3:GetObject") on resource
 * ("arn:aws:s3:::bucket/key"): a matching Deny, else a matching Allow, else nothing. */
s3_policy_effect s3_policy_decide(json_t *doc, const char *action, const char *resource);
/* Whether an Allow of action matches some resource that starts with prefix (the objects
 * of a bucket: "arn:aws:s3:::bucket/"). */
bool s3_policy_allows_under(json_t *doc, const char *action, const char *prefix);
/* Glob match of text against pattern ('*' any run, '?' one character). */
bool s3_policy_glob(const char *pattern, const char *text, bool fold_case);

#endif
