/* Several independent HTTP requests at once: one operation's requests that do not
 * depend on each other (a quota and a view for one volume) go out together instead of
 * one after the other, each on its own pooled connection, driven by one thread with
 * curl's multi interface.
 *
 *   vk_http_job jobs[2] = {{.request = quota_post}, {.request = view_post}};
 *   vk_http_send_all(h, jobs, 2);
 *   ...jobs[i].result is the answer to jobs[i].request...
 *   vk_http_result_free(&jobs[0].result); vk_http_result_free(&jobs[1].result);
 */
#ifndef VK_HTTP_MULTI_H
#define VK_HTTP_MULTI_H

#include "vk/http.h"

typedef struct {
    vk_http_request request;      /* in; its deadline bounds this job alone */
    const vk_http_hooks *hooks;   /* may be NULL: vk_http_retryable and the retry policy */
    const vk_http_stream *stream; /* may be NULL: the answer is buffered */
    bool single_attempt;          /* never resent, whatever the judgment */
    vk_http_result result;        /* out, as vk_http_send fills it; the caller frees it */
} vk_http_job;

/* Runs every job to its end - retries, backoffs and hooks as vk_http_send does, each
 * job on its own - and returns when all have ended. At most max_connections - 1 (at
 * least 1) are in flight at once, so a hook's own request (a token refresh) still
 * finds a connection; the others wait for one of theirs to finish. */
void vk_http_send_all(vk_http_client *c, vk_http_job *jobs, size_t count);

#endif
