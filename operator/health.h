/* /healthz and /readyz over libmicrohttpd, for the kubelet's probes.
 *   /healthz: 200 while the process serves (a wedged process stops answering);
 *   /readyz: 200 for a standby (it is fine, just not leading) and for a leader whose
 *            informers have synced; 503 for a leader still filling its caches. */
#ifndef VK_OPERATOR_HEALTH_H
#define VK_OPERATOR_HEALTH_H

#include "operator.h"

typedef struct op_health op_health;

/* NULL with st when the address cannot be listened on. */
op_health *op_health_start(op_ctx *ctx, const char *address, vk_status *st);
void op_health_stop(op_health *h);

#endif
