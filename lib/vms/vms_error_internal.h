/* Private to lib/vms: filling a vms_error (vms_error.c) - from an HTTP error answer,
 * from a failed exchange of the http layer, or by hand - always through the redactor. */
#ifndef VK_VMS_ERROR_INTERNAL_H
#define VK_VMS_ERROR_INTERNAL_H

#include "vk/http.h"
#include "vk/redact.h"
#include "vk/vms_error.h"

#include <stddef.h>

/* Fills err from an HTTP error answer (detail/code/field map, or a proxy page's text),
 * redacted with secrets (may be NULL) and capped. */
void vms_error_from_http(vms_error *err, long status, const char *body, size_t len, const vk_secrets *secrets);
/* Fills err from an exchange that got no answer: kind and cause as the http layer
 * classed them, curl's words, and - for certificate trouble - which CAs were trusted
 * (ca_file, ca_pem: the client's, either may be NULL). Redacted with secrets. */
void vms_error_from_transport(vms_error *err, const vk_http_result *res, const char *ca_file, const char *ca_pem,
                              const vk_secrets *secrets);
/* Records which request failed on which cluster (path without the base). */
void vms_error_note_request(vms_error *err, const char *endpoint, const char *method, const char *path);
/* Sets kind and a message (printf-style); the message passes the redactor (without
 * secret values: callers compose it from paths, names and numbers). Clears the cause. */
void vms_error_set(vms_error *err, vms_error_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
