/* vms_task: waiting for asynchronous VMS tasks (vtasks/). */
#include "vk/vms_task.h"
#include "vk/deadline.h"
#include "vms_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define POLL_INITIAL_MS 100
#define POLL_MAX_MS 2000

/* Terminal failure states across VMS versions and VAST's own clients. */
static bool is_failed_state(const char *state) {
    static const char *const failed[] = {"FAILED", "TIMEOUT", "CANCELLED", "ERROR", "ABORTED"};
    for (size_t i = 0; i < sizeof failed / sizeof failed[0]; i++)
        if (strcasecmp(state, failed[i]) == 0) return true;
    return false;
}

static bool is_done_state(const char *state) { return strcasecmp(state, "COMPLETED") == 0 || strcasecmp(state, "SUCCESS") == 0; }

/* The reason VMS gives: the last entry of `messages`. */
static const char *last_message(const json_t *task) {
    const json_t *messages = json_object_get(task, "messages");
    size_t n = json_array_size(messages);
    const char *text = n ? json_string_value(json_array_get(messages, n - 1)) : NULL;
    return text ? text : "no message";
}

bool vms_task_wait(vms_client *c, int64_t task_id, int64_t deadline, json_t **task_out, vms_error *err) {
    if (task_out) *task_out = NULL;
    char path[64];
    snprintf(path, sizeof path, "vtasks/%lld/", (long long)task_id);
    int64_t pause = POLL_INITIAL_MS;
    for (;;) {
        json_t *task = NULL;
        if (!vms_get(c, path, deadline, &task, err)) {
            vms_error_set_object(err, "VMS task %lld", (long long)task_id);
            return false;
        }
        const char *state = json_string_value(json_object_get(task, "state"));
        if (!state) state = "";
        bool done = is_done_state(state), failed = is_failed_state(state);
        if (done || failed) {
            if (failed) {
                const char *name = json_string_value(json_object_get(task, "name"));
                vms_error_set(err, VMS_ERR_TASK, "task %s ended %s: %s", name ? name : "?", state,
                              last_message(task));
                vms_error_set_request(err, c, "GET", path);
                vms_error_set_object(err, "VMS task %lld", (long long)task_id);
            }
            if (task_out) *task_out = task;
            else json_decref(task);
            return done;
        }
        json_decref(task);
        /* Poll once more shortly before the deadline rather than give up a pause early. */
        int64_t left = vk_deadline_remaining(deadline);
        if (left < 20) {
            vms_error_set(err, VMS_ERR_DEADLINE, "the deadline passed while task %lld was still %s",
                          (long long)task_id, *state ? state : "pending");
            vms_error_set_request(err, c, "GET", path);
            vms_error_set_object(err, "VMS task %lld", (long long)task_id);
            return false;
        }
        vk_sleep_ms(pause < left / 2 ? pause : left / 2);
        pause = pause * 2 > POLL_MAX_MS ? POLL_MAX_MS : pause * 2;
    }
}

bool vms_task_wait_response(vms_client *c, const json_t *response, int64_t deadline, vms_error *err) {
    const json_t *task = json_object_get(response, "async_task");
    const json_t *id = json_object_get(task, "id");
    if (!json_is_integer(id)) return true;
    return vms_task_wait(c, json_integer_value(id), deadline, NULL, err);
}
