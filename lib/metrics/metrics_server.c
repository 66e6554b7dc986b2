#include "vk/metrics_server.h"

#include "vk/metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vk_metrics_server {
    struct MHD_Daemon *daemon;
    vk_ready_fn ready;
    void *ctx;
    int port;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
                             enum MHD_ResponseMemoryMode mode) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, mode);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result answer(void *arg, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)version, (void)upload, (void)upload_size, (void)state;
    vk_metrics_server *s = arg;
    static const char plain[] = "text/plain; charset=utf-8";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, 405, plain, "only GET\n", MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/metrics") == 0)
        return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", vk_metrics_render(), MHD_RESPMEM_MUST_FREE);
    if (strcmp(url, "/healthz") == 0) return reply(conn, 200, plain, "ok\n", MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/readyz") == 0) {
        char why[256] = "ready";
        bool ready = !s->ready || s->ready(s->ctx, why, sizeof why);
        char *body = malloc(strlen(why) + 2);
        if (!body) abort();
        snprintf(body, strlen(why) + 2, "%s\n", why);
        return reply(conn, ready ? 200 : 503, plain, body, MHD_RESPMEM_MUST_FREE);
    }
    return reply(conn, 404, plain, "not found: /metrics, /healthz, /readyz\n", MHD_RESPMEM_PERSISTENT);
}

/* host:port, IPv4 ("localhost" and "0.0.0.0" too) or [v6]:port. */
static bool parse_address(const char *address, struct sockaddr_storage *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    const char *colon = strrchr(address, ':');
    if (!colon) return vk_status_set(st, VK_INVALID_ARGUMENT, "metrics address %s: need host:port", address), false;
    char host[128];
    size_t len = (size_t)(colon - address);
    if (len >= sizeof host) return vk_status_set(st, VK_INVALID_ARGUMENT, "metrics address: host too long"), false;
    memcpy(host, address, len);
    host[len] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "metrics address %s: bad port", address), false;
    if (host[0] == '[' && len > 2 && host[len - 1] == ']') {
        host[len - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1) return true;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)out;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
        if (inet_pton(AF_INET, host, &a->sin_addr) == 1) return true;
    }
    return vk_status_set(st, VK_INVALID_ARGUMENT, "metrics address %s: not an IP address", address), false;
}

vk_metrics_server *vk_metrics_server_start(const char *address, vk_ready_fn ready, void *ctx, vk_status *st) {
    struct sockaddr_storage addr;
    if (!parse_address(address, &addr, st)) return NULL;
    vk_metrics_server *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->ready = ready;
    s->ctx = ctx;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_END);
    if (!s->daemon) {
        free(s);
        return vk_status_set(st, VK_UNAVAILABLE, "cannot listen on %s (in use?)", address), NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s;
}

int vk_metrics_server_port(const vk_metrics_server *s) { return s ? s->port : 0; }

void vk_metrics_server_stop(vk_metrics_server *s) {
    if (!s) return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
