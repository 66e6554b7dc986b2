/* Asynchronous VMS operations. Some calls (DELETE tenants/{id}/, DELETE vippools/{id}/,
 * PATCH globalsnapstreams/{id}/stop/, ...) answer 200 {"async_task": {"id", ...}} and
 * finish later; vtasks/{id}/ tells when. */
#ifndef VK_VMS_TASK_H
#define VK_VMS_TASK_H

#include "vk/vms.h"

/* Polls vtasks/{task_id}/ (100 ms, doubling to 2 s) until the task is COMPLETED (true)
 * or FAILED/TIMEOUT/CANCELLED (false, VMS_ERR_TASK with the task's last message), or the
 * deadline passes (false, VMS_ERR_DEADLINE). task_out (may be NULL) gets the last task
 * object. */
bool vms_task_wait(vms_client *c, int64_t task_id, int64_t deadline, json_t **task_out, vms_error *err);

/* If response carries {"async_task": {"id": N}}, waits for task N; otherwise returns
 * true at once. For callers of the generic layer. */
bool vms_task_wait_response(vms_client *c, const json_t *response, int64_t deadline, vms_error *err);

#endif
