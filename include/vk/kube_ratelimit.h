/* The two rate limits of client-go's default controller rate limiter, as plain
 * arithmetic on a clock the caller reads (so tests can drive it without sleeping):
 *
 *   - per-key exponential backoff: base * 2^failures, capped (5 ms .. 1000 s);
 *   - a token bucket shared by all keys (10 qps, burst 100), reservation style like
 *     golang.org/x/time/rate: a call always takes a token and is told how long to
 *     wait for it, so callers past the burst queue up one interval apart.
 *
 * Neither locks: the owner (the work queue, a client's QPS limit) serialises calls. */
#ifndef VK_KUBE_RATELIMIT_H
#define VK_KUBE_RATELIMIT_H

#include <stdint.h>

/* base_ms * 2^failures, or max_ms when that is larger (or would overflow). */
int64_t vk_backoff_exponential(int64_t base_ms, int64_t max_ms, unsigned failures);

/* Generic cell rate algorithm in microseconds: empty_at_us is the moment the bucket
 * would hold no token; tokens at t are min(burst, (t - empty_at_us) / interval_us).
 * Integers, so "the 101st call waits exactly 100 ms" holds without rounding drift. */
typedef struct {
    int64_t interval_us; /* 1e6 / qps; 0: no limit */
    int64_t burst;
    int64_t empty_at_us;
} vk_token_bucket;

/* A full bucket at now_ms. qps <= 0 means unlimited; burst < 1 counts as 1. */
void vk_token_bucket_init(vk_token_bucket *b, double qps, int burst, int64_t now_ms);

/* Takes one token at now_ms; returns the milliseconds until it is really available
 * (0 while within the burst), rounded up. */
int64_t vk_token_bucket_reserve(vk_token_bucket *b, int64_t now_ms);

#endif
