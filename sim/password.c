/* Password hashing; see password.h. */
#include "password.h"

#include <nettle/memops.h>
#include <nettle/pbkdf2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* Far below Django's 600,000: HTTP Basic checks the password on every request, and the
 * tests run under valgrind and ASan. The simulator guards test passwords, not real ones;
 * what matters is that the state file cannot be read back into the password. */
#define ITERATIONS 1000
#define SALT_BYTES 16
#define HASH_BYTES 32
#define PREFIX "pbkdf2_sha256"

static void to_hex(const uint8_t *bytes, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

static void derive(const char *password, const char *salt_hex, unsigned iterations, char out[2 * HASH_BYTES + 1]) {
    uint8_t digest[HASH_BYTES];
    pbkdf2_hmac_sha256(strlen(password), (const uint8_t *)password, iterations, strlen(salt_hex),
                       (const uint8_t *)salt_hex, sizeof digest, digest);
    to_hex(digest, sizeof digest, out);
}

char *password_hash(const char *password) {
    char salt[2 * SALT_BYTES + 1], hash[2 * HASH_BYTES + 1];
    sim_random_hex(salt, SALT_BYTES);
    derive(password, salt, ITERATIONS, hash);
    return sim_printf(PREFIX "$%u$%s$%s", ITERATIONS, salt, hash);
}

bool password_verify(const char *stored, const char *password) {
    char salt[2 * SALT_BYTES + 1], want[2 * HASH_BYTES + 1], have[2 * HASH_BYTES + 1];
    unsigned iterations;
    int end = 0;
    if (!stored || !password) return false;
    if (sscanf(stored, PREFIX "$%u$%32[0-9a-f]$%64[0-9a-f]%n", &iterations, salt, want, &end) != 3 ||
        stored[end] != '\0' || strlen(want) != 2 * HASH_BYTES || iterations == 0 || iterations > 10000000)
        return false;
    derive(password, salt, iterations, have);
    return memeql_sec(have, want, sizeof have - 1) != 0;
}
