/* kube_list: a collection page by page (limit + continue, as client-go's pager), each
 * page and item handed to the caller as it arrives, so a large list is never held
 * whole; the list's resourceVersion is where a watch starts. */
#include "kube_client_internal.h"
#include "vk/deadline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PAGE 500

/* One page: true to go on (*cont set, NULL at the end), false when the caller stopped
 * (*stopped) or the page failed (st). */
static bool handle_page(json_t *page, const vk_kube_list_options *o, vk_kube_list_result *r, char **cont,
                        bool *stopped) {
    json_t *meta = json_object_get(page, "metadata");
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    if (rv) {
        free(r->resource_version);
        if (!(r->resource_version = strdup(rv))) abort();
    }
    r->pages++;
    json_t *items = json_object_get(page, "items");
    r->items += json_array_size(items);
    if (o->on_page && !o->on_page(o->ctx, page)) {
        *stopped = true;
        return false;
    }
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        if (o->on_item && !o->on_item(o->ctx, item)) {
            *stopped = true;
            return false;
        }
    }
    const char *next = json_string_value(json_object_get(meta, "continue"));
    *cont = next && *next ? strdup(next) : NULL;
    if (next && *next && !*cont) abort();
    return true;
}

bool vk_kube_list(vk_kube_client *c, const vk_kube_ref *ref, const vk_kube_list_options *o, int64_t deadline,
                  vk_kube_list_result *out, vk_status *st) {
    vk_kube_list_result scratch, r = {0};
    if (!out) out = &scratch;
    memset(out, 0, sizeof *out);
    vk_kube_ref collection = *ref;
    collection.name = NULL;
    char what[320], limit[24];
    kube_describe("list", &collection, what, sizeof what);
    snprintf(limit, sizeof limit, "%lld", (long long)(o->limit > 0 ? o->limit : DEFAULT_PAGE));
    deadline = kube_deadline(c, deadline); /* one bound for every page */
    char *cont = NULL;
    bool ok = true, stopped = false;
    do {
        const vk_kube_param params[] = {{"limit", limit},
                                        {"continue", cont},
                                        {"labelSelector", o->label_selector},
                                        {"fieldSelector", o->field_selector}};
        char *url = vk_kube_url(&collection, params, 4, st);
        free(cont);
        cont = NULL;
        if (!url) return false;
        vk_kube_request rq = {.verb = VK_KUBE_VERB_LIST, .method = "GET", .url = url, .idempotent = true,
                              .deadline = deadline, .what = what};
        vk_http_result res;
        json_t *page = NULL;
        ok = vk_kube_send(c, &rq, &res, NULL, st) && (page = kube_parse_answer(&res, what, st));
        vk_http_result_free(&res);
        free(url);
        if (ok) ok = handle_page(page, o, &r, &cont, &stopped);
        json_decref(page);
    } while (ok && cont);
    free(cont);
    if (!ok && !stopped) {
        free(r.resource_version);
        return false;
    }
    *out = r;
    if (out == &scratch) free(r.resource_version);
    vk_status_ok(st);
    return true;
}
