#include "node_ephemeral.h"

#include "ephemeral_record.h"

#include "volume_context.h"
#include "ephemeral_config.h"
#include "mounter.h"
#include "vk/names.h"
#include "node_own.h"
#include "node_source.h"

#include "vk/log.h"
#include "vk/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool csi_node_is_ephemeral(vk_strmap context) {
    const char *flag = vk_strmap_get(context, "csi.storage.k8s.io/ephemeral");
    return flag && strcmp(flag, "true") == 0;
}

/* The node-publish secret as a map the cluster code reads. */
static json_t *secrets_json(vk_strmap secrets) {
    json_t *obj = json_object();
    for (size_t i = 0; i < secrets.n; i++) {
        vk_strpair pair = vk_strmap_at(secrets, i), *e = &pair;
        json_object_set_new(obj, e->key, json_string(e->value ? e->value : ""));
    }
    return obj;
}

/* The keys a pod may set, and the ones the kubelet adds itself. Only size: it changes
 * how much of the configured root export the volume may fill, never where the volume
 * is or whose tenant it joins. mount_options is left out on purpose (nolock, port=,
 * sec= or another vers would let a pod change how the node talks to VAST). */
static const char *const pod_keys[] = {"size", NULL};
static const char *const kubelet_keys[] = {
    "csi.storage.k8s.io/ephemeral",       "csi.storage.k8s.io/pod.name", "csi.storage.k8s.io/pod.namespace",
    "csi.storage.k8s.io/pod.uid",         "csi.storage.k8s.io/serviceAccount.name", NULL,
};

static bool listed(const char *const *keys, const char *key) {
    for (size_t i = 0; keys[i]; i++) {
        if (strcmp(keys[i], key) == 0) return true;
    }
    return false;
}

static bool load_config(const csi_driver *d, csi_ephemeral_config *config, vk_status *st) {
    if (!d->options.ephemeral_parameters[0]) {
        vk_status_set(st, VK_FAILED_PRECONDITION,
                      "inline ephemeral volumes are not configured on this node: set --ephemeral-parameters (env "
                      "X_CSI_EPHEMERAL_PARAMETERS) to their StorageClass parameters, e.g. "
                      "root_export=/k8s,view_policy=NAME,vip_pool_name=NAME");
        return false;
    }
    char why[512];
    if (!csi_ephemeral_config_parse(d->options.ephemeral_parameters, config, why, sizeof why)) {
        return vk_status_set(st, VK_FAILED_PRECONDITION, "--ephemeral-parameters: %s", why), false;
    }
    return true;
}

/* A pod's attribute is taken when the allow-lists name it, or when the configuration
 * holds the same key with the same value (it then changes nothing). */
static bool check_attributes(const csi_ephemeral_config *config, vk_strmap context, vk_status *st) {
    for (size_t i = 0; i < context.n; i++) {
        vk_strpair pair = vk_strmap_at(context, i), *e = &pair;
        const char *value = e->value ? e->value : "";
        if (listed(pod_keys, e->key) || listed(kubelet_keys, e->key)) continue;
        const char *configured = vk_strmap_get(csi_ephemeral_config_map(config), e->key);
        if (configured && strcmp(configured, value) == 0) continue;
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "volumeAttribute \"%s\" may not be set by a pod: an inline volume's StorageClass parameters "
                      "come from the driver's --ephemeral-parameters; a pod may set only size",
                      e->key);
        return false;
    }
    return true;
}

/* The kubelet names an inline volume "csi-" and the hex of a hash of the pod's uid and
 * the volume's name. Only such ids are taken: the id becomes the volume's directory
 * under the root export, and an id like another volume's name (pvc-...) would make the
 * node adopt, and at unpublish delete, that volume. */
static bool kubelet_volume_id(const char *id) {
    if (strncmp(id, "csi-", 4) != 0) return false;
    size_t n = strspn(id + 4, "0123456789abcdef");
    return n >= 16 && n <= 64 && id[4 + n] == '\0';
}

bool csi_node_ephemeral_check(const csi_driver *d, const char *volume_id, vk_strmap context, vk_status *st) {
    if (!kubelet_volume_id(volume_id)) {
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "an inline volume's id must be the kubelet's (csi- and 16 to 64 lower-case hex digits)");
        return false;
    }
    csi_ephemeral_config *config = malloc(sizeof *config);
    if (!config) abort();
    bool ok = load_config(d, config, st) && check_attributes(config, context, st);
    free(config);
    return ok;
}

/* The parameters of the volume: the configuration, then what the pod and kubelet may
 * add (a pod's size wins over a configured default). Entries live in the call's arena. */
static vk_strmap volume_parameters(vk_rpc_call *call, const csi_ephemeral_config *config, vk_strmap context) {
    const void **list = vk_rpc_alloc(call, (config->n + context.n + 1) * sizeof *list);
    size_t n = 0;
    for (size_t i = 0; i < config->n; i++) list[n++] = config->list[i];
    for (size_t i = 0; i < context.n; i++) {
        const char *key = vk_strmap_at(context, i).key;
        if (listed(pod_keys, key) || listed(kubelet_keys, key)) list[n++] = context.entries[i];
    }
    return CSI_ENTRIES(list, n); /* the configuration's entries are CSI entries too */
}

/* Makes the inline volume on VAST. The record goes first (an intent), so a publish that
 * fails halfway, leaving a quota or a directory, is still cleaned up by the
 * NodeUnpublishVolume the kubelet sends for it. The tenant is known once the volume
 * exists; until then it is the view policy's, looked up again if needed. */
static vk_code make_volume(csi_driver *d, const Csi__V1__NodePublishVolumeRequest *req, const vast_volume_params *p,
                           const char *path, int64_t deadline, vast_volume_result *v, vk_status *st) {
    int64_t size = 0;
    if (p->size) vk_parse_quantity(p->size, &size);
    vms_client *c = NULL;
    if (!vms_clusters_client(d->vast.clusters, CSI_MAP(req, secrets), p->cluster_name, &c, st)) return st->code;
    json_t *record = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:o}", "volume_id", req->volume_id, "path", path,
                               "target", req->target_path, "tenant_id", (json_int_t)0, "view_policy", p->view_policy,
                               "cluster_name", p->cluster_name ? p->cluster_name : "", "secrets",
                               secrets_json(CSI_MAP(req, secrets)));
    if (!csi_ephemeral_record_write(d, req->volume_id, record, st)) {
        json_decref(record);
        vms_client_free(c);
        return st->code;
    }
    vast_volume_spec spec = {
        .name = req->volume_id,
        .params = p,
        .name_format = p->eph_volume_name_fmt,
        .meta_name = p->pod_name,
        .meta_namespace = p->pod_namespace,
        .size = size,
        .read_only = req->readonly,
        .secrets = CSI_MAP(req, secrets),
        .params_origin = "--ephemeral-parameters",
    };
    vk_code code = vast_volume_create_locked(&d->vast, c, &spec, deadline, v, st);
    vms_client_free(c);
    if (code == VK_OK) {
        json_object_set_new(record, "tenant_id", json_integer(v->tenant_id));
        if (!csi_ephemeral_record_write(d, req->volume_id, record, st)) code = st->code;
    }
    json_decref(record);
    return code;
}

/* Mounts the volume just made at the target, from its volume context as any volume. */
static vk_code mount_volume(csi_driver *d, vk_rpc_call *call, const Csi__V1__NodePublishVolumeRequest *req,
                            const vast_volume_params *p, const vast_volume_result *v, const csi_path *target,
                            vk_status *st) {
    csi_mount_limits limits = {d->options.mount_timeout_ms, d->options.unmount_timeout_ms, d->options.probe_timeout_ms};
    size_t n_context;
    void **context = csi_volume_context(call, p, v, &n_context);
    csi_node_source src;
    const Csi__V1__VolumeCapability__MountVolume *mount = req->volume_capability->mount;
    if (!csi_node_source_resolve(&d->options, req->volume_id, CSI_ENTRIES(context, n_context),
                                 mount->mount_flags, mount->n_mount_flags, NULL, &src, st)) {
        return st->code;
    }
    int source_fd;
    if (!csi_node_open_source(d, &src, &source_fd, st)) return st->code;
    VK_LOG(VK_LOG_INFO, "mounting ephemeral volume", "volume", req->volume_id, "source", src.source, "target",
           req->target_path, "chosen_by", src.server_choice);
    bool ok = csi_mount(&limits, src.fstype, src.source, source_fd, req->target_path, target->fd, src.options,
                        req->readonly, st);
    if (source_fd >= 0) close(source_fd);
    return ok ? VK_OK : st->code;
}

vk_code csi_node_publish_ephemeral(csi_driver *d, vk_rpc_call *call,
                                            const Csi__V1__NodePublishVolumeRequest *req, const csi_path *target,
                                            vk_status *st) {
    csi_ephemeral_config *config = vk_rpc_alloc(call, sizeof *config);
    if (!load_config(d, config, st) || !check_attributes(config, CSI_MAP(req, volume_context), st)) return st->code;
    vast_volume_params p;
    if (!vast_volume_params_parse(volume_parameters(call, config, CSI_MAP(req, volume_context)), &p, st)) {
        return st->code;
    }
    char path[VAST_PATH_MAX];
    if (!vast_volume_path(p.root_export, req->volume_id, path, sizeof path)) {
        return vk_status_set(st, VK_INVALID_ARGUMENT, "root_export %s is too long", p.root_export);
    }
    csi_mount_info *info = vk_rpc_alloc(call, sizeof *info);
    csi_mount_at(target->fd, info);
    if (info->mounted) {
        if (csi_mount_serves(info, path)) return VK_OK; /* an earlier call did it */
        return vk_status_set(st, VK_ALREADY_EXISTS, "%s already holds another volume's mount",
                             req->target_path);
    }
    char recorded[PATH_MAX];
    if (csi_node_ephemeral_target(d, req->volume_id, recorded, sizeof recorded) &&
        strcmp(recorded, req->target_path) != 0) {
        return vk_status_set(st, VK_FAILED_PRECONDITION, "the inline volume is already published at %s",
                             recorded);
    }
    vast_volume_result v;
    vk_code code = make_volume(d, req, &p, path, csi_call_deadline(d, call), &v, st);
    return code == VK_OK ? mount_volume(d, call, req, &p, &v, target, st) : code;
}

vk_code csi_node_forget_ephemeral(csi_driver *d, const char *volume_id, const char *target_path,
                                           int64_t deadline, vk_status *st) {
    char path[1200];
    csi_ephemeral_record_path(d, volume_id, path, sizeof path);
    json_error_t jerr;
    json_t *record = json_load_file(path, 0, &jerr);
    if (!record) return VK_OK; /* not an ephemeral volume of this node */
    const char *target = json_string_value(json_object_get(record, "target"));
    if (target && strcmp(target, target_path) != 0) {
        /* an unpublish of some other path: the volume stays, in use where it is */
        json_decref(record);
        return VK_OK;
    }

    /* the stored secret, as the request map the cluster code takes */
    json_t *secrets = json_object_get(record, "secrets");
    size_t n = json_object_size(secrets), i = 0;
    csi_string_entry *entries = calloc(n ? n : 1, sizeof *entries);
    const void **list = calloc(n ? n : 1, sizeof *list);
    const char *key;
    json_t *value;
    json_object_foreach(secrets, key, value) {
        entries[i] = (csi_string_entry)CSI__V1__CREATE_VOLUME_REQUEST__PARAMETERS_ENTRY__INIT;
        entries[i].key = (char *)key;
        entries[i].value = (char *)json_string_value(value);
        list[i] = &entries[i];
        i++;
    }
    const char *cluster = json_string_value(json_object_get(record, "cluster_name"));
    const char *volume_path = json_string_value(json_object_get(record, "path"));
    int64_t tenant_id = json_integer_value(json_object_get(record, "tenant_id"));
    vms_client *c = NULL;
    vk_code code = VK_OK;
    char lock_key[VAST_PATH_MAX + 8];
    snprintf(lock_key, sizeof lock_key, "vol:%s", volume_path ? volume_path : "");
    if (!volume_path) {
        code = vk_status_set(st, VK_INTERNAL, "the record %s of ephemeral volume %s is damaged", path,
                             volume_id);
    } else if (!vms_clusters_client(d->vast.clusters, CSI_ENTRIES(list, n), cluster && *cluster ? cluster : NULL, &c,
                                    st)) {
        code = st->code;
    } else if (!vk_keylock_acquire(d->vast.locks, lock_key, deadline)) {
        code = vk_status_set(st, VK_ABORTED, "another operation on ephemeral volume %s is in progress",
                             volume_id);
    } else {
        /* a publish that failed before the volume existed recorded no tenant yet */
        const char *policy_name = json_string_value(json_object_get(record, "view_policy"));
        vms_policy_ref policy;
        if (tenant_id == 0 && policy_name &&
            vms_clusters_view_policy(d->vast.clusters, c, policy_name, deadline, &policy, st)) {
            tenant_id = policy.tenant_id;
        }
        code = tenant_id == 0 ? st->code : vast_volume_delete_locked(&d->vast, c, volume_path, tenant_id, deadline, st);
        vk_keylock_release(d->vast.locks, lock_key);
    }
    if (c) vms_client_free(c);
    free(entries);
    free(list);
    json_decref(record);
    if (code == VK_OK) {
        unlink(path); /* last: a crash before this repeats the (idempotent) delete */
        VK_LOG(VK_LOG_INFO, "ephemeral volume deleted", "volume", volume_id);
    }
    return code;
}
