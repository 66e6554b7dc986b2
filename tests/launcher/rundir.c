/* The launcher's run directory (see rundir.h). */
#include "rundir.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

bool rundir_make(char *out, size_t size) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    if ((size_t)snprintf(out, size, "%s/vms-sim.XXXXXX", base) >= size) return false;
    return mkdtemp(out) != NULL;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void rundir_remove(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT); }

void rundir_print_tail(const char *file, long bytes) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat log_st, err_st;
    bool same = fstat(fd, &log_st) == 0 && fstat(STDERR_FILENO, &err_st) == 0 && log_st.st_dev == err_st.st_dev &&
                log_st.st_ino == err_st.st_ino;
    if (!same) {
        off_t from = log_st.st_size > bytes ? log_st.st_size - bytes : 0;
        fprintf(stderr, "--- %s (the end) ---\n", file);
        fflush(stderr);
        char buf[4096];
        ssize_t n;
        if (lseek(fd, from, SEEK_SET) == from) {
            while ((n = read(fd, buf, sizeof buf)) > 0) {
                if (write(STDERR_FILENO, buf, (size_t)n) != n) break;
            }
        }
        fprintf(stderr, "--- end of %s ---\n", file);
    }
    close(fd);
}
