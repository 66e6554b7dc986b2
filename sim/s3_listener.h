/* The S3 data plane's listener (--s3 ADDR plain HTTP, --s3-https ADDR with the
 * simulator's certificate): libmicrohttpd event loops like the API's, handing each
 * request to s3_serve. Paths and query strings reach it undecoded (a pass-through
 * unescape callback) so that it decodes them once, the way SigV4 signs them. */
#ifndef SIM_S3_LISTENER_H
#define SIM_S3_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"

typedef struct s3_listener s3_listener;

/* NULL and a message in err on failure; with cert_pem/key_pem it serves HTTPS. */
s3_listener *s3_listener_start(sim_ctx *ctx, const char *addr, const char *cert_pem, const char *key_pem, char *err,
                               size_t errlen);
uint16_t s3_listener_port(const s3_listener *listener);
void s3_listener_stop(s3_listener *listener);

#endif
