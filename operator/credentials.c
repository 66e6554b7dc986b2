#include "credentials.h"

#include "vk/base64.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

bool op_password_new(char *out, size_t size) {
    uint8_t bytes[24];
    if (size < 33 || getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) return false;
    char *text = vk_base64_encode(bytes, sizeof bytes); /* 24 bytes: 32 characters, no padding */
    memset(bytes, 0, sizeof bytes);
    if (!text) return false;
    for (char *p = text; *p; p++) {
        if (*p == '+') *p = '-';
        else if (*p == '/') *p = '_';
    }
    snprintf(out, size, "%s", text);
    memset(text, 0, strlen(text));
    free(text);
    return true;
}

json_t *op_secret_clusters(json_t *secret) {
    const char *coded = json_string_value(json_object_get(json_object_get(secret, "data"), "clusters"));
    char *text = coded ? (char *)vk_base64_decode(coded, NULL) : NULL;
    json_t *clusters = text ? json_loads(text, 0, NULL) : NULL;
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    if (clusters && !json_is_object(clusters)) {
        json_decref(clusters);
        clusters = NULL;
    }
    return clusters;
}

void op_passwords_read(const op_tenant *t, json_t *secret, char (*passwords)[OP_PASSWORD_MAX], bool *made) {
    json_t *clusters = op_secret_clusters(secret);
    for (size_t i = 0; i < t->n_clusters; i++) {
        const char *kept =
            json_string_value(json_object_get(json_object_get(clusters, t->clusters[i].name), "password"));
        made[i] = !(kept && *kept && strlen(kept) < OP_PASSWORD_MAX);
        if (!made[i]) snprintf(passwords[i], OP_PASSWORD_MAX, "%s", kept);
        else if (!op_password_new(passwords[i], OP_PASSWORD_MAX)) passwords[i][0] = '\0';
    }
    json_decref(clusters);
}
