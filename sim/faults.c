/* Fault rules; see faults.h. */
#include "faults.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

typedef struct {
    char *method; /* NULL = any */
    char *path;   /* NULL = any; else a prefix of the path part of the stats key */
    long latency_ms, jitter_ms, hang_ms;
    double error_rate;
    int error_status;
    bool drop;
    long count;     /* as configured; 0 = unlimited */
    long remaining; /* uses left when count > 0 */
} fault_rule;

struct sim_faults {
    pthread_mutex_t lock;
    fault_rule *rules;
    size_t n_rules;
};

sim_faults *faults_create(void) {
    sim_faults *faults = calloc(1, sizeof *faults);
    if (!faults) abort();
    pthread_mutex_init(&faults->lock, NULL);
    return faults;
}

static void free_rules(fault_rule *rules, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(rules[i].method);
        free(rules[i].path);
    }
    free(rules);
}

void faults_destroy(sim_faults *faults) {
    if (!faults) return;
    free_rules(faults->rules, faults->n_rules);
    pthread_mutex_destroy(&faults->lock);
    free(faults);
}

/* Reads an optional non-negative integer member; false when present but not one. */
static bool get_count(json_t *rule, const char *key, long *out) {
    json_t *v = json_object_get(rule, key);
    if (!v || json_is_null(v)) return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
    *out = (long)json_integer_value(v);
    return true;
}

static bool parse_rule(json_t *src, fault_rule *rule, char *err, size_t errlen) {
    memset(rule, 0, sizeof *rule);
    rule->error_status = 503;
    if (!json_is_object(src)) {
        snprintf(err, errlen, "each rule must be an object");
        return false;
    }
    json_t *method = json_object_get(src, "method");
    json_t *path = json_object_get(src, "path");
    json_t *rate = json_object_get(src, "error_rate");
    json_t *drop = json_object_get(src, "drop");
    long status = 503;
    if ((method && !json_is_string(method) && !json_is_null(method)) ||
        (path && !json_is_string(path) && !json_is_null(path))) {
        snprintf(err, errlen, "method and path must be strings");
        return false;
    }
    if (rate && !json_is_null(rate) && (!json_is_number(rate) || json_number_value(rate) < 0 ||
                                        json_number_value(rate) > 1)) {
        snprintf(err, errlen, "error_rate must be a number from 0 to 1");
        return false;
    }
    if (drop && !json_is_null(drop) && !json_is_boolean(drop)) {
        snprintf(err, errlen, "drop must be a boolean");
        return false;
    }
    if (!get_count(src, "latency_ms", &rule->latency_ms) || !get_count(src, "jitter_ms", &rule->jitter_ms) ||
        !get_count(src, "hang_ms", &rule->hang_ms) || !get_count(src, "count", &rule->count) ||
        !get_count(src, "error_status", &status) || status < 100 || status > 599) {
        snprintf(err, errlen, "latency_ms, jitter_ms, hang_ms and count must be non-negative integers, "
                              "error_status an HTTP status");
        return false;
    }
    rule->error_status = (int)status;
    /* A rule that names an error_status but no rate means "fail these requests": a
     * rate of 0 would make it a silent no-op. */
    bool names_status = json_object_get(src, "error_status") != NULL;
    rule->error_rate = (rate && !json_is_null(rate)) ? json_number_value(rate) : names_status ? 1.0 : 0.0;
    rule->drop = json_is_true(drop);
    rule->remaining = rule->count;
    if (json_is_string(method)) rule->method = sim_strdup(json_string_value(method));
    if (json_is_string(path)) rule->path = sim_strdup(json_string_value(path));
    return true;
}

bool faults_set(sim_faults *faults, json_t *doc, char *err, size_t errlen) {
    json_t *list = json_object_get(doc, "rules");
    if (!json_is_array(list)) {
        snprintf(err, errlen, "expected {\"rules\": [...]}");
        return false;
    }
    size_t n = json_array_size(list);
    fault_rule *rules = calloc(n ? n : 1, sizeof *rules);
    if (!rules) abort();
    for (size_t i = 0; i < n; i++) {
        if (!parse_rule(json_array_get(list, i), &rules[i], err, errlen)) {
            free_rules(rules, i);
            return false;
        }
    }
    pthread_mutex_lock(&faults->lock);
    fault_rule *old = faults->rules;
    size_t old_n = faults->n_rules;
    faults->rules = rules;
    faults->n_rules = n;
    pthread_mutex_unlock(&faults->lock);
    free_rules(old, old_n);
    return true;
}

void faults_clear(sim_faults *faults) {
    pthread_mutex_lock(&faults->lock);
    free_rules(faults->rules, faults->n_rules);
    faults->rules = NULL;
    faults->n_rules = 0;
    pthread_mutex_unlock(&faults->lock);
}

json_t *faults_describe(sim_faults *faults) {
    json_t *list = json_array();
    pthread_mutex_lock(&faults->lock);
    for (size_t i = 0; i < faults->n_rules; i++) {
        const fault_rule *r = &faults->rules[i];
        json_array_append_new(
            list, json_pack("{s:s?, s:s?, s:I, s:I, s:f, s:i, s:I, s:b, s:I, s:I}", "method", r->method, "path",
                            r->path, "latency_ms", (json_int_t)r->latency_ms, "jitter_ms",
                            (json_int_t)r->jitter_ms, "error_rate", r->error_rate, "error_status",
                            r->error_status, "hang_ms", (json_int_t)r->hang_ms, "drop", r->drop, "count",
                            (json_int_t)r->count, "remaining", (json_int_t)r->remaining));
    }
    pthread_mutex_unlock(&faults->lock);
    return json_pack("{s:o}", "rules", list);
}

static bool rule_matches(const fault_rule *r, const char *method, const char *path) {
    if (r->count > 0 && r->remaining <= 0) return false;
    if (r->method && strcasecmp(r->method, method) != 0) return false;
    if (r->path && strncmp(r->path, path, strlen(r->path)) != 0) return false;
    return true;
}

sim_fault_action faults_decide(sim_faults *faults, const char *method, const char *path) {
    sim_fault_action action = {0};
    pthread_mutex_lock(&faults->lock);
    for (size_t i = 0; i < faults->n_rules; i++) {
        fault_rule *r = &faults->rules[i];
        if (!rule_matches(r, method, path)) continue;
        if (r->count > 0) r->remaining--;
        action.latency_ms += r->latency_ms;
        if (r->jitter_ms > 0) action.latency_ms += (long)(sim_random_unit() * (double)(r->jitter_ms + 1));
        if (r->hang_ms > action.hang_ms) action.hang_ms = r->hang_ms;
        action.drop = action.drop || r->drop;
        if (action.error_status == 0 && r->error_rate > 0 && sim_random_unit() < r->error_rate)
            action.error_status = r->error_status;
    }
    pthread_mutex_unlock(&faults->lock);
    return action;
}
