/* Absolute deadlines on the monotonic clock, in milliseconds. A gRPC call's deadline
 * becomes the deadline of every backend call made for it, so nothing outlives the
 * caller's patience and nothing waits forever. */
#ifndef VK_DEADLINE_H
#define VK_DEADLINE_H

#include <stdint.h>
#include <time.h>

#define VK_DEADLINE_NONE INT64_MAX

static inline int64_t vk_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The deadline ms milliseconds from now. */
static inline int64_t vk_deadline_in(int64_t ms) { return vk_now_ms() + ms; }

/* Milliseconds left (0 when passed); VK_DEADLINE_NONE stays INT64_MAX. */
static inline int64_t vk_deadline_remaining(int64_t deadline) {
    if (deadline == VK_DEADLINE_NONE) return INT64_MAX;
    int64_t left = deadline - vk_now_ms();
    return left > 0 ? left : 0;
}

/* The earlier of two deadlines. */
static inline int64_t vk_deadline_min(int64_t a, int64_t b) { return a < b ? a : b; }

#endif
