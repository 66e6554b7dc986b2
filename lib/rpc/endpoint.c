#include "vk/endpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char accepted_forms[] =
    "use unix:///absolute/path.sock, a bare /absolute/path.sock, or tcp://host:port";

static bool parse_unix(const char *text, const char *path, vk_endpoint *out, vk_status *st) {
    if (path[0] != '/') {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "endpoint %s: the socket path must be absolute; %s", text, accepted_forms);
        return false;
    }
    /* collapse the leading slashes of unix:///p so the path is /p */
    while (path[0] == '/' && path[1] == '/') path++;
    size_t n = strlen(path);
    if (n > VK_UNIX_PATH_MAX) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "endpoint %s: socket path is %zu bytes, the limit is %d; choose a shorter directory",
                      text, n, VK_UNIX_PATH_MAX);
        return false;
    }
    if (path[n - 1] == '/') {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "endpoint %s: the path names a directory, not a socket file", text);
        return false;
    }
    out->kind = VK_ENDPOINT_UNIX;
    memcpy(out->path, path, n + 1);
    snprintf(out->target, sizeof out->target, "unix:%s", out->path);
    return true;
}

static bool parse_tcp(const char *text, const char *hostport, vk_endpoint *out, vk_status *st) {
    const char *colon;
    const char *host = hostport;
    size_t host_len;
    if (hostport[0] == '[') {
        const char *close = strchr(hostport, ']');
        if (!close || close[1] != ':') goto bad;
        host = hostport + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(hostport, ':');
        if (!colon || memchr(hostport, ':', (size_t)(colon - hostport))) goto bad;
        host_len = (size_t)(colon - hostport);
    }
    if (host_len == 0 || host_len >= sizeof out->host) goto bad;
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || errno || port < 1 || port > 65535) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "endpoint %s: port must be a number from 1 to 65535", text);
        return false;
    }
    out->kind = VK_ENDPOINT_TCP;
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    out->port = (int)port;
    if (strchr(out->host, ':')) {
        snprintf(out->target, sizeof out->target, "[%s]:%d", out->host, out->port);
    } else {
        snprintf(out->target, sizeof out->target, "%s:%d", out->host, out->port);
    }
    return true;
bad:
    vk_status_set(st, VK_INVALID_ARGUMENT, "endpoint %s is not understood; %s", text,
                  accepted_forms);
    return false;
}

bool vk_endpoint_parse(const char *text, vk_endpoint *out, vk_status *st) {
    memset(out, 0, sizeof *out);
    if (!text || !*text) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "endpoint is empty; %s", accepted_forms);
        return false;
    }
    if (strncmp(text, "unix://", 7) == 0) return parse_unix(text, text + 7, out, st);
    if (strncmp(text, "unix:", 5) == 0) return parse_unix(text, text + 5, out, st);
    if (text[0] == '/') return parse_unix(text, text, out, st);
    if (strncmp(text, "tcp://", 6) == 0) return parse_tcp(text, text + 6, out, st);
    if (strstr(text, "://")) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "endpoint %s: unsupported scheme; %s",
                      text, accepted_forms);
        return false;
    }
    return parse_tcp(text, text, out, st);
}

static int mkdir_parents(const char *file_path) {
    char dir[VK_UNIX_PATH_MAX + 1];
    snprintf(dir, sizeof dir, "%s", file_path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* True when some process accepts connections on the socket at path. */
static bool socket_is_live(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    bool live = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return live;
}

bool vk_endpoint_prepare_listen(const vk_endpoint *ep, vk_status *st) {
    if (ep->kind != VK_ENDPOINT_UNIX) return true;
    if (mkdir_parents(ep->path) != 0) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "cannot create the directory of socket %s: %s", ep->path, strerror(errno));
        return false;
    }
    struct stat sb;
    if (lstat(ep->path, &sb) != 0) {
        if (errno == ENOENT) return true;
        vk_status_set(st, VK_FAILED_PRECONDITION, "cannot inspect socket path %s: %s",
                      ep->path, strerror(errno));
        return false;
    }
    if (!S_ISSOCK(sb.st_mode)) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "%s exists and is not a socket; refusing to replace it (remove it or choose "
                      "another endpoint)",
                      ep->path);
        return false;
    }
    if (socket_is_live(ep->path)) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "another process is serving on %s; stop it or choose another endpoint",
                      ep->path);
        return false;
    }
    if (unlink(ep->path) != 0 && errno != ENOENT) {
        vk_status_set(st, VK_FAILED_PRECONDITION, "cannot remove stale socket %s: %s",
                      ep->path, strerror(errno));
        return false;
    }
    return true;
}
