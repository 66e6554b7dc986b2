/* http_pool: the connections, shared by every thread.
 *
 * A pool of slots (an easy handle and its multi handle, see http_internal.h). A slot
 * keeps its connection open after a transfer, so taking the most recently returned
 * one (LIFO) reuses a warm connection; the pool never holds more than max_connections
 * slots, which also bounds how hard we hit the server. curl's shared connection cache
 * (CURL_LOCK_DATA_CONNECT with lock callbacks) was the alternative; curl documents it
 * as unsupported for concurrent threads, and measured with curl 7.88 against vms-sim
 * (10,000 GETs from 8 threads) it opened ~9,800 connections where this pool opens 8. */
#include "http_internal.h"
#include "vk/deadline.h"
#include "vk/log.h"

#include <stdlib.h>

bool http_pool_init(vk_http_client *c) {
    pthread_mutex_init(&c->pool_mu, NULL);
    vk_cond_init_monotonic(&c->pool_cv);
    c->idle = calloc((size_t)c->max_connections, sizeof *c->idle);
    return c->idle != NULL;
}

static void slot_free(http_slot *s) {
    /* The multi handle holds the connection; no transfer is attached to it any more. */
    curl_multi_cleanup(s->multi);
    curl_easy_cleanup(s->easy);
    free(s->sockets);
    free(s);
}

void http_pool_cleanup(vk_http_client *c) {
    for (int i = 0; i < c->idle_count; i++) slot_free(c->idle[i]);
    free(c->idle);
    pthread_cond_destroy(&c->pool_cv);
    pthread_mutex_destroy(&c->pool_mu);
}

static http_slot *slot_new(vk_http_client *c) {
    http_slot *s = calloc(1, sizeof *s);
    if (s) s->easy = curl_easy_init();
    if (s && s->easy) s->multi = curl_multi_init();
    if (!s || !s->easy || !s->multi) {
        VK_LOG(VK_LOG_ERROR, "out of memory creating a curl handle");
        abort(); /* the project treats memory exhaustion as fatal (see vk/arena.h) */
    }
    /* One transfer at a time per slot: its cache need keep no more than its connection. */
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, 1L);
    s->timer_at = VK_DEADLINE_NONE;
    http_loop_watch(s);
    atomic_fetch_add(&c->stat_connections, 1);
    return s;
}

http_slot *http_pool_take(vk_http_client *c, bool wait, int64_t until) {
    pthread_mutex_lock(&c->pool_mu);
    while (c->idle_count == 0 && c->total >= c->max_connections) {
        if (!wait || !vk_cond_wait_until(&c->pool_cv, &c->pool_mu, until)) {
            pthread_mutex_unlock(&c->pool_mu);
            return NULL;
        }
    }
    if (c->idle_count > 0) {
        http_slot *s = c->idle[--c->idle_count];
        pthread_mutex_unlock(&c->pool_mu);
        return s;
    }
    c->total++;
    pthread_mutex_unlock(&c->pool_mu);
    return slot_new(c);
}

void http_pool_give(vk_http_client *c, http_slot *s) {
    pthread_mutex_lock(&c->pool_mu);
    if (s->doomed) c->total--; /* its place goes to a new connection */
    else c->idle[c->idle_count++] = s;
    pthread_cond_signal(&c->pool_cv);
    pthread_mutex_unlock(&c->pool_mu);
    if (s->doomed) slot_free(s);
}
