#include "discovery.h"

#include "vk/deadline.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define ENTRIES 8

typedef struct {
    char key[192];
    bool served;
    int64_t checked_ms;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry entries[ENTRIES];

static bool ask(vk_kube_client *kc, const char *group, const char *version, const char *resource, bool *served) {
    char url[256];
    snprintf(url, sizeof url, "/apis/%s/%s", group, version);
    vk_kube_request rq = {.verb = VK_KUBE_VERB_RAW, .method = "GET", .url = url, .idempotent = true,
                          .deadline = vk_deadline_in(10000), .what = url};
    vk_http_result res = {0};
    vk_status st;
    bool ok = vk_kube_send(kc, &rq, &res, NULL, &st);
    *served = false;
    if (ok) {
        json_t *doc = json_loadb(res.body, res.body_len, 0, NULL);
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(doc, "resources"), i, r) {
            const char *name = json_string_value(json_object_get(r, "name"));
            if (name && strcmp(name, resource) == 0) *served = true;
        }
        json_decref(doc);
    } else if (st.code == VK_NOT_FOUND) {
        ok = true; /* the group/version is not served: a real answer */
    }
    vk_http_result_free(&res);
    return ok;
}

bool op_api_served(vk_kube_client *kc, const char *group, const char *version, const char *resource) {
    char key[192];
    snprintf(key, sizeof key, "%s/%s/%s", group, version, resource);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < ENTRIES; i++) {
        if (strcmp(entries[i].key, key) == 0 && vk_now_ms() - entries[i].checked_ms < OP_DISCOVERY_TTL_MS) {
            bool served = entries[i].served;
            pthread_mutex_unlock(&lock);
            return served;
        }
    }
    pthread_mutex_unlock(&lock);
    bool served;
    if (!ask(kc, group, version, resource, &served)) return false;
    pthread_mutex_lock(&lock);
    size_t slot = 0;
    for (size_t i = 0; i < ENTRIES; i++) {
        if (strcmp(entries[i].key, key) == 0 || !entries[i].key[0]) {
            slot = i;
            break;
        }
        if (entries[i].checked_ms < entries[slot].checked_ms) slot = i;
    }
    snprintf(entries[slot].key, sizeof entries[slot].key, "%s", key);
    entries[slot].served = served;
    entries[slot].checked_ms = vk_now_ms();
    pthread_mutex_unlock(&lock);
    return served;
}
