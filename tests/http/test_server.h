/* Small local HTTP servers for the http layer's tests: libmicrohttpd on 127.0.0.1
 * port 0, one thread per connection (so a slow answer holds up no other), plain or
 * TLS. A test's handler decides each reply - a status and body, a delay, a reset, a
 * hang, or a body streamed in chunks - and the server counts connections, requests and
 * how many were in flight at once. */
#ifndef VK_TESTS_HTTP_SERVER_H
#define VK_TESTS_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *method;
    const char *url;     /* the path (libmicrohttpd keeps the query apart) */
    const char *body;    /* NUL-terminated */
    size_t body_len;
    const char *x_test;  /* the X-Test header, or NULL */
    int number;          /* 1 for the server's first request */
    bool client_verified; /* a client certificate that the server's trust verifies came */
} test_request;

typedef struct {
    int status;                /* 200 when 0 */
    char body[512];            /* the answer (ignored with chunks) */
    int delay_ms;              /* before answering */
    bool reset;                /* reset the connection (RST) instead of answering */
    bool hang;                 /* never answer (until the server stops) */
    const char *const *chunks; /* a body streamed in these pieces (chunked), NULL-terminated */
    int chunk_delay_ms;        /* between pieces */
    bool hang_after_chunks;    /* then keep the stream open */
    const char *retry_after;   /* a Retry-After header with this value (may be NULL) */
} test_reply;

typedef test_reply (*test_handler)(void *ctx, const test_request *rq);

typedef struct test_server test_server;

/* tls_cert_pem / tls_key_pem NULL: plain HTTP. */
test_server *test_server_start(test_handler handler, void *ctx, const char *tls_cert_pem, const char *tls_key_pem);
/* TLS that asks clients for a certificate and verifies it against trust_pem (a CA, or
 * a self-signed client certificate itself); test_request.client_verified says whether
 * one passed. A client without one is still served, so the handler decides. */
test_server *test_server_start_mtls(test_handler handler, void *ctx, const char *tls_cert_pem, const char *tls_key_pem,
                                    const char *trust_pem);
void test_server_stop(test_server *s);
/* "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT". */
const char *test_server_url(const test_server *s);
int test_server_port(const test_server *s);
int test_server_connections(const test_server *s); /* accepted so far */
int test_server_requests(const test_server *s);    /* answered or not */
int test_server_peak(const test_server *s);        /* most requests in flight at once */

/* A self-signed certificate for 127.0.0.1 (or, with other_name, only for that DNS
 * name), made by the openssl tool in dir: cert and key as PEM text, and the path of
 * the certificate file. false when openssl is missing or failed. */
bool test_make_cert(const char *dir, const char *other_name, char **cert_pem, char **key_pem, char *cert_path,
                    size_t path_size);

#endif
