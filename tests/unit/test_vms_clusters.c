/* Cluster access from secrets (lib/vms/vms_clusters.c): which client a request gets from its
 * secrets, a multi-cluster secret, or the default cluster's secret directory; errors
 * name the missing key and never a credential's value. No network: clients log in
 * lazily, so creating one sends nothing. */
#include "vk/vms_clusters.h"

#include "vk/vms_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_ENTRIES = 16 };

#define PASSWORD "pa55-w0rd-value"

typedef struct {
    vk_strpair entries[MAX_ENTRIES];
    const vk_strpair *ptrs[MAX_ENTRIES];
} secrets_request;

/* kv: NULL-terminated key/value pairs. */
static vk_strmap secrets_map(secrets_request *r, const char *const *kv) {
    size_t n = 0;
    for (const char *const *p = kv; p[0]; p += 2) {
        assert_true(n < MAX_ENTRIES);
        r->entries[n] = (vk_strpair){p[0], p[1]};
        r->ptrs[n] = &r->entries[n];
        n++;
    }
    return VK_STRMAP_OF(r->ptrs, n);
}

static void assert_contains(const char *haystack, const char *needle) {
    if (!strstr(haystack, needle)) fail_msg("\"%s\" lacks \"%s\"", haystack, needle);
}

static void assert_lacks(const char *haystack, const char *needle) {
    if (strstr(haystack, needle)) fail_msg("\"%s\" must not contain \"%s\"", haystack, needle);
}

static int setup(void **state) {
    vms_clusters_options o = {0};
    *state = vms_clusters_new(&o);
    return 0;
}

static int teardown(void **state) {
    vms_clusters_free(*state);
    return 0;
}

/* Expects the secrets to be refused with code, the message holding needle and never
 * the password. */
static void refused(vms_clusters *cl, const char *const *kv, const char *cluster_name, vk_code code,
                    const char *needle) {
    secrets_request r;
    vms_client *c = (vms_client *)0x1;
    vk_status st = {0};
    assert_false(vms_clusters_client(cl, secrets_map(&r, kv), cluster_name, &c, &st));
    if (st.code != code) fail_msg("code %s, expected %s: %s", vk_status_name(st.code), vk_status_name(code), st.message);
    if (needle) assert_contains(st.message, needle);
    assert_lacks(st.message, PASSWORD);
    assert_lacks(st.message, "t0ken-value");
}

static vms_client *client_for(vms_clusters *cl, const char *const *kv, const char *cluster_name) {
    secrets_request r;
    vms_client *c = NULL;
    vk_status st = {0};
    if (!vms_clusters_client(cl, secrets_map(&r, kv), cluster_name, &c, &st)) fail_msg("refused: %s", st.message);
    assert_non_null(c);
    return c;
}

/* ---------- single-cluster secrets ---------- */

static void test_missing_endpoint(void **state) {
    static const char *const kv[] = {"username", "admin", "password", PASSWORD, NULL};
    refused(*state, kv, NULL, VK_INVALID_ARGUMENT, "\"endpoint\"");
    static const char *const empty[] = {"endpoint", "", "username", "admin", "password", PASSWORD, NULL};
    refused(*state, empty, NULL, VK_INVALID_ARGUMENT, "\"endpoint\"");
}

static void test_credentials_required(void **state) {
    static const char *const no_password[] = {"endpoint", "vms.example", "username", "admin", NULL};
    refused(*state, no_password, NULL, VK_INVALID_ARGUMENT, "\"password\"");
    static const char *const no_user[] = {"endpoint", "vms.example", "password", PASSWORD, NULL};
    refused(*state, no_user, NULL, VK_INVALID_ARGUMENT, "\"username\"");
    static const char *const nothing[] = {"endpoint", "vms.example", NULL};
    refused(*state, nothing, NULL, VK_INVALID_ARGUMENT, "\"token\"");
    static const char *const empty_password[] = {"endpoint", "vms.example", "username", "admin", "password", "", NULL};
    refused(*state, empty_password, NULL, VK_INVALID_ARGUMENT, "\"password\"");
    /* an unusable endpoint is refused by the client's own validation, still without the
     * password */
    static const char *const bad_endpoint[] = {"endpoint", "http://vms.example:80", "username", "admin",
                                               "password", PASSWORD, NULL};
    secrets_request r;
    vms_client *c = NULL;
    vk_status st = {0};
    assert_false(vms_clusters_client(*state, secrets_map(&r, bad_endpoint), NULL, &c, &st));
    assert_int_not_equal(st.code, VK_OK);
    assert_lacks(st.message, PASSWORD);
}

static void test_token_alone(void **state) {
    static const char *const kv[] = {"endpoint", "vms.example:8443", "token", "t0ken-value", NULL};
    vms_client *c = client_for(*state, kv, NULL);
    assert_contains(vms_client_endpoint(c), "vms.example:8443");
    assert_string_equal(vms_client_identity(c), "(api token)");
    vms_client_stats stats;
    vms_client_get_stats(c, &stats);
    assert_int_equal(stats.requests, 0); /* nothing was sent */
    vms_client_free(c);
}

static void test_user_and_password(void **state) {
    static const char *const kv[] = {"endpoint", "vms.example", "username", "admin", "password", PASSWORD,
                                     "tenant", "shop", NULL};
    vms_client *c = client_for(*state, kv, NULL);
    assert_contains(vms_client_endpoint(c), "vms.example");
    assert_string_equal(vms_client_identity(c), "admin");
    vms_client_free(c);
}

static void test_same_tuple_same_client(void **state) {
    static const char *const kv[] = {"endpoint", "vms.example", "username", "admin", "password", PASSWORD, NULL};
    /* the same settings in another order */
    static const char *const reordered[] = {"password", PASSWORD, "endpoint", "vms.example", "username", "admin",
                                            NULL};
    static const char *const other_password[] = {"endpoint", "vms.example", "username", "admin", "password",
                                                 "another", NULL};
    static const char *const other_host[] = {"endpoint", "vms2.example", "username", "admin", "password",
                                             PASSWORD, NULL};
    vms_client *a = client_for(*state, kv, NULL);
    vms_client *b = client_for(*state, kv, NULL);
    vms_client *c = client_for(*state, reordered, NULL);
    vms_client *d = client_for(*state, other_password, NULL);
    vms_client *e = client_for(*state, other_host, NULL);
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, c);
    assert_ptr_not_equal(a, d);
    assert_ptr_not_equal(a, e);
    assert_ptr_not_equal(d, e);
    vms_client_free(a);
    vms_client_free(b);
    vms_client_free(c);
    vms_client_free(d);
    vms_client_free(e);
    /* the registry keeps its own reference: the same client after the callers let go */
    vms_client *again = client_for(*state, kv, NULL);
    assert_ptr_equal(again, a);
    vms_client_free(again);
}

/* ---------- multi-cluster secrets ---------- */

static const char *const clusters_yaml = "a:\n  endpoint: h1:443\n  username: u\n  password: " PASSWORD
                                         "\nb:\n  endpoint: h2\n  token: t0ken-value\n";

static void test_multi_cluster_pick(void **state) {
    const char *kv[] = {"clusters", clusters_yaml, NULL};
    vms_client *a = client_for(*state, kv, "a");
    vms_client *b = client_for(*state, kv, "b");
    assert_contains(vms_client_endpoint(a), "h1");
    assert_contains(vms_client_endpoint(a), "443");
    assert_string_equal(vms_client_identity(a), "u");
    assert_contains(vms_client_endpoint(b), "h2");
    assert_null(strstr(vms_client_endpoint(b), "h1"));
    assert_string_equal(vms_client_identity(b), "(api token)");
    assert_ptr_not_equal(a, b);
    /* picking the same entry again gives the same client */
    vms_client *a2 = client_for(*state, kv, "a");
    assert_ptr_equal(a, a2);
    vms_client_free(a);
    vms_client_free(a2);
    vms_client_free(b);

    /* flow style is YAML too */
    static const char *const flow[] = {"clusters", "{x: {endpoint: h3, token: t}, y: {endpoint: h4, token: t}}",
                                       NULL};
    vms_client *y = client_for(*state, flow, "y");
    assert_contains(vms_client_endpoint(y), "h4");
    vms_client_free(y);
}

static void test_multi_cluster_errors(void **state) {
    const char *kv[] = {"clusters", clusters_yaml, NULL};
    refused(*state, kv, NULL, VK_INVALID_ARGUMENT, "cluster_name");
    refused(*state, kv, "c", VK_INVALID_ARGUMENT, "\"c\"");
    refused(*state, kv, "", VK_INVALID_ARGUMENT, NULL);

    static const char *const malformed[] = {
        "a: [h1, h2]\n",                                   /* a sequence, not settings */
        "a:\n  endpoint: h1\n   username: : :\n",          /* bad indentation */
        "a: {endpoint: h1\n",                              /* unclosed flow map */
        "- a\n- b\n",                                      /* a list of names */
        "a: &x {endpoint: h1, token: t}\nb: *x\n",         /* aliases */
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        const char *bad[] = {"clusters", malformed[i], NULL};
        secrets_request r;
        vms_client *c = NULL;
        vk_status st = {0};
        if (vms_clusters_client(*state, secrets_map(&r, bad), "a", &c, &st)) {
            vms_client_free(c);
            fail_msg("malformed clusters YAML accepted: %s", malformed[i]);
        }
        assert_int_equal(st.code, VK_INVALID_ARGUMENT);
        assert_contains(st.message, "clusters");
    }

    /* an entry without credentials: the key is named, the password of another entry is not */
    const char *incomplete[] = {"clusters", "a:\n  endpoint: h1\nb:\n  endpoint: h2\n  password: " PASSWORD "\n",
                                NULL};
    refused(*state, incomplete, "a", VK_INVALID_ARGUMENT, "\"token\"");
    refused(*state, incomplete, "b", VK_INVALID_ARGUMENT, "\"username\"");
    const char *no_endpoint[] = {"clusters", "a:\n  username: u\n  password: " PASSWORD "\n", NULL};
    refused(*state, no_endpoint, "a", VK_INVALID_ARGUMENT, "\"endpoint\"");
}

/* ---------- default cluster from the secret directory ---------- */

static void write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_dir(const char *dir) {
    static const char *const names[] = {"endpoint", "username", "password", "token", "ssl_cert", "tenant"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void make_temp_dir(char *out, size_t size) {
    const char *tmp = getenv("TMPDIR");
    snprintf(out, size, "%s/vk-csi-cluster.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(out));
}

static void test_default_cluster_from_secret_dir(void **state) {
    (void)state;
    char dir[256];
    make_temp_dir(dir, sizeof dir);
    write_file(dir, "endpoint", "h3.example:8443\n");
    write_file(dir, "username", "admin\n");
    write_file(dir, "password", PASSWORD "\r\n");

    vms_clusters_options o = {.secret_dir = dir};
    vms_clusters *cl = vms_clusters_new(&o);
    static const char *const none[] = {NULL};
    vms_client *c = client_for(cl, none, NULL);
    assert_contains(vms_client_endpoint(c), "h3.example:8443");
    assert_null(strchr(vms_client_endpoint(c), '\n'));
    assert_string_equal(vms_client_identity(c), "admin"); /* newline stripped */
    /* the same settings given as request secrets are the same client: the password's
     * line end was stripped too */
    static const char *const same[] = {"endpoint", "h3.example:8443", "username", "admin", "password", PASSWORD,
                                       NULL};
    vms_client *c2 = client_for(cl, same, NULL);
    assert_ptr_equal(c, c2);
    vms_client_free(c2);
    vms_client_free(c);

    /* request secrets win over the default cluster */
    static const char *const other[] = {"endpoint", "h9.example", "token", "t0ken-value", NULL};
    vms_client *c3 = client_for(cl, other, NULL);
    assert_contains(vms_client_endpoint(c3), "h9.example");
    vms_client_free(c3);

    /* a directory without credentials: the missing key is named, and as the driver's
     * own setup is at fault (not the request), the code is FAILED_PRECONDITION */
    char password_file[512];
    snprintf(password_file, sizeof password_file, "%s/password", dir);
    assert_int_equal(unlink(password_file), 0);
    refused(cl, none, NULL, VK_FAILED_PRECONDITION, "\"password\"");
    vms_clusters_free(cl);
    remove_dir(dir);
}

static void test_token_in_secret_dir(void **state) {
    (void)state;
    char dir[256];
    make_temp_dir(dir, sizeof dir);
    write_file(dir, "endpoint", "h5.example\n");
    write_file(dir, "token", "t0ken-value\n");
    vms_clusters_options o = {.secret_dir = dir};
    vms_clusters *cl = vms_clusters_new(&o);
    static const char *const none[] = {NULL};
    vms_client *c = client_for(cl, none, NULL);
    assert_contains(vms_client_endpoint(c), "h5.example");
    assert_string_equal(vms_client_identity(c), "(api token)");
    vms_client_free(c);
    vms_clusters_free(cl);
    remove_dir(dir);
}

static void test_no_default_cluster(void **state) {
    static const char *const none[] = {NULL};
    refused(*state, none, NULL, VK_FAILED_PRECONDITION, "--vms-secret-dir");
    refused(*state, none, "a", VK_FAILED_PRECONDITION, NULL);
}

/* ---------- failures reported through vms_fail ---------- */

static void test_vms_fail_keeps_code_and_names_the_step(void **state) {
    (void)state;
    vms_error err;
    vms_error_clear(&err);
    err.kind = VMS_ERR_DEADLINE;
    snprintf(err.method, sizeof err.method, "GET");
    snprintf(err.path, sizeof err.path, "viewpolicies/?name=p");
    snprintf(err.endpoint, sizeof err.endpoint, "https://vms.example:443");
    snprintf(err.message, sizeof err.message, "Operation timed out after 500 milliseconds");
    vk_status st = {0};
    assert_int_equal(vms_fail(&st, &err, "looking up %s \"%s\"", "view policy", "p"), VK_DEADLINE_EXCEEDED);
    assert_int_equal(st.code, VK_DEADLINE_EXCEEDED);
    assert_int_equal(strncmp(st.message, "looking up view policy \"p\": ", 28), 0);
    assert_contains(st.message, "https://vms.example:443");

    vms_error_clear(&err);
    err.kind = VMS_ERR_HTTP;
    err.http_status = 404;
    snprintf(err.message, sizeof err.message, "Not found.");
    assert_int_equal(vms_fail(&st, &err, "reading quota %d", 7), VK_NOT_FOUND);
    assert_int_equal(strncmp(st.message, "reading quota 7: ", 17), 0);

    vms_error_clear(&err);
    err.kind = VMS_ERR_TRANSPORT;
    snprintf(err.message, sizeof err.message, "Connection refused");
    assert_int_equal(vms_fail(&st, &err, "creating the view of volume %s", "pvc-1"), VK_UNAVAILABLE);
    assert_contains(st.message, "pvc-1");
    assert_contains(st.message, "Connection refused");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_and_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_tuple_same_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_cluster_pick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_cluster_errors, setup, teardown),
        cmocka_unit_test(test_default_cluster_from_secret_dir),
        cmocka_unit_test(test_token_in_secret_dir),
        cmocka_unit_test_setup_teardown(test_no_default_cluster, setup, teardown),
        cmocka_unit_test(test_vms_fail_keeps_code_and_names_the_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
