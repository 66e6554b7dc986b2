/* What must never reach a log. protoc-c drops the spec's csi_secret/cosi_secret field
 * options, so sensitivity is decided by name: the field or map key itself. */
#ifndef VK_REDACT_H
#define VK_REDACT_H

#include <stdbool.h>

#define VK_REDACTED "***stripped***"

/* True for `secrets`, `credentials`, `mount_flags` (the CSI spec says they may be
 * sensitive), and names that carry a password, a secret, a
 * private or API key, or a token (except the pagination tokens `starting_token` and
 * `next_token`, which are opaque cursors, not credentials). Case-insensitive. */
bool vk_redact_is_sensitive(const char *name);

#endif
