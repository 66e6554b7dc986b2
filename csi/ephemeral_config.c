/* --ephemeral-parameters: see ephemeral_config.h. */
#include "ephemeral_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vk_strmap csi_ephemeral_config_map(const csi_ephemeral_config *c) {
    return CSI_ENTRIES(c->list, c->n);
}

bool csi_ephemeral_config_parse(const char *text, csi_ephemeral_config *c, char *why, size_t size) {
    memset(c, 0, sizeof *c);
    if (strlen(text) >= sizeof c->text) return snprintf(why, size, "longer than %zu bytes", sizeof c->text - 1), false;
    snprintf(c->text, sizeof c->text, "%s", text);
    for (char *pair = c->text; pair && *pair;) {
        char *eq = strchr(pair, '=');
        char *comma = strchr(pair, ',');
        if (!eq || (comma && comma < eq)) {
            snprintf(why, size, "\"%.*s\" is not key=value", comma ? (int)(comma - pair) : (int)strlen(pair), pair);
            return false;
        }
        *eq = '\0';
        char *value = eq + 1;
        bool rest = strcmp(pair, "mount_options") == 0; /* a comma list itself: takes the rest */
        char *next = rest ? NULL : strchr(value, ',');
        if (next) *next++ = '\0';
        if (strncmp(pair, "csi.storage.k8s.io/", 19) == 0) {
            snprintf(why, size, "%s is a key the kubelet sets, not a parameter", pair);
            return false;
        }
        for (size_t i = 0; i < c->n; i++) {
            if (strcmp(c->entries[i].key, pair) == 0) return snprintf(why, size, "%s is given twice", pair), false;
        }
        if (c->n == CSI_EPHEMERAL_MAX_KEYS) return snprintf(why, size, "more than %d keys", CSI_EPHEMERAL_MAX_KEYS), false;
        c->entries[c->n] = (csi_string_entry)CSI__V1__CREATE_VOLUME_REQUEST__PARAMETERS_ENTRY__INIT;
        c->entries[c->n].key = pair;
        c->entries[c->n].value = value;
        c->list[c->n] = &c->entries[c->n];
        c->n++;
        pair = next;
    }
    vast_volume_params p;
    vk_status st;
    if (!vast_volume_params_parse(csi_ephemeral_config_map(c), &p, &st)) {
        snprintf(why, size, "%s", st.message);
        return false;
    }
    return true;
}

bool csi_ephemeral_config_check(const char *text, char *why, size_t size) {
    csi_ephemeral_config *c = malloc(sizeof *c);
    if (!c) abort();
    bool ok = csi_ephemeral_config_parse(text, c, why, size);
    free(c);
    return ok;
}
