/* Watch event lines as the API server sends them, into a type and an object; ERROR
 * events' Status objects into the error model (410 and reason Expired/Gone: expired). */
#include "vk/kube_watch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

static bool parse(const char *line, vk_kube_watch_type *type, json_t **obj, vk_status *st) {
    return vk_kube_watch_parse_line(line, strlen(line), type, obj, st);
}

static void event_types(void **state) {
    (void)state;
    static const struct {
        const char *name;
        vk_kube_watch_type type;
    } cases[] = {{"ADDED", VK_KUBE_WATCH_ADDED},       {"MODIFIED", VK_KUBE_WATCH_MODIFIED},
                 {"DELETED", VK_KUBE_WATCH_DELETED},   {"BOOKMARK", VK_KUBE_WATCH_BOOKMARK},
                 {"ERROR", VK_KUBE_WATCH_ERROR}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[256];
        snprintf(line, sizeof line,
                 "{\"type\":\"%s\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x%zu\","
                 "\"resourceVersion\":\"%zu\"}}}",
                 cases[i].name, i, 100 + i);
        vk_kube_watch_type type = VK_KUBE_WATCH_TYPE_COUNT;
        json_t *obj = NULL;
        vk_status st;
        assert_true(parse(line, &type, &obj, &st));
        assert_int_equal(type, cases[i].type);
        assert_string_equal(vk_kube_watch_type_name(type), cases[i].name);
        char name[8];
        snprintf(name, sizeof name, "x%zu", i);
        assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")), name);
        assert_int_equal(obj->refcount, 1); /* the event around it is gone: ours alone */
        json_decref(obj);
    }
}

static void bad_lines(void **state) {
    (void)state;
    vk_kube_watch_type type;
    json_t *obj = (json_t *)1;
    vk_status st;
    /* A broken line must not be quoted: it may be a Secret's data. */
    assert_false(parse("{\"type\":\"ADDED\",\"object\":{\"data\":{\"password\":\"hunter2\"", &type, &obj, &st));
    assert_null(obj);
    assert_int_equal(st.code, VK_INTERNAL);
    assert_null(strstr(st.message, "hunter2"));
    assert_non_null(strstr(st.message, "not JSON"));
    assert_false(parse("{\"object\":{}}", &type, &obj, &st));
    assert_non_null(strstr(st.message, "without a type"));
    assert_false(parse("{\"type\":\"RENAMED\",\"object\":{}}", &type, &obj, &st));
    assert_non_null(strstr(st.message, "RENAMED"));
    assert_false(parse("{\"type\":\"ADDED\",\"object\":\"x\"}", &type, &obj, &st));
    assert_non_null(strstr(st.message, "without an object"));
    assert_false(parse("[]", &type, &obj, &st));
}

static vk_code error_code(const char *status_json, vk_kube_error *err, vk_status *st) {
    json_t *status = json_loads(status_json, 0, NULL);
    assert_non_null(status);
    vk_kube_watch_error(status, "watch configmaps in ns", err, st);
    json_decref(status);
    return st->code;
}

static void error_events(void **state) {
    (void)state;
    vk_kube_error err;
    vk_status st;
    /* What the watch cache sends for a resourceVersion it no longer has. */
    assert_int_equal(error_code("{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"too old resource version: "
                                "264 (278)\",\"reason\":\"Expired\",\"code\":410}",
                                &err, &st),
                     VK_OUT_OF_RANGE);
    assert_int_equal(err.kind, VK_KUBE_ERR_EXPIRED);
    assert_non_null(strstr(st.message, "too old resource version"));
    assert_non_null(strstr(st.message, "watch configmaps in ns"));
    /* Older servers: reason Gone; and a reason without its code. */
    assert_int_equal(error_code("{\"reason\":\"Gone\",\"code\":410}", &err, &st), VK_OUT_OF_RANGE);
    assert_int_equal(error_code("{\"reason\":\"Expired\",\"message\":\"compacted\"}", &err, &st), VK_OUT_OF_RANGE);
    /* Anything else is not a relist. */
    assert_int_equal(error_code("{\"reason\":\"InternalError\",\"code\":500,\"message\":\"boom\"}", &err, &st),
                     VK_UNAVAILABLE);
    assert_int_equal(error_code("{\"reason\":\"Forbidden\",\"code\":403}", &err, &st), VK_PERMISSION_DENIED);
    assert_int_not_equal(error_code("{}", &err, &st), VK_OK); /* no code at all: still a failure */
    assert_int_not_equal(st.code, VK_OUT_OF_RANGE);
}

static void random_timeouts(void **state) {
    (void)state;
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 2000; i++) {
        int64_t t = vk_kube_watch_random_timeout_s();
        assert_true(t >= VK_KUBE_WATCH_MIN_TIMEOUT_S && t <= 2 * VK_KUBE_WATCH_MIN_TIMEOUT_S);
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    assert_true(hi - lo > 200); /* spread over the range, not one value */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_types),
        cmocka_unit_test(bad_lines),
        cmocka_unit_test(error_events),
        cmocka_unit_test(random_timeouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
