/* Against the real kube-apiserver (test_real.sh starts it): the kubeconfig that
 * tests/k8s/lib.sh writes is enough to reach it over verified TLS with its token.
 * Exit 0 when GET /api/v1/namespaces/default answers 200 with that namespace. */
#include "vk/deadline.h"
#include "vk/http.h"
#include "vk/kube_config.h"
#include "vk/kube_error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The API server's own Status objects through vk_kube_error_from_answer: a 404 and
 * the 422 causes of an invalid name. */
static int check_errors(vk_http_client *h, const char *const *headers) {
    const char *post[] = {headers[0], headers[1], "Content-Type: application/json", NULL};
    const char bad[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"Bad_Name\"}}";
    struct { const char *method, *url, *body; long want; vk_kube_error_kind kind; const char *text; } cases[] = {
        {"GET", "/api/v1/namespaces/default/configmaps/none-here", NULL, 404, VK_KUBE_ERR_NOT_FOUND, "not found"},
        {"POST", "/api/v1/namespaces/default/configmaps", bad, 422, VK_KUBE_ERR_INVALID, "metadata.name: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vk_http_result res;
        vk_http_send(h, &(vk_http_request){.method = cases[i].method, .url = cases[i].url, .headers = cases[i].body ? post : headers,
                                           .body = cases[i].body, .body_len = cases[i].body ? strlen(cases[i].body) : 0,
                                           .deadline = vk_deadline_in(30000)}, NULL, &res);
        vk_kube_error e;
        vk_status st;
        vk_kube_error_from_answer(res.status, res.body, cases[i].url, &e, &st);
        bool ok = res.status == cases[i].want && e.kind == cases[i].kind && strstr(st.message, cases[i].text);
        printf("%s: %s\n", ok ? "ok" : "FAIL", st.message);
        vk_http_result_free(&res);
        if (!ok) return 1;
    }
    return 0;
}

int main(void) {
    vk_kube_config cfg;
    vk_status st;
    if (!vk_kube_config_load_file(getenv("KUBECONFIG"), NULL, &cfg, &st)) {
        fprintf(stderr, "FAIL: kubeconfig: %s\n", st.message);
        return 1;
    }
    vk_http_client *h = NULL;
    vk_http_settings set = {.base_url = cfg.server, .ca_file = cfg.ca_file, .ca_pem = cfg.ca_pem,
                            .insecure_skip_tls_verify = cfg.insecure_skip_tls_verify};
    int rc = 1;
    if (!vk_http_client_new(&set, &h, &st)) {
        fprintf(stderr, "FAIL: http client: %s\n", st.message);
        goto out;
    }
    char auth[4096];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg.token ? cfg.token : "");
    const char *headers[] = {auth, "Accept: application/json", NULL};
    vk_http_result res;
    vk_http_send(h, &(vk_http_request){.method = "GET", .url = "/api/v1/namespaces/default",
                                       .headers = headers, .deadline = vk_deadline_in(30000)}, NULL, &res);
    json_t *j = res.status == 200 ? json_loads(res.body, 0, NULL) : NULL;
    const char *name = json_string_value(json_object_get(json_object_get(j, "metadata"), "name"));
    if (name && strcmp(name, "default") == 0) {
        printf("ok: GET namespaces/default over verified TLS, %lld ms\n", (long long)res.elapsed_ms);
        rc = 0;
    } else {
        fprintf(stderr, "FAIL: status %ld (%s)\n", res.status, vk_http_failure_name(res.failure));
    }
    json_decref(j);
    vk_http_result_free(&res);
    if (rc == 0) rc = check_errors(h, headers);
out:
    vk_http_client_free(h);
    vk_kube_config_free(&cfg);
    return rc;
}
