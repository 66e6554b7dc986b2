#include "vk/log.h"
#include "vk/redact.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The password of these tests: characters every encoding changes, and a non-ASCII one. */
#define PW "Pa$$ w0rd/\"&<x>\\\xc3\xa9"
#define TOKEN "eyJhbGciOiJIUzI1NiJ9.ACCESS.sig"

static vk_secrets secrets(void) {
    vk_secrets s = {0};
    vk_secrets_add(&s, PW);
    vk_secrets_add(&s, TOKEN);
    return s;
}

/* Redacts text with the test secrets and checks that want is what comes out. */
static void expect(const char *text, const char *want) {
    vk_secrets s = secrets();
    char *got = vk_redact(text, strlen(text), &s);
    if (strcmp(got, want) != 0) fail_msg("redacting\n  %s\ngave\n  %s\nwanted\n  %s", text, got, want);
    free(got);
}

static void test_credentials_are_sensitive(void **state) {
    (void)state;
    const char *names[] = {
        "secrets", "password", "PASSWORD", "db_passwd", "token", "api_token", "Api-Token",
        "secret_access_key", "access_secret_key", "private_key", "credentials", "client_secret",
        "authorization", "ssl_key_password", "vms_token", "apikey", "mount_flags",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!vk_redact_is_sensitive(names[i])) fail_msg("%s should be sensitive", names[i]);
    }
}

static void test_ordinary_names_are_not(void **state) {
    (void)state;
    const char *names[] = {
        "name", "volume_id", "parameters", "username", "endpoint", "view_policy", "ssl_cert",
        "starting_token", "next_token", "NEXT_TOKEN", "access_key_id", "node_id", "capacity_range",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (vk_redact_is_sensitive(names[i])) fail_msg("%s should not be sensitive", names[i]);
    }
    assert_false(vk_redact_is_sensitive(NULL));
}

static void test_secret_values_in_every_encoding(void **state) {
    (void)state;
    expect("login failed for Pa$$ w0rd/\"&<x>\\\xc3\xa9!", "login failed for ***!");
    /* JSON (minimal and full escaping, upper and lower hex), JSON inside a JSON string */
    expect("{\"p\": \"Pa$$ w0rd/\\\"&<x>\\\\\xc3\xa9\"}", "{\"p\": \"***\"}");
    expect("Pa$$ w0rd\\/\\u0022&\\u003cx\\u003E\\\\\\u00E9", "***");
    expect("\\\"Pa$$ w0rd/\\\\\\\"&<x>\\\\\\\\\xc3\xa9\\\"", "\\\"***\\\"");
    /* percent- and form-encoding, mixed case, partly encoded */
    expect("q=Pa%24%24%20w0rd%2F%22%26%3Cx%3E%5C%C3%A9&n=1", "q=***&n=1");
    expect("q=Pa%24%24+w0rd/%22%26%3cx%3e%5c%c3%a9", "q=***");
    /* HTML entities, named and numeric */
    expect("<pre>Pa$$ w0rd/&quot;&amp;&lt;x&gt;\\&#233;</pre>", "<pre>***</pre>");
    expect("Pa&#36;$ w0rd&#x2F;&#34;&amp;&lt;x&gt;\\\xc3\xa9", "***");
    /* a JSON body percent-encoded, and HTML-escaped JSON */
    expect("body=Pa%24%24%20w0rd%2F%5C%22%26%3Cx%3E%5C%5C%C3%A9", "body=***");
    expect("Pa$$ w0rd/\\&quot;&amp;&lt;x&gt;\\\\\xc3\xa9", "***");
    expect("Bearer " TOKEN " and " TOKEN, "Bearer *** and ***");
    expect("nothing secret here", "nothing secret here");
}

static void test_short_secrets_only_as_whole_values(void **state) {
    (void)state;
    vk_secrets s = {0};
    vk_secrets_add(&s, "ab");
    const char *cases[][2] = {
        {"{\"password\":\"ab\"}", "{\"password\":\"***\"}"},
        {"{\"x\": \"ab\"}", "{\"x\": \"***\"}"},
        {"pw=ab&x=1", "pw=***&x=1"},
        {"X-Thing: ab", "X-Thing: ***"},
        {"<td>ab</td>", "<td>***</td>"},
        /* inside words and free prose, "ab" stays: removing it would garble, not protect */
        {"a table about abc", "a table about abc"},
        {"grab ab now", "grab ab now"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = vk_redact(cases[i][0], strlen(cases[i][0]), &s);
        if (strcmp(got, cases[i][1]) != 0) fail_msg("%s -> %s, wanted %s", cases[i][0], got, cases[i][1]);
        free(got);
    }
}

static void test_userinfo_in_urls(void **state) {
    (void)state;
    expect("GET https://admin:hunter2@vms.example:443/api/v1/views/ failed",
           "GET https://***@vms.example:443/api/v1/views/ failed");
    expect("see http://u@h/ and ftp://a:b@c", "see http://***@h/ and ftp://***@c");
    expect("{\"url\":\"https:\\/\\/adm:pw@h\\/x\"}", "{\"url\":\"https:\\/\\/***@h\\/x\"}");
    /* an '@' in the password itself: the host is after the last '@' of the authority */
    expect("https://admin:p@ss@vms:443", "https://***@vms:443");
    expect("https://vms/path@notuserinfo", "https://vms/path@notuserinfo");
}

static void test_headers(void **state) {
    (void)state;
    expect("Authorization: Bearer abc.def\r\nHost: vms\r\n", "Authorization: ***\r\nHost: vms\r\n");
    expect("authorization:Api-Token 123\nCookie: s=1; t=2\nAccept: */*",
           "authorization:***\nCookie: ***\nAccept: */*");
    expect("{\"raw\": \"POST /x\\r\\nAuthorization: Basic YTpi\\r\\nX-Auth-Token: zz\\r\\n\"}",
           "{\"raw\": \"POST /x\\r\\nAuthorization: ***\\r\\nX-Auth-Token: ***\\r\\n\"}");
    expect("Proxy-Authorization: Basic Zm9v<br>", "Proxy-Authorization: ***<br>");
    expect("Content-Type: application/json", "Content-Type: application/json");
}

static void test_fields_of_quoted_bodies(void **state) {
    (void)state;
    expect("{\"username\": \"admin\", \"password\": \"s3cr\\\"et\"}",
           "{\"username\": \"admin\", \"password\": \"***\"}");
    expect("{\"access\":\"a.b.c\",\"refresh\":\"d.e.f\",\"n\":1}",
           "{\"access\":\"***\",\"refresh\":\"***\",\"n\":1}");
    expect("{\"api_token\": 12345, \"ok\": true, \"secret\": null}",
           "{\"api_token\": \"***\", \"ok\": true, \"secret\": null}");
    expect("{\"client_secret\": [\"x\", \"y\"], \"auth\": {\"token\": \"t\"}}",
           "{\"client_secret\": \"***\", \"auth\": {\"token\": \"***\"}}");
    /* JSON inside a JSON string, HTML-escaped JSON, single quotes */
    expect("{\"body\":\"{\\\"password\\\":\\\"p\\\\\\\"w\\\"}\"}",
           "{\"body\":\"{\\\"password\\\":\\\"***\\\"}\"}");
    expect("{&quot;password&quot;:&quot;pw&quot;}", "{&quot;password&quot;:&quot;***&quot;}");
    expect("{'token': 'abc'}", "{'token': '***'}");
    /* forms, queries, logfmt */
    expect("username=admin&password=p%40ss&x=1", "username=admin&password=***&x=1");
    expect("GET /a?refresh=zzz#f", "GET /a?refresh=***#f");
    expect("msg=x secret=\"a b\" n=1", "msg=x secret=\"***\" n=1");
    /* a cut body: the value runs to the end */
    expect("{\"password\": \"abcdef", "{\"password\": \"***");
    /* VMS's own words stay readable */
    expect("Token is invalid or expired", "Token is invalid or expired");
    expect("password: This field may not be blank.", "password: This field may not be blank.");
    expect("starting_token=abc&next_token=def", "starting_token=abc&next_token=def");
    /* a mark stays what it is: pbjson's "***stripped***" is not turned into "***" */
    expect("{\"secrets\":\"***stripped***\",\"token\":\"***\"}", "{\"secrets\":\"***stripped***\",\"token\":\"***\"}");
}

static void test_bodies_are_text_redacted_and_capped(void **state) {
    (void)state;
    vk_secrets s = secrets();
    char out[200];
    const char *page = "<html><head><title>502 Bad Gateway</title><style>p{}</style></head><body>"
                       "<h1>Bad Gateway</h1><pre>POST /api/v1/token/ HTTP/1.1\r\n"
                       "Authorization: Bearer " TOKEN "\r\n\r\n"
                       "{&quot;username&quot;:&quot;admin&quot;,&quot;password&quot;:&quot;unknown-pw&quot;}</pre>"
                       "</body></html>";
    vk_redact_body(page, strlen(page), &s, 180, out, sizeof out);
    assert_null(strstr(out, TOKEN));
    assert_null(strstr(out, "unknown-pw"));
    assert_null(strstr(out, "<"));
    assert_null(strstr(out, "p{}"));
    assert_non_null(strstr(out, "502 Bad Gateway Bad Gateway POST /api/v1/token/ HTTP/1.1 Authorization: ***"));
    assert_non_null(strstr(out, "\"password\":\"***\""));

    /* capped on a character boundary, the cut marked */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[10] = '\xc3';
    big[11] = '\xa9';
    vk_redact_body(big, strlen(big), &s, 50, out, sizeof out);
    assert_int_equal(strlen(out), 50);
    assert_string_equal(out + 47, "...");
    vk_redact_body(big, strlen(big), &s, 12, out, sizeof out);
    assert_string_equal(out, "xxxxxxxxx...");

    /* a body larger than what is read: a secret crossing the cut leaves nothing behind */
    size_t n = 70 * 1024;
    char *huge = malloc(n + 1);
    assert_non_null(huge);
    memset(huge, ' ', n);
    huge[n] = '\0';
    size_t at = 64 * 1024 - 5;
    memcpy(huge + at, TOKEN, strlen(TOKEN));
    huge[0] = 'a';
    vk_redact_body(huge, n, &s, 150, out, sizeof out);
    assert_null(strstr(out, "eyJh"));
    assert_string_equal(out, "a...");
    free(huge);
}

static void test_urls_for_messages(void **state) {
    (void)state;
    const char *cases[][2] = {
        {"https://admin:pw@vms.example:8443", "https://***@vms.example:8443"},
        {"admin:pw@vms.example", "***@vms.example"},
        {"https://vms.example/?token=abc#frag", "https://vms.example/?...#..."},
        {"https://vms.example/api/v1", "https://vms.example/..."},
        {"https://vms.example/", "https://vms.example/"},
        {"vms.example:443", "vms.example:443"},
        {"[fd00::1]:443", "[fd00::1]:443"},
    };
    char out[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vk_redact_url(cases[i][0], out, sizeof out);
        if (strcmp(out, cases[i][1]) != 0) fail_msg("%s -> %s, wanted %s", cases[i][0], out, cases[i][1]);
    }
    assert_true(vk_url_has_userinfo("https://a:b@h"));
    assert_true(vk_url_has_userinfo("a@h:1"));
    assert_false(vk_url_has_userinfo("https://h/x@y"));
    assert_false(vk_url_has_userinfo(NULL));
}

static void test_secret_set(void **state) {
    (void)state;
    vk_secrets s = {0};
    vk_secrets_add(&s, NULL);
    vk_secrets_add(&s, "");
    vk_secrets_add(&s, "abcd");
    vk_secrets_add(&s, "abcd");
    assert_int_equal(s.count, 1);
    for (int i = 0; i < 20; i++) vk_secrets_add(&s, i % 2 ? "x1234" : "y1234");
    assert_int_equal(s.count, 3);
    char out[8];
    vk_redact_into("abcd abcd abcd", &s, out, sizeof out);
    assert_string_equal(out, "*** ***");
    char *r = vk_redact(NULL, 0, NULL);
    assert_string_equal(r, "");
    free(r);
}

/* The logger passes every message and value through the redactor (without secret
 * values), in both formats. */
static void test_log_lines_are_redacted(void **state) {
    (void)state;
    for (int format = 0; format < 2; format++) {
        char *text = NULL;
        size_t size = 0;
        FILE *mem = open_memstream(&text, &size);
        vk_log_set_stream(mem);
        vk_log_set_format(format ? VK_LOG_FORMAT_JSON : VK_LOG_FORMAT_LOGFMT);
        VK_LOG(VK_LOG_ERROR, "cannot reach https://admin:hunter22@vms.example", "error",
               "proxy said: Authorization: Bearer tok-tok-tok", "body", "{\"password\": \"pw-pw-pw\"}", "url",
               "https://vms/?token=qs-qs-qs");
        vk_log_set_stream(NULL);
        vk_log_set_format(VK_LOG_FORMAT_LOGFMT);
        fclose(mem);
        const char *gone[] = {"hunter22", "tok-tok-tok", "pw-pw-pw", "qs-qs-qs"};
        for (size_t i = 0; i < 4; i++)
            if (strstr(text, gone[i])) fail_msg("\"%s\" is in the log line %s", gone[i], text);
        assert_non_null(strstr(text, "vms.example"));
        assert_non_null(strstr(text, "Authorization: ***"));
        free(text);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credentials_are_sensitive),
        cmocka_unit_test(test_ordinary_names_are_not),
        cmocka_unit_test(test_secret_values_in_every_encoding),
        cmocka_unit_test(test_short_secrets_only_as_whole_values),
        cmocka_unit_test(test_userinfo_in_urls),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_fields_of_quoted_bodies),
        cmocka_unit_test(test_bodies_are_text_redacted_and_capped),
        cmocka_unit_test(test_urls_for_messages),
        cmocka_unit_test(test_secret_set),
        cmocka_unit_test(test_log_lines_are_redacted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
