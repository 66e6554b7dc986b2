/* Small misbehaving servers for the VMS client tests, on 127.0.0.1 port 0, each served
 * by its own thread: a proxy whose error pages echo the request they got (request line,
 * headers with Authorization, body with the password) in several formats, optionally
 * relaying token requests to a real vms-sim first; a server that resets or closes the
 * connection after reading the request; one that accepts and never answers; a plain-HTTP
 * server for https:// clients; and a port nothing listens on. */
#ifndef VK_TESTS_LISTENER_H
#define VK_TESTS_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    LISTEN_ECHO,   /* answers each request with an error page echoing it */
    LISTEN_RESET,  /* reads the request, then resets the connection (RST) */
    LISTEN_CLOSE,  /* reads the request, then closes without a byte of answer */
    LISTEN_SILENT, /* accepts and never sends anything (nor reads) */
    LISTEN_PLAIN,  /* a plain-HTTP server: whatever it reads (a TLS ClientHello too) gets an
                    * HTTP 400, then a graceful close that drains the rest, as nginx does */
} listener_mode;

typedef enum {
    ECHO_HTML, /* text/html: the request in a <pre>, HTML-escaped */
    ECHO_JSON, /* application/json: {"detail", "request": {"line", "headers", "body"}, "raw"} */
    ECHO_TEXT, /* text/plain: the raw request */
    ECHO_FORM, /* application/x-www-form-urlencoded: error=...&request=<percent-encoded> */
    ECHO_DRF,  /* application/json in VMS's own error shape: {"non_field_errors": ["... <raw>"]} */
    ECHO_FORMATS,
} echo_format;

typedef struct {
    listener_mode mode;
    echo_format format;
    int status; /* of the echo pages; 502 when 0 */
    /* "http://127.0.0.1:PORT": POST .../token/ is relayed there and its answer passed on;
     * later echo pages also quote the tokens of the last such answer, bare. NULL: token
     * requests are echoed like any other. */
    const char *token_upstream;
} listener_options;

typedef struct listener listener;

listener *listener_start(const listener_options *options);
void listener_stop(listener *l);
int listener_port(const listener *l);
/* "http://127.0.0.1:PORT" or "https://..." (the listener speaks no TLS: for the
 * handshake and plain-HTTP cases). */
const char *listener_url(listener *l, bool https);
/* Requests read so far. */
int listener_requests(const listener *l);
/* The access and refresh tokens of the last relayed token answer ("" before any). */
void listener_tokens(listener *l, char *access, char *refresh, size_t size);

/* A 127.0.0.1 port with nothing listening (bound, then closed). */
int closed_port(void);

#endif
