/* kube_token: the bearer token of a Kubernetes client - a fixed one, or a tokenFile
 * (a service account's projected token) re-read when the file changes, as client-go's
 * cachingTokenSource does, so a rotated token is used without a restart. */
#include "kube_client_internal.h"
#include "vk/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A projected token is ~1 KiB; anything far larger is not a token. */
#define MAX_TOKEN_FILE 65536

void kube_secret_free(char *s) {
    if (s) explicit_bzero(s, strlen(s));
    free(s);
}

static kube_file_id file_id(const struct stat *sb) {
    return (kube_file_id){.dev = sb->st_dev, .ino = sb->st_ino, .size = sb->st_size, .mtime = sb->st_mtim};
}

static bool same_file(const kube_file_id *a, const kube_file_id *b) {
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* The file's token, surrounding whitespace dropped (kubectl and client-go trim it
 * too: a token written by `echo` ends in a newline); NULL with st when it cannot be
 * read or holds nothing. *id is the identity of what was read. */
static char *read_token(const char *path, kube_file_id *id, vk_status *st) {
    FILE *f = fopen(path, "rb");
    if (!f) return vk_status_set(st, VK_FAILED_PRECONDITION, "token file %s: %s", path, strerror(errno)), NULL;
    struct stat sb;
    char *buf = malloc(MAX_TOKEN_FILE + 1);
    if (!buf) abort();
    size_t n = fstat(fileno(f), &sb) == 0 ? fread(buf, 1, MAX_TOKEN_FILE + 1, f) : 0;
    fclose(f);
    buf[n > MAX_TOKEN_FILE ? MAX_TOKEN_FILE : n] = '\0';
    char *start = buf + strspn(buf, " \t\r\n");
    size_t len = strlen(start);
    while (len > 0 && strchr(" \t\r\n", start[len - 1])) len--;
    char *token = NULL;
    if (n > MAX_TOKEN_FILE) vk_status_set(st, VK_FAILED_PRECONDITION, "token file %s: larger than %d bytes", path, MAX_TOKEN_FILE);
    else if (len == 0) vk_status_set(st, VK_FAILED_PRECONDITION, "token file %s is empty", path);
    else if (memchr(start, '\n', len) || memchr(start, '\r', len))
        vk_status_set(st, VK_FAILED_PRECONDITION, "token file %s holds more than one line", path);
    else if (!(token = strndup(start, len))) abort();
    else *id = file_id(&sb);
    explicit_bzero(buf, MAX_TOKEN_FILE + 1);
    free(buf);
    return token;
}

bool kube_token_init(kube_token *t, const char *token, const char *path, vk_status *st) {
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    if (path && *path) {
        if (!(t->path = strdup(path))) abort();
        t->token = read_token(path, &t->seen, st);
        return t->token != NULL;
    }
    if (token && *token && !(t->token = strdup(token))) abort();
    vk_status_ok(st);
    return true;
}

void kube_token_free(kube_token *t) {
    kube_secret_free(t->token);
    free(t->path);
    pthread_mutex_destroy(&t->mu);
    memset(t, 0, sizeof *t);
}

/* With t->mu held: reads the file again; true when the token changed. */
static bool reread(kube_token *t) {
    kube_file_id id;
    vk_status st;
    char *fresh = read_token(t->path, &id, &st);
    if (!fresh) {
        VK_LOG(VK_LOG_WARN, "kubernetes token file unreadable, keeping the last token", "error", st.message);
        return false;
    }
    atomic_fetch_add(&t->reloads, 1);
    t->seen = id;
    bool changed = strcmp(fresh, t->token) != 0;
    kube_secret_free(t->token);
    t->token = fresh;
    return changed;
}

char *kube_token_header(kube_token *t) {
    pthread_mutex_lock(&t->mu);
    struct stat sb;
    if (t->path && stat(t->path, &sb) == 0) {
        kube_file_id now = file_id(&sb);
        if (!same_file(&now, &t->seen)) (void)reread(t);
    }
    char *line = NULL;
    if (t->token && asprintf(&line, "Authorization: Bearer %s", t->token) < 0) abort();
    pthread_mutex_unlock(&t->mu);
    return line;
}

bool kube_token_reload(kube_token *t) {
    if (!t->path) return false;
    pthread_mutex_lock(&t->mu);
    bool changed = reread(t);
    pthread_mutex_unlock(&t->mu);
    return changed;
}

char *kube_token_copy(kube_token *t) {
    pthread_mutex_lock(&t->mu);
    char *copy = t->token ? strdup(t->token) : NULL;
    if (t->token && !copy) abort();
    pthread_mutex_unlock(&t->mu);
    return copy;
}
