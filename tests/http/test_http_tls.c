/* TLS against a local HTTPS server with certificates the openssl tool makes for the
 * run: verified by default (an unknown CA fails before any request is read), the CA
 * from a file or as PEM text, a certificate for another name, an unusable CA, the
 * verification switched off, a plain-HTTP peer behind https://, kept-alive TLS
 * connections, and client certificates (PEM text or files) that the server verifies. Skipped when openssl is not installed. */
#include "test_server.h"
#include "vk/deadline.h"
#include "vk/http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64] = "/tmp/vk-http-tls-XXXXXX";
static char *cert, *key, cert_path[256];             /* for 127.0.0.1 */
static char *other_cert, *other_key, other_path[256]; /* for another name only */
static bool have_certs;

static int group_setup(void **state) {
    (void)state;
    if (!mkdtemp(dir)) return -1;
    have_certs = test_make_cert(dir, NULL, &cert, &key, cert_path, sizeof cert_path) &&
                 test_make_cert(dir, "other.example", &other_cert, &other_key, other_path, sizeof other_path);
    if (!have_certs) print_message("openssl could not make certificates: the TLS tests are skipped\n");
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    unlink(cert_path);
    unlink(other_path);
    rmdir(dir);
    free(cert);
    free(key);
    free(other_cert);
    free(other_key);
    return 0;
}

static test_reply ok(void *ctx, const test_request *rq) {
    (void)ctx;
    test_reply r = {.status = 200};
    snprintf(r.body, sizeof r.body, "%s", rq->url);
    return r;
}

/* One GET / with these settings (the server's URL as base). */
static vk_http_result get(const test_server *s, vk_http_settings settings) {
    settings.base_url = test_server_url(s);
    vk_http_client *c;
    vk_status st;
    assert_true(vk_http_client_new(&settings, &c, &st));
    vk_http_request rq = {.method = "GET", .url = "/tls", .deadline = vk_deadline_in(10000)};
    vk_http_result res;
    vk_http_send(c, &rq, NULL, &res);
    vk_http_client_free(c);
    return res;
}

static void test_verified_by_default(void **state) {
    (void)state;
    if (!have_certs) skip();
    test_server *s = test_server_start(ok, NULL, cert, key);
    vk_http_result res = get(s, (vk_http_settings){0});
    print_message("%s\n", res.message);
    assert_int_equal(res.failure, VK_HTTP_FAIL_TLS);
    assert_int_equal(res.cause, VK_HTTP_CAUSE_CERT_UNTRUSTED);
    assert_int_equal(res.attempts, 1); /* a certificate problem is not retried */
    assert_int_equal(test_server_requests(s), 0);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_ca_from_file_or_pem(void **state) {
    (void)state;
    if (!have_certs) skip();
    test_server *s = test_server_start(ok, NULL, cert, key);
    vk_http_result res = get(s, (vk_http_settings){.ca_file = cert_path});
    assert_int_equal(res.failure, VK_HTTP_ANSWERED);
    assert_string_equal(res.body, "/tls");
    assert_true(res.https);
    vk_http_result_free(&res);
    res = get(s, (vk_http_settings){.ca_pem = cert});
    assert_int_equal(res.status, 200);
    vk_http_result_free(&res);
    res = get(s, (vk_http_settings){.insecure_skip_tls_verify = true});
    assert_int_equal(res.status, 200);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_certificate_for_another_name(void **state) {
    (void)state;
    if (!have_certs) skip();
    test_server *s = test_server_start(ok, NULL, other_cert, other_key);
    vk_http_result res = get(s, (vk_http_settings){.ca_file = other_path});
    print_message("%s\n", res.message);
    assert_int_equal(res.failure, VK_HTTP_FAIL_TLS);
    assert_int_equal(res.cause, VK_HTTP_CAUSE_CERT_HOSTNAME);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_unusable_ca(void **state) {
    (void)state;
    if (!have_certs) skip();
    test_server *s = test_server_start(ok, NULL, cert, key);
    vk_http_result res = get(s, (vk_http_settings){.ca_pem = "-----BEGIN CERTIFICATE-----\nnot really\n"
                                                              "-----END CERTIFICATE-----\n"});
    print_message("%s\n", res.message);
    assert_int_equal(res.failure, VK_HTTP_FAIL_TLS);
    assert_true(res.cause == VK_HTTP_CAUSE_CA_UNUSABLE || res.cause == VK_HTTP_CAUSE_CERT_UNTRUSTED);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static test_reply who(void *ctx, const test_request *rq) {
    (void)ctx;
    test_reply r = {.status = rq->client_verified ? 200 : 401};
    snprintf(r.body, sizeof r.body, "%s", rq->client_verified ? "verified" : "anonymous");
    return r;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* The server trusts the "other" certificate as a client's: sent as PEM text or as
 * files it is verified; no certificate, or one the server does not trust, is not. */
static void test_client_certificate(void **state) {
    (void)state;
    if (!have_certs) skip();
    test_server *s = test_server_start_mtls(who, NULL, cert, key, other_cert);
    vk_http_result res = get(s, (vk_http_settings){.ca_pem = cert});
    assert_int_equal(res.status, 401);
    vk_http_result_free(&res);
    res = get(s, (vk_http_settings){.ca_pem = cert, .client_cert_pem = other_cert, .client_key_pem = other_key});
    assert_int_equal(res.status, 200);
    assert_string_equal(res.body, "verified");
    vk_http_result_free(&res);
    char key_path[300];
    snprintf(key_path, sizeof key_path, "%s/client-key.pem", dir);
    write_file(key_path, other_key);
    res = get(s, (vk_http_settings){.ca_pem = cert, .client_cert_file = other_path, .client_key_file = key_path});
    assert_int_equal(res.status, 200);
    vk_http_result_free(&res);
    unlink(key_path);
    /* a certificate the server does not trust (the server's own, self-signed) */
    res = get(s, (vk_http_settings){.ca_pem = cert, .client_cert_pem = cert, .client_key_pem = key});
    assert_int_equal(res.status, 401);
    vk_http_result_free(&res);
    test_server_stop(s);
}

static void test_client_certificate_needs_its_key(void **state) {
    (void)state;
    vk_http_client *c;
    vk_status st;
    assert_false(vk_http_client_new(&(vk_http_settings){.client_cert_file = "/nonexistent/cert.pem"}, &c, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_null(c);
    assert_false(vk_http_client_new(&(vk_http_settings){.client_key_pem = "key"}, &c, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
}

/* https:// to a plain-HTTP server: no answer, whichever of its 400 or its reset wins. */
static void test_plain_http_peer(void **state) {
    (void)state;
    test_server *s = test_server_start(ok, NULL, NULL, NULL);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", test_server_port(s));
    vk_http_client *c;
    vk_status st;
    assert_true(vk_http_client_new(&(vk_http_settings){.base_url = url, .retry.max_attempts = 1}, &c, &st));
    vk_http_request rq = {.method = "GET", .url = "/", .deadline = vk_deadline_in(10000)};
    vk_http_result res;
    assert_false(vk_http_send(c, &rq, NULL, &res));
    print_message("%s (%s)\n", res.message, vk_http_failure_name(res.failure));
    assert_true(res.failure == VK_HTTP_FAIL_TLS || res.failure == VK_HTTP_FAIL_TRANSPORT);
    assert_false(res.handshaken);
    vk_http_result_free(&res);
    vk_http_client_free(c);
    test_server_stop(s);
}

static void test_tls_connections_are_kept_alive(void **state) {
    (void)state;
    if (!have_certs) skip();
    test_server *s = test_server_start(ok, NULL, cert, key);
    vk_http_client *c;
    vk_status st;
    assert_true(vk_http_client_new(&(vk_http_settings){.base_url = test_server_url(s), .ca_pem = cert}, &c, &st));
    for (int i = 0; i < 10; i++) {
        vk_http_request rq = {.method = "GET", .url = "/again", .deadline = vk_deadline_in(10000)};
        vk_http_result res;
        assert_true(vk_http_send(c, &rq, NULL, &res));
        assert_int_equal(res.status, 200);
        vk_http_result_free(&res);
    }
    assert_int_equal(test_server_connections(s), 1);
    vk_http_client_free(c);
    test_server_stop(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verified_by_default),
        cmocka_unit_test(test_ca_from_file_or_pem),
        cmocka_unit_test(test_certificate_for_another_name),
        cmocka_unit_test(test_unusable_ca),
        cmocka_unit_test(test_plain_http_peer),
        cmocka_unit_test(test_tls_connections_are_kept_alive),
        cmocka_unit_test(test_client_certificate),
        cmocka_unit_test(test_client_certificate_needs_its_key),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
