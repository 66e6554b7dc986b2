/* The observability endpoint of each daemon, on its own HTTP port (libmicrohttpd, one
 * internal thread, separate from the gRPC socket so a scrape never waits behind RPCs):
 *   GET /metrics  the registry (vk/metrics.h) in Prometheus text format 0.0.4;
 *   GET /healthz  200 "ok" while the process serves;
 *   GET /readyz   200 or 503 as the daemon's ready callback says (with its words).
 * Anything else is 404. Connections are bounded (64) and time out after 10 s. */
#ifndef VK_METRICS_SERVER_H
#define VK_METRICS_SERVER_H

#include "vk/status.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct vk_metrics_server vk_metrics_server;

/* ready(ctx, why, size): true when ready; why says what it is (either way). NULL:
 * always ready. */
typedef bool (*vk_ready_fn)(void *ctx, char *why, size_t size);

/* address: host:port (IPv4, "localhost", "0.0.0.0", or [v6]:port; port 0 picks one).
 * NULL with st when it cannot be listened on. */
vk_metrics_server *vk_metrics_server_start(const char *address, vk_ready_fn ready, void *ctx, vk_status *st);

/* The port listened on (the chosen one for port 0). */
int vk_metrics_server_port(const vk_metrics_server *s);

void vk_metrics_server_stop(vk_metrics_server *s);

#endif
