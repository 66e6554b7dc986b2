/* A unary gRPC server on gRPC core's C API.
 *
 * Two lanes: the worker lane serves the Controller, Node and COSI methods, which may
 * block on the backend: an intake thread takes calls off its completion queue and N
 * worker threads run them, so the time a call waits for a worker is measured and
 * bounded (max_queue_wait_ms). The fast lane (its own queue and thread) serves
 * Identity, so a kubelet liveness Probe never waits behind slow calls. Unknown methods
 * are answered UNIMPLEMENTED at once on the fast lane.
 *
 * A handler runs on a lane thread, gets the decoded request and returns a status code.
 * On OK it sets *response to a message it built from the call's arena (vk_rpc_alloc);
 * on failure it returns vk_rpc_fail(call, code, "message ..."). The runtime packs and
 * sends the reply, frees the arena, and logs method, duration and code. */
#ifndef VK_RPC_SERVER_H
#define VK_RPC_SERVER_H

#include "vk/endpoint.h"
#include "vk/status.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct vk_rpc_server vk_rpc_server;
typedef struct vk_rpc_call vk_rpc_call;

typedef vk_code (*vk_rpc_handler)(vk_rpc_call *call, const ProtobufCMessage *request,
                                           ProtobufCMessage **response);

typedef enum {
    VK_RPC_LANE_WORKERS,
    VK_RPC_LANE_FAST,
} vk_rpc_lane;

typedef struct {
    vk_endpoint endpoint;
    int workers;           /* threads of the worker lane, >= 1 */
    int shutdown_grace_ms; /* how long in-flight calls may run after SIGTERM */
    int max_queue_wait_ms; /* a worker-lane call that waited longer for a worker is
                              answered UNAVAILABLE without running; 0 = no limit */
} vk_rpc_server_config;

/* Routes gRPC core's own log lines (gpr_log) through the project's logger. */
void vk_log_capture_grpc(void);

vk_rpc_server *vk_rpc_server_new(const vk_rpc_server_config *config);

/* Registers every method of service. Methods named in `handlers` (NULL-terminated list of
 * method name + handler pairs) are served by them; the other methods of the service
 * answer UNIMPLEMENTED naming the method. `user` is passed to handlers through
 * vk_rpc_call_user. Call before vk_rpc_server_start. */
typedef struct {
    const char *method; /* e.g. "Probe" */
    vk_rpc_handler handler;
} vk_rpc_method_handler;

bool vk_rpc_server_add_service(vk_rpc_server *server, const ProtobufCServiceDescriptor *service,
                               const vk_rpc_method_handler *handlers, void *user, vk_rpc_lane lane,
                               vk_status *st);

/* Binds the endpoint (see vk_endpoint_prepare_listen) and starts the lanes. */
bool vk_rpc_server_start(vk_rpc_server *server, vk_status *st);

/* Graceful stop: refuses new calls, lets in-flight calls finish within the grace period,
 * then cancels the rest and waits for their handlers to return. Safe to call once. */
void vk_rpc_server_shutdown(vk_rpc_server *server);

/* Frees a server that was never started or has been shut down. */
void vk_rpc_server_free(vk_rpc_server *server);

/* Calls accepted and not yet finished (for tests and metrics). */
int vk_rpc_server_in_flight(vk_rpc_server *server);

/* Totals since start: calls whose reply went out with OK or with an error, and calls
 * whose client had gone (cancelled, deadline, disconnect) when the reply completed. */
typedef struct {
    uint64_t finished_ok;
    uint64_t finished_error;
    uint64_t client_gone;
} vk_rpc_server_counters;
vk_rpc_server_counters vk_rpc_server_counters_get(vk_rpc_server *server);

/* --- inside a handler --- */
void *vk_rpc_call_user(const vk_rpc_call *call);
const char *vk_rpc_call_method(const vk_rpc_call *call); /* "/csi.v1.Identity/Probe" */
/* Milliseconds until the client's deadline; INT64_MAX when it set none. */
int64_t vk_rpc_call_remaining_ms(const vk_rpc_call *call);
/* The client's deadline as an absolute vk/deadline.h value (VK_DEADLINE_NONE if none). */
int64_t vk_rpc_call_deadline(const vk_rpc_call *call);
/* Zeroed memory and strings that live until the reply has been sent. */
void *vk_rpc_alloc(vk_rpc_call *call, size_t size);
char *vk_rpc_strdup(vk_rpc_call *call, const char *s);
/* Records the failure message and returns code. */
vk_code vk_rpc_fail(vk_rpc_call *call, vk_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, taking a status filled by a lower layer. */
vk_code vk_rpc_fail_status(vk_rpc_call *call, const vk_status *st);

/* A new, initialized message of type desc from the call's arena (never NULL):
 *   Csi__V1__ProbeResponse *r = vk_rpc_new_message(call, &csi__v1__probe_response__descriptor); */
void *vk_rpc_new_message(vk_rpc_call *call, const ProtobufCMessageDescriptor *desc);

#endif
