/* Backoff and token bucket arithmetic (vk/kube_ratelimit.h). */
#include "vk/kube_ratelimit.h"

int64_t vk_backoff_exponential(int64_t base_ms, int64_t max_ms, unsigned failures) {
    int64_t delay = base_ms > 0 ? base_ms : 0;
    for (unsigned i = 0; i < failures && delay < max_ms; i++) {
        if (delay > INT64_MAX / 2) return max_ms;
        delay *= 2;
    }
    return delay < max_ms ? delay : max_ms;
}

void vk_token_bucket_init(vk_token_bucket *b, double qps, int burst, int64_t now_ms) {
    b->interval_us = qps > 0 ? (int64_t)(1e6 / qps + 0.5) : 0;
    if (qps > 0 && b->interval_us < 1) b->interval_us = 1;
    b->burst = burst < 1 ? 1 : burst;
    b->empty_at_us = now_ms * 1000 - b->burst * b->interval_us;
}

int64_t vk_token_bucket_reserve(vk_token_bucket *b, int64_t now_ms) {
    if (b->interval_us == 0) return 0;
    int64_t now_us = now_ms * 1000;
    int64_t full_at = now_us - b->burst * b->interval_us;
    /* Tokens do not pile up beyond the burst while nobody asks. */
    if (b->empty_at_us < full_at) b->empty_at_us = full_at;
    b->empty_at_us += b->interval_us;
    int64_t wait_us = b->empty_at_us - now_us;
    return wait_us > 0 ? (wait_us + 999) / 1000 : 0;
}
