/* Growing a volume: its quota's hard limit, never lowered (a quota already as large,
 * from an earlier attempt, is the answer). */
#include "vk/vast.h"

#include <stdio.h>
#include <string.h>

/* Opens the volume named by id under its lock; on failure fills st (NOT_FOUND for an
 * unknown id). The caller closes the target and releases lock_key. */
vk_code vast_volume_open_locked(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t deadline,
                                    vast_volume_target *t, char *lock_key, size_t lock_size, vk_status *st) {
    vast_volume_ref ref;
    if (!vast_volume_id_parse(id, &ref)) {
        memset(t, 0, sizeof *t);
        lock_key[0] = '\0';
        return vk_status_set(st, VK_NOT_FOUND, "volume %s does not exist: not an id of this driver", id);
    }
    snprintf(lock_key, lock_size, "vol:%s", ref.legacy ? ref.legacy_name : ref.path);
    if (!vk_keylock_acquire(ctx->locks, lock_key, deadline)) {
        memset(t, 0, sizeof *t);
        lock_key[0] = '\0';
        return vk_status_set(st, VK_ABORTED, "another operation on volume %s is in progress", id);
    }
    return vast_volume_target_open(ctx, id, secrets, deadline, t, st);
}

void vast_volume_close_locked(vast_ctx *ctx, vast_volume_target *t, const char *lock_key) {
    vast_volume_target_close(t);
    if (lock_key[0]) vk_keylock_release(ctx->locks, lock_key);
}

/* The volume's quota, as the open read (and proved) it: a reference of the caller's. */
vk_code vast_volume_quota(const vast_volume_target *t, int64_t deadline, vms_quota *quota, vk_status *st) {
    (void)deadline;
    if (!t->quota.obj.raw) {
        return vk_status_set(st, VK_NOT_FOUND, "volume %s does not exist on VAST cluster %s (no quota)",
                             t->path, vms_client_endpoint(t->client));
    }
    vms_quota_from_json(t->quota.obj.raw, quota);
    return VK_OK;
}

vk_code vast_volume_expand(vast_ctx *ctx, const char *id, vk_strmap secrets, int64_t size, int64_t deadline,
                           int64_t *capacity_out, vk_status *st) {
    char lock_key[VAST_PATH_MAX + 8];
    vast_volume_target t;
    vms_quota quota = {0};
    vk_code code = vast_volume_open_locked(ctx, id, secrets, deadline, &t, lock_key, sizeof lock_key, st);
    if (code == VK_OK && vast_volume_is_snapshot_view(&t.ref)) {
        code = vk_status_set(st, VK_FAILED_PRECONDITION, "a read-only restore from a snapshot cannot grow");
    }
    if (code == VK_OK) code = vast_volume_quota(&t, deadline, &quota, st);
    int64_t capacity = quota.hard_limit;
    if (code == VK_OK && quota.hard_limit < size) {
        /* never shrink: a quota already as large (an earlier attempt) is the answer */
        vms_error err;
        if (vms_quota_set_hard_limit(t.client, quota.obj.id, size, NULL, deadline, &err)) {
            capacity = size;
        } else {
            code = vms_fail(st, &err, "raising the quota of %s", t.path);
        }
    }
    vms_object_free(&quota.obj);
    vast_volume_close_locked(ctx, &t, lock_key);
    *capacity_out = capacity;
    return code;
}
