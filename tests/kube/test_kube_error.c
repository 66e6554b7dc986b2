/* Status objects to typed errors. */
#include "vk/kube_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

static void mapping(void **state) {
    (void)state;
    vk_kube_error e;
    vk_status st;
    vk_kube_error_from_answer(404, "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"message\":\"configmaps \\\"x\\\" not found\"}", "get x", &e, &st);
    assert_int_equal(e.kind, VK_KUBE_ERR_NOT_FOUND);
    assert_int_equal(st.code, VK_NOT_FOUND);
    assert_non_null(strstr(st.message, "not found"));
    vk_kube_error_from_answer(409, "{\"reason\":\"AlreadyExists\"}", NULL, &e, &st);
    assert_int_equal(e.kind, VK_KUBE_ERR_ALREADY_EXISTS);
    vk_kube_error_from_answer(409, "{\"reason\":\"Conflict\"}", NULL, &e, &st);
    assert_int_equal(st.code, VK_ABORTED);
    vk_kube_error_from_answer(410, "{\"reason\":\"Expired\"}", NULL, &e, &st);
    assert_int_equal(e.kind, VK_KUBE_ERR_EXPIRED);
    vk_kube_error_from_answer(429, "{\"reason\":\"TooManyRequests\",\"details\":{\"retryAfterSeconds\":3}}", NULL, &e, &st);
    assert_int_equal(e.retry_after_s, 3);
    assert_int_equal(st.code, VK_RESOURCE_EXHAUSTED);
    vk_kube_error_from_answer(503, "not json", NULL, &e, &st);
    assert_int_equal(e.kind, VK_KUBE_ERR_SERVER);
    assert_non_null(strstr(st.message, "no Status object"));
}

static void causes(void **state) {
    (void)state;
    vk_kube_error e;
    vk_status st;
    vk_kube_error_from_answer(422, "{\"reason\":\"Invalid\",\"message\":\"bad\",\"details\":{\"causes\":["
                              "{\"field\":\"metadata.name\",\"message\":\"must be lowercase\"},"
                              "{\"field\":\"data\",\"message\":\"too big\"}]}}", "create", &e, &st);
    assert_int_equal(e.kind, VK_KUBE_ERR_INVALID);
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "metadata.name: must be lowercase; data: too big"));
}

/* A cause the server's message already states is not repeated; one it does not is added. */
static void causes_said_once(void **state) {
    (void)state;
    vk_kube_error e;
    vk_status st;
    vk_kube_error_from_answer(422, "{\"reason\":\"Invalid\",\"message\":\"ConfigMap \\\"X\\\" is invalid: "
                              "metadata.name: Invalid value: \\\"X\\\": a lowercase RFC 1123 subdomain\","
                              "\"details\":{\"causes\":[{\"field\":\"metadata.name\",\"message\":"
                              "\"Invalid value: \\\"X\\\": a lowercase RFC 1123 subdomain\"},"
                              "{\"field\":\"data\",\"message\":\"too big\"}]}}", "create", &e, &st);
    const char *first = strstr(st.message, "a lowercase RFC 1123 subdomain");
    assert_non_null(first);
    assert_null(strstr(first + 1, "a lowercase RFC 1123 subdomain"));
    assert_non_null(strstr(st.message, "; data: too big"));
}

/* 401 and 403 say what to check: the server's own word is just "Unauthorized". */
static void credentials_hints(void **state) {
    (void)state;
    vk_kube_error e;
    vk_status st;
    vk_kube_error_from_answer(401, "{\"reason\":\"Unauthorized\",\"message\":\"Unauthorized\"}", "get x", &e, &st);
    assert_int_equal(st.code, VK_UNAUTHENTICATED);
    assert_non_null(strstr(st.message, "expired or revoked token or client certificate"));
    vk_kube_error_from_answer(403, "{\"reason\":\"Forbidden\",\"message\":\"forbidden\"}", "get x", &e, &st);
    assert_int_equal(st.code, VK_PERMISSION_DENIED);
    assert_non_null(strstr(st.message, "RBAC"));
    vk_kube_error_from_answer(404, "{\"reason\":\"NotFound\",\"message\":\"gone\"}", "get x", &e, &st);
    assert_null(strstr(st.message, "RBAC"));
    assert_null(strstr(st.message, "credentials"));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(mapping), cmocka_unit_test(causes),
                                       cmocka_unit_test(causes_said_once), cmocka_unit_test(credentials_hints)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
