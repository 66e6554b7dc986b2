/* Async tasks; see tasks.h. */
#include "tasks.h"

#include <string.h>

#include "collections.h"
#include "store.h"
#include "support.h"

typedef bool (*task_action_fn)(sim_ctx *ctx, json_t *action, char *message, size_t size);

static bool no_action(sim_ctx *ctx, json_t *action, char *message, size_t size) {
    (void)ctx, (void)action, (void)message, (void)size;
    return true;
}

static const struct {
    const char *type;
    task_action_fn run;
} task_actions[] = {
    {"none", no_action},
    {"delete_tenant", tenants_finish_delete},
    {"delete_vippool", vippools_finish_delete},
};

json_t *tasks_start(sim_request *req, const char *name, json_t *action) {
    sim_ctx *ctx = req->ctx;
    char now[SIM_ISO_MAX];
    int64_t now_ms = sim_now_ms();
    sim_iso8601(now, now_ms);
    json_t *task = json_pack("{s:s, s:s, s:[s], s:s, s:n, s:{}, s:n, s:I, s:o}", "name", name, "state", "RUNNING",
                             "messages", "Task started", "start_time", now, "end_time", "info",
                             "timeout_in_seconds", "_due_ms", (json_int_t)(now_ms + ctx->cfg.task_delay_ms),
                             "_action", action);
    json_object_set_new(task, "_owner", json_string(req->user ? req->user : ""));
    return store_add(ctx->store, "vtasks", task);
}

int tasks_reply(sim_response *resp, json_t *task) {
    return sim_ok(resp, 200,
                  json_pack("{s:{s:O, s:O, s:O}}", "async_task", "id", json_object_get(task, "id"), "name",
                            json_object_get(task, "name"), "state", json_object_get(task, "state")));
}

static void finish(sim_ctx *ctx, json_t *task) {
    json_t *action = json_object_get(task, "_action");
    const char *type = json_string_value(json_object_get(action, "type"));
    char message[512] = "";
    bool ok = false;
    for (size_t i = 0; i < sizeof task_actions / sizeof task_actions[0]; i++) {
        if (type && strcmp(type, task_actions[i].type) == 0) ok = task_actions[i].run(ctx, action, message, sizeof message);
    }
    char now[SIM_ISO_MAX];
    sim_iso8601(now, sim_now_ms());
    json_object_set_new(task, "state", json_string(ok ? "COMPLETED" : "FAILED"));
    json_object_set_new(task, "end_time", json_string(now));
    json_array_append_new(json_object_get(task, "messages"), json_string(ok ? "Task completed" : message));
    store_changed(ctx->store, "vtasks", task);
}

static bool is_running(json_t *task) {
    const char *state = json_string_value(json_object_get(task, "state"));
    return state && strcmp(state, "RUNNING") == 0;
}

index_class tasks_due_key(json_t *task, const char *arg, char **key) {
    (void)arg;
    if (!is_running(task)) return INDEX_NONE;
    char text[24];
    index_ms_key(json_integer_value(json_object_get(task, "_due_ms")), text);
    *key = sim_strdup(text);
    return INDEX_KEY;
}

void tasks_advance(sim_ctx *ctx) {
    int64_t now_ms = sim_now_ms();
    char now[24];
    index_ms_key(now_ms, now);
    sim_ids due = {0};
    store_find(ctx->store, "vtasks", TASKS_DUE_INDEX, STORE_UPTO, now, false, &due);
    for (size_t i = 0; i < due.n; i++) {
        json_t *task = store_get(ctx->store, "vtasks", due.v[i]);
        if (task && is_running(task) && json_integer_value(json_object_get(task, "_due_ms")) <= now_ms)
            finish(ctx, task);
    }
    ids_free(&due);
}

const sim_collection coll_vtasks = {
    .name = "vtasks",
    .patch_status = 200,
};
