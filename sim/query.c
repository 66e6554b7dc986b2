/* Filters, projection and pagination; see query.h. */
#include "query.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* Query parameters that steer the list rather than filter it. */
static const char *const reserved_params[] = {"page", "page_size", "fields", "format", "ordering",
                                              "force", "force_remove", NULL};

typedef enum {
    OP_EXACT, OP_IEXACT, OP_CONTAINS, OP_ICONTAINS, OP_STARTSWITH, OP_ISTARTSWITH,
    OP_ENDSWITH, OP_IENDSWITH, OP_IN, OP_GT, OP_GTE, OP_LT, OP_LTE,
} lookup_op;

static const struct {
    const char *name;
    lookup_op op;
} lookups[] = {
    {"exact", OP_EXACT},         {"iexact", OP_IEXACT},         {"contains", OP_CONTAINS},
    {"icontains", OP_ICONTAINS}, {"startswith", OP_STARTSWITH}, {"istartswith", OP_ISTARTSWITH},
    {"endswith", OP_ENDSWITH},   {"iendswith", OP_IENDSWITH},   {"in", OP_IN},
    {"gt", OP_GT},               {"gte", OP_GTE},               {"lt", OP_LT},
    {"lte", OP_LTE},
};

static bool is_reserved(const char *key) {
    for (size_t i = 0; reserved_params[i]; i++) {
        if (strcmp(key, reserved_params[i]) == 0) return true;
    }
    return false;
}

#define MAX_SEGMENTS 8

/* Splits "a__b__op" into segments; the copy in buf backs them. 0 when the key does not
 * fit: a cut key would name another field, so the caller matches nothing instead. */
static size_t split_key(const char *key, char *buf, size_t size, char **segs) {
    int len = snprintf(buf, size, "%s", key);
    if (len < 0 || (size_t)len >= size) return 0;
    size_t n = 0;
    char *p = buf;
    while (n < MAX_SEGMENTS) {
        segs[n++] = p;
        char *sep = strstr(p, "__");
        if (!sep) break;
        *sep = '\0';
        p = sep + 2;
    }
    return n;
}

/* "<a>_<b>" into out; false when it does not fit (no field has so long a name). */
static bool join_name(char *out, size_t size, const char *a, const char *b) {
    int len = snprintf(out, size, "%s_%s", a, b);
    return len >= 0 && (size_t)len < size;
}

/* Finds the value a filter path names. "a__b" looks into object a; where a is a plain
 * value, "a__id" reads a_id and "a__name" reads a itself (policy__name on views); where
 * a is absent, "a__x" reads a_x (tenant__name reads tenant_name). */
static json_t *resolve(json_t *obj, char **segs, size_t n) {
    json_t *parent = obj;
    json_t *cur = json_object_get(obj, segs[0]);
    size_t i = 1;
    char joined[256];
    if (!cur && n >= 2) {
        if (!join_name(joined, sizeof joined, segs[0], segs[1])) return NULL;
        cur = json_object_get(obj, joined);
        i = 2;
    }
    for (; cur && i < n; i++) {
        if (json_is_object(cur)) {
            parent = cur;
            cur = json_object_get(cur, segs[i]);
        } else if (strcmp(segs[i], "id") == 0) {
            if (!join_name(joined, sizeof joined, segs[i - 1], "id")) return NULL;
            cur = json_object_get(parent, joined);
        } else if (!(strcmp(segs[i], "name") == 0 && json_is_string(cur))) {
            return NULL;
        }
    }
    return cur;
}

/* Numbers and booleans compare as their JSON text, as VMS's query strings do. */
static const char *as_text(json_t *v, char *buf, size_t size) {
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_value(v);
    case JSON_INTEGER: snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); return buf;
    case JSON_REAL: snprintf(buf, size, "%.17g", json_real_value(v)); return buf;
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    default: return NULL;
    }
}

static bool text_equal(json_t *v, const char *have, const char *want) {
    if (json_is_boolean(v)) {
        bool b = json_is_true(v);
        return strcasecmp(want, b ? "true" : "false") == 0 || strcmp(want, b ? "1" : "0") == 0;
    }
    if (json_is_null(v)) return strcasecmp(want, "null") == 0 || strcmp(want, "None") == 0;
    return strcmp(have, want) == 0;
}

static bool ends_with(const char *s, const char *suffix, bool fold) {
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n) return false;
    return fold ? strcasecmp(s + n - m, suffix) == 0 : strcmp(s + n - m, suffix) == 0;
}

static bool parse_number(const char *text, double *out) {
    if (!*text) return false;
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    return errno == 0 && *end == '\0';
}

static bool compare_order(json_t *v, const char *have, const char *want, lookup_op op) {
    double a, b;
    int cmp;
    if (json_is_number(v) && parse_number(want, &b)) {
        a = json_number_value(v);
        cmp = a < b ? -1 : a > b ? 1 : 0;
    } else if (json_is_string(v)) {
        cmp = strcmp(have, want); /* ISO timestamps order as text */
    } else {
        return false;
    }
    switch (op) {
    case OP_GT: return cmp > 0;
    case OP_GTE: return cmp >= 0;
    case OP_LT: return cmp < 0;
    default: return cmp <= 0;
    }
}

static bool in_list(json_t *v, const char *have, const char *list) {
    char *copy = sim_strdup(list), *save = NULL;
    bool found = false;
    for (char *item = strtok_r(copy, ",", &save); item && !found; item = strtok_r(NULL, ",", &save))
        found = text_equal(v, have, item);
    free(copy);
    return found;
}

static bool match_scalar(json_t *v, lookup_op op, const char *want) {
    char buf[64];
    const char *have = as_text(v, buf, sizeof buf);
    if (!have) return false;
    switch (op) {
    case OP_EXACT: return text_equal(v, have, want);
    case OP_IEXACT: return strcasecmp(have, want) == 0;
    case OP_CONTAINS: return strstr(have, want) != NULL;
    case OP_ICONTAINS: return strcasestr(have, want) != NULL;
    case OP_STARTSWITH: return strncmp(have, want, strlen(want)) == 0;
    case OP_ISTARTSWITH: return strncasecmp(have, want, strlen(want)) == 0;
    case OP_ENDSWITH: return ends_with(have, want, false);
    case OP_IENDSWITH: return ends_with(have, want, true);
    case OP_IN: return in_list(v, have, want);
    default: return compare_order(v, have, want, op);
    }
}

/* A list field (e.g. protocols) matches when any element does. */
static bool match_value(json_t *v, lookup_op op, const char *want) {
    if (!json_is_array(v)) return match_scalar(v, op, want);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (match_scalar(item, op, want)) return true;
    }
    return false;
}

static bool match_param(json_t *obj, const char *key, const char *want) {
    char buf[256];
    char *segs[MAX_SEGMENTS];
    size_t n = split_key(key, buf, sizeof buf, segs);
    if (n == 0) return false;
    lookup_op op = OP_EXACT;
    if (n > 1) {
        for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
            if (strcmp(segs[n - 1], lookups[i].name) == 0) {
                op = lookups[i].op;
                n--;
                break;
            }
        }
    }
    /* Unknown fields match nothing (VMS would ignore them): a typo shows up in tests. */
    json_t *value = resolve(obj, segs, n);
    return value && match_value(value, op, want);
}

bool query_filters_avoid(const sim_request *req, bool (*touched)(const char *name, const void *arg), const void *arg) {
    for (size_t i = 0; i < req->n_params; i++) {
        if (is_reserved(req->params[i].key)) continue;
        char buf[256], joined[256];
        char *segs[MAX_SEGMENTS];
        size_t n = split_key(req->params[i].key, buf, sizeof buf, segs);
        if (n == 0) continue; /* matches nothing, rendered or not */
        if (touched(segs[0], arg)) return false;
        if (n >= 2 && (!join_name(joined, sizeof joined, segs[0], segs[1]) || touched(joined, arg))) return false;
        for (size_t k = 0; k < n; k++) {
            if (!join_name(joined, sizeof joined, segs[k], "id") || touched(joined, arg)) return false;
        }
    }
    return true;
}

bool query_simple_filter(const char *key, char *field, size_t size, const char **op) {
    static const char *const ops[] = {"exact", "in", "startswith", "gt", "gte", NULL};
    const char *sep = strstr(key, "__");
    size_t len = sep ? (size_t)(sep - key) : strlen(key);
    if (len == 0 || len >= size) return false;
    *op = "exact";
    if (sep) {
        const char *rest = sep + 2;
        size_t k = 0;
        while (ops[k] && strcmp(ops[k], rest) != 0) k++;
        if (!ops[k]) return false;
        *op = ops[k];
    }
    memcpy(field, key, len);
    field[len] = '\0';
    return true;
}

bool query_has_filters(const sim_request *req) {
    for (size_t i = 0; i < req->n_params; i++) {
        if (!is_reserved(req->params[i].key)) return true;
    }
    return false;
}

bool query_matches(const sim_request *req, json_t *obj) {
    for (size_t i = 0; i < req->n_params; i++) {
        if (is_reserved(req->params[i].key)) continue;
        if (!match_param(obj, req->params[i].key, req->params[i].value)) return false;
    }
    return true;
}

static bool first_segment_in(const char *key, const char *const *fields) {
    const char *sep = strstr(key, "__");
    size_t len = sep ? (size_t)(sep - key) : strlen(key);
    for (size_t i = 0; fields && fields[i]; i++) {
        if (strlen(fields[i]) == len && strncmp(fields[i], key, len) == 0) return true;
    }
    return false;
}

bool query_filters_mention(const sim_request *req, const char *const *fields) {
    for (size_t i = 0; i < req->n_params; i++) {
        if (!is_reserved(req->params[i].key) && first_segment_in(req->params[i].key, fields)) return true;
    }
    return false;
}

static bool list_has(const char *list, const char *name, size_t name_len) {
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == name_len && strncmp(p, name, n) == 0) return true;
        p += n;
        if (*p == ',') p++;
    }
    return false;
}

bool query_output_wants(const sim_request *req, const char *const *fields) {
    const char *wanted = sim_param_get(req, "fields");
    if (!wanted || !*wanted) return true;
    for (size_t i = 0; fields && fields[i]; i++) {
        if (list_has(wanted, fields[i], strlen(fields[i]))) return true;
    }
    return false;
}

void query_project(const sim_request *req, json_t *obj) {
    const char *wanted = sim_param_get(req, "fields");
    if (!wanted || !*wanted) return;
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, value) {
        (void)value;
        if (!list_has(wanted, key, strlen(key))) json_object_del(obj, key);
    }
}

/* Django REST framework's rule: a page_size that is not a positive integer means "no
 * pagination"; a too large one is cut to the maximum. */
static long parse_page_size(const char *text) {
    if (!text || !*text) return 0;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || v <= 0) return 0;
    return v > QUERY_MAX_PAGE_SIZE ? QUERY_MAX_PAGE_SIZE : v;
}

int query_window_for(const sim_request *req, size_t count, size_t unpaged_limit, query_window *win,
                     sim_response *resp) {
    memset(win, 0, sizeof *win);
    win->page_size = parse_page_size(sim_param_get(req, "page_size"));
    if (win->page_size == 0) {
        /* VMS 5.5 cuts unpaginated lists silently; so do we. */
        win->end = count < unpaged_limit ? count : unpaged_limit;
        return 0;
    }
    win->paged = true;
    const char *page_text = sim_param_get(req, "page");
    win->page = 1;
    if (page_text) {
        char *end;
        errno = 0;
        win->page = strtol(page_text, &end, 10);
        if (errno || *end || win->page < 1) return sim_reply_detail(resp, 404, "Invalid page.");
    }
    size_t pages = count == 0 ? 1 : (count + (size_t)win->page_size - 1) / (size_t)win->page_size;
    if ((size_t)win->page > pages) return sim_reply_detail(resp, 404, "Invalid page.");
    win->start = (size_t)(win->page - 1) * (size_t)win->page_size;
    win->end = win->start + (size_t)win->page_size;
    if (win->end > count) win->end = count;
    return 0;
}

static void append_encoded(FILE *out, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (isalnum(*p) || strchr("-._~,", *p)) fputc(*p, out);
        else fprintf(out, "%%%02X", *p);
    }
}

/* An absolute link to another page of the same list: the request's parameters with page
 * replaced (and left out for page 1, as Django REST framework does). */
static json_t *page_link(const sim_request *req, long page) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    fprintf(out, "%s/api/%s%s%s?", req->base_url, req->api_version, *req->api_version ? "/" : "",
            req->api_path);
    bool first = true;
    if (page > 1) {
        fprintf(out, "page=%ld", page);
        first = false;
    }
    for (size_t i = 0; i < req->n_params; i++) {
        if (strcmp(req->params[i].key, "page") == 0) continue;
        if (!first) fputc('&', out);
        first = false;
        append_encoded(out, req->params[i].key);
        fputc('=', out);
        append_encoded(out, req->params[i].value);
    }
    fclose(out);
    json_t *link = json_string(text);
    free(text);
    return link;
}

json_t *query_paged_body(const sim_request *req, const query_window *win, size_t count, json_t *results) {
    bool has_next = win->end < count;
    json_t *next = has_next ? page_link(req, win->page + 1) : json_null();
    json_t *previous = win->page > 1 ? page_link(req, win->page - 1) : json_null();
    return json_pack("{s:I, s:o, s:o, s:o}", "count", (json_int_t)count, "next", next, "previous", previous,
                     "results", results);
}
