/* Unary gRPC server on gRPC core. See include/vk/rpc_server.h for the model and
 * docs/architecture.md for the life of a request. Ordering rules that matter here come
 * from gRPC core's contract: every buffer an op points to lives until that batch
 * completes; a request for each method is re-armed before its handler runs (so core
 * can hand the next call to another thread); and completion queues are shut down only
 * after every accepted call has finished, or a late start_batch aborts the process. */
#include "vk/rpc_server.h"

#include "vk/arena.h"
#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/log.h"
#include "vk/pbjson.h"
#include "vk/rpc_codec.h"
#include "rpc_metrics.h"

#include <errno.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LANE_COUNT = 2, FAST_LANE_SLOTS = 2, GENERIC_SLOTS = 2 };

typedef struct {
    char *path; /* "/csi.v1.Identity/Probe" */
    const char *name;
    const ProtobufCMethodDescriptor *desc;
    vk_rpc_handler handler; /* NULL: answered UNIMPLEMENTED */
    void *user;
    vk_rpc_lane lane;
    void *grpc_handle;
} method_entry;


/* The worker lane's queue: its intake thread takes calls off the completion queue,
 * stamps them and queues them here for the workers, so the time a call waits for a
 * worker is known and bounded (--max-queue-wait). */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    vk_rpc_call *head, *tail;
    int length;
    bool closed;
    int idle; /* workers waiting for a call */
    int live; /* workers started and not retired */
} call_queue;

/* A worker thread's slot: a retired worker's thread is joined when its slot is
 * reused, or at shutdown. */
typedef enum { SLOT_FREE, SLOT_RUNNING, SLOT_RETIRED } slot_state;

typedef struct {
    grpc_completion_queue *cq;
    pthread_t *threads;      /* [0]: the completion-queue thread; [1..]: worker slots */
    slot_state *slots;
    int n_threads;
    int started_threads;     /* thread 0 started: 1 */
    call_queue queue; /* worker lane only */
} lane;

/* The worker lane follows its callers: a worker starts when a call is queued and no
 * waiting worker is left for it, up to --workers, and one idle this long retires
 * (MIN_WORKERS stay). A call is synchronous code on its own thread - the crash-safety
 * reasoning of each operation stays a straight line - and an idle plugin keeps no
 * thread it does not use (docs/architecture.md weighs this against an event loop). */
#define WORKER_IDLE_MS 30000
#define MIN_WORKERS 2

struct vk_rpc_server {
    vk_rpc_server_config config;
    grpc_server *grpc;
    lane lanes[LANE_COUNT];
    method_entry *methods;
    size_t n_methods;
    char services[512]; /* "csi.v1.Identity, csi.v1.Node": named in UNIMPLEMENTED messages */

    atomic_bool shutting_down;
    atomic_bool cancelling; /* grace period over: calls not yet handled are refused */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int in_flight;           /* accepted calls whose reply has not completed */
    vk_rpc_server_counters counters;
    bool shutdown_tag_seen;  /* core has finished its own shutdown work */
    bool started, stopped;
    char shutdown_tag;       /* its address is the tag */
};

typedef enum { CALL_REQUESTED, CALL_REPLYING } call_state;

struct vk_rpc_call {
    call_state state;
    vk_rpc_call *next_queued;
    vk_rpc_server *server;
    method_entry *method; /* NULL for a call taken by the catch-all request */
    vk_rpc_lane lane;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array request_metadata;
    grpc_byte_buffer *payload;
    grpc_call_details details; /* catch-all only: names the unknown method */
    char *unknown_path;

    vk_arena *arena;
    vk_status status;
    grpc_byte_buffer *response;
    grpc_slice status_details;
    int cancelled;
    struct timespec started;
};

/* ---------- call contexts ---------- */

static vk_rpc_call *call_new(vk_rpc_server *server, method_entry *method, vk_rpc_lane lane) {
    vk_rpc_call *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->server = server;
    c->method = method;
    c->lane = lane;
    c->state = CALL_REQUESTED;
    c->status_details = grpc_empty_slice();
    grpc_metadata_array_init(&c->request_metadata);
    grpc_call_details_init(&c->details);
    return c;
}

static void call_free(vk_rpc_call *c) {
    if (c->call) grpc_call_unref(c->call);
    if (c->payload) grpc_byte_buffer_destroy(c->payload);
    if (c->response) grpc_byte_buffer_destroy(c->response);
    grpc_slice_unref(c->status_details);
    grpc_metadata_array_destroy(&c->request_metadata);
    grpc_call_details_destroy(&c->details);
    vk_arena_free(c->arena);
    free(c->unknown_path);
    free(c);
}

void *vk_rpc_call_user(const vk_rpc_call *call) { return call->method ? call->method->user : NULL; }

const char *vk_rpc_call_method(const vk_rpc_call *call) {
    return call->method ? call->method->path : call->unknown_path;
}

int64_t vk_rpc_call_remaining_ms(const vk_rpc_call *call) {
    gpr_timespec deadline = gpr_convert_clock_type(call->deadline, GPR_CLOCK_MONOTONIC);
    if (gpr_time_cmp(deadline, gpr_inf_future(GPR_CLOCK_MONOTONIC)) == 0) return INT64_MAX;
    gpr_timespec left = gpr_time_sub(deadline, gpr_now(GPR_CLOCK_MONOTONIC));
    return gpr_time_to_millis(left);
}

int64_t vk_rpc_call_deadline(const vk_rpc_call *call) {
    int64_t remaining = vk_rpc_call_remaining_ms(call);
    return remaining == INT64_MAX ? VK_DEADLINE_NONE : vk_deadline_in(remaining);
}

void *vk_rpc_alloc(vk_rpc_call *call, size_t size) { return vk_arena_alloc(call->arena, size); }

char *vk_rpc_strdup(vk_rpc_call *call, const char *s) { return vk_arena_strdup(call->arena, s); }

void *vk_rpc_new_message(vk_rpc_call *call, const ProtobufCMessageDescriptor *desc) {
    void *msg = vk_arena_alloc(call->arena, desc->sizeof_message);
    protobuf_c_message_init(desc, msg);
    return msg;
}

vk_code vk_rpc_fail(vk_rpc_call *call, vk_code code, const char *fmt, ...) {
    call->status.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->status.message, sizeof call->status.message, fmt, ap);
    va_end(ap);
    return code;
}

vk_code vk_rpc_fail_status(vk_rpc_call *call, const vk_status *st) {
    call->status = *st;
    return st->code;
}

/* ---------- requests ---------- */

static bool post_request(vk_rpc_server *s, method_entry *m, vk_rpc_lane lane_id) {
    vk_rpc_call *c = call_new(s, m, lane_id);
    if (!c) return false;
    grpc_completion_queue *cq = s->lanes[lane_id].cq;
    grpc_call_error err;
    if (m) {
        err = grpc_server_request_registered_call(s->grpc, m->grpc_handle, &c->call, &c->deadline,
                                                  &c->request_metadata, &c->payload, cq, cq, c);
    } else {
        err = grpc_server_request_call(s->grpc, &c->call, &c->details, &c->request_metadata, cq,
                                       cq, c);
    }
    if (err != GRPC_CALL_OK) {
        call_free(c);
        return false;
    }
    return true;
}

/* ---------- replies ---------- */

static double elapsed_ms(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static void log_finished_call(const vk_rpc_call *c) {
    vk_code code = c->status.code;
    vk_log_level level = VK_LOG_INFO;
    if (code == VK_INTERNAL || code == VK_UNKNOWN || code == VK_DATA_LOSS) {
        level = VK_LOG_ERROR;
    } else if (code == VK_OK && c->lane == VK_RPC_LANE_FAST) {
        level = VK_LOG_DEBUG; /* Probe every few seconds from the liveness sidecar is noise */
    }
    if (!vk_log_enabled(level)) return;
    char duration[32];
    vk_fmt(duration, sizeof duration, "%.3f", elapsed_ms(&c->started));
    VK_LOG(level, "rpc finished", "method", vk_rpc_call_method(c), "code", vk_status_name(code),
           "duration_ms", duration, "error", c->status.message[0] ? c->status.message : NULL,
           "client_gone", c->cancelled ? "true" : NULL);
}

static void call_finished(vk_rpc_call *c) {
    vk_rpc_server *s = c->server;
    log_finished_call(c);
    rpc_metrics_finished(c->method ? c->method->path : NULL, c->status.code, elapsed_ms(&c->started) / 1e3);
    bool ok = c->status.code == VK_OK;
    bool gone = c->cancelled != 0;
    call_free(c);
    pthread_mutex_lock(&s->lock);
    if (ok) {
        s->counters.finished_ok++;
    } else {
        s->counters.finished_error++;
    }
    if (gone) s->counters.client_gone++;
    s->in_flight--;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

static void send_reply(vk_rpc_call *c) {
    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[n].data.send_initial_metadata.count = 0;
    n++;
    if (c->status.code == VK_OK && c->response) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = c->response;
        n++;
    }
    if (c->status.message[0]) c->status_details = grpc_slice_from_copied_string(c->status.message);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)c->status.code; /* same numbers */
    ops[n].data.send_status_from_server.status_details = c->status.message[0] ? &c->status_details : NULL;
    ops[n].data.send_status_from_server.trailing_metadata_count = 0;
    n++;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n].data.recv_close_on_server.cancelled = &c->cancelled;
    n++;

    c->state = CALL_REPLYING;
    grpc_call_error err = grpc_call_start_batch(c->call, ops, n, c, NULL);
    if (err != GRPC_CALL_OK) {
        /* no completion will come for this batch: finish here */
        char code[16];
        VK_LOG(VK_LOG_ERROR, "cannot send reply", "method", vk_rpc_call_method(c), "grpc_call_error",
               vk_fmt(code, sizeof code, "%d", (int)err));
        call_finished(c);
    }
}

static void log_message(const char *what, const vk_rpc_call *c, const ProtobufCMessage *msg) {
    if (!vk_log_enabled(VK_LOG_DEBUG) || !msg) return;
    char *json = vk_pbjson_dumps(msg, VK_PBJSON_REDACT);
    VK_LOG(VK_LOG_DEBUG, what, "method", vk_rpc_call_method(c), "body", json);
    free(json);
}

/* Decodes the request, runs the handler (or the fault point before it) and builds the
 * reply. Everything the handler allocated lives in the call's arena. */
static void dispatch(vk_rpc_call *c) {
    method_entry *m = c->method;
    vk_status_ok(&c->status);
    ProtobufCMessage *request = NULL;
    ProtobufCMessage *response = NULL;

    if (!m) {
        vk_rpc_fail(c, VK_UNIMPLEMENTED, "unknown method %s: this plugin serves %s",
                    c->unknown_path, c->server->services[0] ? c->server->services : "nothing");
        send_reply(c);
        return;
    }
    if (!c->payload) {
        vk_rpc_fail(c, VK_INVALID_ARGUMENT, "%s: the request carries no message", m->path);
        send_reply(c);
        return;
    }
    char nul_field[160];
    request = vk_rpc_unpack_strict(c->payload, m->desc->input, nul_field, sizeof nul_field);
    if (!request && nul_field[0]) {
        vk_rpc_fail(c, VK_INVALID_ARGUMENT,
                    "%s: field %s holds a NUL byte; names, ids, paths and parameters are text without NUL", m->path,
                    nul_field);
        send_reply(c);
        return;
    }
    if (!request) {
        vk_rpc_fail(c, VK_INVALID_ARGUMENT, "%s: the request is not a valid %s message",
                    m->path, m->desc->input->name);
        send_reply(c);
        return;
    }
    log_message("rpc request", c, request);

    char fault_name[128];
    snprintf(fault_name, sizeof fault_name, "rpc.%s", m->name);
    vk_code code;
    if (atomic_load(&c->server->cancelling)) {
        /* core already told the client "cancelled"; doing the work now would only
         * stretch the shutdown */
        code = vk_rpc_fail(c, VK_UNAVAILABLE, "%s: the plugin is shutting down; retry", m->path);
    } else if (vk_fault_point(fault_name, &c->status)) {
        code = c->status.code;
    } else if (!m->handler) {
        code = vk_rpc_fail(c, VK_UNIMPLEMENTED, "%s is not implemented by this version of the plugin",
                           m->path);
    } else {
        code = m->handler(c, request, &response);
        c->status.code = code;
        if (code == VK_OK && !response) {
            code = vk_rpc_fail(c, VK_INTERNAL, "%s: handler returned no response", m->path);
        }
    }
    if (code == VK_OK) {
        log_message("rpc response", c, response);
        c->response = vk_rpc_pack(response);
        if (!c->response) vk_rpc_fail(c, VK_RESOURCE_EXHAUSTED, "out of memory");
    } else if (!c->status.message[0]) {
        vk_rpc_fail(c, code, "%s failed with %s", m->path, vk_status_name(code));
    }
    protobuf_c_message_free_unpacked(request, NULL);
    send_reply(c);
}

/* Takes a new call in: counts it in flight and re-arms its method's request at once,
 * so core can match the next call while this one waits or runs. */
static void accept_call(vk_rpc_call *c) {
    vk_rpc_server *s = c->server;
    clock_gettime(CLOCK_MONOTONIC, &c->started);
    pthread_mutex_lock(&s->lock);
    s->in_flight++;
    pthread_mutex_unlock(&s->lock);
    rpc_metrics_accepted();
    if (!atomic_load(&s->shutting_down) && !post_request(s, c->method, c->lane)) {
        VK_LOG(VK_LOG_ERROR, "cannot re-arm request", "method",
               c->method ? c->method->path : "(catch-all)");
    }
    c->arena = vk_arena_new();
    if (!c->method) c->unknown_path = grpc_slice_to_c_string(c->details.method);
}

/* A call that waited too long for a worker, or whose client's deadline passed while it
 * waited, is answered without running its handler: the CO retries, and work for a
 * caller that has given up is not started. */
static bool refuse_stale(vk_rpc_call *c) {
    int limit = c->server->config.max_queue_wait_ms;
    double waited = elapsed_ms(&c->started);
    const char *path = vk_rpc_call_method(c);
    if (vk_rpc_call_remaining_ms(c) <= 0) {
        rpc_metrics_refused(RPC_REFUSED_DEADLINE);
        vk_rpc_fail(c, VK_DEADLINE_EXCEEDED, "%s: the deadline passed while the call waited %.0f ms for a worker",
                    path, waited);
        return true;
    }
    if (limit > 0 && waited > limit) {
        rpc_metrics_refused(RPC_REFUSED_QUEUE_WAIT);
        vk_rpc_fail(c, VK_UNAVAILABLE,
                    "%s: the plugin is busy: the call waited %.0f ms for a worker (limit %d ms); retry later", path,
                    waited, limit);
        return true;
    }
    return false;
}

typedef struct {
    vk_rpc_server *server;
    int slot;
} worker_arg;

static void *worker_main(void *arg);

/* Starts a worker in a free slot (joining a retired one's thread first); under the
 * queue lock. False when every slot is busy or the thread cannot start. */
static bool spawn_worker(vk_rpc_server *s) {
    lane *l = &s->lanes[VK_RPC_LANE_WORKERS];
    for (int i = 1; i < l->n_threads; i++) {
        if (l->slots[i] == SLOT_RUNNING) continue;
        if (l->slots[i] == SLOT_RETIRED) pthread_join(l->threads[i], NULL); /* it has unlocked and is returning */
        l->slots[i] = SLOT_FREE;
        worker_arg *a = malloc(sizeof *a);
        if (!a) return false;
        *a = (worker_arg){s, i};
        int rc = pthread_create(&l->threads[i], NULL, worker_main, a);
        if (rc != 0) {
            free(a);
            VK_LOG(VK_LOG_WARN, "cannot start an RPC worker", "error", strerror(rc));
            return false;
        }
        l->slots[i] = SLOT_RUNNING;
        l->queue.live++;
        return true;
    }
    return false;
}

static void queue_push(vk_rpc_server *s, vk_rpc_call *c) {
    call_queue *q = &s->lanes[VK_RPC_LANE_WORKERS].queue;
    pthread_mutex_lock(&q->lock);
    c->next_queued = NULL;
    if (q->tail) {
        q->tail->next_queued = c;
    } else {
        q->head = c;
    }
    q->tail = c;
    q->length++;
    /* more queued calls than waiting workers: one more worker, while slots remain */
    if (q->length > q->idle) spawn_worker(s);
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

/* The oldest queued call; NULL when this worker is to end: the queue closed and empty,
 * or it waited WORKER_IDLE_MS for nothing while more than MIN_WORKERS live. */
static vk_rpc_call *queue_pop(lane *l, int slot) {
    call_queue *q = &l->queue;
    pthread_mutex_lock(&q->lock);
    while (!q->head && !q->closed) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WORKER_IDLE_MS / 1000;
        q->idle++;
        int rc = pthread_cond_timedwait(&q->ready, &q->lock, &until);
        q->idle--;
        if (rc == ETIMEDOUT && !q->head && q->live > MIN_WORKERS) break;
    }
    vk_rpc_call *c = q->head;
    if (c) {
        q->head = c->next_queued;
        if (!q->head) q->tail = NULL;
        q->length--;
    } else {
        q->live--;
        l->slots[slot] = SLOT_RETIRED;
    }
    pthread_mutex_unlock(&q->lock);
    return c;
}

static void *worker_main(void *arg) {
    worker_arg a = *(worker_arg *)arg;
    free(arg);
    vk_rpc_server *s = a.server;
    lane *l = &s->lanes[VK_RPC_LANE_WORKERS];
    for (vk_rpc_call *c; (c = queue_pop(l, a.slot)) != NULL;) {
        rpc_metrics_dequeued(elapsed_ms(&c->started) / 1e3);
        if (refuse_stale(c)) {
            send_reply(c);
        } else {
            dispatch(c);
        }
    }
    return NULL;
}

/* ---------- lanes ---------- */

typedef struct {
    vk_rpc_server *server;
    vk_rpc_lane lane;
} lane_arg;

static void *lane_main(void *arg) {
    lane_arg a = *(lane_arg *)arg;
    free(arg);
    vk_rpc_server *s = a.server;
    grpc_completion_queue *cq = s->lanes[a.lane].cq;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
        if (ev.type != GRPC_OP_COMPLETE) continue;
        if (ev.tag == &s->shutdown_tag) {
            pthread_mutex_lock(&s->lock);
            s->shutdown_tag_seen = true;
            pthread_cond_broadcast(&s->changed);
            pthread_mutex_unlock(&s->lock);
            continue;
        }
        vk_rpc_call *c = ev.tag;
        if (c->state == CALL_REQUESTED) {
            if (ev.success) {
                accept_call(c);
                if (a.lane == VK_RPC_LANE_WORKERS) {
                    queue_push(s, c);
                } else {
                    dispatch(c); /* fast lane: handlers never block */
                }
            } else {
                call_free(c); /* an outstanding request cancelled by shutdown */
            }
        } else {
            call_finished(c);
        }
    }
    return NULL;
}

/* Thread 0 of a lane polls its completion queue; on the worker lane, slots 1..n are
 * for the workers that run queued calls (MIN_WORKERS start now, the rest on demand). */
static bool start_lane(vk_rpc_server *s, vk_rpc_lane id, int n_workers, vk_status *st) {
    lane *l = &s->lanes[id];
    int n_threads = 1 + n_workers;
    l->threads = calloc((size_t)n_threads, sizeof(pthread_t));
    l->slots = calloc((size_t)n_threads, sizeof(slot_state));
    if (!l->threads || !l->slots) {
        vk_status_set(st, VK_RESOURCE_EXHAUSTED, "out of memory");
        return false;
    }
    l->n_threads = n_threads;
    lane_arg *a = malloc(sizeof *a);
    int rc = a ? 0 : ENOMEM;
    if (a) {
        *a = (lane_arg){s, id};
        rc = pthread_create(&l->threads[0], NULL, lane_main, a);
        if (rc != 0) free(a);
    }
    if (rc != 0) {
        vk_status_set(st, VK_RESOURCE_EXHAUSTED, "cannot start RPC thread: %s", strerror(rc));
        return false;
    }
    l->started_threads = 1;
    bool ok = true;
    pthread_mutex_lock(&l->queue.lock);
    for (int i = 0; i < n_workers && i < MIN_WORKERS && ok; i++) ok = spawn_worker(s);
    pthread_mutex_unlock(&l->queue.lock);
    if (!ok) vk_status_set(st, VK_RESOURCE_EXHAUSTED, "cannot start the RPC workers");
    return ok;
}

static void stop_lanes(vk_rpc_server *s) {
    for (int i = 0; i < LANE_COUNT; i++) {
        lane *l = &s->lanes[i];
        if (!l->cq) continue;
        grpc_completion_queue_shutdown(l->cq);
        if (l->started_threads == 0) {
            /* no thread to drain the queue: drain it here */
            while (grpc_completion_queue_next(l->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
                   GRPC_QUEUE_SHUTDOWN) {
            }
        }
        if (l->started_threads > 0) pthread_join(l->threads[0], NULL);
        /* every accepted call has finished (shutdown waited for that), so the queue is
         * empty: closing it releases the workers */
        pthread_mutex_lock(&l->queue.lock);
        l->queue.closed = true;
        pthread_cond_broadcast(&l->queue.ready);
        pthread_mutex_unlock(&l->queue.lock);
        for (int t = 1; t < l->n_threads && l->slots; t++) {
            if (l->slots[t] != SLOT_FREE) pthread_join(l->threads[t], NULL);
            l->slots[t] = SLOT_FREE;
        }
        grpc_completion_queue_destroy(l->cq);
        l->cq = NULL;
        free(l->threads);
        l->threads = NULL;
        free(l->slots);
        l->slots = NULL;
        l->started_threads = 0;
    }
}

/* ---------- server ---------- */

vk_rpc_server *vk_rpc_server_new(const vk_rpc_server_config *config) {
    vk_rpc_server *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->config = *config;
    if (s->config.workers < 1) s->config.workers = 1;
    if (s->config.shutdown_grace_ms < 0) s->config.shutdown_grace_ms = 0;
    pthread_mutex_init(&s->lock, NULL);
    for (int i = 0; i < LANE_COUNT; i++) {
        pthread_mutex_init(&s->lanes[i].queue.lock, NULL);
        pthread_cond_init(&s->lanes[i].queue.ready, NULL);
    }
    vk_cond_init_monotonic(&s->changed);
    rpc_metrics_register();
    return s;
}

static const vk_rpc_handler *find_handler(const vk_rpc_method_handler *handlers, const char *name) {
    for (const vk_rpc_method_handler *h = handlers; h && h->method; h++) {
        if (strcmp(h->method, name) == 0) return &h->handler;
    }
    return NULL;
}

bool vk_rpc_server_add_service(vk_rpc_server *s, const ProtobufCServiceDescriptor *service,
                               const vk_rpc_method_handler *handlers, void *user, vk_rpc_lane lane,
                               vk_status *st) {
    if (s->started) {
        vk_status_set(st, VK_FAILED_PRECONDITION, "services must be added before start");
        return false;
    }
    for (const vk_rpc_method_handler *h = handlers; h && h->method; h++) {
        if (!protobuf_c_service_descriptor_get_method_by_name(service, h->method)) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "service %s has no method %s",
                          service->name, h->method);
            return false;
        }
    }
    method_entry *grown = realloc(s->methods, (s->n_methods + service->n_methods) * sizeof *grown);
    if (!grown) {
        vk_status_set(st, VK_RESOURCE_EXHAUSTED, "out of memory");
        return false;
    }
    s->methods = grown;
    for (unsigned i = 0; i < service->n_methods; i++) {
        const ProtobufCMethodDescriptor *md = &service->methods[i];
        const vk_rpc_handler *h = find_handler(handlers, md->name);
        size_t len = strlen(service->name) + strlen(md->name) + 3;
        char *path = malloc(len);
        if (!path) {
            vk_status_set(st, VK_RESOURCE_EXHAUSTED, "out of memory");
            return false;
        }
        snprintf(path, len, "/%s/%s", service->name, md->name);
        s->methods[s->n_methods++] = (method_entry){
            .path = path, .name = md->name, .desc = md, .handler = h ? *h : NULL,
            .user = user, .lane = lane,
        };
    }
    size_t used = strlen(s->services);
    snprintf(s->services + used, sizeof s->services - used, "%s%s", used ? ", " : "", service->name);
    return true;
}

static grpc_server *create_grpc_server(void) {
    /* Clients that send keepalive pings without active calls would otherwise be sent
     * GOAWAY "too_many_pings" by core's strict default policy. */
    grpc_arg args[] = {
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
         .value.integer = 10000},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, .value.integer = 1},
    };
    grpc_channel_args channel_args = {.num_args = sizeof args / sizeof args[0], .args = args};
    return grpc_server_create(&channel_args, NULL);
}

bool vk_rpc_server_start(vk_rpc_server *s, vk_status *st) {
    if (s->started) {
        vk_status_set(st, VK_FAILED_PRECONDITION, "server already started");
        return false;
    }
    if (!vk_endpoint_prepare_listen(&s->config.endpoint, st)) return false;

    s->grpc = create_grpc_server();
    for (int i = 0; i < LANE_COUNT; i++) {
        s->lanes[i].cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(s->grpc, s->lanes[i].cq, NULL);
    }
    for (size_t i = 0; i < s->n_methods; i++) {
        s->methods[i].grpc_handle = grpc_server_register_method(
            s->grpc, s->methods[i].path, NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    }
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    int port = grpc_server_add_http2_port(s->grpc, s->config.endpoint.target, creds);
    grpc_server_credentials_release(creds);
    if (port == 0) {
        vk_status_set(st, VK_UNAVAILABLE,
                      "cannot listen on %s (address in use, or no permission on the directory?)",
                      s->config.endpoint.target);
        grpc_server_destroy(s->grpc);
        s->grpc = NULL;
        stop_lanes(s);
        return false;
    }
    /* Threads poll the queues before the server starts, so once it has started the
     * fast lane can always take the shutdown tag. */
    if (!start_lane(s, VK_RPC_LANE_FAST, 0, st) ||
        !start_lane(s, VK_RPC_LANE_WORKERS, s->config.workers, st)) {
        grpc_server_destroy(s->grpc); /* never started: no shutdown needed */
        s->grpc = NULL;
        stop_lanes(s);
        return false;
    }
    grpc_server_start(s->grpc);
    s->started = true;

    bool ok = true;
    for (size_t i = 0; i < s->n_methods && ok; i++) {
        method_entry *m = &s->methods[i];
        /* requests re-arm as each call is taken, so a few per method keep up with any
         * number of calls in flight */
        int slots = m->lane == VK_RPC_LANE_FAST ? FAST_LANE_SLOTS : (s->config.workers < 16 ? s->config.workers : 16);
        for (int k = 0; k < slots && ok; k++) ok = post_request(s, m, m->lane);
    }
    for (int k = 0; k < GENERIC_SLOTS && ok; k++) ok = post_request(s, NULL, VK_RPC_LANE_FAST);
    if (!ok) {
        vk_status_set(st, VK_INTERNAL, "cannot post requests to gRPC core");
        vk_rpc_server_shutdown(s);
        return false;
    }
    return true;
}

int vk_rpc_server_in_flight(vk_rpc_server *s) {
    pthread_mutex_lock(&s->lock);
    int n = s->in_flight;
    pthread_mutex_unlock(&s->lock);
    return n;
}

vk_rpc_server_counters vk_rpc_server_counters_get(vk_rpc_server *s) {
    pthread_mutex_lock(&s->lock);
    vk_rpc_server_counters counters = s->counters;
    pthread_mutex_unlock(&s->lock);
    return counters;
}

static bool drained(const vk_rpc_server *s) { return s->shutdown_tag_seen && s->in_flight == 0; }

void vk_rpc_server_shutdown(vk_rpc_server *s) {
    if (!s->started || s->stopped) return;
    s->stopped = true;
    atomic_store(&s->shutting_down, true);
    grpc_server_shutdown_and_notify(s->grpc, s->lanes[VK_RPC_LANE_FAST].cq, &s->shutdown_tag);

    int64_t until = vk_deadline_in(s->config.shutdown_grace_ms);
    pthread_mutex_lock(&s->lock);
    while (!drained(s)) {
        if (!vk_cond_wait_until(&s->changed, &s->lock, until)) break;
    }
    if (!drained(s)) {
        char n[16];
        VK_LOG(VK_LOG_WARN, "shutdown grace period over: cancelling calls still in flight",
               "in_flight", vk_fmt(n, sizeof n, "%d", s->in_flight));
        pthread_mutex_unlock(&s->lock);
        atomic_store(&s->cancelling, true);
        grpc_server_cancel_all_calls(s->grpc);
        pthread_mutex_lock(&s->lock);
        /* Handlers still running will try to reply; the queues must outlive them. Their
         * backend calls are bounded, so this wait ends. */
        while (!drained(s)) pthread_cond_wait(&s->changed, &s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    grpc_server_destroy(s->grpc);
    s->grpc = NULL;
    stop_lanes(s);
}

void vk_rpc_server_free(vk_rpc_server *s) {
    if (!s) return;
    vk_rpc_server_shutdown(s);
    for (size_t i = 0; i < s->n_methods; i++) free(s->methods[i].path);
    free(s->methods);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    for (int i = 0; i < LANE_COUNT; i++) {
        pthread_mutex_destroy(&s->lanes[i].queue.lock);
        pthread_cond_destroy(&s->lanes[i].queue.ready);
    }
    free(s);
}
