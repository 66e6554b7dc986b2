/* Small helpers shared by the simulator's modules: clocks and timestamps, random
 * identifiers, atomic file replacement, version numbers, interruptible sleeps. */
#ifndef SIM_SUPPORT_H
#define SIM_SUPPORT_H

#include "sim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Wall-clock milliseconds since the epoch (persisted times: expiries, task deadlines). */
int64_t sim_now_ms(void);
/* Monotonic milliseconds (durations and pacing only). */
int64_t sim_mono_ms(void);

#define SIM_ISO_MAX 40
/* "2026-01-31T12:00:00.123000Z", the form Django REST framework renders datetimes in. */
void sim_iso8601(char out[SIM_ISO_MAX], int64_t epoch_ms);
/* Accepts "YYYY-MM-DDTHH:MM:SS" (or a space instead of T), optional fraction, and
 * "Z", "+HH:MM" or nothing (= UTC). */
bool sim_parse_iso8601(const char *text, int64_t *epoch_ms);

/* Cryptographically random bytes from the kernel; aborts on failure (never expected). */
void sim_random_bytes(void *buf, size_t len);
/* 2*nbytes lowercase hex characters plus NUL into out. */
void sim_random_hex(char *out, size_t nbytes);
/* Random uppercase letters and digits, len characters plus NUL. */
void sim_random_alnum(char *out, size_t len);
/* Random letters, digits, '+' and '/' (the alphabet of AWS secret keys), len plus NUL. */
void sim_random_secret(char *out, size_t len);
void sim_uuid4(char out[37]);
/* Uniform in [0, 1). */
double sim_random_unit(void);

/* "X.Y.Z" -> X*1000000 + Y*1000 + Z; -1 when malformed. */
int sim_version_code(const char *text);

/* Sleeps ms in short steps; returns false early once ctx->stopping is set. */
bool sim_sleep_ms(sim_ctx *ctx, int64_t ms);

/* Replaces path with data: temp file in the same directory, fsync, rename, fsync of the
 * directory, so a crash leaves either the old or the new file, never a torn one. */
int sim_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* malloc'd printf; aborts on allocation failure like the rest of the simulator. */
char *sim_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *sim_strdup(const char *text);
void *sim_xmalloc(size_t size);

#endif
