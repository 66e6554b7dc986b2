/* A plugin-running suite's scratch directory and secret (see run.h). */
#include "run.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool tc_run_dir_make(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "/tmp/vk-%s-XXXXXX", name);
    if (mkdtemp(buf)) return true;
    fprintf(stderr, "mkdtemp %s: %s\n", buf, strerror(errno));
    buf[0] = '\0';
    return false;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void tc_remove_tree(const char *dir) { nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT); }

void tc_run_dir_finish(const char *dir, const char *keep_var) {
    if (!dir[0]) return;
    const char *keep = getenv(keep_var);
    if (keep && strcmp(keep, "1") == 0) {
        printf("run directory kept (%s=1): %s\n", keep_var, dir);
        fflush(stdout);
    } else {
        tc_remove_tree(dir);
    }
}

static bool write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

bool tc_write_secret_dir(const char *dir, const sim_instance *sim, const char *username, const char *password) {
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "127.0.0.1:%d", sim->https_port);
    char *cert = sim_read_file(sim->ca_file);
    bool ok = cert && mkdir(dir, 0700) == 0 && write_file(dir, "endpoint", endpoint) &&
              write_file(dir, "username", username) && write_file(dir, "password", password) &&
              write_file(dir, "ssl_cert", cert);
    if (!ok) fprintf(stderr, "cannot write the secret %s (certificate %s): %s\n", dir, sim->ca_file, strerror(errno));
    free(cert);
    return ok;
}
