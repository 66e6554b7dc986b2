/* Small shared helpers; see support.h. */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "vk/log.h"

static int64_t clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sim_now_ms(void) { return clock_ms(CLOCK_REALTIME); }
int64_t sim_mono_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

void sim_iso8601(char out[SIM_ISO_MAX], int64_t epoch_ms) {
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, SIM_ISO_MAX, "%s.%06dZ", date, (int)(epoch_ms % 1000) * 1000);
}

bool sim_parse_iso8601(const char *text, int64_t *epoch_ms) {
    if (!text) return false;
    struct tm tm = {0};
    const char *rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) rest = strptime(text, "%Y-%m-%d %H:%M:%S", &tm);
    if (!rest) return false;
    int64_t ms = 0;
    if (*rest == '.') {
        rest++;
        int digits = 0;
        while (*rest >= '0' && *rest <= '9') {
            if (digits < 3) ms = ms * 10 + (*rest - '0');
            digits++;
            rest++;
        }
        if (digits == 0) return false;
        for (; digits < 3; digits++) ms *= 10;
    }
    int64_t offset_s = 0;
    if (*rest == 'Z' || *rest == 'z') {
        rest++;
    } else if (*rest == '+' || *rest == '-') {
        int sign = *rest == '-' ? -1 : 1;
        int hh = 0, mm = 0;
        if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return false;
        offset_s = sign * (hh * 3600 + mm * 60);
        rest += 6;
    }
    if (*rest != '\0') return false;
    *epoch_ms = ((int64_t)timegm(&tm) - offset_s) * 1000 + ms;
    return true;
}

void sim_random_bytes(void *buf, size_t len) {
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            abort();
        }
        p += n;
        len -= (size_t)n;
    }
}

void sim_random_hex(char *out, size_t nbytes) {
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[64];
    if (nbytes > sizeof raw) nbytes = sizeof raw;
    sim_random_bytes(raw, nbytes);
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

static void random_from(char *out, size_t len, const char *alphabet, size_t n) {
    unsigned char raw[128];
    if (len > sizeof raw) len = sizeof raw;
    sim_random_bytes(raw, len);
    for (size_t i = 0; i < len; i++) out[i] = alphabet[raw[i] % n];
    out[len] = '\0';
    explicit_bzero(raw, sizeof raw); /* secrets come from here too */
}

void sim_random_alnum(char *out, size_t len) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    random_from(out, len, alphabet, sizeof alphabet - 1);
}

void sim_random_secret(char *out, size_t len) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    random_from(out, len, alphabet, sizeof alphabet - 1);
}

void sim_uuid4(char out[37]) {
    unsigned char b[16];
    sim_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

double sim_random_unit(void) {
    uint64_t r;
    sim_random_bytes(&r, sizeof r);
    return (double)(r >> 11) / (double)(UINT64_C(1) << 53);
}

int sim_version_code(const char *text) {
    int major, minor, patch;
    char tail;
    if (!text || sscanf(text, "%d.%d.%d%c", &major, &minor, &patch, &tail) != 3) return -1;
    if (major < 0 || minor < 0 || patch < 0 || minor > 999 || patch > 999 || major > 999) return -1;
    return major * 1000000 + minor * 1000 + patch;
}

bool sim_sleep_ms(sim_ctx *ctx, int64_t ms) {
    /* 10 ms steps: short enough that SIGTERM is never held up noticeably. */
    const int64_t deadline = sim_mono_ms() + ms;
    for (;;) {
        if (ctx && atomic_load(&ctx->stopping)) return false;
        int64_t left = deadline - sim_mono_ms();
        if (left <= 0) return true;
        if (left > 10) left = 10;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000};
        nanosleep(&ts, NULL);
    }
}

static int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int sim_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode) {
    char *tmp = sim_printf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = -1;
    if (fd < 0) goto out;
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        goto out;
    }
    /* The rename is durable only once the directory entry is. */
    char *dir_copy = sim_strdup(path);
    int dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir_copy);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    if (rc != 0) {
        char err[128];
        VK_LOG(VK_LOG_ERROR, "cannot write file", "path", path, "error",
               vk_fmt(err, sizeof err, "%s", strerror(errno)));
    }
    free(tmp);
    return rc;
}

void *sim_xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) abort();
    return p;
}

char *sim_strdup(const char *text) {
    size_t n = strlen(text) + 1;
    char *copy = sim_xmalloc(n);
    memcpy(copy, text, n);
    return copy;
}

char *sim_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    int n = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    return out;
}
