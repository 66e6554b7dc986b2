/* vms_config: turning a vms_config into the settings a client keeps - endpoint forms,
 * credentials, trust, defaults - and comparing/hashing them for the registry. */
#include "vk/hash.h"
#include "vk/redact.h"
#include "vms_error_internal.h"
#include "vms_settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PAGE_SIZE 1000
#define MAX_PAGE_SIZE 1000 /* VMS clamps larger values */

/* An endpoint as messages show it: never its userinfo, path, query or fragment, which
 * is where a password or a token would hide (vk_redact_url). */
typedef struct {
    char text[300];
} shown_endpoint;

static shown_endpoint show(const char *endpoint) {
    shown_endpoint s;
    vk_redact_url(endpoint ? endpoint : "", s.text, sizeof s.text);
    return s;
}

static bool config_error(vms_error *err, const char *endpoint, const char *fmt, const char *arg) {
    vms_error_clear(err);
    vms_error_set(err, VMS_ERR_CONFIG, fmt, arg);
    vk_redact_url(endpoint ? endpoint : "", err->endpoint, sizeof err->endpoint);
    return false;
}

/* Header values must not smuggle in another header line. */
static bool is_header_safe(const char *value) { return !value || strpbrk(value, "\r\n") == NULL; }

static char *dup_or_null(const char *s) {
    if (!s || !*s) return NULL;
    char *copy = strdup(s);
    if (!copy) abort();
    return copy;
}

/* Accepts host, host:port, [v6]:port, bare v6, https://host[:port][/] and, with
 * allow_http, http://host:port; produces "scheme://host[:port]". */
static bool parse_endpoint(const char *text, bool allow_http, char **out, vms_error *err) {
    if (!text || !*text) return config_error(err, text, "the VMS endpoint is empty%s", "");
    shown_endpoint shown_text = show(text);
    const char *shown = shown_text.text;
    /* Refused rather than used: credentials in a URL end up in logs, proxies and shell
     * histories, and two places for one password disagree sooner or later. */
    if (vk_url_has_userinfo(text))
        return config_error(err, text,
                            "the VMS endpoint %s carries credentials (user:password@ before the host); put the "
                            "user name and password in the secret's username and password keys (or an API token "
                            "in token) and give the endpoint as host[:port]",
                            shown);
    const char *scheme = "https";
    const char *rest = text;
    if (strncasecmp(text, "https://", 8) == 0) {
        rest = text + 8;
    } else if (strncasecmp(text, "http://", 7) == 0) {
        if (!allow_http)
            return config_error(err, text,
                                "the VMS endpoint %s uses plain http://, which would send credentials in clear; "
                                "use https:// (plain HTTP is only for the simulator and must be allowed explicitly)",
                                shown);
        scheme = "http";
        rest = text + 7;
    } else if (strstr(text, "://")) {
        return config_error(err, text, "the VMS endpoint %s has an unsupported scheme; use https://host[:port]", shown);
    }
    size_t len = strlen(rest);
    if (len > 0 && rest[len - 1] == '/') len--;
    char hostport[300];
    if (len == 0 || len >= sizeof hostport)
        return config_error(err, text, "the VMS endpoint %s has no usable host", shown);
    memcpy(hostport, rest, len);
    hostport[len] = '\0';
    if (strchr(hostport, '/'))
        return config_error(err, text, "the VMS endpoint %s must not carry a path; give host[:port] only", shown);
    if (strpbrk(hostport, "?#"))
        return config_error(err, text, "the VMS endpoint %s must not carry a query or fragment; give host[:port] only",
                            shown);
    if (strpbrk(hostport, " \t\r\n"))
        return config_error(err, text, "the VMS endpoint %s contains characters a host name cannot have", shown);

    char host[sizeof hostport + 2];
    const char *port = NULL;
    if (hostport[0] == '[') {
        char *close = strchr(hostport, ']');
        if (!close) return config_error(err, text, "the VMS endpoint %s has an unclosed [", shown);
        if (close[1] == ':') port = close + 2;
        else if (close[1]) return config_error(err, text, "the VMS endpoint %s has junk after ]", shown);
        close[1] = '\0';
        snprintf(host, sizeof host, "%s", hostport);
    } else if (strchr(hostport, ':') != strrchr(hostport, ':')) {
        snprintf(host, sizeof host, "[%s]", hostport); /* a bare IPv6 address */
    } else {
        char *colon = strchr(hostport, ':');
        if (colon) {
            *colon = '\0';
            port = colon + 1;
        }
        snprintf(host, sizeof host, "%s", hostport);
    }
    if (host[0] == '\0' || strcmp(host, "[]") == 0)
        return config_error(err, text, "the VMS endpoint %s has no host", shown);
    if (port) {
        char *end;
        errno = 0;
        long p = strtol(port, &end, 10);
        if (!*port || *end || errno || p < 1 || p > 65535)
            return config_error(err, text, "the VMS endpoint %s has an invalid port", shown);
    }
    if (asprintf(out, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "") < 0) abort();
    return true;
}

static bool is_valid_version(const char *v) {
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p)) return false;
    return true;
}

static bool check_credentials(const vms_config *cfg, vms_error *err) {
    shown_endpoint shown_text = show(cfg->endpoint);
    const char *shown = shown_text.text;
    bool has_password = cfg->username && *cfg->username;
    bool has_token = cfg->api_token && *cfg->api_token;
    if (has_password && has_token)
        return config_error(err, cfg->endpoint,
                            "give either username/password or an API token for VMS %s, not both", shown);
    if (!has_password && !has_token)
        return config_error(err, cfg->endpoint, "no credentials for VMS %s: set username/password or an API token",
                            shown);
    if (has_password && (!cfg->password || !*cfg->password))
        return config_error(err, cfg->endpoint, "the password for VMS %s is empty", shown);
    if (!is_header_safe(cfg->api_token) || !is_header_safe(cfg->tenant))
        return config_error(err, cfg->endpoint, "the API token or tenant for VMS %s contains a line break",
                            shown);
    return true;
}

static bool check_trust(const vms_config *cfg, vms_error *err) {
    shown_endpoint shown_text = show(cfg->endpoint);
    const char *shown = shown_text.text;
    if (cfg->ca_file && *cfg->ca_file) {
        FILE *f = fopen(cfg->ca_file, "r");
        if (!f) return config_error(err, cfg->endpoint, "cannot read the VMS CA certificate file %s", cfg->ca_file);
        fclose(f);
    }
    if (cfg->ca_pem && *cfg->ca_pem && !strstr(cfg->ca_pem, "-----BEGIN CERTIFICATE-----"))
        return config_error(err, cfg->endpoint,
                            "the VMS CA certificate (ssl_cert) for %s is not PEM text (-----BEGIN CERTIFICATE-----)",
                            shown);
    return true;
}

static int64_t or_default(int64_t value, int64_t fallback) { return value > 0 ? value : fallback; }

void vms_settings_free(vms_settings *s) {
    if (s->password) explicit_bzero(s->password, strlen(s->password));
    if (s->api_token) explicit_bzero(s->api_token, strlen(s->api_token));
    free(s->endpoint);
    free(s->base_url);
    free(s->api_version);
    free(s->username);
    free(s->password);
    free(s->api_token);
    free(s->tenant);
    free(s->ca_file);
    free(s->ca_pem);
}

bool vms_settings_from_config(const vms_config *cfg, vms_settings *s, vms_error *err) {
    memset(s, 0, sizeof *s);
    const char *version = cfg->api_version ? cfg->api_version : "v1";
    if (!is_valid_version(version))
        return config_error(err, cfg->endpoint, "invalid VMS API version \"%s\" (expected v1..v5 or latest)", version);
    if (!check_credentials(cfg, err) || !check_trust(cfg, err)) return false;
    if (!parse_endpoint(cfg->endpoint, cfg->allow_http, &s->endpoint, err)) return false;
    if (asprintf(&s->base_url, "%s/api/%s%s", s->endpoint, version, *version ? "/" : "") < 0) abort();
    s->api_version = strdup(version);
    if (!s->api_version) abort();
    s->username = dup_or_null(cfg->username);
    s->password = dup_or_null(cfg->password);
    s->api_token = dup_or_null(cfg->api_token);
    if (s->api_token) {
        free(s->username);
        s->username = NULL;
    }
    s->tenant = dup_or_null(cfg->tenant);
    s->ca_file = dup_or_null(cfg->ca_file);
    s->ca_pem = dup_or_null(cfg->ca_pem);
    s->insecure_skip_tls_verify = cfg->insecure_skip_tls_verify;
    s->allow_http = cfg->allow_http;
    s->request_timeout_ms = or_default(cfg->request_timeout_ms, VK_HTTP_DEFAULT_REQUEST_TIMEOUT_MS);
    s->connect_timeout_ms = or_default(cfg->connect_timeout_ms, VK_HTTP_DEFAULT_CONNECT_TIMEOUT_MS);
    s->max_connections = (int)or_default(cfg->max_connections, VK_HTTP_DEFAULT_MAX_CONNECTIONS);
    s->max_attempts = (int)or_default(cfg->max_attempts, VK_HTTP_DEFAULT_MAX_ATTEMPTS);
    s->retry_initial_ms = or_default(cfg->retry_initial_ms, VK_HTTP_DEFAULT_RETRY_INITIAL_MS);
    s->retry_max_ms = or_default(cfg->retry_max_ms, VK_HTTP_DEFAULT_RETRY_MAX_MS);
    s->list_page_size = (int)or_default(cfg->list_page_size, DEFAULT_PAGE_SIZE);
    if (s->list_page_size > MAX_PAGE_SIZE) s->list_page_size = MAX_PAGE_SIZE;
    return true;
}

static bool same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

bool vms_settings_equal(const vms_settings *a, const vms_settings *b) {
    return same_text(a->base_url, b->base_url) && same_text(a->username, b->username) &&
           same_text(a->password, b->password) && same_text(a->api_token, b->api_token) &&
           same_text(a->tenant, b->tenant) && same_text(a->ca_file, b->ca_file) && same_text(a->ca_pem, b->ca_pem) &&
           a->insecure_skip_tls_verify == b->insecure_skip_tls_verify && a->allow_http == b->allow_http &&
           a->request_timeout_ms == b->request_timeout_ms && a->connect_timeout_ms == b->connect_timeout_ms &&
           a->max_connections == b->max_connections && a->max_attempts == b->max_attempts &&
           a->retry_initial_ms == b->retry_initial_ms && a->retry_max_ms == b->retry_max_ms &&
           a->list_page_size == b->list_page_size;
}

/* Each text with its terminator, so ("ab","c") and ("a","bc") differ. */
static uint64_t hash_text(uint64_t h, const char *text) {
    if (!text) text = "";
    return vk_fnv1a64(h, text, strlen(text) + 1);
}

uint64_t vms_settings_hash(const vms_settings *s) {
    uint64_t h = VK_FNV1A64_INIT;
    const char *texts[] = {s->base_url, s->username, s->password, s->api_token, s->tenant, s->ca_file, s->ca_pem};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) h = hash_text(h, texts[i]);
    return h ^ (uint64_t)s->insecure_skip_tls_verify ^ ((uint64_t)s->allow_http << 1);
}
