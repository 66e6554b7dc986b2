/* Where a gRPC server listens or a client connects.
 *
 * Accepted forms:
 *   unix:///abs/path.sock   canonical (what Kubernetes manifests pass in CSI_ENDPOINT)
 *   unix:/abs/path.sock     also accepted
 *   /abs/path.sock          bare path, taken as a unix socket
 *   tcp://host:port         for debugging only
 *   host:port, [v6]:port    likewise
 * Unix paths must be absolute and at most 107 bytes (the kernel's sun_path). */
#ifndef VK_ENDPOINT_H
#define VK_ENDPOINT_H

#include "vk/status.h"

#include <stdbool.h>

#define VK_UNIX_PATH_MAX 107

typedef enum {
    VK_ENDPOINT_UNIX,
    VK_ENDPOINT_TCP,
} vk_endpoint_kind;

typedef struct {
    vk_endpoint_kind kind;
    char path[VK_UNIX_PATH_MAX + 1]; /* unix: the socket file */
    char host[256];                  /* tcp: host name or address, without brackets */
    int port;                        /* tcp */
    char target[300];                /* what gRPC core takes: "unix:/p" or "host:port" */
} vk_endpoint;

/* Parses text into *out; on failure fills st with INVALID_ARGUMENT and a message
 * naming the text and the accepted forms. */
bool vk_endpoint_parse(const char *text, vk_endpoint *out, vk_status *st);

/* Readies a unix endpoint for listening: creates the parent directories, removes a
 * socket left behind by a dead process, and refuses (FAILED_PRECONDITION) a regular
 * file or other non-socket at the path, or a socket another live process is serving.
 * TCP endpoints need nothing. */
bool vk_endpoint_prepare_listen(const vk_endpoint *ep, vk_status *st);

#endif
