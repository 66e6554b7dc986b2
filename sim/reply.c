/* Request and response helpers: query parameters, and the Django REST framework body
 * shapes that VMS answers with. */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sim_param_get(const sim_request *req, const char *key) {
    for (size_t i = 0; i < req->n_params; i++) {
        if (strcmp(req->params[i].key, key) == 0) return req->params[i].value;
    }
    return NULL;
}

int sim_reply(sim_response *resp, int status, json_t *body) {
    json_decref(resp->body);
    resp->status = status;
    resp->body = body;
    return -1;
}

int sim_ok(sim_response *resp, int status, json_t *body) {
    sim_reply(resp, status, body);
    return 0;
}

int sim_reply_detail(sim_response *resp, int status, const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return sim_reply(resp, status, json_pack("{s:s}", "detail", text));
}

int sim_reply_field_error(sim_response *resp, const char *field, const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return sim_reply(resp, 400, json_pack("{s:[s]}", field, text));
}

int sim_reply_not_found(sim_response *resp) { return sim_reply_detail(resp, 404, "Not found."); }

int sim_reply_permission_denied(sim_response *resp) {
    return sim_reply(resp, 403,
                     json_pack("{s:s, s:s}", "detail", "You do not have permission to perform this action.",
                               "code", "permission_denied"));
}

void sim_response_finish(sim_response *resp) {
    if (resp->body) {
        free(resp->text);
        resp->text = json_dumps(resp->body, JSON_COMPACT);
        json_decref(resp->body);
        resp->body = NULL;
    }
}
