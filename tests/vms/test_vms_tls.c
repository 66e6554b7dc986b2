/* TLS against the simulator's HTTPS listener and its generated self-signed certificate:
 * verification is on by default, an unknown CA fails clearly before any request
 * reaches VMS, and the CA works from a file and as PEM text. */
#include "sim_harness.h"
#include "vk/deadline.h"
#include "vk/vms.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sim_instance sim;

static int group_setup(void **state) {
    (void)state;
    sim_start(&sim, &(sim_options){.http = true, .https = true});
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    sim_stop(&sim);
    return 0;
}

static vms_config https_config(void) {
    return (vms_config){.endpoint = sim.https_url, .username = "admin", .password = "123456"};
}

/* One GET views/ through a fresh client; returns whether it worked. */
static bool get_views(const vms_config *cfg, vms_error *err) {
    vms_client *c = sim_client(cfg);
    json_t *answer = NULL;
    bool ok = vms_get(c, "views/", vk_deadline_in(10000), &answer, err);
    json_decref(answer);
    vms_client_free(c);
    return ok;
}

static void test_unknown_ca_fails_before_any_request(void **state) {
    (void)state;
    sim_reset_stats(&sim);
    vms_config cfg = https_config();
    vms_error err;
    assert_false(get_views(&cfg, &err));
    assert_int_equal(err.kind, VMS_ERR_TLS);
    assert_int_equal(err.attempts, 1); /* a certificate problem is not retried */
    assert_vms_code(&err, VK_UNAVAILABLE);
    vk_status st;
    vms_error_to_status(&err, &st);
    assert_non_null(strstr(st.message, sim.https_url));
    assert_non_null(strstr(st.message, "certificate"));
    /* Not the login, not the GET: nothing reached the simulator. */
    assert_int_equal(sim_stat(&sim, "requests_total"), 0);
    assert_int_equal(sim_stat(&sim, "tokens_issued"), 0);
}

static void test_ca_file_is_trusted(void **state) {
    (void)state;
    vms_config cfg = https_config();
    cfg.ca_file = sim.ca_file;
    vms_error err;
    if (!get_views(&cfg, &err)) fail_msg("%s", err.message);
    /* host:port without a scheme means https too. */
    char hostport[64];
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", sim.https_port);
    cfg.endpoint = hostport;
    if (!get_views(&cfg, &err)) fail_msg("%s", err.message);
}

static void test_ca_pem_text_is_trusted(void **state) {
    (void)state;
    char *pem = sim_read_file(sim.ca_file);
    assert_non_null(pem);
    vms_config cfg = https_config();
    cfg.ca_pem = pem;
    vms_error err;
    bool ok = get_views(&cfg, &err);
    free(pem);
    if (!ok) fail_msg("%s", err.message);
}

static void test_insecure_only_when_asked(void **state) {
    (void)state;
    vms_config cfg = https_config();
    cfg.insecure_skip_tls_verify = true;
    vms_error err;
    if (!get_views(&cfg, &err)) fail_msg("%s", err.message);
}

static void test_plain_http_needs_explicit_permission(void **state) {
    (void)state;
    vms_config cfg = https_config();
    cfg.endpoint = sim.http_url;
    vms_client *c = NULL;
    vms_error err;
    assert_false(vms_client_new(&cfg, &c, &err));
    assert_int_equal(err.kind, VMS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "http://"));
    cfg.allow_http = true;
    if (!get_views(&cfg, &err)) fail_msg("%s", err.message);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_ca_fails_before_any_request),
        cmocka_unit_test(test_ca_file_is_trusted),
        cmocka_unit_test(test_ca_pem_text_is_trusted),
        cmocka_unit_test(test_insecure_only_when_asked),
        cmocka_unit_test(test_plain_http_needs_explicit_permission),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
