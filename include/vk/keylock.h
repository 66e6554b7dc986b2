/* Serializes operations on the same volume or snapshot (by name or id) while
 * different ones run in parallel: a CO retrying a slow CreateVolume must not race its
 * own first attempt into a duplicate quota or view. */
#ifndef VK_CSI_KEYLOCK_H
#define VK_CSI_KEYLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct vk_keylock vk_keylock;

vk_keylock *vk_keylock_new(void);
void vk_keylock_free(vk_keylock *locks);

/* Waits until no other holder has key, at most until deadline (vk/deadline.h);
 * false when the deadline passed first (the caller answers ABORTED: an operation on
 * this object is in progress). */
bool vk_keylock_acquire(vk_keylock *locks, const char *key, int64_t deadline);
void vk_keylock_release(vk_keylock *locks, const char *key);

#endif
