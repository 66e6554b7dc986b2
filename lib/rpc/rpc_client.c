#include "vk/rpc_client.h"

#include "vk/rpc_codec.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_REGISTERED = 64 };
/* gRPC core lets at most this many threads pluck one queue at a time
 * (GRPC_MAX_COMPLETION_QUEUE_PLUCKERS); a further plucker fails at once, which would
 * abandon a live call. Callers beyond it wait on a semaphore instead. */
enum { MAX_PLUCKERS = 6 };

typedef struct {
    char *path;
    void *handle;
} registered_method;

struct vk_rpc_client {
    grpc_channel *channel;
    grpc_completion_queue *cq;
    sem_t pluckers;
    pthread_mutex_t lock;
    registered_method methods[MAX_REGISTERED];
    int n_methods;
};

vk_rpc_client *vk_rpc_client_new(const vk_endpoint *endpoint) {
    vk_rpc_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    c->channel = grpc_channel_create(endpoint->target, creds, NULL);
    grpc_channel_credentials_release(creds);
    c->cq = grpc_completion_queue_create_for_pluck(NULL);
    sem_init(&c->pluckers, 0, MAX_PLUCKERS);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void vk_rpc_client_free(vk_rpc_client *c) {
    if (!c) return;
    grpc_channel_destroy(c->channel);
    grpc_completion_queue_shutdown(c->cq);
    grpc_completion_queue_destroy(c->cq);
    for (int i = 0; i < c->n_methods; i++) free(c->methods[i].path);
    pthread_mutex_destroy(&c->lock);
    sem_destroy(&c->pluckers);
    free(c);
}

/* Registered calls skip per-call method parsing in core; arbitrary paths past the
 * cache's size still work as unregistered calls. */
static void *method_handle(vk_rpc_client *c, const char *path) {
    void *handle = NULL;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n_methods; i++) {
        if (strcmp(c->methods[i].path, path) == 0) {
            handle = c->methods[i].handle;
            break;
        }
    }
    if (!handle && c->n_methods < MAX_REGISTERED) {
        char *copy = strdup(path);
        if (copy) {
            handle = grpc_channel_register_call(c->channel, copy, NULL, NULL);
            c->methods[c->n_methods++] = (registered_method){copy, handle};
        }
    }
    pthread_mutex_unlock(&c->lock);
    return handle;
}

static gpr_timespec deadline_after(int64_t timeout_ms) {
    if (timeout_ms <= 0) return gpr_inf_future(GPR_CLOCK_REALTIME);
    return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

static grpc_call *create_call(vk_rpc_client *c, const char *path, gpr_timespec deadline) {
    void *handle = method_handle(c, path);
    if (handle) {
        return grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq,
                                                   handle, deadline, NULL);
    }
    grpc_slice method = grpc_slice_from_copied_string(path);
    grpc_call *call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq,
                                               method, NULL, deadline, NULL);
    grpc_slice_unref(method);
    return call;
}

vk_code vk_rpc_client_call(vk_rpc_client *c, const char *path,
                                    const ProtobufCMessage *request,
                                    const ProtobufCMessageDescriptor *response_desc,
                                    int64_t timeout_ms, ProtobufCMessage **response, vk_status *st) {
    if (response) *response = NULL;
    vk_status_ok(st);
    gpr_timespec deadline = deadline_after(timeout_ms);
    grpc_call *call = create_call(c, path, deadline);
    if (!call) return vk_status_set(st, VK_INTERNAL, "cannot create call to %s", path);

    grpc_byte_buffer *send = NULL;
    if (request) {
        send = vk_rpc_pack(request);
    } else {
        grpc_slice empty = grpc_empty_slice();
        send = grpc_raw_byte_buffer_create(&empty, 1);
    }
    grpc_metadata_array initial_md, trailing_md;
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    grpc_byte_buffer *received = NULL;
    grpc_status_code wire_code = GRPC_STATUS_UNKNOWN;
    vk_code code = VK_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    const char *error_string = NULL;

    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &received;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[5].data.recv_status_on_client.status = &wire_code;
    ops[5].data.recv_status_on_client.status_details = &details;
    ops[5].data.recv_status_on_client.error_string = &error_string;

    while (sem_wait(&c->pluckers) != 0) {
    }
    grpc_call_error err = grpc_call_start_batch(call, ops, 6, call, NULL);
    if (err == GRPC_CALL_OK) {
        /* With no deadline on the pluck itself, it returns only with this call's
         * completion (the call's own deadline bounds it). */
        grpc_completion_queue_pluck(c->cq, call, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        sem_post(&c->pluckers);
        char *text = grpc_slice_to_c_string(details);
        code = (vk_code)wire_code; /* same numbers (vk/status.h) */
        vk_status_set(st, code, "%s", text);
        gpr_free(text);
        if (code == VK_OK && response_desc && response) {
            *response = vk_rpc_unpack(received, response_desc);
            if (!*response) {
                code = vk_status_set(st, VK_INTERNAL, "%s: the reply is not a valid %s",
                                     path, response_desc->name);
            }
        }
    } else {
        sem_post(&c->pluckers);
        code = vk_status_set(st, VK_INTERNAL, "cannot start call to %s (error %d)", path, (int)err);
    }

    if (error_string) gpr_free((void *)error_string);
    grpc_slice_unref(details);
    if (received) grpc_byte_buffer_destroy(received);
    grpc_byte_buffer_destroy(send);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    grpc_call_unref(call);
    return code;
}
