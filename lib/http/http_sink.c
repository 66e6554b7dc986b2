/* http_sink: where an answer's bytes go - into the result's body, capped, or, for a
 * stream answered 2xx, cut into lines for the caller's callback. */
#include "http_internal.h"
#include "vk/deadline.h"

#include <stdlib.h>
#include <string.h>

/* Grows *buf to hold need bytes; false when realloc fails. */
static bool reserve(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return true;
    size_t grown = *cap ? *cap : 4096;
    while (grown < need) grown *= 2;
    char *p = realloc(*buf, grown);
    if (!p) return false;
    *buf = p;
    *cap = grown;
    return true;
}

static size_t keep_body(http_sink *sink, const char *data, size_t n) {
    vk_http_result *res = sink->res;
    if (res->body_len + n > sink->max_body) {
        sink->too_large = true;
        return 0; /* aborts the transfer */
    }
    if (!reserve(&res->body, &sink->cap, res->body_len + n + 1)) return 0;
    memcpy(res->body + res->body_len, data, n);
    res->body_len += n;
    res->body[res->body_len] = '\0';
    return n;
}

/* The collected line's length without a trailing '\r'. */
static size_t line_length(const http_sink *sink) {
    size_t len = sink->line_len;
    return len > 0 && sink->line[len - 1] == '\r' ? len - 1 : len;
}

/* Hands the collected line to the callback; false when it was too long or the
 * callback stopped the stream. */
static bool deliver_line(http_sink *sink) {
    size_t len = line_length(sink);
    if (len > sink->max_line) {
        sink->line_too_long = true;
        return false;
    }
    sink->line[len] = '\0';
    sink->line_len = 0;
    if (sink->stream->on_line(sink->stream->ctx, sink->line, len)) return true;
    sink->stopped = true;
    return false;
}

/* Lines may be split across chunks, and a chunk may hold several: bytes collect in the
 * line buffer until a newline. */
static size_t cut_lines(http_sink *sink, const char *data, size_t n) {
    size_t limit = sink->max_line;
    for (size_t done = 0; done < n;) {
        const char *nl = memchr(data + done, '\n', n - done);
        size_t take = nl ? (size_t)(nl - (data + done)) : n - done;
        /* +1: a "\r\n" line may carry its '\r' past the bound until it is dropped. The
         * bound holds before buffering, so a line without end cannot fill memory. */
        if (sink->line_len + take > limit + 1) {
            sink->line_too_long = true;
            return 0;
        }
        if (!reserve(&sink->line, &sink->line_cap, sink->line_len + take + 1)) return 0;
        memcpy(sink->line + sink->line_len, data + done, take);
        sink->line_len += take;
        done += take;
        if (!nl) break;
        done++; /* the newline */
        if (!deliver_line(sink)) return 0;
    }
    return n;
}

size_t http_sink_header(char *data, size_t size, size_t count, void *userp) {
    (void)data;
    http_sink *sink = userp;
    sink->last_byte_ms = vk_now_ms();
    return size * count;
}

int64_t http_sink_stalls_at(const http_sink *sink) {
    if (!sink->stream || sink->stream->idle_timeout_ms <= 0) return VK_DEADLINE_NONE;
    return sink->last_byte_ms + sink->stream->idle_timeout_ms;
}

size_t http_sink_write(char *data, size_t size, size_t count, void *userp) {
    http_sink *sink = userp;
    size_t n = size * count;
    sink->last_byte_ms = vk_now_ms();
    if (!sink->decided) {
        /* The headers are in before the first byte of body: an error answer is kept
         * whole, for the caller to read, rather than fed to the line callback. */
        long status = 0;
        curl_easy_getinfo(sink->easy, CURLINFO_RESPONSE_CODE, &status);
        sink->lines = sink->stream && status >= 200 && status < 300;
        sink->decided = true;
    }
    return sink->lines ? cut_lines(sink, data, n) : keep_body(sink, data, n);
}

void http_sink_finish(http_sink *sink) {
    if (sink->lines && !sink->stopped && sink->line_len > 0) (void)deliver_line(sink);
}

void http_sink_free(http_sink *sink) {
    /* Lines carry what bodies carry (tokens, keys): wipe them too. */
    if (sink->line) explicit_bzero(sink->line, sink->line_cap);
    free(sink->line);
    sink->line = NULL;
    sink->line_len = sink->line_cap = 0;
}
