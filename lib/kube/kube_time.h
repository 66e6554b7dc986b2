/* Private to the kube layer: Kubernetes MicroTime text for the objects we write
 * (a Lease's renewTime, an Event's eventTime). Wall-clock time, written for people
 * and other clients to read; our own decisions run on the monotonic clock. */
#ifndef VK_KUBE_TIME_H
#define VK_KUBE_TIME_H

#include <stddef.h>

/* "2006-01-02T15:04:05.000000Z" (RFC 3339, microseconds, UTC) for now into buf
 * (at least KUBE_MICRO_TIME_SIZE bytes). */
#define KUBE_MICRO_TIME_SIZE 32
const char *kube_micro_time_now(char *buf, size_t size);

#endif
