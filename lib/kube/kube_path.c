/* kube_path: where a resource lives in the API - /api/v1 for the core group,
 * /apis/GROUP/VERSION for the others, then namespaces/NS, the plural, the name and a
 * subresource - with its query, every piece percent-escaped. */
#include "kube_client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;
    size_t len, cap;
} buffer;

static void put(buffer *b, const char *s) {
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->text, cap);
        if (!p) abort();
        b->text = p;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n + 1);
    b->len += n;
}

static void put_escaped(buffer *b, const char *s) {
    char *e = vk_http_escape(s);
    put(b, e);
    free(e);
}

static void put_segment(buffer *b, const char *s) {
    put(b, "/");
    put_escaped(b, s);
}

static bool given(const char *s) { return s && *s; }

char *vk_kube_url(const vk_kube_ref *ref, const vk_kube_param *params, size_t count, vk_status *st) {
    if (!given(ref->version) || !given(ref->resource))
        return vk_status_set(st, VK_INVALID_ARGUMENT, "kubernetes resource: a version and a resource are needed"), NULL;
    if (given(ref->subresource) && !given(ref->name))
        return vk_status_set(st, VK_INVALID_ARGUMENT, "kubernetes resource %s: subresource %s without a name",
                             ref->resource, ref->subresource),
               NULL;
    buffer b = {0};
    if (given(ref->group)) {
        put(&b, "/apis");
        put_segment(&b, ref->group);
    } else {
        put(&b, "/api");
    }
    put_segment(&b, ref->version);
    if (given(ref->namespace_)) {
        put(&b, "/namespaces");
        put_segment(&b, ref->namespace_);
    }
    put_segment(&b, ref->resource);
    if (given(ref->name)) put_segment(&b, ref->name);
    if (given(ref->subresource)) put_segment(&b, ref->subresource);
    char sep = '?';
    for (size_t i = 0; i < count; i++) {
        if (!params[i].value) continue;
        char lead[2] = {sep, '\0'};
        put(&b, lead);
        put_escaped(&b, params[i].key);
        put(&b, "=");
        put_escaped(&b, params[i].value);
        sep = '&';
    }
    vk_status_ok(st);
    return b.text;
}
