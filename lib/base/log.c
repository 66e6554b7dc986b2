/* Structured logging to stderr. A line is built in memory and written with one
 * fwrite under the stream lock, so lines from concurrent threads never interleave. */
#include "vk/log.h"
#include "vk/redact.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int current_level = VK_LOG_INFO;
static _Atomic int current_format = VK_LOG_FORMAT_LOGFMT;
static FILE *_Atomic current_stream;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void vk_log_set_level(vk_log_level level) { atomic_store(&current_level, (int)level); }
void vk_log_set_format(vk_log_format format) { atomic_store(&current_format, (int)format); }
vk_log_level vk_log_get_level(void) { return (vk_log_level)atomic_load(&current_level); }
void vk_log_set_stream(FILE *stream) { atomic_store(&current_stream, stream); }

bool vk_log_level_parse(const char *text, vk_log_level *out) {
    if (!text) return false;
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (vk_log_level)i;
            return true;
        }
    }
    if (strcmp(text, "warning") == 0) {
        *out = VK_LOG_WARN;
        return true;
    }
    return false;
}

bool vk_log_format_parse(const char *text, vk_log_format *out) {
    if (!text) return false;
    if (strcmp(text, "logfmt") == 0 || strcmp(text, "text") == 0) {
        *out = VK_LOG_FORMAT_LOGFMT;
        return true;
    }
    if (strcmp(text, "json") == 0) {
        *out = VK_LOG_FORMAT_JSON;
        return true;
    }
    return false;
}

const char *vk_fmt(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return buf;
}

/* A growable line buffer; on allocation failure the line is dropped, never the process. */
typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
} line_buf;

static void buf_put(line_buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(line_buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static bool logfmt_needs_quotes(const char *v) {
    if (*v == '\0') return true;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f) return true;
    }
    return false;
}

static void logfmt_put_value(line_buf *b, const char *v) {
    if (!logfmt_needs_quotes(v)) {
        buf_puts(b, v);
        return;
    }
    buf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': buf_put(b, "\\\"", 2); break;
        case '\\': buf_put(b, "\\\\", 2); break;
        case '\n': buf_put(b, "\\n", 2); break;
        case '\r': buf_put(b, "\\r", 2); break;
        case '\t': buf_put(b, "\\t", 2); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", *p);
                buf_puts(b, esc);
            } else {
                buf_put(b, (const char *)p, 1);
            }
        }
    }
    buf_put(b, "\"", 1);
}

static void format_timestamp(char *out, size_t size) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void write_line(const char *line, size_t len) {
    FILE *stream = atomic_load(&current_stream);
    if (!stream) stream = stderr;
    flockfile(stream);
    fwrite(line, 1, len, stream);
    fflush(stream);
    funlockfile(stream);
}

/* Every message and value passes the redactor (without secret values, which only the
 * caller knows): a URL with userinfo, an Authorization header or a password field that
 * slipped into a log line anyway is cut out here. */
static char *clean(const char *text) { return vk_redact(text, strlen(text), NULL); }

static void emit_logfmt(vk_log_level level, const char *ts, const char *msg, va_list ap) {
    line_buf b = {0};
    buf_puts(&b, "ts=");
    buf_puts(&b, ts);
    buf_puts(&b, " level=");
    buf_puts(&b, level_names[level]);
    buf_puts(&b, " msg=");
    char *text = clean(msg ? msg : "");
    logfmt_put_value(&b, text);
    free(text);
    for (const char *key; (key = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        if (!value) continue;
        buf_put(&b, " ", 1);
        buf_puts(&b, key);
        buf_put(&b, "=", 1);
        text = clean(value);
        logfmt_put_value(&b, text);
        free(text);
    }
    buf_put(&b, "\n", 1);
    if (!b.failed) write_line(b.data, b.len);
    free(b.data);
}

static void emit_json(vk_log_level level, const char *ts, const char *msg, va_list ap) {
    json_t *obj = json_object();
    if (!obj) return;
    char *text;
    json_object_set_new(obj, "ts", json_string(ts));
    json_object_set_new(obj, "level", json_string(level_names[level]));
    text = clean(msg ? msg : "");
    json_object_set_new(obj, "msg", json_string(text));
    free(text);
    for (const char *key; (key = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        if (!value) continue;
        /* json_string rejects invalid UTF-8; keep the event and mark the field. */
        text = clean(value);
        json_t *v = json_string(text);
        free(text);
        json_object_set_new(obj, key, v ? v : json_string("<invalid utf-8>"));
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!text) return;
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room only for the NUL; write the newline separately */
    write_line(text, n + 1);
    text[n] = '\0';
    free(text);
}

void vk_log_event(vk_log_level level, const char *msg, ...) {
    if (level < VK_LOG_DEBUG || level > VK_LOG_ERROR) level = VK_LOG_ERROR;
    char ts[40];
    format_timestamp(ts, sizeof ts);
    va_list ap;
    va_start(ap, msg);
    if (atomic_load(&current_format) == VK_LOG_FORMAT_JSON) {
        emit_json(level, ts, msg, ap);
    } else {
        emit_logfmt(level, ts, msg, ap);
    }
    va_end(ap);
}


