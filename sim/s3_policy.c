/* Policy documents; see s3_policy.h. */
#include "s3_policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool same_char(char a, char b, bool fold) {
    return fold ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/* Iterative glob with one backtrack point: linear enough for policy-sized patterns. */
bool s3_policy_glob(const char *pattern, const char *text, bool fold_case) {
    const char *star = NULL, *resume = NULL;
    while (*text) {
        if (*pattern == '*') {
            star = pattern++;
            resume = text;
        } else if (*pattern == '?' || (*pattern && same_char(*pattern, *text, fold_case))) {
            pattern++;
            text++;
        } else if (star) {
            pattern = star + 1;
            text = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*') pattern++;
    return *pattern == '\0';
}

/* Whether pattern can match some text that begins with prefix: the prefix is consumed
 * and any pattern left can still be completed. */
static bool glob_prefix(const char *pattern, const char *prefix) {
    if (!*prefix) return true;
    if (!*pattern) return false;
    if (*pattern == '*') return glob_prefix(pattern + 1, prefix) || glob_prefix(pattern, prefix + 1);
    if (*pattern == '?' || *pattern == *prefix) return glob_prefix(pattern + 1, prefix + 1);
    return false;
}

/* A string or a non-empty list of strings. */
static bool valid_list(json_t *v) {
    if (json_is_string(v)) return true;
    if (!json_is_array(v) || json_array_size(v) == 0) return false;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) return false;
    }
    return true;
}

static bool check_statement(json_t *st, size_t index, char *why, size_t size) {
    static const char *const refused[] = {"NotAction", "NotResource", "NotPrincipal"};
    if (!json_is_object(st)) return snprintf(why, size, "Statement %zu is not an object", index), false;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (json_object_get(st, refused[i]))
            return snprintf(why, size, "Statement %zu: %s is not supported by vms-sim", index, refused[i]), false;
    }
    const char *effect = json_string_value(json_object_get(st, "Effect"));
    if (!effect || (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0))
        return snprintf(why, size, "Statement %zu: Effect must be Allow or Deny", index), false;
    if (!valid_list(json_object_get(st, "Action")))
        return snprintf(why, size, "Statement %zu: Action must be a string or a list of strings", index), false;
    if (!valid_list(json_object_get(st, "Resource")))
        return snprintf(why, size, "Statement %zu: Resource must be a string or a list of strings", index), false;
    json_t *condition = json_object_get(st, "Condition");
    if (condition && !json_is_object(condition))
        return snprintf(why, size, "Statement %zu: Condition must be an object", index), false;
    return true;
}

json_t *s3_policy_parse(const char *text, char *why, size_t size) {
    json_error_t err;
    json_t *doc = text ? json_loads(text, 0, &err) : NULL;
    if (!doc) {
        snprintf(why, size, "Policy is not a JSON document: %s", text ? err.text : "no text");
        return NULL;
    }
    json_t *statements = json_object_get(doc, "Statement");
    bool ok = json_is_object(doc) && (json_is_array(statements) || json_is_object(statements));
    if (!ok) snprintf(why, size, "Policy must be an object with a Statement (an object or a list)");
    if (ok && json_is_object(statements)) ok = check_statement(statements, 0, why, size);
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st) {
        if (ok) ok = check_statement(st, i, why, size);
    }
    if (!ok) json_decref(doc);
    return ok ? doc : NULL;
}

/* Whether any entry of a string-or-list matches text. */
static bool any_matches(json_t *list, const char *text, bool fold) {
    if (json_is_string(list)) return s3_policy_glob(json_string_value(list), text, fold);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (s3_policy_glob(json_string_value(item), text, fold)) return true;
    }
    return false;
}

static bool any_prefix(json_t *list, const char *prefix) {
    if (json_is_string(list)) return glob_prefix(json_string_value(list), prefix);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (glob_prefix(json_string_value(item), prefix)) return true;
    }
    return false;
}

/* The statements as a list, whichever way the document wrote them (borrowed or new). */
static json_t *statements_of(json_t *doc) {
    json_t *statements = json_object_get(doc, "Statement");
    return json_is_object(statements) ? json_pack("[O]", statements) : json_incref(statements);
}

s3_policy_effect s3_policy_decide(json_t *doc, const char *action, const char *resource) {
    json_t *statements = statements_of(doc);
    s3_policy_effect effect = S3_POLICY_NONE;
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st) {
        if (!any_matches(json_object_get(st, "Action"), action, true) ||
            !any_matches(json_object_get(st, "Resource"), resource, false))
            continue;
        if (strcmp(json_string_value(json_object_get(st, "Effect")), "Deny") == 0) {
            effect = S3_POLICY_DENY;
            break;
        }
        if (!json_object_get(st, "Condition")) effect = S3_POLICY_ALLOW;
    }
    json_decref(statements);
    return effect;
}

bool s3_policy_allows_under(json_t *doc, const char *action, const char *prefix) {
    json_t *statements = statements_of(doc);
    bool allows = false;
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st) {
        if (strcmp(json_string_value(json_object_get(st, "Effect")), "Allow") == 0 &&
            !json_object_get(st, "Condition") && any_matches(json_object_get(st, "Action"), action, true) &&
            any_prefix(json_object_get(st, "Resource"), prefix))
            allows = true;
    }
    json_decref(statements);
    return allows;
}
