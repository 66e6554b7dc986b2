#include "vk/redact.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Substrings that mark a value as a credential wherever they appear in a name:
 * "password", "db_passwd", "secret_access_key", "access_secret_key", "api_key". */
static const char *const sensitive_parts[] = {
    "secret", "password", "passwd", "token", "private_key", "privatekey",
    "api_key", "apikey", "access_key", "credential", "authorization", "cookie",
    /* the CSI spec marks mount_flags as possibly sensitive and not to be logged */
    "mount_flags",
};

/* Names that contain a sensitive part but hold no credential. */
static const char *const harmless_names[] = {
    "starting_token", "next_token", "access_key_id",
};

static bool contains_ci(const char *haystack, const char *needle) {
    size_t n = strlen(needle);
    for (const char *p = haystack; *p; p++) {
        if (strncasecmp(p, needle, n) == 0) return true;
    }
    return false;
}

bool vk_redact_is_sensitive(const char *name) {
    if (!name) return false;
    for (size_t i = 0; i < sizeof harmless_names / sizeof harmless_names[0]; i++) {
        if (strcasecmp(name, harmless_names[i]) == 0) return false;
    }
    for (size_t i = 0; i < sizeof sensitive_parts / sizeof sensitive_parts[0]; i++) {
        if (contains_ci(name, sensitive_parts[i])) return true;
    }
    return false;
}
