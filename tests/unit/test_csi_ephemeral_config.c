/* --ephemeral-parameters: the pairs, mount_options taking the rest, and the checks a
 * StorageClass's parameters get. */
#include "ephemeral_config.h"
#include "options.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static csi_ephemeral_config c;

static void parses_pairs(void **state) {
    (void)state;
    char why[256];
    assert_true(csi_ephemeral_config_parse("root_export=/k8s,view_policy=p,vip_pool_name=pool,size=2Gi", &c, why,
                                           sizeof why));
    vk_strmap m = csi_ephemeral_config_map(&c);
    assert_int_equal(m.n, 4);
    assert_string_equal(vk_strmap_get(m, "root_export"), "/k8s");
    assert_string_equal(vk_strmap_get(m, "size"), "2Gi");
    /* mount_options, a comma list itself, comes last and takes the rest */
    assert_true(csi_ephemeral_config_parse("root_export=/k8s,view_policy=p,vip_pool_fqdn=vip.example.com,"
                                           "mount_options=vers=4.1,nconnect=8",
                                           &c, why, sizeof why));
    assert_string_equal(vk_strmap_get(csi_ephemeral_config_map(&c), "mount_options"), "vers=4.1,nconnect=8");
}

static void refuses(void **state) {
    (void)state;
    char why[256];
    const struct {
        const char *text, *needle;
    } bad[] = {
        {"view_policy=p,vip_pool_name=pool", "root_export"},
        {"root_export=/k8s,vip_pool_name=pool", "view_policy"},
        {"root_export=/k8s,view_policy=p", "vip_pool_name"},
        {"root_export=k8s,view_policy=p,vip_pool_name=x", "absolute"},
        {"root_export=/k8s,view_policy=p,vip_pool_name=x,colour=blue", "colour"},
        {"root_export=/k8s,root_export=/b,view_policy=p,vip_pool_name=x", "twice"},
        {"root_export=/k8s,view_policy,vip_pool_name=x", "key=value"},
        {"root_export=/k8s,view_policy=p,vip_pool_name=x,csi.storage.k8s.io/pod.name=x", "kubelet"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(csi_ephemeral_config_parse(bad[i].text, &c, why, sizeof why));
        if (!strstr(why, bad[i].needle)) fail_msg("%s: \"%s\" does not name %s", bad[i].text, why, bad[i].needle);
        assert_false(csi_ephemeral_config_check(bad[i].text, why, sizeof why));
    }
}

/* The flags: a bad configuration stops the plugin at start-up, naming flag and variable. */
static void flags(void **state) {
    (void)state;
    csi_options *o = malloc(sizeof *o);
    assert_non_null(o);
    vk_status st;
    char *good[] = {"vast-csi", "--kubelet-dir", "/var/lib/kubelet", "--ephemeral-parameters",
                    "root_export=/k8s,view_policy=p,vip_pool_name=pool", NULL};
    assert_true(csi_options_parse(5, good, o, &st));
    assert_string_equal(o->kubelet_dir, "/var/lib/kubelet");
    assert_string_equal(o->ephemeral_parameters, "root_export=/k8s,view_policy=p,vip_pool_name=pool");
    char *defaults[] = {"vast-csi", NULL};
    assert_true(csi_options_parse(1, defaults, o, &st));
    assert_string_equal(o->kubelet_dir, "");
    assert_string_equal(o->ephemeral_parameters, "");
    char *bad_dir[] = {"vast-csi", "--kubelet-dir", "var/lib/kubelet", NULL};
    assert_false(csi_options_parse(3, bad_dir, o, &st));
    assert_non_null(strstr(st.message, "X_CSI_KUBELET_DIR"));
    char *bad_params[] = {"vast-csi", "--ephemeral-parameters", "view_policy=p,vip_pool_name=pool", NULL};
    assert_false(csi_options_parse(3, bad_params, o, &st));
    assert_non_null(strstr(st.message, "X_CSI_EPHEMERAL_PARAMETERS"));
    assert_non_null(strstr(st.message, "root_export"));
    /* the root must be one of --root-exports (default /k8s) */
    char *other_root[] = {"vast-csi", "--ephemeral-parameters", "root_export=/inline,view_policy=p,vip_pool_name=x",
                          NULL};
    assert_false(csi_options_parse(3, other_root, o, &st));
    assert_non_null(strstr(st.message, "--root-exports"));
    char *listed[] = {"vast-csi", "--root-exports", "/k8s,/inline", "--ephemeral-parameters",
                      "root_export=/inline/,view_policy=p,vip_pool_name=x", NULL};
    assert_true(csi_options_parse(5, listed, o, &st));
    free(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flags),
        cmocka_unit_test(parses_pairs),
        cmocka_unit_test(refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
