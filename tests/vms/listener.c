/* Misbehaving servers for the VMS client tests (see listener.h). */
#include "listener.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SILENT 16
#define IO_WAIT_MS 5000

struct listener {
    listener_options o;
    int fd, port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int requests;
    int silent[MAX_SILENT];
    int silent_count;
    char url[64];
    pthread_mutex_t mu;
    char access[2048], refresh[2048];
};

static int bind_loopback(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) abort();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) abort();
    *port = ntohs(a.sin_port);
    return fd;
}

int closed_port(void) {
    int port;
    close(bind_loopback(&port));
    return port;
}

/* Reads one request (headers, and a body of Content-Length bytes); malloc'd, NULL when
 * the peer closed or stalled. */
static char *read_request(int fd) {
    size_t cap = 8192, len = 0;
    char *req = malloc(cap);
    if (!req) abort();
    size_t want = 0; /* total bytes once the headers are in */
    for (;;) {
        if (want && len >= want) break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, IO_WAIT_MS) <= 0) break;
        if (len + 4096 + 1 > cap) {
            cap *= 2;
            req = realloc(req, cap);
            if (!req) abort();
        }
        ssize_t n = recv(fd, req + len, cap - len - 1, 0);
        if (n <= 0) break;
        len += (size_t)n;
        req[len] = '\0';
        char *end = want ? NULL : strstr(req, "\r\n\r\n");
        if (end) {
            size_t body = 0;
            for (char *h = req; h < end; h = strstr(h, "\r\n") + 2)
                if (strncasecmp(h, "content-length:", 15) == 0) body = strtoul(h + 15, NULL, 10);
            want = (size_t)(end - req) + 4 + body;
        }
    }
    if (!want || len < want) {
        free(req);
        return NULL;
    }
    req[len] = '\0';
    return req;
}

static void send_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0) return;
        data += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, int status, const char *type, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d Whatever\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, type, strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

static char *html_escape(const char *s) {
    size_t cap = strlen(s) * 6 + 1, n = 0;
    char *out = malloc(cap);
    if (!out) abort();
    for (; *s; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;
        if (e) {
            memcpy(out + n, e, strlen(e));
            n += strlen(e);
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return out;
}

static char *url_escape(const char *s) {
    char *e = curl_easy_escape(NULL, s, 0);
    char *copy = strdup(e);
    curl_free(e);
    if (!copy) abort();
    return copy;
}

/* POSTs the token request's body upstream and returns the answer (status in *status). */
static char *relay_token(listener *l, const char *req, int *status) {
    const char *line_end = strstr(req, " HTTP/");
    const char *path = strchr(req, ' ');
    const char *body = strstr(req, "\r\n\r\n") + 4;
    char url[1024];
    snprintf(url, sizeof url, "%s%.*s", l->o.token_upstream, (int)(line_end - path - 1), path + 1);
    CURL *h = curl_easy_init();
    char *answer = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&answer, &len);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    long code = 502;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    fclose(out);
    *status = (int)code;
    json_t *json = json_loads(answer, 0, NULL);
    pthread_mutex_lock(&l->mu);
    const char *a = json_string_value(json_object_get(json, "access"));
    const char *r = json_string_value(json_object_get(json, "refresh"));
    snprintf(l->access, sizeof l->access, "%s", a ? a : "");
    snprintf(l->refresh, sizeof l->refresh, "%s", r ? r : "");
    pthread_mutex_unlock(&l->mu);
    json_decref(json);
    return answer;
}

/* The request as a proxy's page would show it, plus (bare, in no field a redactor could
 * recognise by name) the tokens of the last relayed login. */
static void echo(listener *l, int fd, const char *req) {
    char cached[4200] = "";
    pthread_mutex_lock(&l->mu);
    if (l->access[0]) snprintf(cached, sizeof cached, "\r\nupstream cache: %s %s\r\n", l->access, l->refresh);
    pthread_mutex_unlock(&l->mu);
    char *raw;
    if (asprintf(&raw, "%s%s", req, cached) < 0) abort();
    int status = l->o.status ? l->o.status : 502;
    char *page = NULL;
    const char *type = "application/json";
    switch (l->o.format) {
    case ECHO_HTML: {
        char *esc = html_escape(raw);
        if (asprintf(&page, "<html><head><title>%d Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
                            "<p>The upstream failed for this request:</p><pre>%s</pre></body></html>",
                     status, esc) < 0)
            abort();
        free(esc);
        type = "text/html";
        break;
    }
    case ECHO_JSON: {
        json_t *headers = json_object();
        const char *end = strstr(req, "\r\n\r\n");
        const char *h = strstr(req, "\r\n") + 2;
        while (h < end) {
            const char *eol = strstr(h, "\r\n");
            const char *colon = memchr(h, ':', (size_t)(eol - h));
            if (colon) {
                char *name = strndup(h, (size_t)(colon - h));
                const char *v = colon + 1;
                while (*v == ' ') v++;
                json_object_set_new(headers, name, json_stringn(v, (size_t)(eol - v)));
                free(name);
            }
            h = eol + 2;
        }
        json_t *doc = json_pack("{s:s, s:{s:s%, s:o, s:s}, s:s}", "detail", "the proxy refused the request",
                                "request", "line", req, strcspn(req, "\r\n"), "headers", headers, "body", end + 4,
                                "raw", raw);
        page = json_dumps(doc, JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH);
        json_decref(doc);
        break;
    }
    case ECHO_TEXT:
        page = strdup(raw);
        type = "text/plain";
        break;
    case ECHO_FORM: {
        char *esc = url_escape(raw);
        if (asprintf(&page, "error=bad_gateway&request=%s", esc) < 0) abort();
        free(esc);
        type = "application/x-www-form-urlencoded";
        break;
    }
    case ECHO_DRF:
    case ECHO_FORMATS: {
        char *text;
        if (asprintf(&text, "cannot parse %s", raw) < 0) abort();
        json_t *doc = json_pack("{s:[s]}", "non_field_errors", text);
        page = json_dumps(doc, 0);
        json_decref(doc);
        free(text);
        status = l->o.status ? l->o.status : 400;
        break;
    }
    }
    if (!page) abort();
    respond(fd, status, type, page);
    free(page);
    free(raw);
}

/* A TLS ClientHello is not an HTTP request: read what came, answer 400 and close without
 * a reset. Closing with unread bytes would send RST, which can reach the client before the
 * 400 and turn "answered in plain HTTP" into a bare handshake failure, so the write side is
 * shut first and the client's bytes drained until it hangs up. */
static void answer_plain(int fd) {
    char buf[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, IO_WAIT_MS) <= 0 || recv(fd, buf, sizeof buf, 0) <= 0) return;
    respond(fd, 400, "text/plain", "Bad Request: this port speaks plain HTTP\n");
    shutdown(fd, SHUT_WR);
    while (poll(&p, 1, IO_WAIT_MS) > 0 && recv(fd, buf, sizeof buf, 0) > 0) {
    }
}

static void serve(listener *l, int fd) {
    if (l->o.mode == LISTEN_PLAIN) {
        atomic_fetch_add(&l->requests, 1);
        answer_plain(fd);
        close(fd);
        return;
    }
    if (l->o.mode == LISTEN_SILENT) {
        if (l->silent_count < MAX_SILENT) {
            l->silent[l->silent_count++] = fd;
            return;
        }
        close(fd);
        return;
    }
    char *req = read_request(fd);
    if (req) atomic_fetch_add(&l->requests, 1);
    if (req && l->o.mode == LISTEN_RESET) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* close() sends RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    } else if (req && l->o.mode == LISTEN_ECHO) {
        if (l->o.token_upstream && strstr(req, "/token/ ")) {
            int status;
            char *answer = relay_token(l, req, &status);
            respond(fd, status, "application/json", answer);
            free(answer);
        } else {
            echo(l, fd, req);
        }
    }
    free(req);
    close(fd);
}

static void *run(void *arg) {
    listener *l = arg;
    while (!atomic_load(&l->stop)) {
        struct pollfd p = {.fd = l->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) serve(l, fd);
    }
    return NULL;
}

listener *listener_start(const listener_options *options) {
    listener *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->o = *options;
    pthread_mutex_init(&l->mu, NULL);
    l->fd = bind_loopback(&l->port);
    if (listen(l->fd, 16) != 0) abort();
    if (pthread_create(&l->thread, NULL, run, l) != 0) abort();
    return l;
}

void listener_stop(listener *l) {
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    for (int i = 0; i < l->silent_count; i++) close(l->silent[i]);
    close(l->fd);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

int listener_port(const listener *l) { return l->port; }

const char *listener_url(listener *l, bool https) {
    snprintf(l->url, sizeof l->url, "%s://127.0.0.1:%d", https ? "https" : "http", l->port);
    return l->url;
}

int listener_requests(const listener *l) { return atomic_load(&l->requests); }

void listener_tokens(listener *l, char *access, char *refresh, size_t size) {
    pthread_mutex_lock(&l->mu);
    snprintf(access, size, "%s", l->access);
    snprintf(refresh, size, "%s", l->refresh);
    pthread_mutex_unlock(&l->mu);
}
