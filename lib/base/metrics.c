#include "vk/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAMILIES_MAX 256

typedef enum { COUNTER, GAUGE, HISTOGRAM, GAUGE_FN } kind;

typedef struct {
    char **values; /* one per label */
    double value;
    uint64_t *buckets; /* histograms: n_buckets + 1 (the last is +Inf), not cumulative */
    double sum;
    uint64_t count;
} series;

struct vk_metric {
    kind kind;
    char *name, *help;
    char *labels[VK_METRICS_LABELS_MAX];
    size_t n_labels;
    double *bounds;
    size_t n_bounds;
    double (*fn)(void *ctx);
    void *fn_ctx;
    void (*collect)(vk_metric *m, void *ctx);
    void *collect_ctx;
    pthread_mutex_t lock;
    series *series;
    size_t n_series, cap_series;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static vk_metric *families[FAMILIES_MAX];
static size_t n_families;

static char *copy(const char *s) {
    char *c = strdup(s ? s : "");
    if (!c) abort(); /* memory exhaustion aborts (docs/architecture.md, error model) */
    return c;
}

static vk_metric *family(kind k, const char *name, const char *help, const char *const *labels, const double *bounds,
                         size_t n_bounds) {
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < n_families; i++) {
        if (strcmp(families[i]->name, name) == 0) {
            vk_metric *m = families[i];
            pthread_mutex_unlock(&registry_lock);
            return m;
        }
    }
    if (n_families == FAMILIES_MAX) abort(); /* a programming error: the set of families is fixed */
    vk_metric *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->kind = k;
    m->name = copy(name);
    m->help = copy(help);
    for (size_t i = 0; labels && labels[i] && i < VK_METRICS_LABELS_MAX; i++) m->labels[m->n_labels++] = copy(labels[i]);
    if (n_bounds) {
        m->bounds = malloc(n_bounds * sizeof *m->bounds);
        if (!m->bounds) abort();
        memcpy(m->bounds, bounds, n_bounds * sizeof *m->bounds);
        m->n_bounds = n_bounds;
    }
    pthread_mutex_init(&m->lock, NULL);
    families[n_families++] = m;
    pthread_mutex_unlock(&registry_lock);
    return m;
}

vk_metric *vk_metric_counter(const char *name, const char *help, const char *const *labels) {
    return family(COUNTER, name, help, labels, NULL, 0);
}

vk_metric *vk_metric_gauge(const char *name, const char *help, const char *const *labels) {
    return family(GAUGE, name, help, labels, NULL, 0);
}

vk_metric *vk_metric_histogram(const char *name, const char *help, const char *const *labels, const double *buckets,
                               size_t n) {
    return family(HISTOGRAM, name, help, labels, buckets, n);
}

void vk_metric_gauge_fn(const char *name, const char *help, double (*fn)(void *ctx), void *ctx) {
    vk_metric *m = family(GAUGE_FN, name, help, NULL, NULL, 0);
    pthread_mutex_lock(&m->lock);
    m->fn = fn;
    m->fn_ctx = ctx;
    pthread_mutex_unlock(&m->lock);
}

void vk_metric_on_render(vk_metric *m, void (*collect)(vk_metric *m, void *ctx), void *ctx) {
    pthread_mutex_lock(&m->lock);
    m->collect = collect;
    m->collect_ctx = ctx;
    pthread_mutex_unlock(&m->lock);
}

/* The series of these label values, or NULL; the family's lock is held. */
static series *existing(vk_metric *m, const char **values) {
    for (size_t i = 0; i < m->n_series; i++) {
        size_t l = 0;
        while (l < m->n_labels && strcmp(m->series[i].values[l], values[l]) == 0) l++;
        if (l == m->n_labels) return &m->series[i];
    }
    return NULL;
}

/* The series of these label values, made on first use; the family's lock is held. */
static series *find(vk_metric *m, const char **values) {
    series *found = existing(m, values);
    if (found) return found;
    if (m->n_series == m->cap_series) {
        m->cap_series = m->cap_series ? m->cap_series * 2 : 8;
        m->series = realloc(m->series, m->cap_series * sizeof *m->series);
        if (!m->series) abort();
    }
    series *s = &m->series[m->n_series++];
    memset(s, 0, sizeof *s);
    s->values = calloc(m->n_labels ? m->n_labels : 1, sizeof *s->values);
    if (!s->values) abort();
    for (size_t l = 0; l < m->n_labels; l++) s->values[l] = copy(values[l]);
    if (m->kind == HISTOGRAM) {
        s->buckets = calloc(m->n_bounds + 1, sizeof *s->buckets);
        if (!s->buckets) abort();
    }
    return s;
}

static void label_values(vk_metric *m, va_list ap, const char **out) {
    for (size_t l = 0; l < m->n_labels; l++) {
        const char *v = va_arg(ap, const char *);
        out[l] = v ? v : "";
    }
}

void vk_metric_add(vk_metric *m, double value, ...) {
    if (!m) return;
    const char *values[VK_METRICS_LABELS_MAX];
    va_list ap;
    va_start(ap, value);
    label_values(m, ap, values);
    va_end(ap);
    pthread_mutex_lock(&m->lock);
    find(m, values)->value += value;
    pthread_mutex_unlock(&m->lock);
}

void vk_metric_set(vk_metric *m, double value, ...) {
    if (!m) return;
    const char *values[VK_METRICS_LABELS_MAX];
    va_list ap;
    va_start(ap, value);
    label_values(m, ap, values);
    va_end(ap);
    pthread_mutex_lock(&m->lock);
    find(m, values)->value = value;
    pthread_mutex_unlock(&m->lock);
}

void vk_metric_observe(vk_metric *m, double value, ...) {
    if (!m || m->kind != HISTOGRAM) return;
    const char *values[VK_METRICS_LABELS_MAX];
    va_list ap;
    va_start(ap, value);
    label_values(m, ap, values);
    va_end(ap);
    pthread_mutex_lock(&m->lock);
    series *s = find(m, values);
    size_t b = 0;
    while (b < m->n_bounds && value > m->bounds[b]) b++;
    s->buckets[b]++;
    s->sum += value;
    s->count++;
    pthread_mutex_unlock(&m->lock);
}

double vk_metric_value(vk_metric *m, ...) {
    if (!m) return 0;
    const char *values[VK_METRICS_LABELS_MAX];
    va_list ap;
    va_start(ap, m);
    label_values(m, ap, values);
    va_end(ap);
    pthread_mutex_lock(&m->lock);
    series *s = existing(m, values);
    double v = !s ? 0 : m->kind == HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&m->lock);
    return v;
}

/* ---- the text format ---- */

typedef struct {
    char *text;
    size_t len, cap;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (o->len + (size_t)n + 1 > o->cap) {
        o->cap = (o->len + (size_t)n + 1) * 2;
        o->text = realloc(o->text, o->cap);
        if (!o->text) abort();
    }
    va_start(ap, fmt);
    vsnprintf(o->text + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* HELP text escapes \ and newline; label values also ". */
static void put_escaped(out *o, const char *s, bool quote) {
    for (; *s; s++) {
        if (*s == '\\') put(o, "\\\\");
        else if (*s == '\n') put(o, "\\n");
        else if (quote && *s == '"') put(o, "\\\"");
        else put(o, "%c", *s);
    }
}

static void put_number(out *o, double v) {
    if (isinf(v)) put(o, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v)) put(o, "NaN");
    else if (v == (double)(int64_t)v && fabs(v) < 1e15) put(o, "%lld", (long long)v);
    else {
        /* the shortest text that reads back as the same double */
        char text[32];
        for (int digits = 6; digits <= 17; digits++) {
            snprintf(text, sizeof text, "%.*g", digits, v);
            if (strtod(text, NULL) == v) break;
        }
        put(o, "%s", text);
    }
}

/* {a="x",b="y"} with an optional extra label (le for buckets); nothing when empty. */
static void put_labels(out *o, const vk_metric *m, const series *s, const char *extra_name, const char *extra) {
    if (m->n_labels == 0 && !extra_name) return;
    put(o, "{");
    for (size_t l = 0; l < m->n_labels; l++) {
        put(o, "%s%s=\"", l ? "," : "", m->labels[l]);
        put_escaped(o, s->values[l], true);
        put(o, "\"");
    }
    if (extra_name) put(o, "%s%s=\"%s\"", m->n_labels ? "," : "", extra_name, extra);
    put(o, "}");
}

static void render_family(out *o, vk_metric *m) {
    static const char *const types[] = {"counter", "gauge", "histogram", "gauge"};
    pthread_mutex_lock(&m->lock);
    void (*collect)(vk_metric *, void *) = m->collect;
    void *collect_ctx = m->collect_ctx;
    pthread_mutex_unlock(&m->lock);
    if (collect) collect(m, collect_ctx); /* it takes the lock itself, through vk_metric_set */
    put(o, "# HELP %s ", m->name);
    put_escaped(o, m->help, false);
    put(o, "\n# TYPE %s %s\n", m->name, types[m->kind]);
    pthread_mutex_lock(&m->lock);
    if (m->kind == GAUGE_FN) {
        put(o, "%s ", m->name);
        put_number(o, m->fn ? m->fn(m->fn_ctx) : 0);
        put(o, "\n");
    }
    for (size_t i = 0; i < m->n_series; i++) {
        const series *s = &m->series[i];
        if (m->kind != HISTOGRAM) {
            put(o, "%s", m->name);
            put_labels(o, m, s, NULL, NULL);
            put(o, " ");
            put_number(o, s->value);
            put(o, "\n");
            continue;
        }
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= m->n_bounds; b++) {
            cumulative += s->buckets[b];
            char le[32];
            if (b == m->n_bounds) snprintf(le, sizeof le, "+Inf");
            else snprintf(le, sizeof le, "%g", m->bounds[b]);
            put(o, "%s_bucket", m->name);
            put_labels(o, m, s, "le", le);
            put(o, " %llu\n", (unsigned long long)cumulative);
        }
        put(o, "%s_sum", m->name);
        put_labels(o, m, s, NULL, NULL);
        put(o, " ");
        put_number(o, s->sum);
        put(o, "\n%s_count", m->name);
        put_labels(o, m, s, NULL, NULL);
        put(o, " %llu\n", (unsigned long long)s->count);
    }
    pthread_mutex_unlock(&m->lock);
}

char *vk_metrics_render(void) {
    out o = {0};
    put(&o, "%s", "");
    pthread_mutex_lock(&registry_lock);
    size_t n = n_families;
    pthread_mutex_unlock(&registry_lock);
    /* families are only ever appended, so the first n stay valid without the lock */
    for (size_t i = 0; i < n; i++) render_family(&o, families[i]);
    return o.text;
}
