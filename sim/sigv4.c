/* SigV4 computation; see sigv4.h. */
#include "sigv4.h"

#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3_buf.h"
#include "support.h"

/* Copies the text up to a delimiter into out; false when it does not fit or is empty. */
static bool take(const char **p, const char *delims, char *out, size_t size) {
    size_t n = strcspn(*p, delims);
    if (n == 0 || n >= size) return false;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p += n;
    return true;
}

/* Credential=AKID/DATE/REGION/SERVICE/aws4_request */
static bool parse_credential(const char *value, sigv4_auth *out) {
    const char *p = value;
    return take(&p, "/", out->access_key, sizeof out->access_key) && *p++ == '/' &&
           take(&p, "/", out->date, sizeof out->date) && *p++ == '/' && take(&p, "/", out->region, sizeof out->region) &&
           *p++ == '/' && take(&p, "/", out->service, sizeof out->service) && *p++ == '/' &&
           take(&p, "/", out->terminator, sizeof out->terminator) && *p == '\0' && strlen(out->date) == 8;
}

bool sigv4_parse(const char *authorization, sigv4_auth *out, char *why, size_t size) {
    memset(out, 0, sizeof *out);
    size_t alg = strlen(SIGV4_ALGORITHM);
    if (strncmp(authorization, SIGV4_ALGORITHM, alg) != 0 || authorization[alg] != ' ') {
        snprintf(why, size, "Only the %s Authorization header is supported.", SIGV4_ALGORITHM);
        return false;
    }
    bool credential = false, headers = false, signature = false;
    char part[1200];
    for (const char *p = authorization + alg; *p;) {
        p += strspn(p, " ,");
        if (!*p) break;
        if (!take(&p, ",", part, sizeof part)) break;
        size_t end = strlen(part);
        while (end > 0 && part[end - 1] == ' ') part[--end] = '\0';
        char *eq = strchr(part, '=');
        if (!eq) break;
        *eq = '\0';
        const char *value = eq + 1;
        if (strcmp(part, "Credential") == 0) credential = parse_credential(value, out);
        else if (strcmp(part, "SignedHeaders") == 0)
            headers = *value && snprintf(out->signed_headers, sizeof out->signed_headers, "%s", value) <
                                    (int)sizeof out->signed_headers;
        else if (strcmp(part, "Signature") == 0)
            signature = strlen(value) == SIGV4_HEX_LEN &&
                        snprintf(out->signature, sizeof out->signature, "%s", value) == SIGV4_HEX_LEN;
    }
    if (credential && headers && signature) return true;
    snprintf(why, size, "The authorization header is malformed; it needs Credential=KEY/DATE/REGION/SERVICE/"
                        "aws4_request, SignedHeaders and Signature.");
    return false;
}

char *sigv4_uri_encode(const char *text, bool keep_slash) {
    static const char hex[] = "0123456789ABCDEF";
    s3_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                     *p == '-' || *p == '.' || *p == '_' || *p == '~' || (keep_slash && *p == '/');
        if (plain) {
            s3_buf_addn(&b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            s3_buf_addn(&b, esc, 3);
        }
    }
    return s3_buf_take(&b);
}

typedef struct {
    char *key, *value; /* encoded */
} query_pair;

static int compare_pairs(const void *a, const void *b) {
    const query_pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* k=v&... sorted by encoded key, then value; a key without value is "k=". */
static void canonical_query(s3_buf *b, const sigv4_request *req) {
    query_pair *pairs = sim_xmalloc((req->n_query + 1) * sizeof *pairs);
    for (size_t i = 0; i < req->n_query; i++) {
        pairs[i].key = sigv4_uri_encode(req->query[i].key, false);
        pairs[i].value = sigv4_uri_encode(req->query[i].value, false);
    }
    qsort(pairs, req->n_query, sizeof *pairs, compare_pairs);
    for (size_t i = 0; i < req->n_query; i++) {
        s3_buf_addf(b, "%s%s=%s", i ? "&" : "", pairs[i].key, pairs[i].value);
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
}

/* A header value trimmed, runs of spaces inside it made one space. */
static void add_trimmed(s3_buf *b, const char *value) {
    value += strspn(value, " \t");
    bool space = false;
    for (const char *p = value; *p; p++) {
        if (*p == ' ' || *p == '\t') {
            space = true;
            continue;
        }
        if (space && p != value) s3_buf_addn(b, " ", 1);
        space = false;
        s3_buf_addn(b, p, 1);
    }
}

/* name:value\n for each signed header, in the order SignedHeaders lists them (sorted by
 * the client, as SigV4 requires); a header sent twice is joined with ','. */
static void canonical_headers(s3_buf *b, const sigv4_request *req, const char *signed_headers) {
    char *copy = sim_strdup(signed_headers), *save = NULL;
    for (char *name = strtok_r(copy, ";", &save); name; name = strtok_r(NULL, ";", &save)) {
        s3_buf_addf(b, "%s:", name);
        bool first = true;
        for (size_t i = 0; i < req->n_headers; i++) {
            if (strcasecmp(req->headers[i].name, name) != 0) continue;
            if (!first) s3_buf_addn(b, ",", 1);
            add_trimmed(b, req->headers[i].value);
            first = false;
        }
        s3_buf_addn(b, "\n", 1);
    }
    free(copy);
}

char *sigv4_canonical_request(const sigv4_request *req, const sigv4_auth *auth, const char *payload_hash) {
    s3_buf b = {0};
    char *uri = sigv4_uri_encode(*req->path ? req->path : "/", true);
    s3_buf_addf(&b, "%s\n%s\n", req->method, uri);
    free(uri);
    canonical_query(&b, req);
    s3_buf_addn(&b, "\n", 1);
    canonical_headers(&b, req, auth->signed_headers);
    s3_buf_addf(&b, "\n%s\n%s", auth->signed_headers, payload_hash);
    return s3_buf_take(&b);
}

void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1]) {
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

char *sigv4_string_to_sign(const sigv4_auth *auth, const char *amz_date, const char *canonical) {
    char hash[SIGV4_HEX_LEN + 1];
    sigv4_sha256_hex(canonical, strlen(canonical), hash);
    return sim_printf("%s\n%s\n%s/%s/%s/%s\n%s", SIGV4_ALGORITHM, amz_date, auth->date, auth->region, auth->service,
                      auth->terminator, hash);
}

static void hmac(const uint8_t *key, size_t key_len, const char *text, uint8_t out[SHA256_DIGEST_SIZE]) {
    struct hmac_sha256_ctx ctx;
    hmac_sha256_set_key(&ctx, key_len, key);
    hmac_sha256_update(&ctx, strlen(text), (const uint8_t *)text);
    hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
    explicit_bzero(&ctx, sizeof ctx); /* it holds key material */
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
void sigv4_sign(const sigv4_auth *auth, const char *secret, const char *string_to_sign, char out[SIGV4_HEX_LEN + 1]) {
    char *first = sim_printf("AWS4%s", secret);
    uint8_t k[SHA256_DIGEST_SIZE], signature[SHA256_DIGEST_SIZE];
    hmac((const uint8_t *)first, strlen(first), auth->date, k);
    explicit_bzero(first, strlen(first));
    free(first);
    hmac(k, sizeof k, auth->region, k);
    hmac(k, sizeof k, auth->service, k);
    hmac(k, sizeof k, auth->terminator, k);
    hmac(k, sizeof k, string_to_sign, signature);
    explicit_bzero(k, sizeof k);
    for (size_t i = 0; i < sizeof signature; i++) snprintf(out + 2 * i, 3, "%02x", signature[i]);
}

bool sigv4_equal(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    unsigned char diff = n != m;
    for (size_t i = 0; i < n && i < m; i++) diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}
