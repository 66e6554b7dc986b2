/* http_failure: what an attempt without an answer ran into, from curl's code, the
 * socket's errno, curl's words and how far the connection got - so a backend's message
 * can say "nothing listens there" or "the certificate is for another name" instead of
 * a curl code. */
#include "http_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool has_nocase(const char *haystack, const char *needle) {
    size_t n = strlen(needle);
    for (; *haystack; haystack++)
        if (strncasecmp(haystack, needle, n) == 0) return true;
    return false;
}

/* What a TLS library says when the peer answered a ClientHello in plain HTTP: OpenSSL
 * "wrong version number" (1.1/3.0) or "packet length too long" / "record layer
 * failure" (3.2+), GnuTLS "unexpected TLS packet" / "unexpected length". */
static bool says_plain_http(const char *what) {
    static const char *const words[] = {"wrong version number", "packet length too long", "record layer failure",
                                        "unexpected TLS packet", "TLS packet with unexpected length", "http request"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (has_nocase(what, words[i])) return true;
    return false;
}

/* curl's words carry the attempt's duration ("Failed to connect to h port 443 after 3 ms:
 * ...", "Operation timed out after 30001 milliseconds ..."). The duration is in
 * elapsed_ms; taken out of the words, one cause reads the same on every attempt, so a
 * status condition quoting it (the operator's Degraded) is not rewritten, nor an Event
 * counted as a new one, because a connect took a millisecond longer. */
static void drop_elapsed(char *msg) {
    static const char *const units[] = {" ms", " milliseconds"};
    for (char *at = strstr(msg, " after "); at; at = strstr(at + 1, " after ")) {
        char *digits = at + strlen(" after "), *end = digits;
        while (*end >= '0' && *end <= '9') end++;
        if (end == digits) continue;
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
            size_t n = strlen(units[u]);
            if (strncmp(end, units[u], n) != 0 || (end[n] && end[n] != ' ' && end[n] != ':' && end[n] != ',')) continue;
            memmove(at, end + n, strlen(end + n) + 1);
            break;
        }
    }
}

static void timed_out(vk_http_result *res) {
    /* curl's connect timeout covers the TLS handshake as well as TCP. */
    bool connect_phase = res->https ? !res->handshaken : !res->connected;
    res->cause = connect_phase ? VK_HTTP_CAUSE_CONNECT_TIMEOUT : VK_HTTP_CAUSE_REQUEST_TIMEOUT;
    bool deadline = connect_phase ? res->connect_timeout_was_deadline : res->timeout_was_deadline;
    res->failure = deadline ? VK_HTTP_FAIL_DEADLINE : VK_HTTP_FAIL_TIMEOUT;
}

static void set(vk_http_result *res, vk_http_failure failure, vk_http_cause cause) {
    res->failure = failure;
    res->cause = cause;
}

static void classify_code(vk_http_result *res, CURLcode code) {
    const char *what = res->message;
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: set(res, VK_HTTP_FAIL_TRANSPORT, VK_HTTP_CAUSE_DNS); return;
    case CURLE_COULDNT_CONNECT:
        set(res, VK_HTTP_FAIL_TRANSPORT,
            res->os_errno == ECONNREFUSED ? VK_HTTP_CAUSE_REFUSED : VK_HTTP_CAUSE_UNREACHABLE);
        return;
    case CURLE_OPERATION_TIMEDOUT: timed_out(res); return;
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: set(res, VK_HTTP_FAIL_TRANSPORT, VK_HTTP_CAUSE_RESET); return;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        set(res, VK_HTTP_FAIL_TRANSPORT, has_nocase(what, "reset") ? VK_HTTP_CAUSE_RESET : VK_HTTP_CAUSE_NONE);
        return;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CERTPROBLEM: /* a client certificate: this client sends none */
        set(res, VK_HTTP_FAIL_TLS, says_plain_http(what) ? VK_HTTP_CAUSE_PLAIN_HTTP : VK_HTTP_CAUSE_TLS_HANDSHAKE);
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        set(res, VK_HTTP_FAIL_TLS,
            has_nocase(what, "host name") || has_nocase(what, "subject name") ? VK_HTTP_CAUSE_CERT_HOSTNAME
                                                                             : VK_HTTP_CAUSE_CERT_UNTRUSTED);
        return;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE: set(res, VK_HTTP_FAIL_TLS, VK_HTTP_CAUSE_CA_UNUSABLE); return;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: set(res, VK_HTTP_FAIL_CONFIG, VK_HTTP_CAUSE_NONE); return;
    case CURLE_WRITE_ERROR: set(res, VK_HTTP_FAIL_RESPONSE, VK_HTTP_CAUSE_NONE); return; /* too large to keep */
    case CURLE_ABORTED_BY_CALLBACK: set(res, VK_HTTP_FAIL_CANCELLED, VK_HTTP_CAUSE_NONE); return;
    default: set(res, VK_HTTP_FAIL_TRANSPORT, VK_HTTP_CAUSE_NONE); return;
    }
}

void http_failure_classify(vk_http_result *res) {
    CURLcode code = (CURLcode)res->curl_code;
    if (code == CURLE_OK) {
        set(res, VK_HTTP_ANSWERED, VK_HTTP_CAUSE_NONE);
        res->message[0] = '\0';
        return;
    }
    if (!res->message[0]) snprintf(res->message, sizeof res->message, "%s", curl_easy_strerror(code));
    drop_elapsed(res->message);
    /* These happen before a byte of the request left: any method may be sent again. */
    res->undelivered = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST;
    if (res->os_errno == ECONNRESET || res->os_errno == EPIPE) {
        /* in the handshake or after: the peer cut the connection */
        set(res, VK_HTTP_FAIL_TRANSPORT, VK_HTTP_CAUSE_RESET);
        return;
    }
    classify_code(res, code);
}

const char *vk_http_failure_name(vk_http_failure failure) {
    switch (failure) {
    case VK_HTTP_ANSWERED: return "answered";
    case VK_HTTP_FAIL_TRANSPORT: return "transport";
    case VK_HTTP_FAIL_TIMEOUT: return "timeout";
    case VK_HTTP_FAIL_DEADLINE: return "deadline";
    case VK_HTTP_FAIL_TLS: return "tls";
    case VK_HTTP_FAIL_CONFIG: return "config";
    case VK_HTTP_FAIL_RESPONSE: return "response";
    case VK_HTTP_FAIL_CANCELLED: return "cancelled";
    }
    return "unknown";
}

const char *vk_http_cause_name(vk_http_cause cause) {
    switch (cause) {
    case VK_HTTP_CAUSE_NONE: return NULL;
    case VK_HTTP_CAUSE_REFUSED: return "refused";
    case VK_HTTP_CAUSE_DNS: return "dns";
    case VK_HTTP_CAUSE_UNREACHABLE: return "unreachable";
    case VK_HTTP_CAUSE_RESET: return "reset";
    case VK_HTTP_CAUSE_CONNECT_TIMEOUT: return "connect-timeout";
    case VK_HTTP_CAUSE_REQUEST_TIMEOUT: return "request-timeout";
    case VK_HTTP_CAUSE_TLS_HANDSHAKE: return "tls-handshake";
    case VK_HTTP_CAUSE_PLAIN_HTTP: return "plain-http";
    case VK_HTTP_CAUSE_CERT_UNTRUSTED: return "cert-untrusted";
    case VK_HTTP_CAUSE_CERT_HOSTNAME: return "cert-hostname";
    case VK_HTTP_CAUSE_CA_UNUSABLE: return "ca-unusable";
    case VK_HTTP_CAUSE_STALLED: return "stalled";
    }
    return NULL;
}

const char *vk_http_curl_text(const vk_http_result *res) {
    return res->curl_code ? curl_easy_strerror((CURLcode)res->curl_code) : NULL;
}
