#include "node_source.h"

#include "mounter.h"
#include "vk/names.h"
#include "vk/vast_id.h"

#include "vk/log.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum { MAX_VIPS = 256 };

bool csi_node_volume_path(const char *volume_id, char *path, size_t size) {
    if (volume_id[0] == '/') {
        /* a static PV: the handle is the path on VAST */
        if (!vast_path_is_clean(volume_id)) return false;
        snprintf(path, size, "%s", volume_id);
        return true;
    }
    vast_volume_ref ref;
    if (!vast_volume_id_parse(volume_id, &ref) || ref.legacy) return false;
    snprintf(path, size, "%s", ref.path);
    return true;
}

/* Expands IPv4 ranges into up to max addresses. */
static size_t expand_ranges(const char *ranges, char (*out)[INET_ADDRSTRLEN], size_t max) {
    size_t n = 0;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", ranges);
    char *save = NULL;
    for (char *range = strtok_r(copy, ",", &save); range && n < max; range = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(range, '-');
        const char *first = range, *last = dash ? dash + 1 : range;
        if (dash) *dash = '\0';
        struct in_addr a, b;
        if (inet_pton(AF_INET, first, &a) != 1 || inet_pton(AF_INET, last, &b) != 1) continue;
        for (uint32_t ip = ntohl(a.s_addr); ip <= ntohl(b.s_addr) && n < max; ip++) {
            struct in_addr x = {htonl(ip)};
            inet_ntop(AF_INET, &x, out[n++], INET_ADDRSTRLEN);
            if (ip == UINT32_MAX) break;
        }
    }
    return n;
}

bool csi_pick_vip(const char *ranges, const char *volume_id, char *out, size_t size) {
    char (*list)[INET_ADDRSTRLEN] = calloc(MAX_VIPS, INET_ADDRSTRLEN);
    if (!list) abort();
    size_t n = expand_ranges(ranges, list, MAX_VIPS);
    if (n == 0) {
        free(list);
        return false;
    }
    const char *names[MAX_VIPS];
    int counts[MAX_VIPS];
    for (size_t i = 0; i < n; i++) names[i] = list[i];
    csi_mount_count_servers(names, n, counts);
    /* start at the volume's hash so ties spread over the pool, then take the least used */
    size_t start = (size_t)(vk_name_hash(volume_id) % n), best = start;
    for (size_t k = 0; k < n; k++) {
        size_t i = (start + k) % n;
        if (counts[i] < counts[best]) best = i;
    }
    snprintf(out, size, "%s", list[best]);
    free(list);
    return true;
}

/* Appends option to a comma list, skipping empties and duplicates. */
static void add_option(char *list, size_t size, const char *option) {
    if (!option || !*option) return;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (strcmp(o, option) == 0) return;
    }
    size_t used = strlen(list);
    snprintf(list + used, size - used, "%s%s", used ? "," : "", option);
}

static void add_options(char *list, size_t size, const char *options) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", options ? options : "");
    char *save = NULL;
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        while (*o == ' ') o++;
        add_option(list, size, o);
    }
}

static bool wants_nfs4(const char *options) {
    return strstr(options, "vers=4") != NULL; /* vers=4.x and nfsvers=4.x alike */
}

/* True when ranges hold at least one address: what csi_pick_vip needs to choose one. */
static bool ranges_have_address(const char *ranges) {
    char one[1][INET_ADDRSTRLEN];
    return expand_ranges(ranges, one, 1) == 1;
}

static bool resolve(const csi_options *o, const char *volume_id, vk_strmap context, char *const *mount_flags,
                    size_t n_mount_flags, const char *vip_ranges, bool defer_vip, csi_node_source *out,
                    vk_status *st) {
    memset(out, 0, sizeof *out);
    const char *export_path = vk_strmap_get(context, "export_path");
    if (export_path && *export_path) {
        if (!vast_path_is_clean(export_path)) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "volume %s: export_path \"%s\" must be an absolute path without . or .. components",
                          volume_id, export_path);
            return false;
        }
        snprintf(out->export_path, sizeof out->export_path, "%s", export_path);
    } else if (!csi_node_volume_path(volume_id, out->export_path, sizeof out->export_path)) {
        vk_status_set(st, VK_NOT_FOUND,
                      "volume %s: no export_path in its volume context and the id names no path on VAST", volume_id);
        return false;
    }
    if (strcmp(o->mount_mode, "bind") == 0) {
        snprintf(out->fstype, sizeof out->fstype, "bind");
        snprintf(out->source, sizeof out->source, "%s%s", o->bind_root, out->export_path);
        out->server_choice = "bind mode";
        return true;
    }
    add_options(out->options, sizeof out->options, vk_strmap_get(context, "mount_options"));
    for (size_t i = 0; i < n_mount_flags; i++) add_options(out->options, sizeof out->options, mount_flags[i]);
    const char *protocol = vk_strmap_get(context, "protocol");
    bool v4 = (protocol && strcmp(protocol, "NFS4") == 0) || wants_nfs4(out->options);
    snprintf(out->fstype, sizeof out->fstype, "%s", v4 ? "nfs4" : "nfs");

    const char *fqdn = vk_strmap_get(context, "vip_pool_fqdn");
    const char *ranges = vip_ranges ? vip_ranges : vk_strmap_get(context, "vip_pool_ranges");
    if (o->local_nfs_address[0]) {
        snprintf(out->server, sizeof out->server, "%s", o->local_nfs_address);
        out->server_choice = "local address";
    } else if (fqdn && *fqdn) {
        const char *prefix = vk_strmap_get(context, "vip_pool_fqdn_random_prefix");
        if (!prefix || strcmp(prefix, "false") != 0) {
            /* a random label, so VAST's DNS answers each volume with another VIP */
            static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
            unsigned char raw[4] = {0};
            if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) memset(raw, 7, sizeof raw);
            char label[5];
            for (int i = 0; i < 4; i++) label[i] = alphabet[raw[i] % 32];
            label[4] = '\0';
            snprintf(out->server, sizeof out->server, "%s.%s", label, fqdn);
        } else {
            snprintf(out->server, sizeof out->server, "%s", fqdn);
        }
        out->server_choice = "pool DNS name";
    } else if (ranges && *ranges && defer_vip && strlen(ranges) < sizeof out->pending_ranges &&
               strlen(volume_id) < sizeof out->pending_for && ranges_have_address(ranges)) {
        /* chosen by csi_node_source_choose_server, if a mount is made at all (what does
         * not fit is chosen now, so the choice is always the one an eager resolve makes) */
        snprintf(out->pending_ranges, sizeof out->pending_ranges, "%s", ranges);
        snprintf(out->pending_for, sizeof out->pending_for, "%s", volume_id);
        out->server_choice = "least-used VIP of the pool";
        return true;
    } else if (ranges && *ranges && csi_pick_vip(ranges, volume_id, out->server, sizeof out->server)) {
        out->server_choice = "least-used VIP of the pool";
    } else {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "volume %s: its context names no VIP pool addresses (vip_pool_ranges) or vip_pool_fqdn, and "
                      "the node has no --local-nfs-address",
                      volume_id);
        return false;
    }
    snprintf(out->source, sizeof out->source, "%s:%s", out->server, out->export_path);
    return true;
}

bool csi_node_source_resolve(const csi_options *o, const char *volume_id, vk_strmap context,
                             char *const *mount_flags, size_t n_mount_flags, const char *vip_ranges,
                             csi_node_source *out, vk_status *st) {
    return resolve(o, volume_id, context, mount_flags, n_mount_flags, vip_ranges, false, out, st);
}

bool csi_node_source_resolve_deferred(const csi_options *o, const char *volume_id, vk_strmap context,
                                      char *const *mount_flags, size_t n_mount_flags, const char *vip_ranges,
                                      csi_node_source *out, vk_status *st) {
    return resolve(o, volume_id, context, mount_flags, n_mount_flags, vip_ranges, true, out, st);
}

void csi_node_source_choose_server(csi_node_source *src) {
    if (!src->pending_ranges[0]) return;
    /* checked at resolve: the ranges hold an address, so a choice is always made */
    if (csi_pick_vip(src->pending_ranges, src->pending_for, src->server, sizeof src->server)) {
        snprintf(src->source, sizeof src->source, "%s:%s", src->server, src->export_path);
    }
    src->pending_ranges[0] = '\0';
}
