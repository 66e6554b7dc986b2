/* kubeconfig parsing and in-cluster configuration. */
#include "vk/kube_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* "PEM!" and "KEY!" in base64. */
static const char KC[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: b\n"
    "clusters:\n"
    "- name: one\n"
    "  cluster: {server: 'https://127.0.0.1:1', certificate-authority: ca.crt}\n"
    "- name: two\n"
    "  cluster:\n"
    "    server: https://127.0.0.1:2\n"
    "    certificate-authority-data: UEVNIQ==\n"
    "    insecure-skip-tls-verify: true\n"
    "users:\n"
    "- name: tok\n"
    "  user: {token: abc}\n"
    "- name: cert\n"
    "  user: {client-certificate-data: UEVNIQ==, client-key-data: S0VZIQ==, tokenFile: /t}\n"
    "contexts:\n"
    "- name: a\n"
    "  context: {cluster: one, user: tok}\n"
    "- name: b\n"
    "  context: {cluster: two, user: cert, namespace: ns1}\n"
    "- name: c\n"
    "  context: {cluster: nowhere, user: tok}\n";

static void current_context(void **state) {
    (void)state;
    vk_kube_config c;
    vk_status st;
    assert_true(vk_kube_config_parse(KC, strlen(KC), NULL, "/etc/k", &c, &st));
    assert_string_equal(c.server, "https://127.0.0.1:2");
    assert_string_equal(c.ca_pem, "PEM!");
    assert_null(c.ca_file);
    assert_true(c.insecure_skip_tls_verify);
    assert_string_equal(c.cert_pem, "PEM!");
    assert_string_equal(c.key_pem, "KEY!");
    assert_string_equal(c.token_file, "/t");
    assert_null(c.token);
    assert_string_equal(c.namespace_, "ns1");
    vk_kube_config_free(&c);
}

static void named_context_relative_file(void **state) {
    (void)state;
    vk_kube_config c;
    vk_status st;
    assert_true(vk_kube_config_parse(KC, strlen(KC), "a", "/etc/k", &c, &st));
    assert_string_equal(c.server, "https://127.0.0.1:1");
    assert_string_equal(c.ca_file, "/etc/k/ca.crt");
    assert_false(c.insecure_skip_tls_verify);
    assert_string_equal(c.token, "abc");
    assert_string_equal(c.namespace_, "default");
    vk_kube_config_free(&c);
}

static void errors(void **state) {
    (void)state;
    vk_kube_config c;
    vk_status st;
    assert_false(vk_kube_config_parse(KC, strlen(KC), "c", NULL, &c, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "cluster"));
    assert_false(vk_kube_config_parse(KC, strlen(KC), "zz", NULL, &c, &st));
    assert_non_null(strstr(st.message, "no context zz"));
    const char bad[] = "a: [unclosed\n";
    assert_false(vk_kube_config_parse(bad, strlen(bad), NULL, NULL, &c, &st));
    assert_non_null(strstr(st.message, "YAML"));
    const char nob64[] = "current-context: x\ncontexts: [{name: x, context: {cluster: y}}]\n"
                         "clusters: [{name: y, cluster: {server: 'https://h', certificate-authority-data: '*'}}]\n";
    assert_false(vk_kube_config_parse(nob64, strlen(nob64), NULL, NULL, &c, &st));
    assert_non_null(strstr(st.message, "base64"));
    const char halfcert[] = "current-context: x\ncontexts: [{name: x, context: {cluster: y, user: u}}]\n"
                            "clusters: [{name: y, cluster: {server: 'https://h'}}]\n"
                            "users: [{name: u, user: {client-certificate: c.pem}}]\n";
    assert_false(vk_kube_config_parse(halfcert, strlen(halfcert), NULL, NULL, &c, &st));
    assert_non_null(strstr(st.message, "without its key"));
}

static void load_file(void **state) {
    (void)state;
    char dir[] = "/tmp/vk-kube-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/config", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(KC, f);
    fclose(f);
    vk_kube_config c;
    vk_status st;
    assert_true(vk_kube_config_load_file(path, "a", &c, &st));
    char want[300];
    snprintf(want, sizeof want, "%s/ca.crt", dir);
    assert_string_equal(c.ca_file, want);
    vk_kube_config_free(&c);
    unlink(path);
    assert_false(vk_kube_config_load_file(path, NULL, &c, &st));
    assert_int_equal(st.code, VK_FAILED_PRECONDITION);
    rmdir(dir);
}

static void in_cluster(void **state) {
    (void)state;
    char dir[] = "/tmp/vk-kube-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/namespace", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("kube-system\n", f);
    fclose(f);
    vk_kube_config c;
    vk_status st;
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_false(vk_kube_config_in_cluster(dir, &c, &st));
    assert_int_equal(st.code, VK_FAILED_PRECONDITION);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_true(vk_kube_config_in_cluster(dir, &c, &st));
    assert_string_equal(c.server, "https://[fd00::1]:443");
    assert_string_equal(c.namespace_, "kube-system");
    char want[300];
    snprintf(want, sizeof want, "%s/token", dir);
    assert_string_equal(c.token_file, want);
    vk_kube_config_free(&c);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(current_context), cmocka_unit_test(named_context_relative_file),
        cmocka_unit_test(errors), cmocka_unit_test(load_file), cmocka_unit_test(in_cluster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
