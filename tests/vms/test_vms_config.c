/* Client configuration, query strings and the registry: everything that needs no server. */
#include "vk/vms.h"
#include "vk/vms_list.h"
#include "vk/vms_registry.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vms_config base_config(const char *endpoint) {
    return (vms_config){.endpoint = endpoint, .username = "admin", .password = "123456"};
}

/* Creates a client for endpoint and checks the normalised endpoint. */
static void expect_endpoint(const char *given, bool allow_http, const char *expected) {
    vms_config cfg = base_config(given);
    cfg.allow_http = allow_http;
    vms_client *c;
    vms_error err;
    if (!vms_client_new(&cfg, &c, &err)) fail_msg("%s: %s", given, err.message);
    assert_string_equal(vms_client_endpoint(c), expected);
    vms_client_free(c);
}

static void expect_config_error(const vms_config *cfg, const char *fragment) {
    vms_client *c = (vms_client *)1;
    vms_error err;
    assert_false(vms_client_new(cfg, &c, &err));
    assert_null(c);
    assert_int_equal(err.kind, VMS_ERR_CONFIG);
    if (!strstr(err.message, fragment)) fail_msg("\"%s\" lacks \"%s\"", err.message, fragment);
    vk_status st;
    assert_int_equal(vms_error_to_status(&err, &st), VK_INVALID_ARGUMENT);
}

static void test_endpoint_forms(void **state) {
    (void)state;
    expect_endpoint("vms.example", false, "https://vms.example");
    expect_endpoint("vms.example:8443", false, "https://vms.example:8443");
    expect_endpoint("https://vms.example:8443", false, "https://vms.example:8443");
    expect_endpoint("https://vms.example:8443/", false, "https://vms.example:8443");
    expect_endpoint("HTTPS://10.0.0.1", false, "https://10.0.0.1");
    expect_endpoint("[fd00::1]:443", false, "https://[fd00::1]:443");
    expect_endpoint("fd00::1", false, "https://[fd00::1]");
    expect_endpoint("http://127.0.0.1:8080", true, "http://127.0.0.1:8080");
}

static void test_endpoint_errors(void **state) {
    (void)state;
    vms_config cfg = base_config("http://127.0.0.1:8080");
    expect_config_error(&cfg, "plain http://");
    cfg.endpoint = "ftp://vms.example";
    expect_config_error(&cfg, "unsupported scheme");
    cfg.endpoint = "vms.example/api";
    expect_config_error(&cfg, "must not carry a path");
    cfg.endpoint = "admin:pw@vms.example";
    expect_config_error(&cfg, "carries credentials");
    cfg.endpoint = "https://vms.example?x=1";
    expect_config_error(&cfg, "must not carry a query or fragment");
    cfg.endpoint = "vms.example:0";
    expect_config_error(&cfg, "invalid port");
    cfg.endpoint = "vms.example:99999";
    expect_config_error(&cfg, "invalid port");
    cfg.endpoint = "";
    expect_config_error(&cfg, "empty");
    cfg.endpoint = "[fd00::1";
    expect_config_error(&cfg, "unclosed");
}

/* Credentials written into the endpoint are refused, and neither the message, the
 * error's endpoint nor the mapped status quotes them - whatever else is wrong with it. */
static void test_endpoint_userinfo_is_refused_unquoted(void **state) {
    (void)state;
    const char *endpoints[] = {
        "https://admin:Sup3rS3cret@vms.example",
        "https://admin:Sup3rS3cret@vms.example:8443/",
        "admin:Sup3rS3cret@vms.example:443",
        "https://admin:Sup3r@S3cret@vms.example", /* an '@' in the password */
        "http://admin:Sup3rS3cret@127.0.0.1:8080", /* plain http:// too, allowed or not */
        "ftp://admin:Sup3rS3cret@vms.example",
        "https://admin:Sup3rS3cret@vms.example/api?token=Sup3rS3cret#Sup3rS3cret",
        "https://vms.example/?token=Sup3rS3cret",
        "https://vms.example#Sup3rS3cret",
    };
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
        for (int allow_http = 0; allow_http < 2; allow_http++) {
            vms_config cfg = base_config(endpoints[i]);
            cfg.allow_http = allow_http;
            vms_client *c;
            vms_error err;
            assert_false(vms_client_new(&cfg, &c, &err));
            vk_status st;
            assert_int_equal(vms_error_to_status(&err, &st), VK_INVALID_ARGUMENT);
            const char *texts[] = {err.message, err.endpoint, st.message};
            for (size_t t = 0; t < 3; t++) {
                if (strstr(texts[t], "Sup3r") || strstr(texts[t], "S3cret"))
                    fail_msg("%s: the secret shows in \"%s\"", endpoints[i], texts[t]);
            }
            if (strchr(endpoints[i], '@') && !strstr(st.message, "username and password keys"))
                fail_msg("%s: %s", endpoints[i], st.message);
        }
    }
}

static void test_credentials_and_trust(void **state) {
    (void)state;
    vms_config cfg = {.endpoint = "vms.example"};
    expect_config_error(&cfg, "no credentials");
    cfg = base_config("vms.example");
    cfg.api_token = "tok";
    expect_config_error(&cfg, "not both");
    cfg = base_config("vms.example");
    cfg.password = "";
    expect_config_error(&cfg, "password");
    cfg = base_config("vms.example");
    cfg.tenant = "t1\r\nX-Evil: 1";
    expect_config_error(&cfg, "line break");
    cfg = base_config("vms.example");
    cfg.ca_file = "/nonexistent/ca.pem";
    expect_config_error(&cfg, "/nonexistent/ca.pem");
    cfg = base_config("vms.example");
    cfg.ca_pem = "not a certificate";
    expect_config_error(&cfg, "not PEM");
    cfg = base_config("vms.example");
    cfg.api_version = "v1/../x";
    expect_config_error(&cfg, "API version");

    cfg = (vms_config){.endpoint = "vms.example", .api_token = "secret-token"};
    vms_client *c;
    vms_error err;
    assert_true(vms_client_new(&cfg, &c, &err));
    assert_string_equal(vms_client_identity(c), "(api token)");
    vms_client_free(c);
}

static void test_reference_counting(void **state) {
    (void)state;
    vms_config cfg = base_config("vms.example");
    vms_client *c;
    vms_error err;
    assert_true(vms_client_new(&cfg, &c, &err));
    vms_client *again = vms_client_ref(c);
    assert_ptr_equal(again, c);
    vms_client_free(c);
    assert_string_equal(vms_client_endpoint(again), "https://vms.example"); /* still alive */
    vms_client_free(again);
}

/* Caches keyed by the fingerprint must not mix two tenants or two users of one endpoint. */
static uint64_t fingerprint_of(vms_config cfg) {
    vms_client *c;
    vms_error err;
    if (!vms_client_new(&cfg, &c, &err)) fail_msg("%s", err.message);
    uint64_t f = vms_client_fingerprint(c);
    vms_client_free(c);
    return f;
}

static void test_fingerprint_tells_tenants_and_users_apart(void **state) {
    (void)state;
    vms_config a = base_config("vms.example");
    vms_config tenant_b = a, other_user = a, token_1 = {.endpoint = "vms.example", .api_token = "t1"},
               token_2 = {.endpoint = "vms.example", .api_token = "t2"};
    tenant_b.tenant = "b";
    other_user.username = "someone-else";
    assert_true(fingerprint_of(a) == fingerprint_of(base_config("vms.example")));
    assert_true(fingerprint_of(a) != fingerprint_of(tenant_b));
    assert_true(fingerprint_of(a) != fingerprint_of(other_user));
    assert_true(fingerprint_of(token_1) != fingerprint_of(token_2));
}

static void test_query_strings(void **state) {
    (void)state;
    char *p = vms_path_with_query("quotas/", VMS_FILTERS("path__startswith", "/k8s/a b&c=d", "tenant_id", "3"));
    assert_string_equal(p, "quotas/?path__startswith=%2Fk8s%2Fa%20b%26c%3Dd&tenant_id=3");
    free(p);
    p = vms_path_with_query("quotas/?page=2", VMS_FILTERS("page_size", "1000"));
    assert_string_equal(p, "quotas/?page=2&page_size=1000");
    free(p);
    p = vms_path_with_query("views/", VMS_NO_FILTERS);
    assert_string_equal(p, "views/");
    free(p);
}

static void test_registry_reuses_clients_per_tuple(void **state) {
    (void)state;
    vms_registry *r = vms_registry_new(0);
    vms_error err;
    vms_config cfg = base_config("vms.example");
    vms_client *a, *b, *c, *d, *e;
    assert_true(vms_registry_get(r, &cfg, &a, &err));
    assert_true(vms_registry_get(r, &cfg, &b, &err));
    assert_ptr_equal(a, b);
    /* The same cluster spelled differently is the same tuple. */
    vms_config spelled = base_config("https://vms.example/");
    assert_true(vms_registry_get(r, &spelled, &c, &err));
    assert_ptr_equal(a, c);
    /* Other credentials, tenant or TLS settings: another client. */
    vms_config other_password = base_config("vms.example");
    other_password.password = "654321";
    assert_true(vms_registry_get(r, &other_password, &d, &err));
    assert_ptr_not_equal(a, d);
    vms_config tenant = base_config("vms.example");
    tenant.tenant = "t1";
    assert_true(vms_registry_get(r, &tenant, &e, &err));
    assert_ptr_not_equal(a, e);
    assert_ptr_not_equal(d, e);
    assert_int_equal(vms_registry_size(r), 3);
    /* An invalid configuration is refused and not cached. */
    vms_config bad = base_config("http://vms.example");
    vms_client *none;
    assert_false(vms_registry_get(r, &bad, &none, &err));
    assert_int_equal(err.kind, VMS_ERR_CONFIG);
    assert_int_equal(vms_registry_size(r), 3);
    vms_client_free(a);
    vms_client_free(b);
    vms_client_free(c);
    vms_client_free(d);
    vms_client_free(e);
    vms_registry_free(r);
}

static void test_registry_evicts_least_recently_used(void **state) {
    (void)state;
    vms_registry *r = vms_registry_new(2);
    vms_error err;
    vms_config one = base_config("one.example"), two = base_config("two.example"), three = base_config("three.example");
    vms_client *c1, *c2, *c3, *c1_again;
    assert_true(vms_registry_get(r, &one, &c1, &err));
    assert_true(vms_registry_get(r, &two, &c2, &err));
    assert_true(vms_registry_get(r, &three, &c3, &err)); /* evicts one */
    assert_int_equal(vms_registry_size(r), 2);
    /* The evicted client lives on while we hold it. */
    assert_string_equal(vms_client_endpoint(c1), "https://one.example");
    assert_true(vms_registry_get(r, &one, &c1_again, &err));
    assert_ptr_not_equal(c1, c1_again);
    vms_client_free(c1);
    vms_client_free(c2);
    vms_client_free(c3);
    vms_client_free(c1_again);
    vms_registry_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_forms),
        cmocka_unit_test(test_endpoint_errors),
        cmocka_unit_test(test_endpoint_userinfo_is_refused_unquoted),
        cmocka_unit_test(test_credentials_and_trust),
        cmocka_unit_test(test_reference_counting),
        cmocka_unit_test(test_fingerprint_tells_tenants_and_users_apart),
        cmocka_unit_test(test_query_strings),
        cmocka_unit_test(test_registry_reuses_clients_per_tuple),
        cmocka_unit_test(test_registry_evicts_least_recently_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
