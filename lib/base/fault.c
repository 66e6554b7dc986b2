#include "vk/fault.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum { FAULT_SLEEP, FAULT_ERROR, FAULT_EXIT, FAULT_KILL } fault_action;

typedef struct {
    char name[96];
    fault_action action;
    long arg;           /* ms for sleep, code for error, status for exit */
    long only_on_hit;   /* 0 = every hit */
    atomic_long hits;
} fault_rule;

enum { MAX_RULES = 32 };
static fault_rule rules[MAX_RULES];
static atomic_int rule_count;

static bool parse_long(const char *text, long *out) {
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < 0) return false;
    *out = v;
    return true;
}

static bool parse_rule(char *item, fault_rule *rule, vk_status *st) {
    char *eq = strchr(item, '=');
    if (!eq || eq == item || (size_t)(eq - item) >= sizeof rule->name) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "fault spec \"%s\": expected NAME=ACTION", item);
        return false;
    }
    *eq = '\0';
    snprintf(rule->name, sizeof rule->name, "%s", item);
    char *action = eq + 1;
    char *at = strchr(action, '@');
    rule->only_on_hit = 0;
    if (at) {
        *at = '\0';
        if (!parse_long(at + 1, &rule->only_on_hit) || rule->only_on_hit == 0) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "fault %s: @N needs N >= 1", rule->name);
            return false;
        }
    }
    char *arg = strchr(action, ':');
    if (arg) *arg++ = '\0';
    bool ok = false;
    if (strcmp(action, "sleep") == 0) {
        rule->action = FAULT_SLEEP;
        ok = arg && parse_long(arg, &rule->arg);
    } else if (strcmp(action, "error") == 0) {
        vk_code code;
        rule->action = FAULT_ERROR;
        ok = arg && vk_status_parse(arg, &code) && code != VK_OK;
        rule->arg = (long)code;
    } else if (strcmp(action, "exit") == 0) {
        rule->action = FAULT_EXIT;
        ok = arg && parse_long(arg, &rule->arg) && rule->arg <= 255;
    } else if (strcmp(action, "kill") == 0) {
        rule->action = FAULT_KILL;
        ok = arg == NULL;
    }
    if (!ok) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "fault %s: unknown action; use sleep:MS, error:CODE, exit:STATUS or kill",
                      rule->name);
    }
    return ok;
}

bool vk_fault_configure(const char *spec, vk_status *st) {
    atomic_store(&rule_count, 0);
    if (!spec || !*spec) return true;
    char *copy = strdup(spec);
    if (!copy) {
        vk_status_set(st, VK_RESOURCE_EXHAUSTED, "out of memory");
        return false;
    }
    int n = 0;
    bool ok = true;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (n == MAX_RULES) {
            vk_status_set(st, VK_INVALID_ARGUMENT, "fault spec: more than %d rules", MAX_RULES);
            ok = false;
            break;
        }
        if (!parse_rule(item, &rules[n], st)) {
            ok = false;
            break;
        }
        atomic_store(&rules[n].hits, 0);
        n++;
    }
    free(copy);
    atomic_store(&rule_count, ok ? n : 0);
    return ok;
}

bool vk_fault_point(const char *name, vk_status *st) {
    int n = atomic_load_explicit(&rule_count, memory_order_relaxed);
    for (int i = 0; i < n; i++) {
        fault_rule *rule = &rules[i];
        if (strcmp(rule->name, name) != 0) continue;
        long hit = atomic_fetch_add(&rule->hits, 1) + 1;
        if (rule->only_on_hit && hit != rule->only_on_hit) continue;
        switch (rule->action) {
        case FAULT_SLEEP: {
            struct timespec ts = {rule->arg / 1000, (rule->arg % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0) {
            }
            break;
        }
        case FAULT_ERROR:
            vk_status_set(st, (vk_code)rule->arg, "injected fault at %s", name);
            return true;
        case FAULT_EXIT:
            _exit((int)rule->arg);
        case FAULT_KILL:
            kill(getpid(), SIGKILL);
            pause();
            break;
        }
    }
    return false;
}
