/* rpc_metrics: what every gRPC server of the process counts (vk/metrics.h), by the
 * method's full path - calls by code and their duration from acceptance to the reply,
 * calls in flight, the wait for a worker and the calls refused before a handler ran.
 * rpc_server.c calls these at the one place each happens. */
#ifndef VK_RPC_METRICS_H
#define VK_RPC_METRICS_H

#include "vk/status.h"

/* Registers the families (so a scrape shows them before the first call); idempotent. */
void rpc_metrics_register(void);

void rpc_metrics_accepted(void);
/* method: the full path ("/csi.v1.Controller/CreateVolume"); NULL for a method this
 * server does not serve. */
void rpc_metrics_finished(const char *method, vk_code code, double seconds);
void rpc_metrics_dequeued(double waited_seconds);

typedef enum { RPC_REFUSED_QUEUE_WAIT, RPC_REFUSED_DEADLINE } rpc_refusal;
void rpc_metrics_refused(rpc_refusal reason);

#endif
