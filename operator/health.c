#include "health.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct op_health {
    op_ctx *ctx;
    struct MHD_Daemon *daemon;
};

static enum MHD_Result answer(void *arg, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)version, (void)upload, (void)upload_size, (void)state;
    op_health *h = arg;
    unsigned status = 404;
    const char *text = "not found\n";
    if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0) {
        status = 200, text = "ok\n";
    } else if (strcmp(method, "GET") == 0 && strcmp(url, "/readyz") == 0) {
        bool leading = atomic_load(&h->ctx->leading);
        if (!leading) status = 200, text = "standby\n";
        else if (atomic_load(&h->ctx->synced)) status = 200, text = "ok\n";
        else status = 503, text = "leading; caches not synced yet\n";
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* host:port, IPv4 (0.0.0.0 for every interface) or [v6]:port. */
static bool parse_address(const char *address, struct sockaddr_storage *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    const char *colon = strrchr(address, ':');
    if (!colon) return vk_status_set(st, VK_INVALID_ARGUMENT, "--health-address %s: need host:port", address), false;
    char host[128];
    size_t len = (size_t)(colon - address);
    if (len >= sizeof host) return vk_status_set(st, VK_INVALID_ARGUMENT, "--health-address: host too long"), false;
    memcpy(host, address, len);
    host[len] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return vk_status_set(st, VK_INVALID_ARGUMENT, "--health-address %s: bad port", address), false;
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
    return vk_status_set(st, VK_INVALID_ARGUMENT, "--health-address %s: not an IP address", address), false;
}

op_health *op_health_start(op_ctx *ctx, const char *address, vk_status *st) {
    struct sockaddr_storage addr;
    if (!parse_address(address, &addr, st)) return NULL;
    op_health *h = calloc(1, sizeof *h);
    h->ctx = ctx;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_END);
    if (!h->daemon) {
        free(h);
        return vk_status_set(st, VK_UNAVAILABLE, "cannot listen on --health-address %s (in use?)", address), NULL;
    }
    return h;
}

void op_health_stop(op_health *h) {
    if (!h) return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
