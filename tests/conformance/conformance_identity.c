/* csi-sanity "Identity Service" (pkg/sanity/identity.go): 3 specs, no gate. */
#include "conformance.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

static void get_plugin_capabilities(void **state) {
    (void)state;
    Csi__V1__GetPluginCapabilitiesResponse *res;
    vk_status st;
    CONF_EXPECT_OK(conf_call("GetPluginCapabilities", NULL, &res, &st), &st, "GetPluginCapabilities");
    assert_non_null(res);
    for (size_t i = 0; i < res->n_capabilities; i++) {
        const Csi__V1__PluginCapability *cap = res->capabilities[i];
        switch (cap->type_case) {
        case CSI__V1__PLUGIN_CAPABILITY__TYPE_SERVICE:
            switch (cap->service ? (int)cap->service->type : 0) {
            case CSI__V1__PLUGIN_CAPABILITY__SERVICE__TYPE__CONTROLLER_SERVICE:
            case CSI__V1__PLUGIN_CAPABILITY__SERVICE__TYPE__VOLUME_ACCESSIBILITY_CONSTRAINTS:
            case CSI__V1__PLUGIN_CAPABILITY__SERVICE__TYPE__GROUP_CONTROLLER_SERVICE:
            case CSI__V1__PLUGIN_CAPABILITY__SERVICE__TYPE__SNAPSHOT_METADATA_SERVICE:
                break;
            default:
                CONF_FAIL("Unknown service: %d (capabilities[%zu])", cap->service ? (int)cap->service->type : 0, i);
            }
            break;
        case CSI__V1__PLUGIN_CAPABILITY__TYPE_VOLUME_EXPANSION:
            switch (cap->volume_expansion ? (int)cap->volume_expansion->type : 0) {
            case CSI__V1__PLUGIN_CAPABILITY__VOLUME_EXPANSION__TYPE__ONLINE:
            case CSI__V1__PLUGIN_CAPABILITY__VOLUME_EXPANSION__TYPE__OFFLINE:
                break;
            default:
                CONF_FAIL("Unknown volume expansion mode: %d (capabilities[%zu])",
                          cap->volume_expansion ? (int)cap->volume_expansion->type : 0, i);
            }
            break;
        default:
            CONF_FAIL("Unknown capability: capabilities[%zu] has no type", i);
        }
    }
}

static void probe(void **state) {
    (void)state;
    Csi__V1__ProbeResponse *res;
    vk_status st;
    /* sanity: err must be nil, then (redundantly) OK or FAILED_PRECONDITION */
    CONF_EXPECT_OK(conf_call("Probe", NULL, &res, &st), &st, "Probe");
    assert_non_null(res);
    /* `ready` is optional; when present any value is fine */
}

static void get_plugin_info(void **state) {
    (void)state;
    Csi__V1__GetPluginInfoResponse *res;
    vk_status st;
    CONF_EXPECT_OK(conf_call("GetPluginInfo", NULL, &res, &st), &st, "GetPluginInfo");
    assert_non_null(res);
    const char *name = res->name ? res->name : "";
    if (!*name) CONF_FAIL("GetPluginInfo: name is empty");
    if (strlen(name) > 63) CONF_FAIL("GetPluginInfo: name \"%s\" is %zu characters (at most 63)", name, strlen(name));
    /* sanity's Go raw string `^[a-zA-Z][A-Za-z0-9-\\.\\_]{0,61}[a-zA-Z]$`: inside the
     * brackets that is letters, digits, '-', '\\', '.', '_' (the doubled backslash
     * admits a backslash; POSIX brackets take it literally) */
    regex_t re;
    assert_int_equal(regcomp(&re, "^[a-zA-Z][-A-Za-z0-9\\._]{0,61}[a-zA-Z]$", REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&re, name, 0, NULL, 0);
    regfree(&re);
    if (rc != 0) {
        CONF_FAIL("GetPluginInfo: name \"%s\" does not match ^[a-zA-Z][A-Za-z0-9-\\\\.\\\\_]{0,61}[a-zA-Z]$", name);
    }
}

int main(void) {
    const struct CMUnitTest specs[] = {
        CONF_SPEC("GetPluginCapabilities should return appropriate capabilities", get_plugin_capabilities),
        CONF_SPEC("Probe should return appropriate information", probe),
        CONF_SPEC("GetPluginInfo should return appropriate information", get_plugin_info),
    };
    return CONF_RUN("Identity Service", specs);
}
