/* vms_metrics: what the VMS client counts (vk/metrics.h) - every request attempt sent,
 * by cluster (the endpoint's host:port), collection (the first segment of the VMS path,
 * never an id), method and HTTP status or "transport" when no answer came; its
 * duration; and the token fetches. Label values come from small fixed sets: a cluster
 * per configured endpoint, the collections the code asks for. */
#ifndef VK_VMS_METRICS_H
#define VK_VMS_METRICS_H

#include "vk/http.h"
#include "vms_settings.h"

/* Registers the families (so a scrape shows them before the first request); idempotent. */
void vms_metrics_register(void);

/* After an attempt that was sent (res->sent). */
void vms_metrics_attempt(const vms_settings *s, const char *method, const char *path, const vk_http_result *res);

/* A POST token/ about to be sent: the first login or a refresh. */
void vms_metrics_token_fetch(const vms_settings *s);

#endif
