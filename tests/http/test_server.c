/* Local HTTP servers for the http layer's tests (see test_server.h). libmicrohttpd
 * parses the requests; this file only decides the replies. */
#include "test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct test_server {
    struct MHD_Daemon *daemon;
    test_handler handler;
    void *ctx;
    int port;
    bool trust; /* clients' certificates are asked for and verified */
    char url[64];
    atomic_bool stop;
    atomic_int connections, requests, in_flight, peak;
};

typedef struct {
    char *body;
    size_t len;
} upload;

static void sleep_ms(int ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Until the server stops: what a hanging peer does. */
static void wait_for_stop(test_server *s) {
    while (!atomic_load(&s->stop)) sleep_ms(10);
}

typedef struct {
    test_server *server;
    const char *const *chunks;
    size_t index, offset;
    int delay_ms;
    bool hang_after;
} chunk_feed;

/* One piece per call: libmicrohttpd sends it before it asks for the next. */
static ssize_t read_chunk(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    chunk_feed *f = cls;
    const char *piece = f->chunks[f->index];
    if (!piece) {
        if (!f->hang_after) return MHD_CONTENT_READER_END_OF_STREAM;
        wait_for_stop(f->server);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (f->offset == 0 && f->index > 0 && f->delay_ms > 0) sleep_ms(f->delay_ms);
    size_t left = strlen(piece) - f->offset, n = left < max ? left : max;
    memcpy(buf, piece + f->offset, n);
    f->offset += n;
    if (f->offset == strlen(piece)) {
        f->index++;
        f->offset = 0;
    }
    return (ssize_t)n;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, test_server *s, const test_reply *r) {
    struct MHD_Response *resp;
    if (r->chunks) {
        chunk_feed *f = calloc(1, sizeof *f);
        if (!f) abort();
        *f = (chunk_feed){.server = s, .chunks = r->chunks, .delay_ms = r->chunk_delay_ms,
                          .hang_after = r->hang_after_chunks};
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_chunk, f, free);
    } else {
        resp = MHD_create_response_from_buffer(strlen(r->body), (void *)r->body, MHD_RESPMEM_MUST_COPY);
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (r->retry_after) MHD_add_response_header(resp, "Retry-After", r->retry_after);
    enum MHD_Result ok = MHD_queue_response(conn, r->status ? (unsigned)r->status : 200u, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* SO_LINGER 0, then the close libmicrohttpd does on MHD_NO, sends an RST. */
static void arm_reset(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    if (info) setsockopt(info->connect_fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

/* GnuTLS verified the client's certificate chain against the server's trust. */
static bool client_verified(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session) return false;
    gnutls_session_t session = (gnutls_session_t)info->tls_session;
    unsigned int peers = 0, status = 1;
    if (!gnutls_certificate_get_peers(session, &peers) || peers == 0) return false;
    return gnutls_certificate_verify_peers2(session, &status) == 0 && status == 0;
}

static enum MHD_Result answer(test_server *s, struct MHD_Connection *conn, const char *url, const char *method,
                              upload *up) {
    test_request rq = {.method = method, .url = url, .body = up->body ? up->body : "", .body_len = up->len,
                       .x_test = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Test"),
                       .number = atomic_fetch_add(&s->requests, 1) + 1,
                       .client_verified = s->trust && client_verified(conn)};
    int now = atomic_fetch_add(&s->in_flight, 1) + 1;
    for (int peak = atomic_load(&s->peak); now > peak && !atomic_compare_exchange_weak(&s->peak, &peak, now);) {}
    test_reply r = s->handler(s->ctx, &rq);
    if (r.delay_ms > 0) sleep_ms(r.delay_ms);
    enum MHD_Result result;
    if (r.hang) {
        wait_for_stop(s);
        result = MHD_NO;
    } else if (r.reset) {
        arm_reset(conn);
        result = MHD_NO;
    } else {
        result = send_reply(conn, s, &r);
    }
    atomic_fetch_sub(&s->in_flight, 1);
    return result;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *data, size_t *data_size, void **con_cls) {
    (void)version;
    test_server *s = cls;
    if (!*con_cls) {
        upload *up = calloc(1, sizeof *up);
        if (!up) abort();
        *con_cls = up;
        return MHD_YES;
    }
    upload *up = *con_cls;
    if (*data_size) {
        up->body = realloc(up->body, up->len + *data_size + 1);
        if (!up->body) abort();
        memcpy(up->body + up->len, data, *data_size);
        up->len += *data_size;
        up->body[up->len] = '\0';
        *data_size = 0;
        return MHD_YES;
    }
    return answer(s, conn, url, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    upload *up = *con_cls;
    if (up) free(up->body);
    free(up);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    (void)conn;
    (void)socket_context;
    test_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) atomic_fetch_add(&s->connections, 1);
}

test_server *test_server_start_mtls(test_handler handler, void *ctx, const char *tls_cert_pem, const char *tls_key_pem,
                                    const char *trust_pem) {
    test_server *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->handler = handler;
    s->ctx = ctx;
    s->trust = trust_pem != NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool tls = tls_cert_pem != NULL;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     (tls ? MHD_USE_TLS : 0); /* no error log: the resets are on purpose */
    struct MHD_OptionItem tls_options[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)tls_key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls_cert_pem},
        {trust_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, (void *)trust_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
                                 on_connection, s, MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    if (!s->daemon) {
        fprintf(stderr, "test_server: cannot start libmicrohttpd\n");
        abort();
    }
    s->port = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d", tls ? "https" : "http", s->port);
    return s;
}

test_server *test_server_start(test_handler handler, void *ctx, const char *tls_cert_pem, const char *tls_key_pem) {
    return test_server_start_mtls(handler, ctx, tls_cert_pem, tls_key_pem, NULL);
}

void test_server_stop(test_server *s) {
    atomic_store(&s->stop, true); /* ends hanging replies, so the connection threads can be joined */
    MHD_stop_daemon(s->daemon);
    free(s);
}

const char *test_server_url(const test_server *s) { return s->url; }
int test_server_port(const test_server *s) { return s->port; }
int test_server_connections(const test_server *s) { return atomic_load(&s->connections); }
int test_server_requests(const test_server *s) { return atomic_load(&s->requests); }
int test_server_peak(const test_server *s) { return atomic_load(&s->peak); }

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = calloc(1, 65536);
    size_t n = text ? fread(text, 1, 65535, f) : 0;
    fclose(f);
    if (text && n == 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Runs openssl (found on PATH) with argv, its output discarded; true when it exited 0. */
static bool run_openssl(char *const argv[]) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return false;
    int status;
    while (waitpid(pid, &status, 0) < 0) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool test_make_cert(const char *dir, const char *other_name, char **cert_pem, char **key_pem, char *cert_path,
                    size_t path_size) {
    char key_path[512], san[128];
    const char *tag = other_name ? "other" : "local";
    snprintf(cert_path, path_size, "%s/%s-cert.pem", dir, tag);
    snprintf(key_path, sizeof key_path, "%s/%s-key.pem", dir, tag);
    snprintf(san, sizeof san, "subjectAltName=%s%s", other_name ? "DNS:" : "IP:",
             other_name ? other_name : "127.0.0.1");
    char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key_path, "-out", cert_path, "-days", "2", "-subj", "/CN=vk-http-test", "-addext",
                    san, NULL};
    if (!run_openssl(argv)) return false;
    *cert_pem = read_file(cert_path);
    *key_pem = read_file(key_path);
    unlink(key_path);
    return *cert_pem && *key_pem;
}
