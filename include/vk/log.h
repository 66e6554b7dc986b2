/* Structured logging: one line per event on stderr, logfmt (default) or JSON.
 *
 *   VK_LOG(VK_LOG_INFO, "rpc finished", "method", path, "code", "OK");
 *
 * Fields are key/value string pairs; the macro adds the terminating NULL. Values are
 * quoted and escaped as the format needs, so any text is safe to pass. Callers never
 * pass secrets: request messages go through vk_pbjson with redaction first. */
#ifndef VK_LOG_H
#define VK_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    VK_LOG_DEBUG = 0,
    VK_LOG_INFO = 1,
    VK_LOG_WARN = 2,
    VK_LOG_ERROR = 3,
} vk_log_level;

typedef enum {
    VK_LOG_FORMAT_LOGFMT = 0,
    VK_LOG_FORMAT_JSON = 1,
} vk_log_format;

/* Both setters are meant for start-up, before threads log. */
void vk_log_set_level(vk_log_level level);
void vk_log_set_format(vk_log_format format);
vk_log_level vk_log_get_level(void);

/* Parses "debug|info|warn|error" (and "warning"); false on anything else. */
bool vk_log_level_parse(const char *text, vk_log_level *out);
/* Parses "logfmt|text|json"; false on anything else. */
bool vk_log_format_parse(const char *text, vk_log_format *out);

static inline bool vk_log_enabled(vk_log_level level) { return level >= vk_log_get_level(); }

/* Writes one event; the variadic part is key, value, key, value, ..., NULL.
 * A pair whose value is NULL is left out, so optional fields cost no branch at the call. */
void vk_log_event(vk_log_level level, const char *msg, ...);
#define VK_LOG(level, ...) \
    do { \
        if (vk_log_enabled(level)) vk_log_event((level), __VA_ARGS__, (const char *)NULL); \
    } while (0)

/* Formats into a caller buffer for use as a log value: VK_LOG(..., "n", vk_fmt(buf, sizeof buf, "%d", n)). */
const char *vk_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));


/* Redirects output (tests); NULL restores stderr. */
#include <stdio.h>
void vk_log_set_stream(FILE *stream);

#endif
