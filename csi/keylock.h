/* Serializes operations on the same volume or snapshot (by name or id) while
 * different ones run in parallel: a CO retrying a slow CreateVolume must not race its
 * own first attempt into a duplicate quota or view. */
#ifndef VK_CSI_KEYLOCK_H
#define VK_CSI_KEYLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct csi_keylock csi_keylock;

csi_keylock *csi_keylock_new(void);
void csi_keylock_free(csi_keylock *locks);

/* Waits until no other holder has key, at most until deadline (vk/deadline.h);
 * false when the deadline passed first (the caller answers ABORTED: an operation on
 * this object is in progress). */
bool csi_keylock_acquire(csi_keylock *locks, const char *key, int64_t deadline);
void csi_keylock_release(csi_keylock *locks, const char *key);

#endif
