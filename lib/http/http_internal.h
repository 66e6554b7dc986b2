/* Private to lib/http: the client's state and the seams between its modules
 * (http_client.c: settings and life cycle; http_pool.c: connections; http_attempt.c:
 * one attempt on a connection; http_sink.c: answer bodies and lines; http_loop.c:
 * waiting on several connections at once; http_failure.c: what a failure was;
 * http_send.c: jobs, retries and the public entry points). Each header section names
 * the one file that implements it; none of them calls back into http_send.c. */
#ifndef VK_HTTP_INTERNAL_H
#define VK_HTTP_INTERNAL_H

#include "vk/http_multi.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

_Static_assert(VK_HTTP_MESSAGE_MAX >= CURL_ERROR_SIZE, "curl writes CURL_ERROR_SIZE bytes of message");

/* One pooled connection: an easy handle and the multi handle that owns its connection
 * cache. curl keeps a connection in the cache of the multi handle a transfer ran in,
 * so each handle always runs in its own multi: the connection survives between
 * requests, and a batch still drives several handles from one thread (http_loop.c). */
typedef struct {
    curl_socket_t fd;
    int what; /* CURL_POLL_IN / _OUT / _INOUT */
} http_socket;

typedef struct {
    CURL *easy;
    CURLM *multi;
    http_socket *sockets; /* what curl wants watched (CURLMOPT_SOCKETFUNCTION) */
    int socket_count, socket_cap;
    int64_t timer_at; /* when curl wants CURL_SOCKET_TIMEOUT, VK_DEADLINE_NONE for never */
    /* Its connection must not serve again: a stream stalled on it. curl keeps an HTTP/2
     * connection after a stream of it is aborted, and the next request would go down
     * the same silent pipe. */
    bool doomed;
} http_slot;

struct vk_http_client {
    /* Settings, owned copies with defaults applied. */
    char *base_url, *ca_file, *ca_pem, *user_agent;
    char *client_cert_file, *client_cert_pem, *client_key_file, *client_key_pem;
    bool insecure_skip_tls_verify, allow_http;
    int64_t request_timeout_ms, connect_timeout_ms;
    int max_connections;
    size_t max_body_bytes;
    vk_http_retry_policy retry;

    /* DNS answers and TLS sessions, shared by every handle (with locks). */
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

    /* Idle slots, most recently used last; total counts slots in use and idle. */
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    http_slot **idle;
    int idle_count;
    int total;

    atomic_uint_fast64_t stat_requests, stat_retries, stat_connections;
};

/* ---- http_pool.c ---- */

bool http_pool_init(vk_http_client *c);
void http_pool_cleanup(vk_http_client *c);
/* An idle slot, a new one while below max_connections, or NULL: at once when wait is
 * false, else when none became free before `until`. */
http_slot *http_pool_take(vk_http_client *c, bool wait, int64_t until);
/* Back to the pool, or closed when it is doomed. */
void http_pool_give(vk_http_client *c, http_slot *s);

/* ---- http_loop.c ---- */

/* Installs the socket and timer callbacks on a new slot's multi handle. */
void http_loop_watch(http_slot *s);
/* Waits until one of the slots has socket activity or a curl timer due, or until
 * `until`, and lets curl act on what happened. */
void http_loop_step(http_slot *const *slots, size_t count, int64_t until);
/* The finished transfer of s, if it finished: true and its code. */
bool http_loop_finished(http_slot *s, CURLcode *code);

/* ---- http_sink.c ---- */

#define HTTP_DEFAULT_MAX_LINE ((size_t)1024 * 1024)

/* Where an answer's bytes go: the body, or the stream's lines for a 2xx stream. */
typedef struct {
    CURL *easy;
    vk_http_result *res;
    const vk_http_stream *stream;
    size_t max_body, max_line;
    size_t cap;
    char *line;
    size_t line_len, line_cap;
    bool decided, lines; /* whether the status was looked at, and it was a 2xx stream */
    bool too_large, line_too_long, stopped;
    bool stalled;         /* ended by the stream's idle timeout */
    int64_t last_byte_ms; /* when the last byte came (the attempt's start before any) */
} http_sink;

/* CURLOPT_WRITEFUNCTION, with the sink as its data. */
size_t http_sink_write(char *data, size_t size, size_t count, void *userp);
/* CURLOPT_HEADERFUNCTION: header bytes count as life too. */
size_t http_sink_header(char *data, size_t size, size_t count, void *userp);
/* When a stream with an idle timeout stalls (VK_DEADLINE_NONE: never). */
int64_t http_sink_stalls_at(const http_sink *sink);
/* After a complete answer: hands a last line without a newline to the stream. */
void http_sink_finish(http_sink *sink);
void http_sink_free(http_sink *sink);

/* ---- http_attempt.c ---- */

typedef struct {
    http_slot *slot;
    struct curl_slist *headers;
    char *url; /* the URL sent, the base URL prefixed */
    http_sink sink;
    int64_t started;
} http_attempt;

/* Sets up rq on the slot (URL, timeouts from the deadline, TLS, method, headers, body,
 * sink) and adds it to the slot's multi handle. */
void http_attempt_start(vk_http_client *c, http_attempt *a, http_slot *slot, const vk_http_request *rq,
                        const vk_http_stream *stream, vk_http_result *res);
/* After the transfer ended with code: what came back, into res; the slot is detached
 * from the attempt (the caller gives it back to the pool). */
void http_attempt_finish(http_attempt *a, CURLcode code, vk_http_result *res);

/* ---- http_failure.c ---- */

/* Fills res->failure, cause and undelivered from its curl code, errno, message and how
 * far the connection got. */
void http_failure_classify(vk_http_result *res);

#endif
