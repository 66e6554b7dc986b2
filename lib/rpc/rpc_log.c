/* gRPC core's own log lines (gpr_log), routed through the project's logger: the base
 * layer knows nothing of gRPC, so the bridge lives here. */
#include "vk/rpc_server.h"
#include "vk/log.h"

#include <grpc/support/log.h>

static void grpc_log_sink(gpr_log_func_args *args) {
    vk_log_level level = VK_LOG_DEBUG;
    if (args->severity == GPR_LOG_SEVERITY_ERROR) {
        level = VK_LOG_ERROR;
    } else if (args->severity == GPR_LOG_SEVERITY_INFO) {
        level = VK_LOG_DEBUG; /* core's info lines are chatty internals */
    }
    if (!vk_log_enabled(level)) return;
    char line[16];
    vk_log_event(level, args->message, "component", "grpc", "file", args->file, "line",
                 vk_fmt(line, sizeof line, "%d", args->line), (const char *)NULL);
}

void vk_log_capture_grpc(void) { gpr_set_log_function(grpc_log_sink); }
