/* kube_verbs: get, create, update, merge patch, server-side apply and delete of any
 * resource - the URL, the query (fieldManager, force), the body and whether a resend is
 * safe - each one request through kube_send, answered by the object it left. */
#include "kube_client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool given(const char *s) { return s && *s; }

/* snprintf at the end of buf, never past it. */
static void append(char *buf, size_t size, const char *a, const char *b) {
    size_t len = strlen(buf);
    if (len < size) snprintf(buf + len, size - len, "%s%s", a, b);
}

const char *kube_describe(const char *verb, const vk_kube_ref *ref, char *buf, size_t size) {
    snprintf(buf, size, "%s %s", verb, ref->resource ? ref->resource : "?");
    if (given(ref->group)) append(buf, size, ".", ref->group); /* as kubectl names it: leases.coordination.k8s.io */
    if (given(ref->subresource)) append(buf, size, "/", ref->subresource);
    if (given(ref->namespace_)) append(buf, size, " ", ref->namespace_);
    if (given(ref->name)) append(buf, size, given(ref->namespace_) ? "/" : " ", ref->name);
    return buf;
}

/* What one verb sends. */
typedef struct {
    vk_kube_verb verb;
    const char *name;   /* for messages: "get", "apply", ... */
    const char *method;
    bool needs_name;
    bool idempotent;
    const json_t *body;
    const char *content_type;
    const vk_kube_param *params;
    size_t param_count;
} verb_call;

static json_t *call(vk_kube_client *c, const vk_kube_ref *ref, const verb_call *v, int64_t deadline, vk_status *st) {
    char what[320];
    kube_describe(v->name, ref, what, sizeof what);
    if (v->needs_name && !given(ref->name))
        return vk_status_set(st, VK_INVALID_ARGUMENT, "%s: the object has no name", what), NULL;
    char *url = vk_kube_url(ref, v->params, v->param_count, st);
    if (!url) return NULL;
    char *text = NULL;
    if (v->body && !(text = json_dumps(v->body, JSON_COMPACT))) {
        free(url);
        return vk_status_set(st, VK_INVALID_ARGUMENT, "%s: the object cannot be written as JSON", what), NULL;
    }
    vk_kube_request rq = {.verb = v->verb, .method = v->method, .url = url, .content_type = v->content_type,
                          .body = text, .body_len = text ? strlen(text) : 0, .idempotent = v->idempotent,
                          .deadline = deadline, .what = what};
    vk_http_result res;
    json_t *out = NULL;
    if (vk_kube_send(c, &rq, &res, NULL, st)) out = kube_parse_answer(&res, what, st);
    vk_http_result_free(&res);
    kube_secret_free(text); /* a Secret's data */
    free(url);
    return out;
}

json_t *vk_kube_get(vk_kube_client *c, const vk_kube_ref *ref, int64_t deadline, vk_status *st) {
    verb_call v = {.verb = VK_KUBE_VERB_GET, .name = "get", .method = "GET", .needs_name = true, .idempotent = true};
    return call(c, ref, &v, deadline, st);
}

json_t *vk_kube_create(vk_kube_client *c, const vk_kube_ref *ref, const json_t *obj, int64_t deadline, vk_status *st) {
    /* The object names itself; a named subresource (a TokenRequest) keeps its name. */
    vk_kube_ref collection = *ref;
    if (!given(ref->subresource)) collection.name = NULL;
    const vk_kube_param params[] = {{"fieldManager", c->field_manager}};
    verb_call v = {.verb = VK_KUBE_VERB_CREATE, .name = "create", .method = "POST", .body = obj,
                   .params = params, .param_count = 1};
    return call(c, &collection, &v, deadline, st);
}

json_t *vk_kube_update(vk_kube_client *c, const vk_kube_ref *ref, const json_t *obj, int64_t deadline, vk_status *st) {
    const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    const vk_kube_param params[] = {{"fieldManager", c->field_manager}};
    verb_call v = {.verb = VK_KUBE_VERB_UPDATE, .name = "update", .method = "PUT", .needs_name = true,
                   .idempotent = given(rv), .body = obj, .params = params, .param_count = 1};
    return call(c, ref, &v, deadline, st);
}

json_t *vk_kube_merge_patch(vk_kube_client *c, const vk_kube_ref *ref, const json_t *patch, int64_t deadline,
                            vk_status *st) {
    const vk_kube_param params[] = {{"fieldManager", c->field_manager}};
    verb_call v = {.verb = VK_KUBE_VERB_PATCH, .name = "patch", .method = "PATCH", .needs_name = true, .body = patch,
                   .content_type = "application/merge-patch+json", .params = params, .param_count = 1};
    return call(c, ref, &v, deadline, st);
}

json_t *vk_kube_apply(vk_kube_client *c, const vk_kube_ref *ref, const json_t *obj, bool force, int64_t deadline,
                      vk_status *st) {
    /* JSON is YAML, so the apply content type takes the object as jansson writes it.
     * Applying the same intent twice leaves the same object: safe to resend. */
    const vk_kube_param params[] = {{"fieldManager", c->field_manager}, {"force", force ? "true" : NULL}};
    verb_call v = {.verb = VK_KUBE_VERB_APPLY, .name = "apply", .method = "PATCH", .needs_name = true,
                   .idempotent = true, .body = obj, .content_type = "application/apply-patch+yaml", .params = params,
                   .param_count = 2};
    return call(c, ref, &v, deadline, st);
}

static json_t *delete_options(const vk_kube_delete_options *o) {
    json_t *body = json_pack("{s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
    if (!body) abort();
    if (o && (given(o->uid) || given(o->resource_version))) {
        json_t *pre = json_object();
        if (given(o->uid)) json_object_set_new(pre, "uid", json_string(o->uid));
        if (given(o->resource_version)) json_object_set_new(pre, "resourceVersion", json_string(o->resource_version));
        json_object_set_new(body, "preconditions", pre);
    }
    if (o && given(o->propagation)) json_object_set_new(body, "propagationPolicy", json_string(o->propagation));
    return body;
}

json_t *vk_kube_delete(vk_kube_client *c, const vk_kube_ref *ref, const vk_kube_delete_options *o, int64_t deadline,
                       vk_status *st) {
    json_t *body = delete_options(o);
    verb_call v = {.verb = VK_KUBE_VERB_DELETE, .name = "delete", .method = "DELETE", .needs_name = true,
                   .idempotent = true, .body = body};
    json_t *out = call(c, ref, &v, deadline, st);
    json_decref(body);
    return out;
}
