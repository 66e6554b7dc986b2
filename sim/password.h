/* Manager passwords at rest: a salted PBKDF2-HMAC-SHA256 hash in Django's text form,
 * "pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>". The password itself is never
 * stored, so neither DIR/state.json nor an answer can give it away. */
#ifndef SIM_PASSWORD_H
#define SIM_PASSWORD_H

#include <stdbool.h>

/* A fresh random salt and the hash of password (malloc'd). */
char *password_hash(const char *password);
/* Whether password hashes to stored (compared in constant time); false for a stored
 * text that is not of the form above. */
bool password_verify(const char *stored, const char *password);

#endif
