/* vms_error: reading VMS error answers and the mapping to gRPC codes, class by class. */
#include "vk/vms_error.h"
#include "vms_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

/* An HTTP error as the client would record it for POST quotas/ on a test cluster. */
static vms_error http_error(long status, const char *body) {
    vms_error err;
    vms_error_clear(&err);
    vms_error_from_http(&err, status, body, body ? strlen(body) : 0, NULL);
    snprintf(err.method, sizeof err.method, "POST");
    snprintf(err.path, sizeof err.path, "quotas/");
    snprintf(err.endpoint, sizeof err.endpoint, "https://vms.example:443");
    vms_error_set_object(&err, "quota path=/k8s/pvc-1");
    return err;
}

static vms_error transport_error(vms_error_kind kind, const char *message) {
    vms_error err;
    vms_error_clear(&err);
    vms_error_set(&err, kind, "%s", message);
    snprintf(err.method, sizeof err.method, "GET");
    snprintf(err.path, sizeof err.path, "views/");
    snprintf(err.endpoint, sizeof err.endpoint, "https://vms.example:443");
    return err;
}

static vk_code map(const vms_error *err, vk_status *st) { return vms_error_to_status(err, st); }

static void test_field_errors_are_joined(void **state) {
    (void)state;
    vms_error err = http_error(400, "{\"name\": [\"This field must be unique.\"], \"path\": [\"This field is "
                                    "required.\", \"Second.\"]}");
    assert_int_equal(err.kind, VMS_ERR_HTTP);
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.field, "name");
    assert_string_equal(err.message, "name: This field must be unique.; path: This field is required. Second.");
}

static void test_detail_and_code_are_read(void **state) {
    (void)state;
    vms_error err = http_error(403, "{\"detail\": \"You do not have permission to perform this action.\", "
                                    "\"code\": \"permission_denied\"}");
    assert_string_equal(err.message, "You do not have permission to perform this action.");
    assert_string_equal(err.code, "permission_denied");
    assert_false(vms_error_is_token_expiry(&err));
}

/* A proxy's page is quoted as its text: tags dropped, whitespace folded. */
static void test_text_body_is_quoted_as_text(void **state) {
    (void)state;
    vms_error err = http_error(502, "\n  <html><body>Bad gateway</body></html>\nmore");
    assert_string_equal(err.message, "Bad gateway more");
    err = http_error(503, "");
    assert_string_equal(err.message, "no details in the answer");
}

static void test_unique_violation_is_already_exists(void **state) {
    (void)state;
    vk_status st;
    vms_error err = http_error(400, "{\"name\": [\"This field must be unique.\"]}");
    assert_true(vms_error_is_unique_violation(&err));
    assert_int_equal(map(&err, &st), VK_ALREADY_EXISTS);
    /* Names the object, the cluster, the request and what VMS said. */
    assert_non_null(strstr(st.message, "quota path=/k8s/pvc-1"));
    assert_non_null(strstr(st.message, "https://vms.example:443"));
    assert_non_null(strstr(st.message, "POST quotas/"));
    assert_non_null(strstr(st.message, "name: This field must be unique."));
}

static void test_other_400_is_invalid_argument(void **state) {
    (void)state;
    vk_status st;
    vms_error err = http_error(400, "{\"path\": [\"Directory does not exist\"]}");
    assert_false(vms_error_is_unique_violation(&err));
    assert_int_equal(map(&err, &st), VK_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "path: Directory does not exist"));
}

/* A process that is not the CSI driver (the operator) names its own objects in the advice. */
static void test_advice_wording_is_the_process_s(void **state) {
    (void)state;
    vk_status st;
    vms_error err = http_error(401, "{\"detail\": \"No active account found with the given credentials\"}");
    vms_error_set_wording("the VastCluster's Secret", "the VastCluster's caBundle", "trust it by its caBundle");
    assert_int_equal(map(&err, &st), VK_UNAUTHENTICATED);
    assert_non_null(strstr(st.message, "check the username/password (or API token) in the VastCluster's Secret"));
    assert_null(strstr(st.message, "StorageClass"));
    assert_null(strstr(st.message, "{secret}"));
    vms_error_set_wording("the StorageClass secret", "the secret's ssl_cert key",
                          "start vast-csi with --vms-insecure-skip-verify");
    assert_int_equal(map(&err, &st), VK_UNAUTHENTICATED);
    assert_non_null(strstr(st.message, "in the StorageClass secret"));
}

static void test_auth_failures(void **state) {
    (void)state;
    vk_status st;
    vms_error err = http_error(401, "{\"detail\": \"No active account found with the given credentials\"}");
    assert_int_equal(map(&err, &st), VK_UNAUTHENTICATED);
    assert_non_null(strstr(st.message, "check the username/password"));
    assert_non_null(strstr(st.message, "StorageClass secret"));

    err = http_error(403, "{\"detail\": \"Token is invalid or expired\"}");
    assert_true(vms_error_is_token_expiry(&err));
    assert_int_equal(map(&err, &st), VK_UNAUTHENTICATED);

    err = http_error(403, "{\"detail\": \"You do not have permission to perform this action.\", "
                          "\"code\": \"permission_denied\"}");
    assert_int_equal(map(&err, &st), VK_PERMISSION_DENIED);
    assert_non_null(strstr(st.message, "role"));
}

static void test_not_found_conflict_and_server_errors(void **state) {
    (void)state;
    vk_status st;
    vms_error err = http_error(404, "{\"detail\": \"Not found.\"}");
    assert_true(vms_error_is_not_found(&err));
    assert_int_equal(map(&err, &st), VK_NOT_FOUND);
    err = http_error(409, "{\"detail\": \"view policy is used by 2 views\"}");
    assert_int_equal(map(&err, &st), VK_FAILED_PRECONDITION);
    assert_non_null(strstr(st.message, "used by 2 views"));
    for (long status = 500; status <= 504; status++) {
        err = http_error(status, "{\"detail\": \"Service temporarily unavailable, try again later.\"}");
        assert_int_equal(map(&err, &st), VK_UNAVAILABLE);
    }
    err = http_error(429, "");
    assert_int_equal(map(&err, &st), VK_RESOURCE_EXHAUSTED);
}

static void test_transport_classes(void **state) {
    (void)state;
    vk_status st;
    vms_error err = transport_error(VMS_ERR_TRANSPORT, "Failed to connect to vms.example port 443");
    assert_int_equal(map(&err, &st), VK_UNAVAILABLE);
    assert_non_null(strstr(st.message, "cannot reach VMS"));
    assert_non_null(strstr(st.message, "Failed to connect"));

    err = transport_error(VMS_ERR_TIMEOUT, "Operation timed out after 30000 milliseconds");
    assert_int_equal(map(&err, &st), VK_UNAVAILABLE);

    err = transport_error(VMS_ERR_DEADLINE, "Operation timed out after 500 milliseconds");
    assert_int_equal(map(&err, &st), VK_DEADLINE_EXCEEDED);

    err = transport_error(VMS_ERR_TLS, "SSL certificate problem: self-signed certificate");
    assert_int_equal(map(&err, &st), VK_UNAVAILABLE);
    assert_non_null(strstr(st.message, "certificate"));
    assert_non_null(strstr(st.message, "ssl_cert"));
    assert_non_null(strstr(st.message, "https://vms.example:443"));
}

static void test_client_side_classes(void **state) {
    (void)state;
    vk_status st;
    vms_error err = transport_error(VMS_ERR_AMBIGUOUS, "more than one quota has path__endswith=/pvc-1");
    assert_int_equal(map(&err, &st), VK_FAILED_PRECONDITION);
    err = transport_error(VMS_ERR_TASK, "task delete tenant ended FAILED: tenant owns objects");
    assert_int_equal(map(&err, &st), VK_FAILED_PRECONDITION);
    err = transport_error(VMS_ERR_CONFIG, "the VMS endpoint is empty");
    assert_int_equal(map(&err, &st), VK_INVALID_ARGUMENT);
    err = transport_error(VMS_ERR_RESPONSE, "HTTP 200 with a body that is not JSON");
    assert_int_equal(map(&err, &st), VK_INTERNAL);
    vms_error_clear(&err);
    assert_int_equal(map(&err, &st), VK_OK);
}

static void test_kind_names(void **state) {
    (void)state;
    assert_string_equal(vms_error_kind_name(VMS_ERR_TLS), "tls");
    assert_string_equal(vms_error_kind_name(VMS_ERR_DEADLINE), "deadline");
    assert_string_equal(vms_error_kind_name(VMS_ERR_HTTP), "http");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_errors_are_joined),
        cmocka_unit_test(test_advice_wording_is_the_process_s),
        cmocka_unit_test(test_detail_and_code_are_read),
        cmocka_unit_test(test_text_body_is_quoted_as_text),
        cmocka_unit_test(test_unique_violation_is_already_exists),
        cmocka_unit_test(test_other_400_is_invalid_argument),
        cmocka_unit_test(test_auth_failures),
        cmocka_unit_test(test_not_found_conflict_and_server_errors),
        cmocka_unit_test(test_transport_classes),
        cmocka_unit_test(test_client_side_classes),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
