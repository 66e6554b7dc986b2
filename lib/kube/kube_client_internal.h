/* Private to the Kubernetes client (vk/kube_client.h): its state and the seams between
 * its files (kube_client.c: life cycle, settings, counters, the rate limit;
 * kube_token.c: the bearer token and its file; kube_path.c: URLs; kube_send.c: a
 * request to its end; kube_verbs.c and kube_list.c: the verbs). The unit tests include
 * it to drive the token file and the limiter without a server. */
#ifndef VK_KUBE_CLIENT_INTERNAL_H
#define VK_KUBE_CLIENT_INTERNAL_H

#include "vk/kube_client.h"
#include "vk/kube_ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>

/* ---- kube_token.c ---- */

/* The bearer token: fixed (a kubeconfig's token), or a file re-read when its identity
 * changes. The kubelet rotates a projected token by swapping a symlink (a new inode)
 * and some tools rewrite in place (a new size or mtime): stat sees both, per request,
 * for the price of one system call. */
typedef struct {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} kube_file_id;

typedef struct {
    pthread_mutex_t mu;
    char *path;  /* NULL: a fixed token */
    char *token; /* NULL: no bearer authentication */
    kube_file_id seen;
    atomic_uint_fast64_t reloads;
} kube_token;

/* token (may be NULL) or path (may be NULL; read now, a missing or empty file is
 * VK_FAILED_PRECONDITION naming it). */
bool kube_token_init(kube_token *t, const char *token, const char *path, vk_status *st);
void kube_token_free(kube_token *t);
/* "Authorization: Bearer <token>" for the next request, the file re-read first if it
 * changed; NULL without a token. A file that cannot be read keeps the token we had
 * (the kubelet may be mid-swap), with a warning naming the file. Wipe it with
 * kube_secret_free. */
char *kube_token_header(kube_token *t);
/* After a 401: reads the file whatever its stat says. true when the token changed, so
 * that a resend can succeed. */
bool kube_token_reload(kube_token *t);
/* A copy of the current token (NULL without one), to redact messages with. */
char *kube_token_copy(kube_token *t);
void kube_secret_free(char *s);

/* ---- kube_client.c ---- */

struct vk_kube_client {
    vk_http_client *http;
    char *server; /* for messages */
    char *field_manager;
    int64_t request_timeout_ms;
    vk_http_retry_policy retry;
    kube_token token;

    pthread_mutex_t limit_mu;
    vk_token_bucket bucket;
    double qps;
    int burst;

    atomic_uint_fast64_t requests[VK_KUBE_VERB_COUNT];
    atomic_uint_fast64_t attempts, retries, throttled, throttle_waits, limiter_waits;
};

/* The client-side rate limit for one attempt at now_ms: the milliseconds to wait for
 * a token, or -1 when it would come only after deadline (then no token is taken, so
 * a caller that gives up does not delay the others). */
int64_t kube_limit_take(vk_token_bucket *b, int64_t now_ms, int64_t deadline);

/* ---- kube_send.c ---- */

/* The deadline a call runs to: its own, or the request timeout from now. */
int64_t kube_deadline(const vk_kube_client *c, int64_t deadline);

/* The body of a 2xx answer as JSON (an empty body: an empty object); NULL with st. */
json_t *kube_parse_answer(const vk_http_result *res, const char *what, vk_status *st);

/* ---- kube_verbs.c ---- */

/* "get configmaps default/x" for messages and logs, into buf. */
const char *kube_describe(const char *verb, const vk_kube_ref *ref, char *buf, size_t size);

#endif
