/* The NFS mount arguments the node builds for each way a volume names its server. */
#include "mounter.h"
#include "node_source.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Csi__V1__CreateVolumeRequest__ParametersEntry entry;

/* A context map from key, value, ..., NULL. */
typedef struct {
    entry entries[16];
    const void *list[16];
    size_t n;
} context;

static vk_strmap make_context(context *c, const char *const *kv) {
    c->n = 0;
    for (; kv[0]; kv += 2) {
        c->entries[c->n] = (entry)CSI__V1__CREATE_VOLUME_REQUEST__PARAMETERS_ENTRY__INIT;
        c->entries[c->n].key = (char *)kv[0];
        c->entries[c->n].value = (char *)kv[1];
        c->list[c->n] = &c->entries[c->n];
        c->n++;
    }
    return CSI_ENTRIES(c->list, c->n);
}

static csi_options nfs_options(void) {
    csi_options o;
    memset(&o, 0, sizeof o);
    snprintf(o.mount_mode, sizeof o.mount_mode, "nfs");
    return o;
}

static void resolve(const csi_options *o, const char *volume_id, const char *const *kv, char *const *flags,
                    size_t n_flags, csi_node_source *out) {
    context c;
    vk_status st;
    if (!csi_node_source_resolve(o, volume_id, make_context(&c, kv), flags, n_flags, NULL, out, &st)) {
        fail_msg("resolve failed: %s", st.message);
    }
}

static void test_vip_from_pool_ranges(void **state) {
    (void)state;
    csi_options o = nfs_options();
    const char *kv[] = {"export_path", "/k8s/pvc-1", "vip_pool_ranges", "10.0.0.1-10.0.0.4", "protocol", "NFS",
                        "mount_options", "hard,nconnect=8", NULL};
    csi_node_source src;
    resolve(&o, "vk1::2:/k8s/pvc-1", kv, NULL, 0, &src);
    assert_string_equal(src.fstype, "nfs");
    assert_string_equal(src.options, "hard,nconnect=8");
    assert_string_equal(src.export_path, "/k8s/pvc-1");
    /* one of the pool's four addresses, and the source is server:export */
    assert_true(strncmp(src.server, "10.0.0.", 7) == 0 && src.server[7] >= '1' && src.server[7] <= '4');
    char want[300];
    snprintf(want, sizeof want, "%s:/k8s/pvc-1", src.server);
    assert_string_equal(src.source, want);
    /* deterministic for one volume (no mounts on this machine: the hash decides) */
    csi_node_source again;
    resolve(&o, "vk1::2:/k8s/pvc-1", kv, NULL, 0, &again);
    assert_string_equal(src.server, again.server);
}

static void test_vips_spread_over_volumes(void **state) {
    (void)state;
    /* with no mounts to count, different volumes land on different VIPs of the pool */
    char seen[4] = {0};
    for (int i = 0; i < 40; i++) {
        char id[64], out[32];
        snprintf(id, sizeof id, "vk1::2:/k8s/pvc-%d", i);
        assert_true(csi_pick_vip("10.0.0.1-10.0.0.4", id, out, sizeof out));
        seen[out[7] - '1'] = 1;
    }
    assert_int_equal(seen[0] + seen[1] + seen[2] + seen[3], 4);
}

static void test_nfs4_and_mount_flags_merged(void **state) {
    (void)state;
    csi_options o = nfs_options();
    const char *kv[] = {"export_path", "/k8s/v", "vip_pool_ranges", "10.0.0.9", "mount_options", "vers=4.1,hard",
                        NULL};
    char *flags[] = {"nconnect=16", "hard", "noatime"};
    csi_node_source src;
    resolve(&o, "vk1::2:/k8s/v", kv, flags, 3, &src);
    assert_string_equal(src.fstype, "nfs4");
    assert_string_equal(src.options, "vers=4.1,hard,nconnect=16,noatime"); /* no duplicate "hard" */
    assert_string_equal(src.source, "10.0.0.9:/k8s/v");
}

static void test_fqdn_with_and_without_random_prefix(void **state) {
    (void)state;
    csi_options o = nfs_options();
    const char *kv[] = {"export_path", "/k8s/v", "vip_pool_fqdn", "pool.vast.example", NULL};
    csi_node_source src;
    resolve(&o, "vk1::2:/k8s/v", kv, NULL, 0, &src);
    /* "<4 random letters>.pool.vast.example" */
    assert_int_equal(strlen(src.server), 4 + 1 + strlen("pool.vast.example"));
    assert_string_equal(src.server + 5, "pool.vast.example");
    const char *fixed[] = {"export_path", "/k8s/v", "vip_pool_fqdn", "pool.vast.example",
                           "vip_pool_fqdn_random_prefix", "false", NULL};
    resolve(&o, "vk1::2:/k8s/v", fixed, NULL, 0, &src);
    assert_string_equal(src.server, "pool.vast.example");
}

static void test_local_address_wins(void **state) {
    (void)state;
    csi_options o = nfs_options();
    snprintf(o.local_nfs_address, sizeof o.local_nfs_address, "192.0.2.7");
    const char *kv[] = {"export_path", "/k8s/v", "vip_pool_ranges", "10.0.0.1-10.0.0.4", NULL};
    csi_node_source src;
    resolve(&o, "vk1::2:/k8s/v", kv, NULL, 0, &src);
    assert_string_equal(src.source, "192.0.2.7:/k8s/v");
}

static void test_bind_mode_and_static_pv(void **state) {
    (void)state;
    csi_options o = nfs_options();
    snprintf(o.mount_mode, sizeof o.mount_mode, "bind");
    snprintf(o.bind_root, sizeof o.bind_root, "/srv/sim/fs");
    const char *none[] = {NULL};
    csi_node_source src;
    resolve(&o, "/datasets/imagenet", none, NULL, 0, &src); /* a static PV's handle is its path */
    assert_string_equal(src.fstype, "bind");
    assert_string_equal(src.source, "/srv/sim/fs/datasets/imagenet");
}

static void test_refusals(void **state) {
    (void)state;
    csi_options o = nfs_options();
    context c;
    vk_status st;
    csi_node_source src;
    const char *no_pool[] = {"export_path", "/k8s/v", NULL};
    assert_false(csi_node_source_resolve(&o, "vk1::2:/k8s/v", make_context(&c, no_pool), NULL, 0, NULL, &src, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    const char *escape[] = {"export_path", "/k8s/../etc", "vip_pool_ranges", "10.0.0.1", NULL};
    assert_false(csi_node_source_resolve(&o, "vk1::2:/k8s/v", make_context(&c, escape), NULL, 0, NULL, &src, &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    const char *none[] = {NULL};
    assert_false(csi_node_source_resolve(&o, "not-a-path", make_context(&c, none), NULL, 0, NULL, &src, &st));
    assert_int_equal(st.code, VK_NOT_FOUND);
    char out[32];
    assert_false(csi_pick_vip("nonsense", "v", out, sizeof out));
}

/* NodePublishVolume's resolve leaves the VIP unchosen (choosing parses the mount table)
 * and chooses it only before a mount: then the same VIP an eager resolve picks. Its
 * answers are the eager one's: bad ranges are refused at once, with the same code. */
static void test_deferred_vip_choice(void **state) {
    (void)state;
    csi_options o = nfs_options();
    context c;
    vk_status st;
    const char *kv[] = {"export_path", "/k8s/pvc-1", "vip_pool_ranges", "10.0.0.1-10.0.0.4", NULL};
    csi_node_source eager, deferred;
    resolve(&o, "vk1::2:/k8s/pvc-1", kv, NULL, 0, &eager);
    assert_string_equal(eager.pending_ranges, "");
    assert_true(csi_node_source_resolve_deferred(&o, "vk1::2:/k8s/pvc-1", make_context(&c, kv), NULL, 0, NULL,
                                                 &deferred, &st));
    assert_string_equal(deferred.server, "");
    assert_string_equal(deferred.source, "");
    assert_string_equal(deferred.pending_ranges, "10.0.0.1-10.0.0.4");
    assert_string_equal(deferred.export_path, "/k8s/pvc-1");
    assert_string_equal(deferred.server_choice, eager.server_choice);
    csi_node_source_choose_server(&deferred);
    assert_string_equal(deferred.server, eager.server);
    assert_string_equal(deferred.source, eager.source);
    assert_string_equal(deferred.pending_ranges, "");
    /* once chosen, or never deferred: nothing changes */
    csi_node_source_choose_server(&deferred);
    assert_string_equal(deferred.source, eager.source);
    csi_node_source_choose_server(&eager);
    assert_string_equal(eager.source, deferred.source);

    /* ranges without an address: refused now, as the eager resolve refuses them */
    const char *bad[] = {"export_path", "/k8s/v", "vip_pool_ranges", "nonsense", NULL};
    vk_status eager_st;
    assert_false(csi_node_source_resolve(&o, "vk1::2:/k8s/v", make_context(&c, bad), NULL, 0, NULL, &eager, &eager_st));
    assert_false(csi_node_source_resolve_deferred(&o, "vk1::2:/k8s/v", make_context(&c, bad), NULL, 0, NULL, &deferred,
                                                  &st));
    assert_int_equal(st.code, VK_INVALID_ARGUMENT);
    assert_int_equal(st.code, eager_st.code);
    assert_string_equal(st.message, eager_st.message);

    /* a server that needs no counting is set at once */
    const char *fixed[] = {"export_path", "/k8s/v", "vip_pool_fqdn", "pool.vast.example",
                           "vip_pool_fqdn_random_prefix", "false", NULL};
    assert_true(csi_node_source_resolve_deferred(&o, "vk1::2:/k8s/v", make_context(&c, fixed), NULL, 0, NULL,
                                                 &deferred, &st));
    assert_string_equal(deferred.source, "pool.vast.example:/k8s/v");
    assert_string_equal(deferred.pending_ranges, "");
}

/* What is mounted at a path is the volume's only when its NFS source names exactly the
 * volume's export: no prefix, suffix or longer name, whatever the server's spelling. */
static void test_nfs_mount_serves_only_its_export(void **state) {
    (void)state;
    csi_mount_set_bind_root("");
    static const struct {
        const char *source;
        bool serves;
    } cases[] = {
        {"10.0.0.1:/k8s/pvc-1", true},
        {"abcd.pool.example.com:/k8s/pvc-1", true},
        {"[fd00::1]:/k8s/pvc-1", true},
        {"10.0.0.1:/k8s/pvc-10", false},
        {"10.0.0.1:/k8s", false},
        {"10.0.0.1:/data/k8s/pvc-1", false},
        {"10.0.0.1:/x:/k8s/pvc-1", false},
        {"10.0.0.1:/k8s/pvc-1/", false},
        {"/k8s/pvc-1", false},
    };
    csi_mount_info *info = calloc(1, sizeof *info);
    assert_non_null(info);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(info, 0, sizeof *info);
        info->mounted = true;
        snprintf(info->fstype, sizeof info->fstype, "nfs4");
        snprintf(info->source, sizeof info->source, "%s", cases[i].source);
        snprintf(info->root, sizeof info->root, "/");
        if (csi_mount_serves(info, "/k8s/pvc-1") != cases[i].serves) fail_msg("source %s", cases[i].source);
    }
    info->mounted = false;
    snprintf(info->source, sizeof info->source, "10.0.0.1:/k8s/pvc-1");
    assert_false(csi_mount_serves(info, "/k8s/pvc-1"));
    free(info);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfs_mount_serves_only_its_export),
        cmocka_unit_test(test_vip_from_pool_ranges),
        cmocka_unit_test(test_vips_spread_over_volumes),
        cmocka_unit_test(test_nfs4_and_mount_flags_merged),
        cmocka_unit_test(test_fqdn_with_and_without_random_prefix),
        cmocka_unit_test(test_local_address_wins),
        cmocka_unit_test(test_bind_mode_and_static_pv),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_deferred_vip_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
