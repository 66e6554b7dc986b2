#include "admission.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kubernetes names, label keys (with a prefix/) and label values. */
static bool plain(const char *s) {
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '/'))
            return false;
    }
    return true;
}

/* A growing string. */
typedef struct {
    char *text;
    size_t len, cap;
    bool bad;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->text = realloc(b->text, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void put_list(buf *b, json_t *values) {
    put(b, "[");
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        const char *s = json_string_value(v);
        if (!s || !plain(s)) b->bad = true;
        else put(b, "%s'%s'", i ? ", " : "", s);
    }
    put(b, "]");
}

char *op_cel_list(const char *const *items, size_t n) {
    buf b = {0};
    put(&b, "[");
    for (size_t i = 0; i < n; i++) {
        if (!plain(items[i])) b.bad = true;
        else put(&b, "%s'%s'", i ? ", " : "", items[i]);
    }
    put(&b, "]");
    if (b.bad) {
        free(b.text);
        return NULL;
    }
    return b.text;
}

#define LABELS "namespaceObject.metadata.labels"

static void selector_rule(buf *b, json_t *selector) {
    /* labels may be absent altogether: the has() guard keeps each term defined */
    put(b, "(has(" LABELS ")");
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(selector, "matchLabels"), key, value) {
        const char *v = json_string_value(value);
        if (!plain(key) || !v || !plain(v)) b->bad = true;
        else put(b, " && '%s' in " LABELS " && " LABELS "['%s'] == '%s'", key, key, v);
    }
    size_t i;
    json_t *term;
    json_array_foreach(json_object_get(selector, "matchExpressions"), i, term) {
        const char *k = json_string_value(json_object_get(term, "key"));
        const char *op = json_string_value(json_object_get(term, "operator"));
        json_t *values = json_object_get(term, "values");
        if (!k || !op || !plain(k)) {
            b->bad = true;
            continue;
        }
        if (strcmp(op, "In") == 0) {
            put(b, " && '%s' in " LABELS " && " LABELS "['%s'] in ", k, k);
            put_list(b, values);
        } else if (strcmp(op, "NotIn") == 0) {
            put(b, " && (!('%s' in " LABELS ") || !(" LABELS "['%s'] in ", k, k);
            put_list(b, values);
            put(b, "))");
        } else if (strcmp(op, "Exists") == 0) {
            put(b, " && '%s' in " LABELS, k);
        } else if (strcmp(op, "DoesNotExist") == 0) {
            put(b, " && !('%s' in " LABELS ")", k);
        } else {
            b->bad = true;
        }
    }
    put(b, ")");
    /* a selector of no terms selects every namespace (a LabelSelector's meaning) */
    if (!json_object_size(json_object_get(selector, "matchLabels")) &&
        !json_array_size(json_object_get(selector, "matchExpressions")))
        put(b, " || true");
}

char *op_namespace_rule(const op_tenant *t, vk_status *st) {
    buf b = {0};
    put(&b, "(");
    bool any = false;
    if (t->namespace_names && json_array_size(t->namespace_names) > 0) {
        put(&b, "namespaceObject.metadata.name in ");
        put_list(&b, t->namespace_names);
        any = true;
    }
    if (t->namespace_selector) {
        if (any) put(&b, " || ");
        selector_rule(&b, t->namespace_selector);
        any = true;
    }
    if (!any) put(&b, "false");
    put(&b, ")");
    if (b.bad) {
        free(b.text);
        return vk_status_set(st, VK_INVALID_ARGUMENT,
                             "Tenant %s: spec.namespaces holds a name, label or operator that is not valid", t->name),
               NULL;
    }
    return b.text;
}

bool op_admission_objects(const op_tenant *t, const char *name, const char *group, const char *version,
                          const char *resource, const char *class_field, const char *const *classes, size_t n_classes,
                          json_t **policy, json_t **binding, vk_status *st) {
    *policy = *binding = NULL;
    char *rule = op_namespace_rule(t, st);
    if (!rule) return false;
    char *list = op_cel_list(classes, n_classes);
    if (!list) {
        free(rule);
        return vk_status_set(st, VK_INVALID_ARGUMENT, "Tenant %s: a class name is not a valid name", t->name), false;
    }
    char match[4096], message[1024];
    snprintf(match, sizeof match, "has(object.spec.%s) && object.spec.%s in %s", class_field, class_field, list);
    snprintf(message, sizeof message,
             "'%s ' + object.spec.%s + ' belongs to Tenant %s; namespace ' + namespaceObject.metadata.name + "
             "' is not one of its namespaces (see kubectl get tenant %s -o jsonpath={.spec.namespaces})'",
             strcmp(resource, "persistentvolumeclaims") == 0 ? "StorageClass" : "BucketClass", class_field, t->name,
             t->name);
    *policy = json_pack(
        "{s:s, s:s, s:{s:s}, s:{s:s, s:{s:[{s:[s], s:[s], s:[s], s:[s]}]}, s:[{s:s, s:s}], s:[{s:s, s:s, s:s}]}}",
        "apiVersion", "admissionregistration.k8s.io/v1", "kind", "ValidatingAdmissionPolicy", "metadata", "name", name,
        "spec", "failurePolicy", "Fail", "matchConstraints", "resourceRules", "apiGroups", group, "apiVersions", version,
        "operations", "CREATE", "resources", resource, "matchConditions", "name", "uses-a-class-of-the-tenant",
        "expression", match, "validations", "expression", rule, "messageExpression", message, "reason", "Forbidden");
    *binding = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:[s]}}", "apiVersion", "admissionregistration.k8s.io/v1",
                         "kind", "ValidatingAdmissionPolicyBinding", "metadata", "name", name, "spec", "policyName",
                         name, "validationActions", "Deny");
    free(rule);
    free(list);
    return *policy && *binding;
}
