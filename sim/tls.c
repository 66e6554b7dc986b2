/* Certificate loading and generation with gnutls's x509 API; see tls.h. */
#include "tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fsops.h"
#include "support.h"
#include "vk/log.h"

#define CERT_VALID_DAYS 3650

static char *read_text_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, mem);
    bool failed = ferror(f);
    fclose(f);
    fclose(mem);
    if (failed) {
        free(text);
        return NULL;
    }
    return text;
}

static int export_pem(char **out, int (*export_fn)(void *, gnutls_x509_crt_fmt_t, gnutls_datum_t *),
                      void *obj) {
    gnutls_datum_t pem = {0};
    int rc = export_fn(obj, GNUTLS_X509_FMT_PEM, &pem);
    if (rc < 0) return rc;
    *out = sim_xmalloc(pem.size + 1);
    memcpy(*out, pem.data, pem.size);
    (*out)[pem.size] = '\0';
    gnutls_free(pem.data);
    return 0;
}

static int export_key(void *key, gnutls_x509_crt_fmt_t fmt, gnutls_datum_t *out) {
    return gnutls_x509_privkey_export2(key, fmt, out);
}

static int export_crt(void *crt, gnutls_x509_crt_fmt_t fmt, gnutls_datum_t *out) {
    return gnutls_x509_crt_export2(crt, fmt, out);
}

/* A self-signed ECDSA P-256 certificate: fast to make (start-up is measured) and
 * accepted by OpenSSL-based clients as their own trust anchor. */
static int generate(char **cert_pem, char **key_pem, char *err, size_t errlen) {
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    const char *step = "privkey";
    int rc = gnutls_x509_privkey_init(&key);
    if (rc >= 0) rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc >= 0) {
        step = "certificate";
        rc = gnutls_x509_crt_init(&crt);
    }
    unsigned char serial[16];
    sim_random_bytes(serial, sizeof serial);
    serial[0] &= 0x7f; /* a positive serial number */
    unsigned char key_id[64];
    size_t key_id_size = sizeof key_id;
    time_t now = time(NULL);
    static const unsigned char ipv4_loopback[4] = {127, 0, 0, 1};
    static const unsigned char ipv6_loopback[16] = {[15] = 1};
    if (rc >= 0) rc = gnutls_x509_crt_set_version(crt, 3);
    if (rc >= 0) rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    if (rc >= 0) rc = gnutls_x509_crt_set_activation_time(crt, now - 3600);
    if (rc >= 0) rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)CERT_VALID_DAYS * 86400);
    if (rc >= 0) rc = gnutls_x509_crt_set_dn(crt, "CN=localhost,O=vms-sim", NULL);
    if (rc >= 0) rc = gnutls_x509_crt_set_issuer_dn(crt, "CN=localhost,O=vms-sim", NULL);
    if (rc >= 0) rc = gnutls_x509_crt_set_key(crt, key);
    if (rc >= 0) rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND);
    if (rc >= 0) rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ipv4_loopback, 4, GNUTLS_FSAN_APPEND);
    if (rc >= 0) rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ipv6_loopback, 16, GNUTLS_FSAN_APPEND);
    /* CA:TRUE with keyCertSign lets strict verifiers accept it as its own root. */
    if (rc >= 0) rc = gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
    if (rc >= 0) rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN);
    if (rc >= 0) rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (rc >= 0) rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, key_id, &key_id_size);
    if (rc >= 0) rc = gnutls_x509_crt_set_subject_key_id(crt, key_id, key_id_size);
    if (rc >= 0) rc = gnutls_x509_crt_set_authority_key_id(crt, key_id, key_id_size);
    if (rc >= 0) {
        step = "signing";
        rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    }
    if (rc >= 0) {
        step = "export";
        rc = export_pem(cert_pem, export_crt, crt);
    }
    if (rc >= 0) rc = export_pem(key_pem, export_key, key);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (key) gnutls_x509_privkey_deinit(key);
    if (rc < 0) {
        snprintf(err, errlen, "generating the TLS certificate (%s): %s", step, gnutls_strerror(rc));
        return -1;
    }
    return 0;
}

int tls_load_or_generate(const char *data_dir, const char *cert_file, const char *key_file, char **cert_pem,
                         char **key_pem, char *err, size_t errlen) {
    *cert_pem = *key_pem = NULL;
    char *tls_dir = NULL, *gen_cert = NULL, *gen_key = NULL;
    if (!cert_file) {
        tls_dir = sim_printf("%s/tls", data_dir);
        cert_file = gen_cert = sim_printf("%s/cert.pem", tls_dir);
        key_file = gen_key = sim_printf("%s/key.pem", tls_dir);
    }
    int rc = 0;
    *cert_pem = read_text_file(cert_file);
    *key_pem = read_text_file(key_file);
    if ((!*cert_pem || !*key_pem) && tls_dir) {
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
        rc = generate(cert_pem, key_pem, err, errlen);
        if (rc == 0 && (fsops_mkdirs(tls_dir, 0700) != 0 ||
                        sim_write_file_atomic(gen_key, *key_pem, strlen(*key_pem), 0600) != 0 ||
                        sim_write_file_atomic(gen_cert, *cert_pem, strlen(*cert_pem), 0644) != 0)) {
            snprintf(err, errlen, "cannot write the TLS certificate into %s: %s", tls_dir, strerror(errno));
            rc = -1;
        }
        if (rc == 0) VK_LOG(VK_LOG_INFO, "generated a self-signed TLS certificate", "cert", gen_cert);
    } else if (!*cert_pem || !*key_pem) {
        snprintf(err, errlen, "cannot read %s: %s", !*cert_pem ? cert_file : key_file, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
    }
    free(tls_dir);
    free(gen_cert);
    free(gen_key);
    return rc;
}
