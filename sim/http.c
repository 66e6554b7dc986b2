/* libmicrohttpd glue: listeners, request bodies, counting, faults, dispatch; see http.h. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "faults.h"
#include "stats.h"
#include "support.h"
#include "vk/log.h"

#define MAX_BODY_BYTES (16u << 20)
#define IDLE_TIMEOUT_S 120

struct sim_listener {
    sim_ctx *ctx;
    struct MHD_Daemon *daemon;
    bool tls;
    uint16_t port;
};

/* Per-request state kept by MHD between calls of the access handler. */
typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
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

static enum MHD_Result serve(sim_listener *l, struct MHD_Connection *conn, const char *url, const char *method,
                             pending *p) {
    sim_ctx *ctx = l->ctx;
    int64_t started = sim_mono_ms();
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    char *base_url = host ? sim_printf("%s://%s", l->tls ? "https" : "http", host)
                          : sim_printf("%s://127.0.0.1:%u", l->tls ? "https" : "http", l->port);
    sim_response resp = {0};
    bool drop = false;
    if (p->too_large) {
        sim_reply_detail(&resp, 413, "Request body too large.");
        sim_response_finish(&resp);
    } else if (strncmp(url, "/_sim/", 6) == 0) {
        admin_serve(ctx, method, url + 5, p->body, p->len, base_url, &resp);
    } else {
        char version[API_VERSION_MAX], key[512];
        const char *api_path;
        bool is_api = api_split_url(url, version, &api_path);
        stats_key(key, sizeof key, method, is_api ? api_path : url);
        stats_count_request(ctx->stats, key);
        sim_fault_action fault = faults_decide(ctx->faults, method, key + strlen(method) + 1);
        if (fault.latency_ms > 0) sim_sleep_ms(ctx, fault.latency_ms);
        if (fault.error_status) {
            fault_response(fault.error_status, &resp);
        } else if (!is_api) {
            sim_reply_not_found(&resp);
            sim_response_finish(&resp);
        } else {
            serve_api(l, conn, method, version, api_path, p, base_url, &resp);
        }
        /* hang and drop act after processing: the change is made, the answer is late or
         * lost, which is what a client's retry logic must survive. */
        if (fault.hang_ms > 0) sim_sleep_ms(ctx, fault.hang_ms);
        drop = fault.drop;
    }
    if (vk_log_enabled(VK_LOG_DEBUG)) {
        char status[16], ms[24];
        VK_LOG(VK_LOG_DEBUG, "request", "method", method, "url", url, "status",
               drop ? "dropped" : vk_fmt(status, sizeof status, "%d", resp.status), "ms",
               vk_fmt(ms, sizeof ms, "%lld", (long long)(sim_mono_ms() - started)));
    }
    free(base_url);
    if (drop) {
        free(resp.text);
        return MHD_NO; /* MHD closes the connection without an answer */
    }
    return send_response(conn, &resp);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *http_version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls) {
    (void)http_version;
    pending *p = *req_cls;
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
    free(p);
    *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    (void)conn, (void)socket_context;
    sim_listener *l = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) stats_count_connection(l->ctx->stats);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = '\0';
    VK_LOG(VK_LOG_DEBUG, "libmicrohttpd", "detail", text);
}

/* Parses HOST:PORT or [HOST]:PORT into addr; only loopback addresses are accepted. */
static bool parse_loopback(const char *text, struct sockaddr_storage *addr, bool *ipv6, char *err, size_t errlen) {
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
    if (!parse_loopback(addr, &sa, &ipv6, err, errlen)) return NULL;
    sim_listener *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->ctx = ctx;
    l->tls = cert_pem != NULL;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0) | (l->tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls_options[] = {
        {l->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, l, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
                                 on_connection, l, MHD_OPTION_CONNECTION_LIMIT, (unsigned)ctx->cfg.threads,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER,
                                 on_mhd_log, l, MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    if (!l->daemon) {
        snprintf(err, errlen, "cannot listen on %s (in use, or TLS setup failed)", addr);
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
    MHD_stop_daemon(listener->daemon);
    free(listener);
}
