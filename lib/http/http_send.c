/* http_send: requests to their end - the caller's prepare hook, an attempt on a pooled
 * connection, the judgment, a retry after a backoff - for one request or a batch, all
 * on the calling thread. A single request is a batch of one: one code path. */
#include "http_internal.h"
#include "vk/deadline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* While a job waits for a connection others may free, or a stream may be cancelled,
 * the loop looks up this often. */
#define SLOT_POLL_MS 100
#define CANCEL_POLL_MS 50

typedef enum { TASK_WAITING, TASK_RUNNING, TASK_DONE } task_state;

typedef struct {
    vk_http_job *job;
    task_state state;
    bool prepared;      /* the prepare hook ran for the coming attempt */
    int64_t not_before; /* the end of a backoff */
    http_attempt attempt;
} task;

typedef struct {
    vk_http_client *c;
    task *tasks;
    size_t count;
    size_t running, left; /* tasks on a connection; tasks not done */
    size_t limit;         /* at most this many running */
    http_slot **slots;    /* scratch: the running tasks' slots */
} batch;

static bool is_safe_to_repeat(const vk_http_request *rq) {
    return strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0 || rq->idempotent;
}

bool vk_http_retryable(const vk_http_request *rq, const vk_http_result *res) {
    if (!res->sent) return false;
    switch (res->failure) {
    case VK_HTTP_ANSWERED:
        if (res->status == 500) return strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
        return (res->status == 502 || res->status == 503 || res->status == 504 || res->status == 429) &&
               is_safe_to_repeat(rq);
    case VK_HTTP_FAIL_TRANSPORT:
    case VK_HTTP_FAIL_TIMEOUT: return is_safe_to_repeat(rq) || res->undelivered;
    default: return false; /* TLS, configuration, the deadline: a resend would end the same */
    }
}

int64_t vk_http_backoff_ms(const vk_http_retry_policy *p, int retry) {
    static _Thread_local unsigned int seed;
    if (!seed) seed = (unsigned int)vk_now_ms() ^ (unsigned int)(uintptr_t)&seed;
    int64_t delay = p->initial_backoff_ms;
    for (int i = 1; i < retry && delay < p->max_backoff_ms; i++) delay *= 2;
    if (delay > p->max_backoff_ms) delay = p->max_backoff_ms;
    return delay / 2 + (int64_t)(rand_r(&seed) % (unsigned int)(delay / 2 + 1));
}

void vk_http_result_free(vk_http_result *res) {
    /* Answers carry access tokens and secret keys: leave nothing in freed memory. */
    if (res->body) explicit_bzero(res->body, res->body_len);
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
}

/* Clears res for the next attempt, keeping the count of attempts. */
static void result_reset(vk_http_result *res) {
    int attempts = res->attempts;
    vk_http_result_free(res);
    memset(res, 0, sizeof *res);
    res->attempts = attempts;
    res->retry_after_s = -1;
}

static void finish(batch *b, task *t) {
    t->state = TASK_DONE;
    b->left--;
    vk_http_result *res = &t->job->result;
    if (!res->body) {
        res->body = calloc(1, 1);
        if (!res->body) abort();
    }
}

static void requeue(task *t, int64_t not_before) {
    result_reset(&t->job->result);
    t->prepared = false;
    t->not_before = not_before;
    t->state = TASK_WAITING;
}

/* No connection became free in time: nothing was sent. The judge hears of it (to
 * record why), but there is nothing to resend. */
static void fail_unsent(batch *b, task *t) {
    vk_http_result *res = &t->job->result;
    res->sent = false;
    res->failure = VK_HTTP_FAIL_DEADLINE;
    res->cause = VK_HTTP_CAUSE_NONE;
    snprintf(res->message, sizeof res->message,
             "the deadline passed while waiting for a free connection (%d in use)", b->c->max_connections);
    const vk_http_hooks *hooks = t->job->hooks;
    if (hooks && hooks->judge) (void)hooks->judge(hooks->ctx, &t->job->request, res);
    finish(b, t);
}

static vk_http_verdict verdict_of(const vk_http_job *job) {
    const vk_http_hooks *hooks = job->hooks;
    if (hooks && hooks->judge) return hooks->judge(hooks->ctx, &job->request, &job->result);
    return vk_http_retryable(&job->request, &job->result) ? VK_HTTP_RETRY : VK_HTTP_DONE;
}

static void judge(batch *b, task *t) {
    vk_http_job *job = t->job;
    vk_http_result *res = &job->result;
    const vk_http_hooks *hooks = job->hooks;
    vk_http_verdict verdict = verdict_of(job);
    if (job->single_attempt || verdict == VK_HTTP_DONE) {
        finish(b, t);
        return;
    }
    if (verdict == VK_HTTP_RESEND) {
        requeue(t, 0);
        return;
    }
    if (res->attempts >= b->c->retry.max_attempts) {
        finish(b, t);
        return;
    }
    int64_t pause = vk_http_backoff_ms(&b->c->retry, res->attempts);
    if (vk_deadline_remaining(job->request.deadline) <= pause) { /* no time for another try */
        finish(b, t);
        return;
    }
    if (hooks && hooks->on_retry) hooks->on_retry(hooks->ctx, res, pause);
    atomic_fetch_add(&b->c->stat_retries, 1);
    requeue(t, vk_now_ms() + pause);
}

/* The transfer of a running task ended with code: its result, then the judgment. */
static void complete(batch *b, task *t, CURLcode code) {
    http_slot *slot = t->attempt.slot;
    http_attempt_finish(&t->attempt, code, &t->job->result);
    http_pool_give(b->c, slot); /* before the judge, whose hooks may send requests of their own */
    b->running--;
    judge(b, t);
}

/* When the loop must look again even if no socket stirs: a backoff ends, a waiting
 * job's deadline, a connection others may have freed, a cancel flag. */
static int64_t next_wake(const batch *b) {
    int64_t wake = VK_DEADLINE_NONE, now = vk_now_ms();
    for (size_t i = 0; i < b->count; i++) {
        const task *t = &b->tasks[i];
        if (t->state == TASK_WAITING) {
            wake = vk_deadline_min(wake, t->not_before > now ? t->not_before : t->job->request.deadline);
            if (t->not_before <= now) wake = vk_deadline_min(wake, now + SLOT_POLL_MS);
        } else if (t->state == TASK_RUNNING && t->job->stream) {
            if (t->job->stream->cancel) wake = vk_deadline_min(wake, now + CANCEL_POLL_MS);
            wake = vk_deadline_min(wake, http_sink_stalls_at(&t->attempt.sink));
        }
    }
    return wake;
}

/* A connection for t: at once, or - when nothing of this batch runs, so nothing of
 * ours will free one - waiting for one, until t's deadline or another job's wake-up. */
static http_slot *slot_for(batch *b, task *t) {
    http_slot *slot = http_pool_take(b->c, false, 0);
    if (slot || b->running > 0) return slot;
    int64_t until = t->job->request.deadline, now = vk_now_ms();
    for (size_t i = 0; i < b->count; i++) {
        const task *o = &b->tasks[i];
        if (o != t && o->state == TASK_WAITING && o->not_before > now) until = vk_deadline_min(until, o->not_before);
    }
    return http_pool_take(b->c, true, until);
}

static void begin(batch *b, task *t, http_slot *slot) {
    vk_http_job *job = t->job;
    http_attempt_start(b->c, &t->attempt, slot, &job->request, job->stream, &job->result);
    job->result.attempts++;
    job->result.sent = true;
    t->state = TASK_RUNNING;
    b->running++;
}

/* Runs the prepare hook before t's attempt; false when it stopped the job. */
static bool prepare(batch *b, task *t) {
    if (t->prepared) return true;
    vk_http_job *job = t->job;
    const vk_http_hooks *hooks = job->hooks;
    if (hooks && hooks->prepare && !hooks->prepare(hooks->ctx, &job->request)) {
        job->result.failure = VK_HTTP_FAIL_CANCELLED;
        snprintf(job->result.message, sizeof job->result.message, "stopped by the caller before sending");
        finish(b, t);
        return false;
    }
    t->prepared = true;
    return true;
}

/* Starts every waiting job whose time has come, as far as connections allow, and ends
 * those whose deadline passed while they waited. */
static void start_ready(batch *b) {
    for (size_t i = 0; i < b->count; i++) {
        task *t = &b->tasks[i];
        if (t->state != TASK_WAITING || t->not_before > vk_now_ms()) continue;
        if (vk_deadline_remaining(t->job->request.deadline) == 0) {
            fail_unsent(b, t);
            continue;
        }
        if (b->running >= b->limit || !prepare(b, t)) continue;
        http_slot *slot = slot_for(b, t);
        if (slot) begin(b, t, slot);
        else if (vk_deadline_remaining(t->job->request.deadline) == 0) fail_unsent(b, t);
    }
}

/* Waits for the running transfers (or a wake-up) and handles those that ended. */
static void step(batch *b) {
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++)
        if (b->tasks[i].state == TASK_RUNNING) b->slots[n++] = b->tasks[i].attempt.slot;
    http_loop_step(b->slots, n, next_wake(b));
    for (size_t i = 0; i < b->count; i++) {
        task *t = &b->tasks[i];
        if (t->state != TASK_RUNNING) continue;
        CURLcode code;
        const vk_http_stream *stream = t->job->stream;
        if (http_loop_finished(t->attempt.slot, &code)) complete(b, t, code);
        else if (stream && stream->cancel && atomic_load(stream->cancel))
            complete(b, t, CURLE_ABORTED_BY_CALLBACK); /* removing the handle ends the transfer */
        else if (stream && vk_now_ms() >= http_sink_stalls_at(&t->attempt.sink)) {
            t->attempt.sink.stalled = true;
            complete(b, t, CURLE_OPERATION_TIMEDOUT);
        }
    }
}

/* Nothing runs and nothing could start: the waiting jobs are in backoff. */
static void idle(const batch *b) {
    int64_t wake = VK_DEADLINE_NONE, now = vk_now_ms();
    for (size_t i = 0; i < b->count; i++)
        if (b->tasks[i].state == TASK_WAITING && b->tasks[i].not_before > now)
            wake = vk_deadline_min(wake, b->tasks[i].not_before);
    if (wake != VK_DEADLINE_NONE) vk_sleep_ms(wake - now);
}

static void run(batch *b) {
    while (b->left > 0) {
        start_ready(b);
        if (b->running > 0) step(b);
        else if (b->left > 0) idle(b);
    }
}

void vk_http_send_all(vk_http_client *c, vk_http_job *jobs, size_t count) {
    if (count == 0) return;
    task one;
    http_slot *one_slot;
    batch b = {.c = c, .count = count, .left = count};
    b.tasks = count == 1 ? &one : calloc(count, sizeof *b.tasks);
    b.slots = count == 1 ? &one_slot : calloc(count, sizeof *b.slots);
    if (!b.tasks || !b.slots) abort();
    /* One connection stays for the hooks' own requests (a token refresh). */
    b.limit = count == 1 || c->max_connections <= 1 ? 1 : (size_t)c->max_connections - 1;
    for (size_t i = 0; i < count; i++) {
        memset(&jobs[i].result, 0, sizeof jobs[i].result);
        jobs[i].result.retry_after_s = -1;
        b.tasks[i] = (task){.job = &jobs[i], .state = TASK_WAITING};
    }
    run(&b);
    if (b.tasks != &one) free(b.tasks);
    if (b.slots != &one_slot) free(b.slots);
}

static bool send_one(vk_http_client *c, vk_http_job *job, vk_http_result *res) {
    vk_http_send_all(c, job, 1);
    *res = job->result;
    return res->failure == VK_HTTP_ANSWERED;
}

bool vk_http_send(vk_http_client *c, vk_http_request *rq, const vk_http_hooks *hooks, vk_http_result *res) {
    vk_http_job job = {.request = *rq, .hooks = hooks};
    bool answered = send_one(c, &job, res);
    *rq = job.request; /* with the headers the prepare hook set */
    return answered;
}

bool vk_http_exchange(vk_http_client *c, const vk_http_request *rq, vk_http_result *res) {
    vk_http_job job = {.request = *rq, .single_attempt = true};
    return send_one(c, &job, res);
}

bool vk_http_stream_lines(vk_http_client *c, const vk_http_request *rq, const vk_http_stream *stream,
                          vk_http_result *res) {
    vk_http_job job = {.request = *rq, .stream = stream, .single_attempt = true};
    return send_one(c, &job, res);
}
