/* The append journal; see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"
#include "vk/log.h"

struct sim_journal {
    char *path;
    int fd;
    size_t size;
    /* Tickets: appended under the store lock; synced and syncing under sync_lock. */
    uint64_t appended;
    pthread_mutex_t sync_lock;
    pthread_cond_t synced_cond;
    uint64_t synced;
    bool syncing;
    bool failed; /* a sync failed: nothing after it can be promised durable */
};

sim_journal *journal_open(const char *path, char *err, size_t errlen) {
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    sim_journal *journal = calloc(1, sizeof *journal);
    if (!journal) abort();
    journal->path = sim_strdup(path);
    journal->fd = fd;
    journal->size = (size_t)st.st_size;
    pthread_mutex_init(&journal->sync_lock, NULL);
    pthread_cond_init(&journal->synced_cond, NULL);
    return journal;
}

void journal_close(sim_journal *journal) {
    if (!journal) return;
    close(journal->fd);
    pthread_cond_destroy(&journal->synced_cond);
    pthread_mutex_destroy(&journal->sync_lock);
    free(journal->path);
    free(journal);
}

static char *read_all(int fd, size_t size) {
    char *text = malloc(size + 1);
    if (!text) abort();
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, text + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            free(text);
            return NULL;
        }
        got += (size_t)n;
    }
    text[size] = '\0';
    return text;
}

long journal_replay(sim_journal *journal, journal_apply_fn apply, void *arg, char *err, size_t errlen) {
    if (journal->size == 0) return 0;
    char *text = read_all(journal->fd, journal->size);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read: %s", journal->path, strerror(errno));
        return -1;
    }
    long applied = 0, line_no = 0;
    size_t pos = 0;
    while (pos < journal->size) {
        char *nl = memchr(text + pos, '\n', journal->size - pos);
        line_no++;
        if (!nl) {
            /* cut short by kill -9 mid-write; its request was never answered */
            VK_LOG(VK_LOG_WARN, "dropping a torn last journal line", "path", journal->path);
            if (ftruncate(journal->fd, (off_t)pos) != 0 || fdatasync(journal->fd) != 0) {
                snprintf(err, errlen, "%s: cannot cut off its torn last line: %s", journal->path, strerror(errno));
                applied = -1;
            }
            journal->size = pos;
            break;
        }
        json_error_t jerr;
        json_t *record = json_loadb(text + pos, (size_t)(nl - (text + pos)), 0, &jerr);
        char why[256] = "";
        if (!record) snprintf(why, sizeof why, "%s", jerr.text);
        else if (apply(arg, record, why, sizeof why) != 0 && !why[0]) snprintf(why, sizeof why, "bad record");
        json_decref(record);
        if (why[0]) {
            snprintf(err, errlen,
                     "%s: line %ld: %s (the journal is damaged; move it away to start from state.json alone)",
                     journal->path, line_no, why);
            applied = -1;
            break;
        }
        applied++;
        pos = (size_t)(nl - text) + 1;
    }
    free(text);
    return applied;
}

static int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int journal_append(sim_journal *journal, const char *line, size_t len, uint64_t *ticket) {
    /* one write() for the line and its newline: a kill -9 leaves all of it or a prefix */
    char *buf = malloc(len + 1);
    if (!buf) abort();
    memcpy(buf, line, len);
    buf[len] = '\n';
    int rc = write_all(journal->fd, buf, len + 1);
    free(buf);
    if (rc != 0) {
        char why[128];
        VK_LOG(VK_LOG_ERROR, "cannot append to the journal", "path", journal->path, "error",
               vk_fmt(why, sizeof why, "%s", strerror(errno)));
        if (ftruncate(journal->fd, (off_t)journal->size) != 0) { /* best effort; replay drops a torn tail anyway */
        }
        return -1;
    }
    journal->size += len + 1;
    *ticket = __atomic_add_fetch(&journal->appended, 1, __ATOMIC_RELEASE);
    return 0;
}

uint64_t journal_last_ticket(sim_journal *journal) { return journal->appended; }

int journal_sync(sim_journal *journal, uint64_t ticket) {
    pthread_mutex_lock(&journal->sync_lock);
    while (journal->synced < ticket && !journal->failed) {
        if (journal->syncing) {
            pthread_cond_wait(&journal->synced_cond, &journal->sync_lock);
            continue;
        }
        /* Become the syncer for everything appended so far. appended only grows, under the
         * store lock; a value read a little stale only makes this sync cover less, and the
         * loop then syncs again for what it missed. */
        uint64_t target = __atomic_load_n(&journal->appended, __ATOMIC_ACQUIRE);
        journal->syncing = true;
        pthread_mutex_unlock(&journal->sync_lock);
        int rc = fdatasync(journal->fd);
        int saved = errno;
        pthread_mutex_lock(&journal->sync_lock);
        journal->syncing = false;
        if (rc != 0) {
            char why[128];
            VK_LOG(VK_LOG_ERROR, "cannot sync the journal", "path", journal->path, "error",
                   vk_fmt(why, sizeof why, "%s", strerror(saved)));
            journal->failed = true;
        } else if (target > journal->synced) {
            journal->synced = target;
        }
        pthread_cond_broadcast(&journal->synced_cond);
    }
    int rc = journal->failed ? -1 : 0;
    pthread_mutex_unlock(&journal->sync_lock);
    return rc;
}

int journal_reset(sim_journal *journal) {
    if (ftruncate(journal->fd, 0) != 0 || fdatasync(journal->fd) != 0) {
        char why[128];
        VK_LOG(VK_LOG_ERROR, "cannot empty the journal", "path", journal->path, "error",
               vk_fmt(why, sizeof why, "%s", strerror(errno)));
        return -1;
    }
    journal->size = 0;
    pthread_mutex_lock(&journal->sync_lock);
    if (journal->appended > journal->synced) journal->synced = journal->appended;
    pthread_cond_broadcast(&journal->synced_cond);
    pthread_mutex_unlock(&journal->sync_lock);
    return 0;
}

size_t journal_size(const sim_journal *journal) { return journal->size; }
