/* This process's mount table (see mounts.h). */
#include "mounts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
    char *out = s;
    for (char *in = s; *in;) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '7' && in[2] && in[3]) {
            *out++ = (char)(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
            in += 4;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
}

void tc_each_mount(void (*fn)(const char *point, void *ctx), void *ctx) {
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        /* id parent major:minor root mount-point ... */
        char *save = NULL, *field = strtok_r(line, " ", &save);
        for (int i = 0; field && i < 4; i++) field = strtok_r(NULL, " ", &save);
        if (!field) continue;
        unescape(field);
        fn(field, ctx);
    }
    free(line);
    fclose(f);
}

typedef struct {
    const char *dir;
    size_t len;
    int n;
    bool print;
    char *deepest;
} under_ctx;

static bool is_under(const char *point, const under_ctx *ctx) {
    return strncmp(point, ctx->dir, ctx->len) == 0 && (point[ctx->len] == '/' || point[ctx->len] == '\0');
}

static void count_under(const char *point, void *p) {
    under_ctx *ctx = p;
    if (!is_under(point, ctx)) return;
    ctx->n++;
    if (ctx->print) fprintf(stderr, "still mounted: %s\n", point);
}

int tc_mounts_under(const char *dir, int print) {
    under_ctx ctx = {.dir = dir, .len = strlen(dir), .print = print};
    tc_each_mount(count_under, &ctx);
    return ctx.n;
}

static void find_deepest(const char *point, void *p) {
    under_ctx *ctx = p;
    if (!is_under(point, ctx)) return;
    if (!ctx->deepest || strlen(point) >= strlen(ctx->deepest)) {
        free(ctx->deepest);
        ctx->deepest = strdup(point);
        if (!ctx->deepest) abort();
    }
}

int tc_detach_under(const char *dir) {
    int detached = 0;
    for (int i = 0; i < 10000; i++) {
        under_ctx ctx = {.dir = dir, .len = strlen(dir)};
        tc_each_mount(find_deepest, &ctx);
        if (!ctx.deepest) break;
        int rc = umount2(ctx.deepest, MNT_DETACH | UMOUNT_NOFOLLOW);
        free(ctx.deepest);
        if (rc != 0) break;
        detached++;
    }
    return detached;
}
