/* The HTTPS certificate: PEM files given by flags, or a self-signed certificate for
 * localhost/127.0.0.1/::1 generated once into DIR/tls/ and reused, so clients can pin
 * DIR/tls/cert.pem across restarts. */
#ifndef SIM_TLS_H
#define SIM_TLS_H

#include <stddef.h>

/* On success *cert_pem and *key_pem are malloc'd PEM texts; 0. On failure -1 and err. */
int tls_load_or_generate(const char *data_dir, const char *cert_file, const char *key_file, char **cert_pem,
                         char **key_pem, char *err, size_t errlen);

#endif
