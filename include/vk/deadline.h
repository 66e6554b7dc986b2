/* Absolute deadlines on the monotonic clock, in milliseconds. A gRPC call's deadline
 * becomes the deadline of every backend call made for it, so nothing outlives the
 * caller's patience and nothing waits forever. */
#ifndef VK_DEADLINE_H
#define VK_DEADLINE_H

#include <pthread.h>
#include <stdbool.h>
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

/* The project's one bounded wait. A condition variable waited on with a deadline must
 * run on the monotonic clock (a wall-clock step would stretch or cut every wait):
 * initialise it with vk_cond_init_monotonic. vk_cond_wait_until waits for a signal or
 * the deadline (VK_DEADLINE_NONE: no bound) and returns false once the deadline has
 * passed; callers re-check their predicate either way. */
void vk_cond_init_monotonic(pthread_cond_t *cv);
bool vk_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline);

/* Sleeps ms milliseconds, resuming after signals. */
void vk_sleep_ms(int64_t ms);

#endif
