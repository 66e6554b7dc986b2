/* What must never reach a log or an error message, and the one redactor that removes it.
 *
 * Structured data (protobuf messages, JSON requests) is redacted by name: protoc-c drops
 * the spec's csi_secret/cosi_secret field options, so sensitivity is decided by the field
 * or map key itself (vk_redact_is_sensitive).
 *
 * Free text that may quote a backend - an error answer, a proxy's error page echoing our
 * request, a transport error naming a URL - goes through vk_redact(), which replaces with
 * "***" everything it recognises as a credential:
 *   - userinfo in URLs: in scheme://user:pass@host, "user:pass" becomes "***";
 *   - the values of the call's own secrets (password, API token, access/refresh tokens),
 *     raw or in any mix of percent-, JSON- and HTML-escaping, one level of JSON-in-JSON
 *     included. A value of 4 characters or more is removed wherever it occurs; a shorter
 *     one only where it stands as a whole value (after a quote, '=' or ':', up to a
 *     delimiter), because removing every "ab" from a message garbles it for nothing;
 *   - header values: Authorization, Proxy-Authorization, Cookie, Set-Cookie and X-...
 *     headers carrying a token, key, secret or password, up to the end of the line;
 *   - field values in quoted bodies: JSON keys (also escaped inside a JSON string or as
 *     &quot;) and form/query/logfmt keys (key=value) named as vk_redact_is_sensitive says,
 *     or exactly "access" / "refresh" (the token answer's fields). A bare `password: x`
 *     is left alone: VMS's own field errors look like that ("password: This field may
 *     not be blank.").
 * The redactor cannot know a stranger's secret in free prose; it knows the call's own
 * values and the shapes above. */
#ifndef VK_REDACT_H
#define VK_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define VK_REDACTED "***stripped***"
/* What vk_redact puts where a credential was. */
#define VK_REDACT_MARK "***"

/* True for `secrets`, `credentials`, `mount_flags` (the CSI spec says they may be
 * sensitive), and names that carry a password, a secret, a
 * private or API key, or a token (except the pagination tokens `starting_token` and
 * `next_token`, which are opaque cursors, not credentials). Case-insensitive. */
bool vk_redact_is_sensitive(const char *name);

/* The secret values one call knows. Borrowed pointers; NULL and "" are ignored. */
#define VK_SECRETS_MAX 8
typedef struct {
    const char *value[VK_SECRETS_MAX];
    size_t count;
} vk_secrets;

/* Adds value (ignored when NULL, empty, already there, or the set is full). */
void vk_secrets_add(vk_secrets *s, const char *value);

/* A malloc'd copy of text[0..len) with every credential it recognises replaced by "***"
 * (see above). secrets may be NULL. Never returns NULL (memory exhaustion aborts). */
char *vk_redact(const char *text, size_t len, const vk_secrets *secrets);

/* vk_redact into a caller buffer (size > 0), cut to fit on a UTF-8 boundary. */
void vk_redact_into(const char *text, const vk_secrets *secrets, char *out, size_t size);

/* The form of an answer body fit to quote in a message: an HTML page becomes its text
 * (tags dropped, entities decoded), the text is redacted (before and after that step),
 * whitespace runs fold into one space, and at most max bytes are kept ("..." marks a
 * cut). Only the first 64 KiB of body are read; the cut is made so that no part of a
 * secret crossing it survives. out gets at most size - 1 bytes. */
void vk_redact_body(const char *body, size_t len, const vk_secrets *secrets, size_t max, char *out, size_t size);

/* The printable form of an endpoint or URL as a user wrote it: userinfo becomes "***@",
 * and a path, query or fragment is replaced by "/...", "?..." or "#...", so the scheme,
 * host and port are all that shows. */
void vk_redact_url(const char *url, char *out, size_t size);

/* True when the authority of url (or of host[:port] text without a scheme) carries
 * userinfo (an '@' before the host). */
bool vk_url_has_userinfo(const char *url);

#endif
