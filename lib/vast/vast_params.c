#include "vk/vast_params.h"

#include "vk/parse.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


/* Keys the CO adds or reserves: accepted and, where they carry metadata, read. */
static bool is_co_key(const char *key) { return strncmp(key, "csi.storage.k8s.io/", 19) == 0; }

static bool bad_param(vk_status *st, const char *key, const char *value, const char *why) {
    vk_status_set(st, VK_INVALID_ARGUMENT, "StorageClass parameter %s=\"%s\": %s", key, value, why);
    return false;
}

static bool parse_volume_params(vk_strmap map, vast_volume_params *p, vk_status *st) {
    memset(p, 0, sizeof *p);
    p->vip_pool_fqdn_random_prefix = true;
    for (size_t i = 0; i < map.n; i++) {
        vk_strpair pair = vk_strmap_at(map, i), *e = &pair;
        const char *k = e->key, *v = e->value ? e->value : "";
        if (strcmp(k, "root_export") == 0) {
            if (v[0] != '/') return bad_param(st, k, v, "must be an absolute path on VAST, e.g. /k8s");
            p->root_export = v;
        } else if (strcmp(k, "view_policy") == 0) {
            p->view_policy = v;
        } else if (strcmp(k, "vip_pool_name") == 0) {
            p->vip_pool_name = v;
        } else if (strcmp(k, "vip_pool_fqdn") == 0) {
            p->vip_pool_fqdn = v;
        } else if (strcmp(k, "vip_pool_fqdn_random_prefix") == 0) {
            if (!vk_parse_bool(v, &p->vip_pool_fqdn_random_prefix)) return bad_param(st, k, v, "use true or false");
        } else if (strcmp(k, "qos_policy") == 0) {
            p->qos_policy = *v ? v : NULL;
        } else if (strcmp(k, "qos_policy_id") == 0) {
            char *end;
            errno = 0;
            long long id = strtoll(v, &end, 10);
            if (!*v || *end || errno || id <= 0) return bad_param(st, k, v, "must be a positive number");
            p->qos_policy_id = id;
        } else if (strcmp(k, "mount_options") == 0) {
            p->mount_options = v;
        } else if (strcmp(k, "volume_name_fmt") == 0) {
            p->volume_name_fmt = v;
        } else if (strcmp(k, "eph_volume_name_fmt") == 0) {
            p->eph_volume_name_fmt = v;
        } else if (strcmp(k, "cluster_name") == 0) {
            p->cluster_name = *v ? v : NULL;
        } else if (strcmp(k, "lb_strategy") == 0 || strcmp(k, "blocking_clones") == 0) {
            /* vendor compatibility: lb_strategy is obsolete there too; clones here always
             * complete before the volume is reported, so blocking_clones changes nothing */
        } else if (strcmp(k, "size") == 0) {
            int64_t bytes;
            if (!vk_parse_quantity(v, &bytes)) return bad_param(st, k, v, "must be a quantity such as 1Gi or 500Mi");
            p->size = v;
        } else if (strcmp(k, "csi.storage.k8s.io/pod.name") == 0) {
            p->pod_name = v;
        } else if (strcmp(k, "csi.storage.k8s.io/pod.namespace") == 0) {
            p->pod_namespace = v;
        } else if (strcmp(k, "csi.storage.k8s.io/pvc/name") == 0) {
            p->pvc_name = v;
        } else if (strcmp(k, "csi.storage.k8s.io/pvc/namespace") == 0) {
            p->pvc_namespace = v;
        } else if (!is_co_key(k)) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "unknown StorageClass parameter \"%s\"; known: root_export, view_policy, vip_pool_name, "
                          "vip_pool_fqdn, vip_pool_fqdn_random_prefix, qos_policy, qos_policy_id, mount_options, "
                          "volume_name_fmt, eph_volume_name_fmt, cluster_name",
                          k);
            return false;
        }
    }
    if (p->vip_pool_name && p->vip_pool_fqdn) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "StorageClass parameters vip_pool_name and vip_pool_fqdn exclude each other; set one");
        return false;
    }
    if (p->qos_policy && p->qos_policy_id) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "StorageClass parameters qos_policy and qos_policy_id exclude each other; set one");
        return false;
    }
    return true;
}

bool vast_volume_params_parse_lenient(vk_strmap map, vast_volume_params *out, vk_status *st) {
    return parse_volume_params(map, out, st);
}

bool vast_volume_params_parse(vk_strmap map, vast_volume_params *p, vk_status *st) {
    if (!parse_volume_params(map, p, st)) return false;
    const char *missing = !p->root_export   ? "root_export"
                          : !p->view_policy ? "view_policy"
                          : (!p->vip_pool_name && !p->vip_pool_fqdn) ? "vip_pool_name (or vip_pool_fqdn)"
                                                                      : NULL;
    if (missing) {
        vk_status_set(st, VK_INVALID_ARGUMENT, "StorageClass parameter %s is required", missing);
        return false;
    }
    if (!*p->view_policy) return bad_param(st, "view_policy", "", "must name an existing VAST view policy");
    return true;
}

bool vast_snapshot_params_parse(vk_strmap map, vast_snapshot_params *p, vk_status *st) {
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < map.n; i++) {
        vk_strpair pair = vk_strmap_at(map, i), *e = &pair;
        const char *k = e->key, *v = e->value ? e->value : "";
        if (strcmp(k, "snapshot_name_fmt") == 0) {
            p->snapshot_name_fmt = v;
        } else if (strcmp(k, "cluster_name") == 0) {
            p->cluster_name = *v ? v : NULL;
        } else if (strcmp(k, "csi.storage.k8s.io/volumesnapshot/name") == 0) {
            p->snapshot_name = v;
        } else if (strcmp(k, "csi.storage.k8s.io/volumesnapshot/namespace") == 0) {
            p->snapshot_namespace = v;
        } else if (!is_co_key(k)) {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "unknown VolumeSnapshotClass parameter \"%s\"; known: snapshot_name_fmt, cluster_name", k);
            return false;
        }
    }
    return true;
}

bool vast_mutable_params_parse(vk_strmap map, vast_mutable_params *p, vk_status *st) {
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < map.n; i++) {
        vk_strpair pair = vk_strmap_at(map, i), *e = &pair;
        if (strcmp(e->key, "qos_policy") == 0) {
            p->qos_policy = e->value ? e->value : "";
        } else {
            vk_status_set(st, VK_INVALID_ARGUMENT,
                          "mutable parameter \"%s\" cannot be changed on a VAST volume; only qos_policy can", e->key);
            return false;
        }
    }
    return true;
}
