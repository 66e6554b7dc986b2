/* libmicrohttpd glue of the S3 data plane; see s3_listener.h. */
#include "s3_listener.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "s3.h"
#include "support.h"
#include "vk/log.h"

#define S3_THREADS 4

struct s3_listener {
    sim_ctx *ctx;
    struct MHD_Daemon *daemon;
    uint16_t port;
};

typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
} pending;

typedef struct {
    void *items;
    size_t n, cap, size;
} list;

static void *list_push(list *l) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = realloc(l->items, l->cap * l->size);
        if (!l->items) abort();
    }
    return (char *)l->items + l->size * l->n++;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* %XX decoded (a '%' not followed by two hex digits stays as it is); NULL when the
 * result would hold a NUL byte, which no path or parameter may. */
static char *percent_decode(const char *text) {
    char *out = sim_xmalloc(strlen(text) + 1), *o = out;
    for (const char *p = text; *p; p++) {
        int hi = p[0] == '%' ? hex_value(p[1]) : -1, lo = hi >= 0 ? hex_value(p[2]) : -1;
        if (lo >= 0) {
            *o = (char)(hi * 16 + lo);
            if (*o++ == '\0') {
                free(out);
                return NULL;
            }
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* MHD's own unescaping is switched off: the raw text is kept for percent_decode. */
static size_t keep_raw(void *cls, struct MHD_Connection *conn, char *uri) {
    (void)cls, (void)conn;
    return strlen(uri);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    *(sigv4_header *)list_push(cls) = (sigv4_header){.name = key, .value = value ? value : ""};
    return MHD_YES;
}

typedef struct {
    list params;
    bool bad;
} query_list;

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    query_list *q = cls;
    char *k = percent_decode(key), *v = percent_decode(value ? value : "");
    if (!k || !v) {
        q->bad = true;
        free(k);
        free(v);
        return MHD_YES;
    }
    *(sim_param *)list_push(&q->params) = (sim_param){.key = k, .value = v};
    return MHD_YES;
}

static struct MHD_Response *make_response(s3_response *resp) {
    struct MHD_Response *r;
    if (resp->fd >= 0) {
        r = MHD_create_response_from_fd_at_offset64(resp->length, resp->fd, resp->offset); /* MHD closes the fd */
        resp->fd = -1;
    } else if (resp->body) {
        r = MHD_create_response_from_buffer(strlen(resp->body), resp->body, MHD_RESPMEM_MUST_FREE);
        resp->body = NULL; /* MHD frees it */
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/xml");
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    for (size_t i = 0; i < resp->n_headers; i++) MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    return r;
}

static void free_query(query_list *q) {
    for (size_t i = 0; i < q->params.n; i++) {
        sim_param *p = (sim_param *)q->params.items + i;
        free((char *)p->key);
        free((char *)p->value);
    }
    free(q->params.items);
}

static enum MHD_Result serve(s3_listener *l, struct MHD_Connection *conn, const char *url, const char *method,
                             pending *p) {
    int64_t started = sim_mono_ms();
    list headers = {.size = sizeof(sigv4_header)};
    query_list query = {.params = {.size = sizeof(sim_param)}};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &headers);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &query);
    char *path = percent_decode(url);
    s3_request req = {.ctx = l->ctx, .method = method, .path = path ? path : url, .query = query.params.items,
                      .n_query = query.params.n, .headers = headers.items, .n_headers = headers.n, .body = p->body,
                      .body_len = p->len, .too_large = p->too_large};
    sim_random_hex(req.request_id, 8);
    s3_response resp = {.fd = -1};
    if (!path || query.bad) s3_error(&req, &resp, 400, "InvalidURI", "Couldn't parse the specified URI.");
    else s3_serve(&req, &resp);
    s3_set_header(&resp, "x-amz-request-id", "%s", req.request_id);
    struct MHD_Response *response = make_response(&resp);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp.status, response);
    MHD_destroy_response(response);
    if (vk_log_enabled(VK_LOG_DEBUG)) {
        char status[16], ms[24];
        VK_LOG(VK_LOG_DEBUG, "s3 request", "method", method, "url", url, "status",
               vk_fmt(status, sizeof status, "%d", resp.status), "ms",
               vk_fmt(ms, sizeof ms, "%lld", (long long)(sim_mono_ms() - started)));
    }
    s3_response_free(&resp);
    free(path);
    free(headers.items);
    free_query(&query);
    return ok;
}

static void append_body(pending *p, const char *data, size_t size) {
    if (p->too_large || p->len + size > S3_MAX_BODY_BYTES) {
        p->too_large = true; /* the rest is read and dropped; the answer is EntityTooLarge */
        return;
    }
    if (p->len + size + 1 > p->cap) {
        p->cap = (p->len + size + 1) * 2;
        p->body = realloc(p->body, p->cap);
        if (!p->body) abort();
    }
    memcpy(p->body + p->len, data, size);
    p->len += size;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls) {
    (void)version;
    pending *p = *req_cls;
    if (!p) {
        *req_cls = p = calloc(1, sizeof *p);
        if (!p) abort();
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        append_body(p, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return serve(cls, conn, url, method, p);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)conn, (void)toe;
    pending *p = *req_cls;
    if (!p) return;
    free(p->body);
    free(p);
    *req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    text[strcspn(text, "\r\n")] = '\0';
    VK_LOG(VK_LOG_DEBUG, "libmicrohttpd (s3)", "detail", text);
}

s3_listener *s3_listener_start(sim_ctx *ctx, const char *addr, const char *cert_pem, const char *key_pem, char *err,
                               size_t errlen) {
    struct sockaddr_storage sa;
    bool ipv6;
    if (!http_parse_loopback(addr, &sa, &ipv6, err, errlen)) return NULL;
    s3_listener *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->ctx = ctx;
    bool tls = cert_pem != NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0) |
                     (tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls_options[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    l->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_UNESCAPE_CALLBACK, keep_raw, l,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)S3_THREADS, MHD_OPTION_CONNECTION_LIMIT, ctx->cfg.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ctx->cfg.idle_timeout_s, MHD_OPTION_ARRAY, tls_options,
        MHD_OPTION_END);
    if (!l->daemon) {
        snprintf(err, errlen, "cannot listen on %s for S3 (in use, or TLS setup failed)", addr);
        free(l);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
    l->port = info ? info->port : 0;
    return l;
}

uint16_t s3_listener_port(const s3_listener *listener) { return listener->port; }

void s3_listener_stop(s3_listener *listener) {
    if (!listener) return;
    MHD_stop_daemon(listener->daemon);
    free(listener);
}
