/* Clone copy threads; see clones.h.
 *
 * Locking: the store lock guards stream objects; each job's io_lock is held while the
 * copy changes the destination (one chunk, one mkdir). clones_cancel runs under the
 * store lock, sets `cancelled`, then takes and drops io_lock: after that the worker can
 * write nothing more, so the caller may remove the destination at once. The worker
 * never waits for the store lock while it holds io_lock, so the order is always
 * store -> io_lock and cannot deadlock. */
#include "clones.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsops.h"
#include "snapshot_copy.h"
#include "store.h"
#include "support.h"
#include "vk/log.h"

#define PROGRESS_EVERY_MS 100
#define PACE_STEPS_PER_S 10
#define MAX_CHUNK 65536

typedef struct clone_job {
    struct clone_job *next;
    sim_ctx *ctx;
    json_int_t stream_id;
    int src_fd, dst_fd; /* the snapshot's copy and the destination, opened by safepath */
    char *dst;          /* the destination's VMS path, for the log */
    pthread_t thread;
    pthread_mutex_t io_lock;
    atomic_bool cancelled;
    atomic_bool exited; /* set as the thread's last act, so joining it never blocks long */
    uint64_t total, copied;
    int64_t started_ms, reported_ms;
} clone_job;

struct sim_clones {
    pthread_mutex_t lock; /* guards the job list */
    clone_job *jobs;
};

sim_clones *clones_create(void) {
    sim_clones *clones = calloc(1, sizeof *clones);
    if (!clones) abort();
    pthread_mutex_init(&clones->lock, NULL);
    return clones;
}

static void free_job(clone_job *job) {
    pthread_mutex_destroy(&job->io_lock);
    close(job->src_fd);
    close(job->dst_fd);
    free(job->dst);
    free(job);
}

void clones_destroy(sim_clones *clones) {
    if (!clones) return;
    pthread_mutex_destroy(&clones->lock);
    free(clones);
}

static bool should_stop(clone_job *job) {
    return atomic_load(&job->cancelled) || atomic_load(&job->ctx->stopping);
}

/* Writes the stream's status unless the copy was cancelled meanwhile (both under the
 * store lock, so a cancelled stream's status is never overwritten). */
static void report(clone_job *job, const char *state, json_int_t progress, bool persist) {
    sim_store *store = job->ctx->store;
    uint64_t ticket = 0;
    store_lock(store);
    json_t *stream = store_get(store, "globalsnapstreams", job->stream_id);
    if (stream && !atomic_load(&job->cancelled)) {
        json_object_set_new(stream, "status", json_pack("{s:s, s:I}", "state", state, "progress", progress));
        store_changed(store, "globalsnapstreams", stream);
        /* progress in between is kept in memory only; the end is persisted at once */
        if (persist && store_commit(store, &ticket) != 0) ticket = 0;
    }
    store_unlock(store);
    if (ticket) store_sync(store, ticket);
}

static bool begin_step(void *arg) {
    clone_job *job = arg;
    pthread_mutex_lock(&job->io_lock);
    if (should_stop(job)) {
        pthread_mutex_unlock(&job->io_lock);
        return false;
    }
    return true; /* io_lock stays held until end_step */
}

static void end_step(void *arg, size_t bytes) {
    clone_job *job = arg;
    pthread_mutex_unlock(&job->io_lock);
    job->copied += bytes;
    uint64_t rate = job->ctx->cfg.clone_rate;
    if (rate > 0) {
        int64_t due = job->started_ms + (int64_t)(job->copied * 1000 / rate);
        for (int64_t now = sim_mono_ms(); now < due && !should_stop(job); now = sim_mono_ms()) {
            int64_t step = due - now < 10 ? due - now : 10;
            nanosleep(&(struct timespec){.tv_nsec = (long)step * 1000000}, NULL);
        }
    }
    int64_t now = sim_mono_ms();
    if (now - job->reported_ms >= PROGRESS_EVERY_MS && job->total > 0) {
        job->reported_ms = now;
        uint64_t pct = job->copied * 100 / job->total;
        report(job, "RUNNING", (json_int_t)(pct > 99 ? 99 : pct), false);
    }
}

static void *copy_thread(void *arg) {
    clone_job *job = arg;
    fsops_usage usage = {0};
    /* A new open file (not a dup, which would share the read position with the copy). */
    int measure_fd = openat(job->src_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (measure_fd >= 0) fsops_measure_fd(measure_fd, true, &usage);
    job->total = usage.bytes;
    job->started_ms = job->reported_ms = sim_mono_ms();
    uint64_t rate = job->ctx->cfg.clone_rate;
    fsops_copy_hooks hooks = {
        .begin_step = begin_step,
        .end_step = end_step,
        .arg = job,
        .chunk = rate > 0 && rate / PACE_STEPS_PER_S < MAX_CHUNK ? (size_t)(rate / PACE_STEPS_PER_S) + 1 : MAX_CHUNK,
    };
    int rc = fsops_copy_fd(job->src_fd, job->dst_fd, &hooks);
    if (rc == 0) {
        report(job, "FINISHED", 100, true);
    } else if (rc < 0 && !should_stop(job)) {
        VK_LOG(VK_LOG_ERROR, "clone copy failed", "destination", job->dst);
        report(job, "STOPPED", 0, true);
    }
    atomic_store(&job->exited, true);
    return NULL;
}

/* Joins and frees the jobs whose threads are done. Caller holds clones->lock. */
static void reap(sim_clones *clones) {
    for (clone_job **link = &clones->jobs; *link;) {
        clone_job *job = *link;
        if (!atomic_load(&job->exited)) {
            link = &job->next;
            continue;
        }
        pthread_join(job->thread, NULL);
        *link = job->next;
        free_job(job);
    }
}

void clones_start(sim_ctx *ctx, json_t *stream) {
    json_int_t id = json_integer_value(json_object_get(stream, "id"));
    int src_fd, dst_fd;
    int err = snapshots_stream_open(ctx, stream, &src_fd, &dst_fd);
    if (err != 0) {
        VK_LOG(VK_LOG_ERROR, "cannot start a clone copy", "destination",
               json_string_value(json_object_get(stream, "loanee_root_path")), "error", strerror(err));
        json_object_set_new(stream, "status", json_pack("{s:s, s:i}", "state", "STOPPED", "progress", 0));
        store_changed(ctx->store, "globalsnapstreams", stream);
        return;
    }
    clone_job *job = calloc(1, sizeof *job);
    if (!job) abort();
    job->ctx = ctx;
    job->stream_id = id;
    job->src_fd = src_fd;
    job->dst_fd = dst_fd;
    job->dst = sim_strdup(json_string_value(json_object_get(stream, "loanee_root_path")));
    pthread_mutex_init(&job->io_lock, NULL);
    sim_clones *clones = ctx->clones;
    pthread_mutex_lock(&clones->lock);
    reap(clones);
    if (pthread_create(&job->thread, NULL, copy_thread, job) != 0) {
        pthread_mutex_unlock(&clones->lock);
        VK_LOG(VK_LOG_ERROR, "cannot start a clone thread", "destination", job->dst);
        free_job(job);
        return;
    }
    job->next = clones->jobs;
    clones->jobs = job;
    pthread_mutex_unlock(&clones->lock);
}

static void cancel_job(clone_job *job) {
    atomic_store(&job->cancelled, true);
    pthread_mutex_lock(&job->io_lock); /* waits out a write in progress */
    pthread_mutex_unlock(&job->io_lock);
}

void clones_cancel(sim_ctx *ctx, json_int_t stream_id) {
    sim_clones *clones = ctx->clones;
    pthread_mutex_lock(&clones->lock);
    for (clone_job *job = clones->jobs; job; job = job->next) {
        if (job->stream_id == stream_id) cancel_job(job);
    }
    pthread_mutex_unlock(&clones->lock);
}

void clones_cancel_all(sim_ctx *ctx) {
    sim_clones *clones = ctx->clones;
    pthread_mutex_lock(&clones->lock);
    for (clone_job *job = clones->jobs; job; job = job->next) cancel_job(job);
    pthread_mutex_unlock(&clones->lock);
}

void clones_resume(sim_ctx *ctx) {
    size_t i;
    json_t *stream;
    json_array_foreach(store_list(ctx->store, "globalsnapstreams"), i, stream) {
        const char *state = json_string_value(json_object_get(json_object_get(stream, "status"), "state"));
        if (state && strcmp(state, "RUNNING") == 0) clones_start(ctx, stream);
    }
}

void clones_shutdown(sim_ctx *ctx) {
    sim_clones *clones = ctx->clones;
    pthread_mutex_lock(&clones->lock);
    clone_job *jobs = clones->jobs;
    clones->jobs = NULL;
    pthread_mutex_unlock(&clones->lock);
    while (jobs) {
        clone_job *job = jobs;
        jobs = job->next;
        atomic_store(&job->cancelled, true);
        pthread_join(job->thread, NULL);
        free_job(job);
    }
}
