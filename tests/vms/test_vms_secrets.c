/* No secret in any error or log line, and transport failures that say what happened:
 * the client against the real vms-sim and against small local servers (listener.h) -
 * proxies whose error pages echo the request (the login's password, the Authorization
 * header with the access token or API token, the tokens of the login answer) in HTML,
 * JSON, text, form encoding and VMS's own error shape; a closed port; a plain-HTTP
 * server used with https://; its HTTPS port without its CA and under a host
 * name its certificate does not carry; servers that reset, close or never answer.
 * Every case asserts the class wording and gRPC code, and that neither the error, the
 * mapped status nor anything logged (at debug level) holds a secret in any encoding. */
#include "listener.h"
#include "sim_harness.h"
#include "vk/deadline.h"
#include "vk/log.h"
#include "vk/vms.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A password every encoding changes (no ':', which --user splits on). */
#define PASSWORD "Zq9\"&<p@ss w0rd/\\\xc3\xa9%+"
#define API_TOKEN "ApiTok-7f3a9c2e1b5d"
#define USER "k8s-secrets"

static sim_instance sim;
static char https_other_name[80]; /* the simulator's HTTPS port under 127.0.0.2 */

static int group_setup(void **state) {
    (void)state;
    static const char *const args[] = {"--https", "127.0.0.2:0", "--user", USER ":" PASSWORD, "--api-token",
                                       API_TOKEN, NULL};
    sim_start(&sim, &(sim_options){.http = true, .extra_args = args});
    snprintf(https_other_name, sizeof https_other_name, "https://127.0.0.2:%d", sim.https_port);
    vk_log_set_level(VK_LOG_DEBUG); /* the request log too */
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    vk_log_set_level(VK_LOG_INFO);
    sim_stop(&sim);
    return 0;
}

/* ---- The secrets and their encodings ---- */

static void add_form(char ***list, size_t *n, char *form) {
    *list = realloc(*list, (*n + 2) * sizeof **list);
    if (!*list) abort();
    (*list)[(*n)++] = form;
    (*list)[*n] = NULL;
}

static char *html_escaped(const char *s) {
    char *out = malloc(strlen(s) * 6 + 1), *w = out;
    if (!out) abort();
    for (; *s; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;
        if (e) w = stpcpy(w, e);
        else *w++ = *s;
    }
    *w = '\0';
    return out;
}

/* The secret as itself, JSON-escaped (plain and ASCII-only with \/), percent-encoded,
 * form-encoded, HTML-escaped; and, for a long one, its middle (a cut-off leak). */
static void add_encodings(char ***list, size_t *n, const char *secret) {
    if (!*secret) return;
    add_form(list, n, strdup(secret));
    size_t flags[] = {JSON_ENCODE_ANY, JSON_ENCODE_ANY | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH};
    for (size_t i = 0; i < 2; i++) {
        json_t *str = json_string(secret);
        char *text = json_dumps(str, flags[i]);
        json_decref(str);
        text[strlen(text) - 1] = '\0';
        add_form(list, n, strdup(text + 1));
        free(text);
    }
    char *url = curl_easy_escape(NULL, secret, 0);
    add_form(list, n, strdup(url));
    for (char *p = url; *p; p++) /* form encoding: the space as '+' */
        if (strncmp(p, "%20", 3) == 0) memmove(p + 1, p + 3, strlen(p + 3) + 1), *p = '+';
    add_form(list, n, strdup(url));
    curl_free(url);
    add_form(list, n, html_escaped(secret));
    size_t len = strlen(secret);
    if (len >= 16) add_form(list, n, strndup(secret + len / 4, len / 2));
}

typedef struct {
    char **forms;
    size_t count;
} secret_forms;

static secret_forms forms_of(const char *const *secrets) {
    secret_forms f = {0};
    for (const char *const *s = secrets; *s; s++) add_encodings(&f.forms, &f.count, *s);
    /* the distinctive core of the password, whatever surrounds it */
    add_form(&f.forms, &f.count, strdup("w0rd"));
    add_form(&f.forms, &f.count, strdup("p@ss"));
    return f;
}

static void forms_free(secret_forms *f) {
    for (size_t i = 0; i < f->count; i++) free(f->forms[i]);
    free(f->forms);
}

static void assert_clean(const char *what, const char *text, const secret_forms *f) {
    for (size_t i = 0; i < f->count; i++)
        if (strstr(text, f->forms[i])) fail_msg("%s holds a secret (\"%s\"):\n%s", what, f->forms[i], text);
}

/* ---- One call, its error, its log ---- */

typedef struct {
    vms_error err;
    vk_status st;
    vk_code code;
    char *log;
} outcome;

static vms_config config_for(const char *endpoint) {
    return (vms_config){
        .endpoint = endpoint,
        .allow_http = true,
        .username = USER,
        .password = PASSWORD,
        .request_timeout_ms = 10000,
        .connect_timeout_ms = 5000,
        .max_attempts = 2,
        .retry_initial_ms = 10,
        .retry_max_ms = 20,
    };
}

/* GET views/ through a fresh client (the login first), capturing what is logged. */
static outcome call(const vms_config *cfg, int64_t timeout_ms) {
    outcome o = {0};
    size_t size = 0;
    FILE *mem = open_memstream(&o.log, &size);
    vk_log_set_stream(mem);
    vms_client *c = NULL;
    json_t *answer = NULL;
    if (vms_client_new(cfg, &c, &o.err)) {
        vms_get(c, "views/", vk_deadline_in(timeout_ms), &answer, &o.err);
        json_decref(answer);
        vms_client_free(c);
    }
    vk_log_set_stream(NULL);
    fclose(mem);
    o.code = vms_error_to_status(&o.err, &o.st);
    return o;
}

/* The call failed as expected: code, wording, and no secret anywhere. */
static void expect(const outcome *o, vk_code code, const char *wording, const secret_forms *f) {
    if (o->code != code || !strstr(o->st.message, wording))
        fail_msg("wanted code %d with \"%s\", got %d: %s", code, wording, o->code, o->st.message);
    assert_clean("the error message", o->err.message, f);
    assert_clean("the error's endpoint", o->err.endpoint, f);
    assert_clean("the error's path", o->err.path, f);
    assert_clean("the gRPC status", o->st.message, f);
    assert_clean("the log", o->log, f);
}

static secret_forms password_forms(void) {
    const char *const secrets[] = {PASSWORD, API_TOKEN, NULL};
    return forms_of(secrets);
}

/* ---- Echoing proxies ---- */

static const char *const format_names[] = {"html", "json", "text", "form", "drf"};

/* The login itself is echoed: the password in the body, in every format, under several
 * statuses (a 502 is retried, so it is echoed twice). */
static void test_echoed_login_never_shows_the_password(void **state) {
    (void)state;
    secret_forms f = password_forms();
    const int statuses[] = {502, 403, 400};
    for (int fmt = 0; fmt < ECHO_FORMATS; fmt++) {
        for (size_t s = 0; s < 3; s++) {
            listener *l = listener_start(&(listener_options){.mode = LISTEN_ECHO, .format = fmt,
                                                             .status = statuses[s]});
            vms_config cfg = config_for(listener_url(l, false));
            outcome o = call(&cfg, 20000);
            print_message("%s %d: %s\n", format_names[fmt], statuses[s], o.st.message);
            assert_true(listener_requests(l) >= 1);
            vk_code want = statuses[s] == 502   ? VK_UNAVAILABLE
                                    : statuses[s] == 403 ? VK_UNAUTHENTICATED
                                                         : VK_INVALID_ARGUMENT;
            char wording[32];
            snprintf(wording, sizeof wording, "HTTP %d", statuses[s]);
            expect(&o, want, wording, &f);
            /* still useful: it says whose login and quotes the page, minus the secrets */
            assert_non_null(strstr(o.st.message, "login of VMS user " USER));
            assert_non_null(strstr(o.st.message, "token"));
            if (fmt != ECHO_JSON) assert_non_null(strstr(o.st.message, "***")); /* JSON: only its detail is quoted */
            free(o.log);
            listener_stop(l);
        }
    }
    forms_free(&f);
}

/* The login goes through to the real simulator; the GET after it is echoed with its
 * Authorization: Bearer <access>, and the page also quotes the login answer's access and
 * refresh tokens, bare. None of them shows. */
static void test_echoed_request_never_shows_the_tokens(void **state) {
    (void)state;
    for (int fmt = 0; fmt < ECHO_FORMATS; fmt++) {
        listener *l = listener_start(&(listener_options){.mode = LISTEN_ECHO, .format = fmt, .status = 502,
                                                         .token_upstream = sim.http_url});
        vms_config cfg = config_for(listener_url(l, false));
        outcome o = call(&cfg, 20000);
        char access[2048], refresh[2048];
        listener_tokens(l, access, refresh, sizeof access);
        assert_true(strlen(access) > 20); /* the simulator did issue tokens */
        assert_true(strlen(refresh) > 20);
        const char *const secrets[] = {PASSWORD, access, refresh, NULL};
        secret_forms f = forms_of(secrets);
        print_message("%s: %s\n", format_names[fmt], o.st.message);
        expect(&o, VK_UNAVAILABLE, "GET views/", &f);
        assert_non_null(strstr(o.st.message, "HTTP 502"));
        forms_free(&f);
        free(o.log);
        listener_stop(l);
    }
}

/* An API token travels in every request's Authorization header. */
static void test_echoed_api_token_never_shows(void **state) {
    (void)state;
    secret_forms f = password_forms();
    for (int fmt = 0; fmt < ECHO_FORMATS; fmt++) {
        listener *l = listener_start(&(listener_options){.mode = LISTEN_ECHO, .format = fmt, .status = 403});
        vms_config cfg = config_for(listener_url(l, false));
        cfg.username = cfg.password = NULL;
        cfg.api_token = API_TOKEN;
        outcome o = call(&cfg, 20000);
        expect(&o, VK_UNAUTHENTICATED, "HTTP 403", &f);
        free(o.log);
        listener_stop(l);
    }
    forms_free(&f);
}

/* ---- Transport classes ---- */

static void test_refused(void **state) {
    (void)state;
    secret_forms f = password_forms();
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", closed_port());
    vms_config cfg = config_for(url);
    outcome o = call(&cfg, 20000);
    assert_int_equal(o.err.cause, VMS_CAUSE_REFUSED);
    expect(&o, VK_UNAVAILABLE, "VMS refused the connection (nothing listens on that port)", &f);
    assert_non_null(strstr(o.st.message, url));
    free(o.log);
    forms_free(&f);
}

static void test_host_not_found(void **state) {
    (void)state;
    secret_forms f = password_forms();
    vms_config cfg = config_for("https://no-such-vms.invalid");
    outcome o = call(&cfg, 20000);
    assert_int_equal(o.err.cause, VMS_CAUSE_DNS);
    expect(&o, VK_UNAVAILABLE, "the VMS host name was not found (DNS)", &f);
    free(o.log);
    forms_free(&f);
}

/* https:// to a plain-HTTP port: not a certificate problem. The peer is a listener that
 * closes gracefully: vms-sim's HTTP library closes with the ClientHello's bytes unread,
 * and the reset that sends can overtake its 400 (then all curl reports is SSL_ERROR_SYSCALL,
 * about one run in ten on a loaded machine). */
static void test_plain_http_peer(void **state) {
    (void)state;
    secret_forms f = password_forms();
    listener *l = listener_start(&(listener_options){.mode = LISTEN_PLAIN});
    vms_config cfg = config_for(listener_url(l, true));
    cfg.ca_file = sim.ca_file;
    outcome o = call(&cfg, 20000);
    print_message("%s\n", o.st.message);
    assert_int_equal(o.err.kind, VMS_ERR_TLS);
    assert_int_equal(o.err.cause, VMS_CAUSE_PLAIN_HTTP);
    assert_int_equal(o.err.attempts, 1);
    expect(&o, VK_INVALID_ARGUMENT, "the endpoint answered in plain HTTP: use http:// or the HTTPS port", &f);
    assert_null(strstr(o.st.message, "certificate"));
    free(o.log);
    listener_stop(l);
    forms_free(&f);
}

static void test_untrusted_certificate(void **state) {
    (void)state;
    secret_forms f = password_forms();
    vms_config cfg = config_for(https_other_name);
    outcome o = call(&cfg, 20000);
    assert_int_equal(o.err.cause, VMS_CAUSE_CERT_UNTRUSTED);
    expect(&o, VK_UNAVAILABLE, "the VMS TLS certificate is not trusted", &f);
    assert_non_null(strstr(o.st.message, "ssl_cert"));
    assert_non_null(strstr(o.st.message, "--vms-insecure-skip-verify"));
    assert_non_null(strstr(o.st.message, "trusted: the system CAs only"));
    free(o.log);

    /* an unrelated CA in the secret's ssl_cert: named as what was trusted */
    cfg.ca_pem = "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n";
    o = call(&cfg, 20000);
    print_message("bad pem: %s\n", o.st.message);
    assert_int_equal(o.err.kind, VMS_ERR_TLS);
    assert_true(o.err.cause == VMS_CAUSE_CA_UNUSABLE || o.err.cause == VMS_CAUSE_CERT_UNTRUSTED);
    assert_clean("the gRPC status", o.st.message, &f);
    assert_clean("the log", o.log, &f);
    free(o.log);
    forms_free(&f);
}

/* The right CA, but the endpoint names 127.0.0.2, which the certificate does not. */
static void test_certificate_for_another_name(void **state) {
    (void)state;
    secret_forms f = password_forms();
    vms_config cfg = config_for(https_other_name);
    cfg.ca_file = sim.ca_file;
    outcome o = call(&cfg, 20000);
    assert_int_equal(o.err.cause, VMS_CAUSE_CERT_HOSTNAME);
    expect(&o, VK_UNAVAILABLE, "the VMS TLS certificate is not issued for this host name", &f);
    assert_non_null(strstr(o.st.message, sim.ca_file));
    assert_non_null(strstr(o.st.message, "--vms-insecure-skip-verify"));
    free(o.log);
    forms_free(&f);
}

static void test_reset_and_closed_connections(void **state) {
    (void)state;
    secret_forms f = password_forms();
    listener_mode modes[] = {LISTEN_RESET, LISTEN_CLOSE};
    for (size_t i = 0; i < 2; i++) {
        listener *l = listener_start(&(listener_options){.mode = modes[i]});
        vms_config cfg = config_for(listener_url(l, false));
        outcome o = call(&cfg, 20000);
        print_message("%s\n", o.st.message);
        assert_int_equal(o.err.cause, VMS_CAUSE_RESET);
        expect(&o, VK_UNAVAILABLE, "the connection to VMS was reset or closed before an answer", &f);
        assert_int_equal(o.err.attempts, 2); /* the login may be repeated */
        free(o.log);
        listener_stop(l);
    }
    forms_free(&f);
}

static void test_timeouts(void **state) {
    (void)state;
    secret_forms f = password_forms();
    listener *l = listener_start(&(listener_options){.mode = LISTEN_SILENT});

    /* Plain HTTP: connected, the request sent, no answer. */
    vms_config cfg = config_for(listener_url(l, false));
    cfg.request_timeout_ms = 300;
    cfg.max_attempts = 1;
    outcome o = call(&cfg, 20000);
    assert_int_equal(o.err.kind, VMS_ERR_TIMEOUT);
    assert_int_equal(o.err.cause, VMS_CAUSE_REQUEST_TIMEOUT);
    expect(&o, VK_UNAVAILABLE, "VMS accepted the connection but did not answer in time (request timeout)",
           &f);
    free(o.log);

    /* HTTPS: the handshake never completes, which is the connect phase. */
    cfg = config_for(listener_url(l, true));
    cfg.connect_timeout_ms = 300;
    cfg.max_attempts = 1;
    o = call(&cfg, 20000);
    assert_int_equal(o.err.kind, VMS_ERR_TIMEOUT);
    assert_int_equal(o.err.cause, VMS_CAUSE_CONNECT_TIMEOUT);
    expect(&o, VK_UNAVAILABLE, "VMS did not accept the connection in time (connect timeout)", &f);
    free(o.log);

    /* The caller's deadline, nearer than both timeouts, stays a deadline. */
    cfg = config_for(listener_url(l, false));
    o = call(&cfg, 300);
    assert_int_equal(o.err.kind, VMS_ERR_DEADLINE);
    expect(&o, VK_DEADLINE_EXCEEDED, "deadline", &f);
    free(o.log);
    listener_stop(l);
    forms_free(&f);
}

/* The happy path logs nothing secret either (login, request log at debug level). */
static void test_working_calls_log_no_secret(void **state) {
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", sim.http_port);
    vms_config cfg = config_for(url);
    outcome o = call(&cfg, 20000);
    assert_int_equal(o.code, VK_OK);
    assert_non_null(strstr(o.log, "VMS login"));
    assert_non_null(strstr(o.log, "VMS request"));
    secret_forms f = password_forms();
    assert_clean("the log", o.log, &f);
    forms_free(&f);
    free(o.log);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echoed_login_never_shows_the_password),
        cmocka_unit_test(test_echoed_request_never_shows_the_tokens),
        cmocka_unit_test(test_echoed_api_token_never_shows),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_host_not_found),
        cmocka_unit_test(test_plain_http_peer),
        cmocka_unit_test(test_untrusted_certificate),
        cmocka_unit_test(test_certificate_for_another_name),
        cmocka_unit_test(test_reset_and_closed_connections),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_working_calls_log_no_secret),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
