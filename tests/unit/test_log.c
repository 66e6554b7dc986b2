#include "vk/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Captures what one call writes; the caller frees the text. */
static char *captured;
static size_t captured_size;

static char *capture(void (*emit)(void)) {
    captured = NULL;
    FILE *mem = open_memstream(&captured, &captured_size);
    vk_log_set_stream(mem);
    emit();
    vk_log_set_stream(NULL);
    fclose(mem);
    return captured;
}

static void emit_plain(void) { VK_LOG(VK_LOG_INFO, "rpc finished", "method", "/csi.v1.Identity/Probe", "code", "OK"); }
static void emit_awkward(void) {
    VK_LOG(VK_LOG_WARN, "two words", "error", "say \"hi\"\nnext line", "empty", "", "eq", "a=b", "skipped", NULL);
}
static void emit_debug(void) { VK_LOG(VK_LOG_DEBUG, "hidden"); }

static void test_logfmt_line(void **state) {
    (void)state;
    vk_log_set_format(VK_LOG_FORMAT_LOGFMT);
    vk_log_set_level(VK_LOG_INFO);
    char *line = capture(emit_plain);
    assert_non_null(strstr(line, " level=info msg=\"rpc finished\" method=/csi.v1.Identity/Probe code=OK\n"));
    assert_memory_equal(line, "ts=", 3);
    assert_int_equal(strchr(line, '\n') - line + 1, (long)strlen(line)); /* exactly one line */
    free(line);
}

static void test_logfmt_quotes_and_escapes(void **state) {
    (void)state;
    vk_log_set_format(VK_LOG_FORMAT_LOGFMT);
    vk_log_set_level(VK_LOG_INFO);
    char *line = capture(emit_awkward);
    assert_non_null(strstr(line, "error=\"say \\\"hi\\\"\\nnext line\""));
    assert_non_null(strstr(line, "empty=\"\""));
    assert_non_null(strstr(line, "eq=\"a=b\""));
    assert_null(strstr(line, "skipped"));
    assert_int_equal(strchr(line, '\n') - line + 1, (long)strlen(line));
    free(line);
}

static void test_json_line_parses(void **state) {
    (void)state;
    vk_log_set_format(VK_LOG_FORMAT_JSON);
    vk_log_set_level(VK_LOG_INFO);
    char *line = capture(emit_awkward);
    json_error_t err;
    json_t *obj = json_loads(line, 0, &err);
    assert_non_null(obj);
    assert_string_equal(json_string_value(json_object_get(obj, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(obj, "msg")), "two words");
    assert_string_equal(json_string_value(json_object_get(obj, "error")), "say \"hi\"\nnext line");
    assert_null(json_object_get(obj, "skipped"));
    json_decref(obj);
    free(line);
    vk_log_set_format(VK_LOG_FORMAT_LOGFMT);
}

static void test_level_filters(void **state) {
    (void)state;
    vk_log_set_level(VK_LOG_INFO);
    char *line = capture(emit_debug);
    assert_true(line == NULL || line[0] == '\0');
    free(line);
    vk_log_set_level(VK_LOG_DEBUG);
    line = capture(emit_debug);
    assert_non_null(strstr(line, "msg=hidden"));
    free(line);
    vk_log_set_level(VK_LOG_INFO);
}

static void test_parsers(void **state) {
    (void)state;
    vk_log_level level;
    assert_true(vk_log_level_parse("debug", &level));
    assert_int_equal(level, VK_LOG_DEBUG);
    assert_true(vk_log_level_parse("warning", &level));
    assert_int_equal(level, VK_LOG_WARN);
    assert_false(vk_log_level_parse("verbose", &level));
    vk_log_format format;
    assert_true(vk_log_format_parse("json", &format));
    assert_int_equal(format, VK_LOG_FORMAT_JSON);
    assert_true(vk_log_format_parse("text", &format));
    assert_int_equal(format, VK_LOG_FORMAT_LOGFMT);
    assert_false(vk_log_format_parse("xml", &format));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logfmt_line),
        cmocka_unit_test(test_logfmt_quotes_and_escapes),
        cmocka_unit_test(test_json_line_parses),
        cmocka_unit_test(test_level_filters),
        cmocka_unit_test(test_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
