/* redact: which names are credentials, and the one redactor for free text (see
 * include/vk/redact.h for what it removes and why). */
#include "vk/redact.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Substrings that mark a value as a credential wherever they appear in a name:
 * "password", "db_passwd", "secret_access_key", "access_secret_key", "api_key". */
static const char *const sensitive_parts[] = {
    "secret", "password", "passwd", "token", "private_key", "privatekey",
    "api_key", "apikey", "access_key", "credential", "authorization", "cookie",
    /* the CSI spec marks mount_flags as possibly sensitive and not to be logged */
    "mount_flags",
};

/* Names that contain a sensitive part but hold no credential. */
static const char *const harmless_names[] = {
    "starting_token", "next_token", "access_key_id",
};

static bool contains_ci(const char *haystack, const char *needle) {
    size_t n = strlen(needle);
    for (const char *p = haystack; *p; p++) {
        if (strncasecmp(p, needle, n) == 0) return true;
    }
    return false;
}

bool vk_redact_is_sensitive(const char *name) {
    if (!name) return false;
    for (size_t i = 0; i < sizeof harmless_names / sizeof harmless_names[0]; i++) {
        if (strcasecmp(name, harmless_names[i]) == 0) return false;
    }
    for (size_t i = 0; i < sizeof sensitive_parts / sizeof sensitive_parts[0]; i++) {
        if (contains_ci(name, sensitive_parts[i])) return true;
    }
    return false;
}

/* A field of a quoted body holds a credential: a sensitive name, or the token
 * answer's "access" and "refresh". */
static bool is_secret_field(const char *name, size_t n) {
    char key[64];
    if (n == 0 || n >= sizeof key) return false;
    memcpy(key, name, n);
    key[n] = '\0';
    return vk_redact_is_sensitive(key) || strcasecmp(key, "access") == 0 || strcasecmp(key, "refresh") == 0;
}

void vk_secrets_add(vk_secrets *s, const char *value) {
    if (!value || !*value || s->count >= VK_SECRETS_MAX) return;
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->value[i], value) == 0) return;
    s->value[s->count++] = value;
}

/* ---- A growable output string ---- */

typedef struct {
    char *data;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
    /* a length from a pointer difference gone negative would wrap: never a real size
     * (and saying so lets the optimiser prove the copy in bounds) */
    if (n > SIZE_MAX / 4) abort();
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) abort(); /* memory exhaustion is fatal in this project */
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static char *finish(buf *b) {
    if (!b->data) put(b, "", 0);
    return b->data;
}

/* ---- Secret values, in any mix of percent-, JSON- and HTML-escaping ---- */

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* n hex digits at t as a number, or -1. */
static long hexnum(const char *t, size_t n) {
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hexval((unsigned char)t[i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* One UTF-8 character of s: its length (1 for a stray byte) and code point. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp) {
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 1;
    if (len > n) len = 1;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80) len = 1;
    if (len == 1) {
        *cp = s[0];
        return 1;
    }
    uint32_t v = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) v = (v << 6) | (s[i] & 0x3f);
    *cp = v;
    return len;
}

/* The ways text at t can encode the character cp (raw UTF-8 bytes raw[0..rawlen)): raw
 * or %XX per byte ('+' for a space), a JSON escape (\" \\ \/ \n ... \uXXXX, surrogate
 * pairs too), or an HTML entity (&quot; &amp; &lt; &gt; &apos; &#N; &#xH;). Stores the
 * text lengths of the encodings that match in len[] (at most 4) and returns how many. */
static int match_char(const char *t, size_t tlen, uint32_t cp, const unsigned char *raw, size_t rawlen,
                      size_t len[4]) {
    int found = 0;
    if (rawlen == 1) {
        if (tlen >= 1 && (unsigned char)t[0] == raw[0]) len[found++] = 1;
        if (tlen >= 1 && raw[0] == ' ' && t[0] == '+') len[found++] = 1;
        if (tlen >= 3 && t[0] == '%' && hexnum(t + 1, 2) == raw[0]) len[found++] = 3;
    } else {
        /* The bytes of a multi-byte character are never '%', so raw-or-%XX is decided
         * byte by byte. */
        size_t i = 0, k = 0;
        for (; k < rawlen && i < tlen; k++) {
            if ((unsigned char)t[i] == raw[k]) i++;
            else if (i + 2 < tlen && t[i] == '%' && hexnum(t + i + 1, 2) == raw[k]) i += 3;
            else break;
        }
        if (k == rawlen) len[found++] = i;
    }
    if (tlen >= 2 && t[0] == '\\') {
        static const char esc[] = "\"\\/bfnrt";
        static const uint32_t val[] = {'"', '\\', '/', 8, 12, 10, 13, 9};
        const char *e = t[1] ? strchr(esc, t[1]) : NULL;
        if (e && val[e - esc] == cp) len[found++] = 2;
        if (t[1] == 'u' && tlen >= 6) {
            long u = hexnum(t + 2, 4);
            if (u == (long)cp) len[found++] = 6;
            else if (u >= 0xd800 && u <= 0xdbff && tlen >= 12 && t[6] == '\\' && t[7] == 'u') {
                long lo = hexnum(t + 8, 4);
                if (lo >= 0xdc00 && lo <= 0xdfff && 0x10000 + (((uint32_t)u - 0xd800) << 10) + ((uint32_t)lo - 0xdc00) == cp)
                    len[found++] = 12;
            }
        }
    }
    if (found < 4 && tlen >= 4 && t[0] == '&') {
        static const struct {
            const char *name;
            uint32_t cp;
        } named[] = {{"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}};
        for (size_t j = 0; j < sizeof named / sizeof named[0]; j++) {
            size_t n = strlen(named[j].name);
            if (named[j].cp == cp && tlen >= n && strncasecmp(t, named[j].name, n) == 0) len[found++] = n;
        }
        if (found < 4 && t[1] == '#') {
            bool hex = t[2] == 'x' || t[2] == 'X';
            size_t p = hex ? 3 : 2;
            uint32_t v = 0;
            size_t digits = 0;
            while (p < tlen && digits < 8 && (hex ? hexval((unsigned char)t[p]) >= 0 : isdigit((unsigned char)t[p]))) {
                v = v * (hex ? 16 : 10) + (uint32_t)(hex ? hexval((unsigned char)t[p]) : t[p] - '0');
                p++;
                digits++;
            }
            if (digits && p < tlen && t[p] == ';' && v == cp) len[found++] = p + 1;
        }
    }
    return found;
}

/* Length of the longest encoding of secret[si..] at text[ti..], or 0. A character may
 * match in more than one way ("\\" is a raw backslash or an escaped one), so the
 * alternatives are tried in turn; a secret is short, and few characters are ambiguous. */
static size_t match_from(const char *text, size_t len, size_t ti, const unsigned char *s, size_t n, size_t si) {
    if (si == n) return ti;
    if (ti >= len) return 0;
    uint32_t cp;
    size_t cl = utf8_char(s + si, n - si, &cp);
    size_t lens[4];
    int found = match_char(text + ti, len - ti, cp, s + si, cl, lens);
    size_t best = 0;
    for (int k = 0; k < found; k++) {
        size_t end = match_from(text, len, ti + lens[k], s, n, si + cl);
        if (end > best) best = end;
    }
    return best;
}

static size_t match_secret(const char *text, size_t len, size_t p, const char *secret) {
    size_t end = match_from(text, len, p, (const unsigned char *)secret, strlen(secret), 0);
    return end ? end - p : 0;
}

/* A short secret counts only as a whole value: right after a quote, '>', ';', '=' or
 * ':' (spaces allowed after the last two), and up to a delimiter. */
static bool is_whole_value(const char *text, size_t len, size_t start, size_t end) {
    size_t b = start;
    while (b > 0 && (text[b - 1] == ' ' || text[b - 1] == '\t')) b--;
    bool before;
    if (b == 0) before = true;
    else if (b < start) before = text[b - 1] == ':' || text[b - 1] == '=';
    else before = strchr("\"'>;=:", text[b - 1]) != NULL;
    return before && (end == len || strchr("\"'&;,}]<\\ \t\r\n", text[end]) != NULL);
}

#define SHORT_SECRET 4

/* JSON string escaping of s (the form a secret takes inside a JSON body), malloc'd. */
static char *json_escape(const char *s) {
    buf b = {0};
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': puts_(&b, "\\\""); break;
        case '\\': puts_(&b, "\\\\"); break;
        case '\n': puts_(&b, "\\n"); break;
        case '\r': puts_(&b, "\\r"); break;
        case '\t': puts_(&b, "\\t"); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                puts_(&b, esc);
            } else {
                put(&b, (const char *)p, 1);
            }
        }
    }
    return finish(&b);
}

static char *redact_values(const char *text, size_t len, const vk_secrets *secrets) {
    /* Each secret as itself and JSON-escaped once: matching each character in any
     * escaping then also covers JSON inside a JSON string, a JSON body percent-encoded
     * into a query, or HTML-escaped into an error page. */
    const char *needles[2 * VK_SECRETS_MAX];
    bool is_short[2 * VK_SECRETS_MAX];
    char *owned[VK_SECRETS_MAX] = {0};
    size_t count = 0;
    for (size_t i = 0; secrets && i < secrets->count; i++) {
        const char *s = secrets->value[i];
        if (!s || !*s) continue;
        bool short_one = strlen(s) < SHORT_SECRET;
        needles[count] = s;
        is_short[count++] = short_one;
        owned[i] = json_escape(s);
        if (strcmp(owned[i], s) != 0) {
            needles[count] = owned[i];
            is_short[count++] = short_one;
        }
    }
    buf b = {0};
    size_t i = 0;
    while (i < len) {
        size_t best = 0;
        for (size_t k = 0; k < count; k++) {
            size_t m = match_secret(text, len, i, needles[k]);
            if (m > best && (!is_short[k] || is_whole_value(text, len, i, i + m))) best = m;
        }
        if (best) {
            puts_(&b, VK_REDACT_MARK);
            i += best;
        } else {
            put(&b, text + i, 1);
            i++;
        }
    }
    for (size_t k = 0; k < VK_SECRETS_MAX; k++) free(owned[k]);
    return finish(&b);
}

/* ---- Userinfo in URLs ---- */

static bool is_scheme_char(int c) { return isalnum(c) || c == '+' || c == '.' || c == '-'; }

/* Where the authority after "scheme://" ends. */
static size_t authority_end(const char *text, size_t len, size_t a) {
    while (a < len && !strchr("/?#\"'<> \t\r\n\\", text[a])) a++;
    return a;
}

static char *redact_urls(const char *text, size_t len) {
    buf b = {0};
    size_t i = 0;
    while (i < len) {
        size_t skip = 0;
        if (text[i] == ':' && i > 0 && is_scheme_char((unsigned char)text[i - 1])) {
            if (i + 2 < len && text[i + 1] == '/' && text[i + 2] == '/') skip = 2;
            else if (i + 4 < len && strncmp(text + i + 1, "\\/\\/", 4) == 0) skip = 4; /* JSON-escaped */
        }
        if (skip) {
            size_t a = i + 1 + skip, e = authority_end(text, len, a);
            const char *at = NULL;
            for (size_t k = a; k < e; k++)
                if (text[k] == '@') at = text + k;
            if (at && (size_t)(at - text) > a) {
                put(&b, text + i, a - i);
                puts_(&b, VK_REDACT_MARK);
                i = (size_t)(at - text);
                continue;
            }
        }
        put(&b, text + i, 1);
        i++;
    }
    return finish(&b);
}

/* ---- Header values ---- */

static bool is_name_char(int c) { return isalnum(c) || c == '-' || c == '_'; }

static bool has_ci(const char *s, size_t n, const char *part) {
    size_t m = strlen(part);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(s + i, part, m) == 0) return true;
    return false;
}

/* Authorization and cookies, and X-Auth-Token-like headers (X- and a part that names a
 * credential). Only these: a "name:" in prose ("login of user k8s-secrets: ...") is no
 * header, and taking it for one would swallow the rest of the line. */
static bool is_secret_header(const char *name, size_t n) {
    static const char *const exact[] = {"authorization", "proxy-authorization", "cookie", "set-cookie"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strlen(exact[i]) == n && strncasecmp(name, exact[i], n) == 0) return true;
    if (n < 3 || strncasecmp(name, "x-", 2) != 0) return false;
    static const char *const parts[] = {"token", "secret", "password", "passwd", "api-key", "apikey", "auth"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (has_ci(name, n, parts[i])) return true;
    return false;
}

/* A header value ends at the line's end: a line break, or one escaped in a JSON string
 * (\r, \n), the string's closing quote, or an HTML tag. */
static size_t header_value_end(const char *text, size_t len, size_t v) {
    while (v < len) {
        char c = text[v];
        if (c == '\r' || c == '\n' || c == '"' || c == '<') break;
        if (c == '\\' && v + 1 < len && strchr("rn\"", text[v + 1])) break;
        v++;
    }
    return v;
}

static char *redact_headers(const char *text, size_t len) {
    buf b = {0};
    size_t i = 0;
    while (i < len) {
        if (text[i] == '\\' && i + 1 < len && (text[i + 1] == 'r' || text[i + 1] == 'n')) {
            put(&b, text + i, 2); /* a line break escaped in a JSON string: a line starts after it */
            i += 2;
            continue;
        }
        bool escaped_break = i >= 2 && text[i - 2] == '\\' && (text[i - 1] == 'r' || text[i - 1] == 'n');
        if (isalpha((unsigned char)text[i]) && (i == 0 || !is_name_char((unsigned char)text[i - 1]) || escaped_break)) {
            size_t e = i;
            while (e < len && is_name_char((unsigned char)text[e])) e++;
            if (e < len && text[e] == ':' && !(e + 1 < len && text[e + 1] == '/') && is_secret_header(text + i, e - i)) {
                size_t v = e + 1;
                while (v < len && (text[v] == ' ' || text[v] == '\t')) v++;
                size_t end = header_value_end(text, len, v);
                put(&b, text + i, v - i);
                if (end > v) puts_(&b, VK_REDACT_MARK);
                i = end;
                continue;
            }
            put(&b, text + i, e - i); /* a whole word: no header starts inside it */
            i = e;
            continue;
        }
        put(&b, text + i, 1);
        i++;
    }
    return finish(&b);
}

/* ---- Fields of quoted bodies ---- */

/* Quotes a key may come in: JSON, JSON inside a JSON string (once or twice), HTML-escaped
 * JSON, single quotes. backslashes: how many escape the quote at that level. */
typedef struct {
    const char *quote;
    int backslashes; /* -1: not a backslash style */
} quote_style;

static const quote_style styles[] = {
    {"\\\\\\\"", 3}, {"\\\"", 1}, {"\"", 0}, {"&quot;", -1}, {"'", -1},
};

static bool is_key_char(int c) { return isalnum(c) || c == '_' || c == '-' || c == '.'; }

/* The end (just past the closing quote) of a string whose content starts at v, or len
 * when it never closes (a cut body: everything to the end is the value). *close gets
 * where the closing quote starts. */
static size_t string_end(const char *text, size_t len, size_t v, const quote_style *q, size_t *close) {
    size_t qlen = strlen(q->quote);
    for (size_t p = v; p < len; p++) {
        if (q->backslashes < 0) {
            if (strncmp(text + p, q->quote, qlen) == 0 && !(p > v && text[p - 1] == '\\')) {
                *close = p;
                return p + qlen;
            }
            continue;
        }
        if (text[p] != '"') continue;
        /* A quote closes this level when the backslashes before it are exactly its own
         * escaping: (run mod 2k+2) == k (0 for JSON, 1 for JSON in a string, ...). */
        size_t run = 0;
        while (p - run > v && text[p - run - 1] == '\\') run++;
        size_t k = (size_t)q->backslashes;
        if (run % (2 * k + 2) == k) {
            *close = p - k;
            return p + 1;
        }
    }
    *close = len;
    return len;
}

/* The end of a [...] value (strings inside skipped), or len. */
static size_t array_end(const char *text, size_t len, size_t v) {
    int depth = 0;
    bool in_string = false;
    for (size_t p = v; p < len; p++) {
        char c = text[p];
        if (in_string) {
            if (c == '\\') p++;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[') {
            depth++;
        } else if (c == ']' && --depth == 0) {
            return p + 1;
        }
    }
    return len;
}

static size_t scalar_end(const char *text, size_t len, size_t v) {
    while (v < len && !strchr(" \t\r\n,&;#}]<>\"'\\", text[v])) v++;
    return v;
}

static bool is_mark(const char *s, size_t n) {
    return (n == strlen(VK_REDACT_MARK) && strncmp(s, VK_REDACT_MARK, n) == 0) ||
           (n == strlen(VK_REDACTED) && strncmp(s, VK_REDACTED, n) == 0);
}

/* Tries a field "key": value (any quote style) or key=value at i; on a secret field,
 * writes the redacted field to b and returns where scanning goes on, else 0. */
static size_t redact_field_at(const char *text, size_t len, size_t i, buf *b) {
    const quote_style *q = NULL;
    size_t k = i;
    for (size_t s = 0; s < sizeof styles / sizeof styles[0]; s++) {
        size_t n = strlen(styles[s].quote);
        if (strncmp(text + i, styles[s].quote, n) == 0) {
            q = &styles[s];
            k = i + n;
            break;
        }
    }
    if (!q && (!is_key_char((unsigned char)text[i]) || (i > 0 && is_key_char((unsigned char)text[i - 1])))) return 0;
    size_t ke = k;
    while (ke < len && is_key_char((unsigned char)text[ke])) ke++;
    if (ke == k || !is_secret_field(text + k, ke - k)) return 0;
    size_t v = ke;
    if (q) {
        size_t n = strlen(q->quote);
        if (strncmp(text + v, q->quote, n) != 0) return 0;
        v += n;
        while (v < len && (text[v] == ' ' || text[v] == '\t')) v++;
        if (v >= len || (text[v] != ':' && text[v] != '=')) return 0;
        v++;
        while (v < len && (text[v] == ' ' || text[v] == '\t' || text[v] == '\r' || text[v] == '\n')) v++;
    } else {
        if (v >= len || text[v] != '=' || (v + 1 < len && text[v + 1] == '=')) return 0;
        v++;
    }
    if (v >= len || text[v] == '{') return 0; /* an object: its own fields are looked at one by one */
    const quote_style *vq = NULL;
    for (size_t s = 0; s < sizeof styles / sizeof styles[0]; s++) {
        if (strncmp(text + v, styles[s].quote, strlen(styles[s].quote)) == 0) {
            vq = &styles[s];
            break;
        }
    }
    const char *mark_quote = q ? q->quote : "";
    size_t end;
    if (vq) {
        size_t open = strlen(vq->quote), close;
        end = string_end(text, len, v + open, vq, &close);
        if (is_mark(text + v + open, close - (v + open))) return 0; /* redacted already (pbjson's mark too) */
        put(b, text + i, v + open - i);
        puts_(b, VK_REDACT_MARK);
        put(b, text + close, end - close);
        return end;
    }
    if (text[v] == '[') {
        end = array_end(text, len, v);
    } else {
        end = scalar_end(text, len, v);
        static const char *const harmless[] = {"true", "false", "null"};
        for (size_t h = 0; h < 3; h++)
            if (end - v == strlen(harmless[h]) && strncmp(text + v, harmless[h], end - v) == 0) return 0;
        if (end == v) return 0;
    }
    put(b, text + i, v - i);
    puts_(b, mark_quote); /* keeps a JSON body valid JSON */
    puts_(b, VK_REDACT_MARK);
    puts_(b, mark_quote);
    return end;
}

static char *redact_fields(const char *text, size_t len) {
    buf b = {0};
    size_t i = 0;
    while (i < len) {
        size_t next = redact_field_at(text, len, i, &b);
        if (next) {
            i = next;
        } else {
            put(&b, text + i, 1);
            i++;
        }
    }
    return finish(&b);
}

/* ---- The redactor ---- */

char *vk_redact(const char *text, size_t len, const vk_secrets *secrets) {
    if (!text) text = "";
    /* Values first, while the text around them is intact; then the shapes. */
    char *a = redact_values(text, strnlen(text, len), secrets);
    char *b = redact_urls(a, strlen(a));
    free(a);
    a = redact_headers(b, strlen(b));
    free(b);
    b = redact_fields(a, strlen(a));
    free(a);
    return b;
}

/* Copies src into out (size > 0), cut on a UTF-8 character boundary. */
static void copy_cut(const char *src, char *out, size_t size) {
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80) n--;
    }
    memcpy(out, src, n);
    out[n] = '\0';
}

void vk_redact_into(const char *text, const vk_secrets *secrets, char *out, size_t size) {
    if (size == 0) return;
    char *r = vk_redact(text, text ? strlen(text) : 0, secrets);
    copy_cut(r, out, size);
    free(r);
}

/* ---- Bodies ---- */

#define BODY_READ_MAX (64u * 1024)

static bool looks_like_html(const char *s) {
    return contains_ci(s, "<html") || contains_ci(s, "<!doctype") || contains_ci(s, "<body") ||
           contains_ci(s, "</");
}

static void put_utf8(buf *b, uint32_t cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    put(b, u, n);
}

/* An HTML page's text: tags dropped (block tags become line breaks, so header lines
 * stay lines), script and style skipped, entities decoded. */
static char *html_text(const char *s) {
    static const char *const blocks[] = {"br", "p", "div", "tr", "li", "pre", "h1", "h2", "h3", "h4",
                                         "title", "table", "hr", "body", "head", "html", "dt", "dd"};
    buf b = {0};
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        if (s[i] == '<') {
            const char *close = strchr(s + i, '>');
            if (!close) break;
            size_t n = i + 1, ne;
            if (s[n] == '/') n++;
            for (ne = n; isalnum((unsigned char)s[ne]);) ne++;
            bool skip_content = (ne - n == 6 && strncasecmp(s + n, "script", 6) == 0 && s[i + 1] != '/') ||
                                (ne - n == 5 && strncasecmp(s + n, "style", 5) == 0 && s[i + 1] != '/');
            for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++)
                if (strlen(blocks[k]) == ne - n && strncasecmp(s + n, blocks[k], ne - n) == 0) put(&b, "\n", 1);
            i = (size_t)(close - s) + 1;
            if (skip_content) {
                const char *end = strchr(s + i, '<');
                while (end && !(end[1] == '/' && (strncasecmp(end + 2, "script", 6) == 0 ||
                                                  strncasecmp(end + 2, "style", 5) == 0)))
                    end = strchr(end + 1, '<');
                i = end ? (size_t)(end - s) : len;
            }
            continue;
        }
        if (s[i] == '&') {
            static const struct {
                const char *name;
                uint32_t cp;
            } named[] = {{"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''},
                         {"&nbsp;", ' '}};
            bool done = false;
            for (size_t k = 0; k < sizeof named / sizeof named[0] && !done; k++) {
                size_t n = strlen(named[k].name);
                if (strncasecmp(s + i, named[k].name, n) == 0) {
                    put_utf8(&b, named[k].cp);
                    i += n;
                    done = true;
                }
            }
            if (!done && s[i + 1] == '#') {
                bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
                char *end;
                unsigned long v = strtoul(s + i + (hex ? 3 : 2), &end, hex ? 16 : 10);
                if (*end == ';' && end > s + i + (hex ? 3 : 2) && v > 0 && v < 0x110000) {
                    put_utf8(&b, (uint32_t)v);
                    i = (size_t)(end - s) + 1;
                    done = true;
                }
            }
            if (done) continue;
        }
        put(&b, s + i, 1);
        i++;
    }
    return finish(&b);
}

void vk_redact_body(const char *body, size_t len, const vk_secrets *secrets, size_t max, char *out, size_t size) {
    if (size == 0) return;
    if (!body) body = "";
    len = strnlen(body, len);
    bool cut = false;
    if (len > BODY_READ_MAX) {
        /* Drop, besides the unread rest, as many bytes as the longest encoding of a secret
         * could take (12 per byte: a surrogate pair), so no piece of one crossing the cut
         * is left for the matcher to miss. */
        size_t margin = 16;
        for (size_t i = 0; secrets && i < secrets->count; i++) margin += 12 * strlen(secrets->value[i]);
        len = BODY_READ_MAX > margin ? BODY_READ_MAX - margin : 0;
        cut = true;
    }
    char *first = vk_redact(body, len, secrets);
    char *text = looks_like_html(first) ? html_text(first) : strdup(first);
    if (!text) abort();
    free(first);
    char *second = vk_redact(text, strlen(text), secrets);
    free(text);
    /* Whitespace and control characters fold into single spaces. */
    size_t w = 0;
    bool space = true; /* drops leading whitespace */
    for (const unsigned char *p = (const unsigned char *)second; *p; p++) {
        if (isspace(*p) || *p < 0x20 || *p == 0x7f) {
            if (!space) second[w++] = ' ';
            space = true;
        } else {
            second[w++] = (char)*p;
            space = false;
        }
    }
    while (w > 0 && second[w - 1] == ' ') w--;
    second[w] = '\0';
    size_t limit = max < size - 1 ? max : size - 1;
    if (w > limit || cut) {
        size_t keep = limit > 3 ? limit - 3 : 0;
        if (keep > w) keep = w;
        while (keep > 0 && ((unsigned char)second[keep] & 0xc0) == 0x80) keep--;
        snprintf(out, size, "%.*s...", (int)keep, second);
    } else {
        copy_cut(second, out, size);
    }
    free(second);
}

/* ---- URLs as users write them ---- */

typedef struct {
    const char *scheme_end; /* the "://", or NULL */
    const char *host;       /* after the userinfo */
    const char *end;        /* end of the authority */
    bool userinfo;
} authority;

static authority parse_authority(const char *url) {
    authority a = {0};
    const char *sep = strstr(url, "://");
    const char *rest = url;
    if (sep) {
        bool scheme = sep > url;
        for (const char *p = url; p < sep; p++)
            if (!is_scheme_char((unsigned char)*p)) scheme = false;
        if (scheme) {
            a.scheme_end = sep;
            rest = sep + 3;
        }
    }
    a.end = rest + strcspn(rest, "/?#");
    a.host = rest;
    for (const char *p = rest; p < a.end; p++) {
        if (*p == '@') {
            a.host = p + 1;
            a.userinfo = true;
        }
    }
    return a;
}

bool vk_url_has_userinfo(const char *url) { return url && parse_authority(url).userinfo; }

void vk_redact_url(const char *url, char *out, size_t size) {
    if (size == 0) return;
    if (!url) url = "";
    authority a = parse_authority(url);
    buf b = {0};
    if (a.scheme_end) put(&b, url, (size_t)(a.scheme_end - url) + 3);
    if (a.userinfo) puts_(&b, VK_REDACT_MARK "@");
    for (const char *p = a.host; p < a.end; p++) put(&b, (unsigned char)*p < 0x20 || *p == 0x7f ? "?" : p, 1);
    const char *query = strchr(a.end, '?'), *fragment = strchr(a.end, '#');
    size_t path_len = strcspn(a.end, "?#");
    if (path_len == 1) puts_(&b, "/");
    else if (path_len > 1) puts_(&b, "/...");
    if (query && (!fragment || query < fragment)) puts_(&b, "?...");
    if (fragment) puts_(&b, "#...");
    copy_cut(finish(&b), out, size);
    free(b.data);
}
