/* The HTTP client every backend shares (VMS now, the Kubernetes API next): libcurl,
 * with what each of them would otherwise redo.
 *
 *   vk_http_client *h;
 *   if (!vk_http_client_new(&(vk_http_settings){.base_url = "https://vms:443/api/v1/",
 *                                                .ca_pem = pem}, &h, &st)) ...
 *   vk_http_result res;
 *   vk_http_send(h, &(vk_http_request){.method = "GET", .url = "views/",
 *                                      .deadline = deadline}, NULL, &res);
 *   ...res.failure, res.status, res.body...
 *   vk_http_result_free(&res);
 *
 * What it does:
 *   - connections reused across threads: a pool of at most max_connections curl
 *     handles, each keeping its connection alive; DNS answers and TLS sessions shared;
 *   - TLS verified by default (system CAs, a CA file and/or PEM text); plain http://
 *     only when allowed; redirects never followed (a hop could leave TLS);
 *   - deadlines: each attempt times out at min(request timeout, time left), and no wait
 *     (for a connection, a backoff) outlives the request's deadline;
 *   - retries with jittered exponential backoff, judged by the caller's hook or by
 *     vk_http_retryable (failures a resend may cure, where resending is safe);
 *   - buffered answers, or streamed ones cut into lines (line-delimited JSON, as a
 *     Kubernetes watch sends) with a bound on a line and a cancel flag;
 *   - several independent requests at once (vk/http_multi.h).
 * It knows nothing of any backend: no paths, auth or error bodies. It logs nothing
 * either: a URL or a curl message may hold a secret, so callers redact (vk/redact.h)
 * what they show. A client is thread-safe. */
#ifndef VK_HTTP_H
#define VK_HTTP_H

#include "vk/status.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vk_http_client vk_http_client;

typedef struct {
    int max_attempts;          /* 4: sends of one request, the first included */
    int64_t initial_backoff_ms; /* 100: first pause; doubles per retry */
    int64_t max_backoff_ms;    /* 2000: the cap */
} vk_http_retry_policy;

/* Strings are copied by vk_http_client_new; zero numbers take the defaults shown. */
typedef struct {
    /* Prefixed to every URL that has no scheme ("views/" -> base_url + "views/"); NULL:
     * URLs are absolute. */
    const char *base_url;
    /* Trust: a CA bundle file and/or PEM text; without either, the system CAs.
     * insecure_skip_tls_verify turns verification off (test clusters only). */
    const char *ca_file;
    const char *ca_pem;
    bool insecure_skip_tls_verify;
    /* Who we are, for a server that authenticates clients by certificate (the
     * Kubernetes API): a certificate and its key, each a PEM file or PEM text (text wins
     * over its file twin); both or neither. The key text is wiped when the client is
     * freed. */
    const char *client_cert_file;
    const char *client_cert_pem;
    const char *client_key_file;
    const char *client_key_pem;
    bool allow_http;            /* http:// URLs work only with this */
    int64_t request_timeout_ms; /* 30000: the most one buffered attempt may take */
    int64_t connect_timeout_ms; /* 10000: TCP and TLS handshake */
    int max_connections;        /* 8: concurrent requests; more wait for a free one */
    const char *user_agent;     /* NULL: "vast-k8s/<version>" */
    size_t max_body_bytes;      /* 64 MiB: a larger buffered answer fails (VK_HTTP_FAIL_RESPONSE) */
    vk_http_retry_policy retry;
} vk_http_settings;

/* Fails with VK_INVALID_ARGUMENT for settings no request could use (no connections,
 * a line break in the user agent, a client certificate without its key or the
 * reverse); sends nothing. */
bool vk_http_client_new(const vk_http_settings *settings, vk_http_client **out, vk_status *st);
void vk_http_client_free(vk_http_client *c);

typedef struct {
    uint64_t requests;    /* attempts sent */
    uint64_t retries;     /* resends after a retryable failure (vk_http_send's RETRY) */
    uint64_t connections; /* curl handles created (each keeps one connection) */
} vk_http_stats;
void vk_http_get_stats(const vk_http_client *c, vk_http_stats *out);

typedef struct {
    const char *method;         /* "GET", "POST", "PATCH", "DELETE", ... */
    const char *url;            /* absolute, or relative to the base URL */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated; may be NULL */
    const char *body;           /* body_len bytes, or NULL for none (a POST then sends "") */
    size_t body_len;
    bool idempotent;            /* resending cannot harm (GET and HEAD are anyway) */
    int64_t deadline;           /* absolute monotonic ms (vk/deadline.h); VK_DEADLINE_NONE */
} vk_http_request;

/* How an attempt ended without an answer (VK_HTTP_ANSWERED: a status arrived, any). */
typedef enum {
    VK_HTTP_ANSWERED = 0,
    VK_HTTP_FAIL_TRANSPORT, /* refused, DNS, reset, closed: no answer */
    VK_HTTP_FAIL_TIMEOUT,   /* the connect or request timeout, the deadline not reached */
    VK_HTTP_FAIL_DEADLINE,  /* the request's deadline passed (connection wait included) */
    VK_HTTP_FAIL_TLS,       /* handshake, certificate or CA */
    VK_HTTP_FAIL_CONFIG,    /* a URL or scheme the client may not use */
    VK_HTTP_FAIL_RESPONSE,  /* an answer too large to keep, or a stream line too long */
    VK_HTTP_FAIL_CANCELLED, /* the caller's cancel flag, or its prepare hook, stopped it */
} vk_http_failure;

/* What exactly failed, so a message can say it and what to do. */
typedef enum {
    VK_HTTP_CAUSE_NONE = 0,
    VK_HTTP_CAUSE_REFUSED,         /* nothing listens on the port */
    VK_HTTP_CAUSE_DNS,             /* the host name does not resolve */
    VK_HTTP_CAUSE_UNREACHABLE,     /* no route to the host */
    VK_HTTP_CAUSE_RESET,           /* reset or closed before an answer */
    VK_HTTP_CAUSE_CONNECT_TIMEOUT, /* TCP (+ TLS) not done within the connect timeout */
    VK_HTTP_CAUSE_REQUEST_TIMEOUT, /* connected, no full answer in time */
    VK_HTTP_CAUSE_TLS_HANDSHAKE,   /* protocol, cipher, the peer hung up in the handshake */
    VK_HTTP_CAUSE_PLAIN_HTTP,      /* an https:// URL answered in plain HTTP */
    VK_HTTP_CAUSE_CERT_UNTRUSTED,  /* the certificate does not chain to a trusted CA */
    VK_HTTP_CAUSE_CERT_HOSTNAME,   /* the certificate is for another host name */
    VK_HTTP_CAUSE_CA_UNUSABLE,     /* the configured CA could not be loaded */
    VK_HTTP_CAUSE_STALLED,         /* a stream sent no byte for its idle_timeout_ms */
} vk_http_cause;

#define VK_HTTP_MESSAGE_MAX 256 /* curl's CURL_ERROR_SIZE */

/* What a zero setting means; backends on this layer (the VMS client) keep the same
 * defaults by using these. */
#define VK_HTTP_DEFAULT_REQUEST_TIMEOUT_MS 30000
#define VK_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define VK_HTTP_DEFAULT_MAX_CONNECTIONS 8
#define VK_HTTP_DEFAULT_MAX_ATTEMPTS 4
#define VK_HTTP_DEFAULT_RETRY_INITIAL_MS 100
#define VK_HTTP_DEFAULT_RETRY_MAX_MS 2000

typedef struct {
    vk_http_failure failure;
    vk_http_cause cause;
    long status;       /* HTTP status; 0 when none arrived */
    int curl_code;     /* CURLcode; 0 when an answer arrived */
    long os_errno;     /* ECONNREFUSED, ECONNRESET, ... when curl saw one */
    bool sent;         /* false: no connection became free before the deadline */
    bool undelivered;  /* certainly never reached the server (refused, unroutable, DNS) */
    bool https;        /* the URL was https:// */
    bool connected;    /* TCP connected */
    bool handshaken;   /* the TLS handshake finished */
    bool timeout_was_deadline;         /* the attempt's timeout was cut to the deadline */
    bool connect_timeout_was_deadline; /* ... and so was its connect timeout */
    bool stopped;      /* a stream's line callback ended it (not a failure) */
    int attempts;      /* sends so far, this one included */
    int64_t elapsed_ms; /* of this attempt */
    /* The answer's Retry-After in seconds (delay-seconds, or an HTTP-date made relative
     * to now, at least 0); -1 when there was none or it was unreadable. */
    int64_t retry_after_s;
    /* curl's words for a failure, or ours; may quote the URL: redact before showing. */
    char message[VK_HTTP_MESSAGE_MAX];
    char *body;        /* NUL-terminated answer body, never NULL after a call (may be "") */
    size_t body_len;
} vk_http_result;

/* Wipes and frees the body (answers carry tokens and keys). */
void vk_http_result_free(vk_http_result *res);

/* One attempt, the answer buffered. Returns true when an answer (any status) arrived;
 * res is filled either way and must be freed. */
bool vk_http_exchange(vk_http_client *c, const vk_http_request *rq, vk_http_result *res);

/* What to do after an attempt. */
typedef enum {
    VK_HTTP_DONE,   /* keep this result: success or a final failure */
    VK_HTTP_RETRY,  /* resend after a backoff, if attempts and time are left */
    VK_HTTP_RESEND, /* resend at once, not counted as a retry (after refreshing a token) */
} vk_http_verdict;

/* A caller's part in vk_http_send; every member may be NULL. Hooks run on the calling
 * thread between transfers, and may make requests of their own on the same client. */
typedef struct {
    /* Before each attempt: may set rq->headers (a fresh token). false stops with
     * VK_HTTP_FAIL_CANCELLED (the hook says why in its own context). */
    bool (*prepare)(void *ctx, vk_http_request *rq);
    /* After each attempt, sent or not; NULL: vk_http_retryable decides. */
    vk_http_verdict (*judge)(void *ctx, const vk_http_request *rq, const vk_http_result *res);
    /* Before a backoff pause, to log it. */
    void (*on_retry)(void *ctx, const vk_http_result *res, int64_t pause_ms);
    void *ctx;
} vk_http_hooks;

/* Sends rq until the judge says DONE, the attempts of the retry policy are used up or
 * no time is left for a pause. res holds the last attempt. Returns true when it was
 * answered (any status). rq's headers may be changed by the prepare hook. */
bool vk_http_send(vk_http_client *c, vk_http_request *rq, const vk_http_hooks *hooks, vk_http_result *res);

/* The default judgment: true for what a resend may cure where resending is safe -
 * transport failures and timeouts of idempotent requests (of any request when it was
 * undelivered), 502/503/504/429 of idempotent requests, 500 of a GET or HEAD (a write
 * may have happened). Never TLS, configuration, deadline or a 4xx. */
bool vk_http_retryable(const vk_http_request *rq, const vk_http_result *res);

/* The pause before retry n (1 = the first): initial * 2^(n-1), capped, jittered over
 * its upper half (delay/2 + rand(0..delay/2)) so concurrent retries spread out. */
int64_t vk_http_backoff_ms(const vk_http_retry_policy *p, int retry);

/* ---- Streaming: an answer as lines ---- */

typedef struct {
    /* Called per complete line, without its "\n" (or "\r\n"), NUL-terminated; a last
     * line without a newline comes at the end. Return false to stop the stream. */
    bool (*on_line)(void *ctx, const char *line, size_t len);
    void *ctx;
    size_t max_line;           /* 1 MiB: a longer line fails (VK_HTTP_FAIL_RESPONSE) */
    const atomic_bool *cancel; /* set from another thread: the stream ends (may be NULL) */
    /* No byte of the answer (headers or body) for this long ends the stream with
     * VK_HTTP_FAIL_TIMEOUT, cause VK_HTTP_CAUSE_STALLED: a peer or a middlebox that
     * froze without closing the connection, which TCP alone would not notice for
     * hours. 0: no bound. Keep it above the gap the server may leave on purpose (a
     * Kubernetes watch's bookmarks). */
    int64_t idle_timeout_ms;
} vk_http_stream;

/* One attempt whose 2xx answer goes to stream->on_line as it arrives (a non-2xx
 * answer is buffered in res->body, for its error). A stream may run as long as its
 * deadline allows: the request timeout does not apply, the connect timeout does. */
bool vk_http_stream_lines(vk_http_client *c, const vk_http_request *rq, const vk_http_stream *stream,
                          vk_http_result *res);

/* text percent-encoded for a query value or path segment (all but RFC 3986's
 * unreserved characters); malloc'd. */
char *vk_http_escape(const char *text);

/* "answered", "transport", "timeout", "deadline", "tls", "config", "response", "cancelled". */
const char *vk_http_failure_name(vk_http_failure failure);
/* "refused", "dns", ..., or NULL for none (an optional log field). */
const char *vk_http_cause_name(vk_http_cause cause);
/* curl's short text for the result's code ("Couldn't connect to server"), NULL when 0. */
const char *vk_http_curl_text(const vk_http_result *res);

#endif
