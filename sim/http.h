/* The HTTP(S) listeners (libmicrohttpd): --threads event-loop threads per listener
 * serve up to --max-connections connections; one idle for --idle-timeout seconds is
 * closed. An injected latency or hang suspends only its own connection (held.h). Every
 * request is counted, passed through the fault rules, and handed to the admin or the
 * API handlers. */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sim.h"

typedef struct sim_listener sim_listener;

/* Listens on addr ("127.0.0.1:8443", "[::1]:0", "localhost:0"; loopback only). With
 * cert_pem/key_pem it serves HTTPS. NULL and a message in err on failure. */
sim_listener *http_start(sim_ctx *ctx, const char *addr, const char *cert_pem, const char *key_pem, char *err,
                         size_t errlen);
/* Parses HOST:PORT, [HOST]:PORT or localhost:PORT into addr; only loopback addresses
 * are accepted (the S3 listener uses it too). */
bool http_parse_loopback(const char *text, struct sockaddr_storage *addr, bool *ipv6, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
uint16_t http_port(const sim_listener *listener);
/* Stops accepting, releases held requests, closes connections, waits for the threads,
 * frees. */
void http_stop(sim_listener *listener);

#endif
