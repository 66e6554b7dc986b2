#include "status.h"

#include "vk/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

json_t *op_condition_find(json_t *status, const char *type) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c) {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0) return c;
    }
    return NULL;
}

static void now_text(char *out, size_t size) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *op_conditions_build(json_t *old_conditions, const op_condition *conds, size_t n, int64_t generation) {
    json_t *out = json_array();
    char now[32];
    now_text(now, sizeof now);
    for (size_t i = 0; i < n; i++) {
        const char *since = now;
        json_t *wrapper = json_pack("{s:O}", "conditions", old_conditions ? old_conditions : json_null());
        json_t *old = op_condition_find(wrapper, conds[i].type);
        const char *old_status = json_string_value(json_object_get(old, "status"));
        const char *old_time = json_string_value(json_object_get(old, "lastTransitionTime"));
        if (old_status && old_time && strcmp(old_status, conds[i].status) == 0) since = old_time;
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type", conds[i].type, "status",
                                             conds[i].status, "reason", conds[i].reason, "message",
                                             conds[i].message ? conds[i].message : "", "lastTransitionTime", since,
                                             "observedGeneration", (json_int_t)generation));
        json_decref(wrapper);
    }
    return out;
}

static void append(char *out, size_t size, size_t *used, const char *a, const char *b) {
    if (*used >= size) return;
    int n = snprintf(out + *used, size - *used, "%s%s", a, b);
    *used = n < 0 ? size : *used + (size_t)n;
}

/* "conditions(Ready,Degraded),clusters": what a write changes, for the debug log, so that
 * a status write nobody expected can be traced to the field that moved. */
static void changed_fields(json_t *old_status, json_t *status, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    const char *key;
    json_t *value;
    json_object_foreach(status, key, value) {
        json_t *before = json_object_get(old_status, key);
        if (before && json_equal(before, value)) continue;
        append(out, size, &used, used ? "," : "", key);
        if (strcmp(key, "conditions") != 0 || !before) continue;
        const char *sep = "(";
        size_t i;
        json_t *c;
        json_array_foreach(value, i, c) {
            const char *type = json_string_value(json_object_get(c, "type"));
            json_t *was = op_condition_find(old_status, type);
            if (!was || !json_equal(was, c)) {
                append(out, size, &used, sep, type);
                sep = ",";
            }
        }
        if (sep[0] == ',') append(out, size, &used, ")", "");
    }
    json_object_foreach(old_status, key, value) {
        if (!json_object_get(status, key))
            append(out, size, &used, used ? ",-" : "-", key);
    }
}

bool op_status_write(vk_kube_client *kc, const vk_kube_ref *ref, json_t *read, json_t *status, int64_t deadline,
                     bool *written, vk_status *st) {
    *written = false;
    json_t *old_status = json_object_get(read, "status");
    if (old_status && json_equal(old_status, status)) return true;
    if (vk_log_enabled(VK_LOG_DEBUG)) {
        char changed[512];
        changed_fields(old_status, status, changed, sizeof changed);
        VK_LOG(VK_LOG_DEBUG, "writing status", "resource", ref->resource, "name", ref->name, "changed", changed);
    }
    vk_kube_ref sub = *ref;
    sub.subresource = "status";
    json_t *patch = json_pack("{s:O}", "status", status);
    json_t *version = json_object_get(json_object_get(read, "metadata"), "resourceVersion");
    if (json_is_string(version)) json_object_set_new(patch, "metadata", json_pack("{s:O}", "resourceVersion", version));
    /* keys the new status leaves out are removed, not kept from the old one */
    const char *key;
    json_t *value;
    json_object_foreach(old_status, key, value) {
        if (!json_object_get(status, key)) json_object_set_new(json_object_get(patch, "status"), key, json_null());
    }
    json_t *answer = vk_kube_merge_patch(kc, &sub, patch, deadline, st);
    json_decref(patch);
    if (!answer) return false;
    json_decref(answer);
    *written = true;
    return true;
}

void op_bytes_text(int64_t bytes, char *out, size_t size) {
    static const char *const units[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    if (u == 0) snprintf(out, size, "%lld", (long long)bytes);
    else if (v == (double)(int64_t)v) snprintf(out, size, "%lld%s", (long long)v, units[u]);
    else snprintf(out, size, "%.1f%s", v, units[u]);
}
