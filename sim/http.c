/* libmicrohttpd glue: listeners, request bodies, counting, faults, dispatch; see http.h. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "faults.h"
#include "held.h"
#include "stats.h"
#include "support.h"
#include "vk/log.h"

#define MAX_BODY_BYTES (16u << 20)
#define LISTEN_BACKLOG 128
/* Connections accepted beyond --max-connections only to be refused (503, then closed);
 * past these too, new ones wait in the listen backlog until a slot frees. */
#define OVERFLOW_SLOTS 64
/* Seconds a refused connection may stay silent before it is closed. */
#define OVERFLOW_TIMEOUT_S 1

struct sim_listener {
    sim_ctx *ctx;
    struct MHD_Daemon *daemon;
    sim_held *held; /* requests waiting out an injected latency or hang */
    atomic_uint open; /* connections open now */
    bool tls;
    uint16_t port;
};

/* Where a request is: receiving its body, waiting out an injected latency (suspended),
 * or processed and holding its answer for an injected hang (suspended). */
typedef enum { PHASE_BODY, PHASE_DELAYED, PHASE_HELD } phase;

/* Per-request state kept by MHD between calls of the access handler. */
typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
    phase phase;
    int64_t started_ms;
    sim_fault_action fault;
    sim_response resp; /* the answer, once processed */
} pending;

typedef struct {
    sim_param *items;
    size_t n, cap;
} param_list;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    param_list *list = cls;
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->items = realloc(list->items, list->cap * sizeof *list->items);
        if (!list->items) abort();
    }
    list->items[list->n++] = (sim_param){.key = key, .value = value ? value : ""};
    return MHD_YES;
}

static void append_body(pending *p, const char *data, size_t size) {
    if (p->too_large || p->len + size > MAX_BODY_BYTES) {
        p->too_large = true;
        return;
    }
    if (p->len + size + 1 > p->cap) {
        p->cap = (p->len + size + 1) * 2;
        p->body = realloc(p->body, p->cap);
        if (!p->body) abort();
    }
    memcpy(p->body + p->len, data, size);
    p->len += size;
    p->body[p->len] = '\0';
}

static enum MHD_Result send_response(struct MHD_Connection *conn, sim_response *resp) {
    struct MHD_Response *response;
    if (resp->text) {
        response = MHD_create_response_from_buffer(strlen(resp->text), resp->text, MHD_RESPMEM_MUST_FREE);
        resp->text = NULL; /* MHD frees it */
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    } else {
        response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, response);
    MHD_destroy_response(response);
    return ok;
}

static void serve_api(sim_listener *l, struct MHD_Connection *conn, const char *method, const char *version,
                      const char *api_path, const pending *p, const char *base_url, sim_response *resp) {
    param_list params = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &params);
    const char *authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    char *basic_user = NULL, *basic_password = NULL;
    if (authorization && strncasecmp(authorization, "Basic ", 6) == 0)
        basic_user = MHD_basic_auth_get_username_password(conn, &basic_password);
    sim_request req = {
        .ctx = l->ctx,
        .method = method,
        .api_version = version,
        .api_path = api_path,
        .params = params.items,
        .n_params = params.n,
        .body_text = p->body,
        .body_len = p->len,
        .base_url = base_url,
        .authorization = authorization,
        .basic_user = basic_user,
        .basic_password = basic_password,
        .tenant_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Tenant-Name"),
    };
    if (authorization && strncasecmp(authorization, "Basic ", 6) == 0 && !basic_user)
        sim_reply_detail(resp, 403, "Invalid basic header.");
    else
        api_serve(&req, resp);
    sim_response_finish(resp);
    if (basic_user) MHD_free(basic_user);
    if (basic_password) MHD_free(basic_password);
    free(params.items);
}

static void fault_response(int status, sim_response *resp) {
    if (status == 503) sim_reply_detail(resp, 503, "Service temporarily unavailable, try again later.");
    else sim_reply_detail(resp, status, "Injected fault (HTTP %d).", status);
    sim_response_finish(resp);
}

/* Suspends the request until ms from now; false (and the caller goes on at once) when
 * the listener is stopping. */
static bool hold(sim_listener *l, struct MHD_Connection *conn, long ms) {
    return ms > 0 && !atomic_load(&l->ctx->stopping) && held_suspend(l->held, conn, sim_mono_ms() + ms);
}

/* The API request proper: an injected error instead of processing, or the handlers. */
static void process_api(sim_listener *l, struct MHD_Connection *conn, const char *url, const char *method,
                        pending *p, const char *base_url) {
    char version[API_VERSION_MAX];
    const char *api_path;
    if (p->fault.error_status) fault_response(p->fault.error_status, &p->resp);
    else if (!api_split_url(url, version, &api_path)) {
        sim_reply_not_found(&p->resp);
        sim_response_finish(&p->resp);
    } else {
        serve_api(l, conn, method, version, api_path, p, base_url, &p->resp);
    }
}

/* Called again after every resume, so each phase picks up where the last one held. */
static enum MHD_Result serve(sim_listener *l, struct MHD_Connection *conn, const char *url, const char *method,
                             pending *p) {
    sim_ctx *ctx = l->ctx;
    bool is_api_request = !p->too_large && strncmp(url, "/_sim/", 6) != 0;
    if (p->phase == PHASE_BODY) {
        p->started_ms = sim_mono_ms();
        if (is_api_request) {
            char version[API_VERSION_MAX], key[512];
            const char *api_path;
            bool is_api = api_split_url(url, version, &api_path);
            stats_key(key, sizeof key, method, is_api ? api_path : url);
            stats_count_request(ctx->stats, key);
            p->fault = faults_decide(ctx->faults, method, key + strlen(method) + 1);
            p->phase = PHASE_DELAYED;
            if (hold(l, conn, p->fault.latency_ms)) return MHD_YES;
        }
    }
    if (p->phase != PHASE_HELD) {
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        char *base_url = host ? sim_printf("%s://%s", l->tls ? "https" : "http", host)
                              : sim_printf("%s://127.0.0.1:%u", l->tls ? "https" : "http", l->port);
        if (p->too_large) {
            sim_reply_detail(&p->resp, 413, "Request body too large.");
            sim_response_finish(&p->resp);
        } else if (!is_api_request) {
            admin_serve(ctx, method, url + 5, p->body, p->len, base_url, &p->resp);
        } else {
            process_api(l, conn, url, method, p, base_url);
        }
        free(base_url);
        /* hang and drop act after processing: the change is made, the answer is late or
         * lost, which is what a client's retry logic must survive. */
        p->phase = PHASE_HELD;
        if (is_api_request && hold(l, conn, p->fault.hang_ms)) return MHD_YES;
    }
    bool drop = is_api_request && p->fault.drop;
    if (vk_log_enabled(VK_LOG_DEBUG)) {
        char status[16], ms[24];
        VK_LOG(VK_LOG_DEBUG, "request", "method", method, "url", url, "status",
               drop ? "dropped" : vk_fmt(status, sizeof status, "%d", p->resp.status), "ms",
               vk_fmt(ms, sizeof ms, "%lld", (long long)(sim_mono_ms() - p->started_ms)));
    }
    if (drop) return MHD_NO; /* MHD closes the connection without an answer */
    return send_response(conn, &p->resp);
}

/* The marker on_connection leaves in a connection's socket context when it was
 * accepted beyond --max-connections. */
static char overflow_marker;

static bool is_overflow(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info && info->socket_context == &overflow_marker;
}

/* An over-limit connection's first request gets 503 at once (before any body, nothing
 * processed or counted) and the connection is closed after it. */
static enum MHD_Result refuse_overflow(sim_listener *l, struct MHD_Connection *conn) {
    sim_response resp = {0};
    sim_reply_detail(&resp, 503, "Too many connections (--max-connections %u); try again later.",
                     l->ctx->cfg.max_connections);
    sim_response_finish(&resp);
    struct MHD_Response *response = MHD_create_response_from_buffer(strlen(resp.text), resp.text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, response);
    MHD_destroy_response(response);
    return ok;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *http_version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls) {
    (void)http_version;
    pending *p = *req_cls;
    if (!p && is_overflow(conn)) return refuse_overflow(cls, conn);
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) abort();
        *req_cls = p;
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
    free(p->resp.text);
    json_decref(p->resp.body);
    free(p);
    *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    sim_listener *l = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub(&l->open, 1);
        return;
    }
    stats_count_connection(l->ctx->stats);
    if (atomic_fetch_add(&l->open, 1) >= l->ctx->cfg.max_connections) {
        /* Over the limit: refused on its first request; closed soon if it says nothing,
         * so the overflow slots cannot be held by idle clients either. */
        *socket_context = &overflow_marker;
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)OVERFLOW_TIMEOUT_S);
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = '\0';
    VK_LOG(VK_LOG_DEBUG, "libmicrohttpd", "detail", text);
}

bool http_parse_loopback(const char *text, struct sockaddr_storage *addr, bool *ipv6, char *err, size_t errlen) {
    char host[128];
    const char *colon = strrchr(text, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || !end || *end || colon[1] == '\0' || port < 0 || port > 65535) {
        snprintf(err, errlen, "%s: expected HOST:PORT", text);
        return false;
    }
    size_t n = (size_t)(colon - text);
    if (n >= 2 && text[0] == '[' && text[n - 1] == ']') text++, n -= 2;
    if (n >= sizeof host) n = sizeof host - 1;
    memcpy(host, text, n);
    host[n] = '\0';
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *ipv6 = false;
        if ((ntohl(v4->sin_addr.s_addr) >> 24) == 127) return true;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *ipv6 = true;
        if (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) return true;
    }
    snprintf(err, errlen, "%s: only loopback addresses (127.0.0.0/8, ::1, localhost) may be used", text);
    return false;
}

sim_listener *http_start(sim_ctx *ctx, const char *addr, const char *cert_pem, const char *key_pem, char *err,
                         size_t errlen) {
    struct sockaddr_storage sa;
    bool ipv6;
    if (!http_parse_loopback(addr, &sa, &ipv6, err, errlen)) return NULL;
    sim_listener *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->ctx = ctx;
    l->tls = cert_pem != NULL;
    /* Event loops (epoll), not a thread per connection: an idle or slow client costs a
     * socket and a little memory, never a thread, so idle connections cannot starve the
     * others. Held requests are suspended (held.h), so a fault never blocks a loop. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (ipv6 ? MHD_USE_IPv6 : 0) | (l->tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls_options[] = {
        {l->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    l->held = held_create();
    l->daemon = MHD_start_daemon(
        /* the logger first, so that MHD reports nothing through its own before it */
        flags, 0, NULL, NULL, on_access, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, l, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)ctx->cfg.threads, MHD_OPTION_CONNECTION_LIMIT,
        ctx->cfg.max_connections + OVERFLOW_SLOTS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ctx->cfg.idle_timeout_s,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)LISTEN_BACKLOG, MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    if (!l->daemon) {
        snprintf(err, errlen, "cannot listen on %s (in use, or TLS setup failed)", addr);
        held_release_all(l->held);
        held_destroy(l->held);
        free(l);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
    l->port = info ? info->port : 0;
    return l;
}

uint16_t http_port(const sim_listener *listener) { return listener->port; }

void http_stop(sim_listener *listener) {
    if (!listener) return;
    held_release_all(listener->held); /* MHD_stop_daemon must meet no suspended connection */
    MHD_stop_daemon(listener->daemon);
    held_destroy(listener->held);
    free(listener);
}
