/* --ephemeral-parameters: the pairs, mount_options taking the rest, and the checks a
 * StorageClass's parameters get. */
#include "ephemeral_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

static csi_ephemeral_config c;

static void parses_pairs(void **state) {
    (void)state;
    char why[256];
    assert_true(csi_ephemeral_config_parse("root_export=/k8s,view_policy=p,vip_pool_name=pool,size=2Gi", &c, why,
                                           sizeof why));
    csi_string_map m = csi_ephemeral_config_map(&c);
    assert_int_equal(m.n, 4);
    assert_string_equal(csi_map_get(m, "root_export"), "/k8s");
    assert_string_equal(csi_map_get(m, "size"), "2Gi");
    /* mount_options, a comma list itself, comes last and takes the rest */
    assert_true(csi_ephemeral_config_parse("root_export=/k8s,view_policy=p,vip_pool_fqdn=vip.example.com,"
                                           "mount_options=vers=4.1,nconnect=8",
                                           &c, why, sizeof why));
    assert_string_equal(csi_map_get(csi_ephemeral_config_map(&c), "mount_options"), "vers=4.1,nconnect=8");
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_pairs),
        cmocka_unit_test(refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
