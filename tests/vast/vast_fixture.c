/* The vast tests' fixture (vast_fixture.h). */
#include "vast_fixture.h"

#include "vk/deadline.h"
#include "vk/fault.h"
#include "vk/vms_list.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

vast_fixture fx;

static void write_secret(const char *key, const char *value) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", fx.secret_dir, key);
    FILE *f = fopen(path, "w");
    if (!f || fputs(value, f) < 0 || fclose(f) != 0) fail_msg("writing the secret file %s", path);
}

static void remove_secret_dir(void) {
    static const char *const keys[] = {"endpoint", "username", "password", "ssl_cert"};
    char path[128];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", fx.secret_dir, keys[i]);
        unlink(path);
    }
    rmdir(fx.secret_dir);
}

int fx_setup(void **state) {
    (void)state;
    sim_start(&fx.sim, &(sim_options){.http = true, .https = true, .seed = true});
    fx.ca_pem = sim_read_file(fx.sim.ca_file);
    assert_non_null(fx.ca_pem);
    fx.secret_pairs[0] = (vk_strpair){"endpoint", fx.sim.https_url};
    fx.secret_pairs[1] = (vk_strpair){"username", "admin"};
    fx.secret_pairs[2] = (vk_strpair){"password", "123456"};
    fx.secret_pairs[3] = (vk_strpair){"ssl_cert", fx.ca_pem};
    snprintf(fx.secret_dir, sizeof fx.secret_dir, "/tmp/vast-test-XXXXXX");
    if (!mkdtemp(fx.secret_dir)) fail_msg("mkdtemp %s", fx.secret_dir);
    for (int i = 0; i < 4; i++) {
        fx.secret_ptrs[i] = &fx.secret_pairs[i];
        write_secret(fx.secret_pairs[i].key, fx.secret_pairs[i].value);
    }
    fx.secrets = VK_STRMAP_OF(fx.secret_ptrs, 4);
    fx.clusters = vms_clusters_new(&(vms_clusters_options){
        .secret_dir = fx.secret_dir, .request_timeout_ms = 10000, .cache_ttl_ms = 60000, .max_connections = 4});
    fx.locks = vk_keylock_new();
    char err[128];
    assert_true(vast_roots_parse("/k8s", &fx.roots, err, sizeof err));
    fx.ctx = (vast_ctx){.clusters = fx.clusters, .locks = fx.locks, .roots = &fx.roots};
    vms_config cfg = sim_client_config(&fx.sim);
    fx.inspector = sim_client(&cfg);
    return 0;
}

int fx_teardown(void **state) {
    (void)state;
    vms_client_free(fx.inspector);
    vms_clusters_free(fx.clusters);
    vk_keylock_free(fx.locks);
    remove_secret_dir();
    free(fx.ca_pem);
    sim_stop(&fx.sim);
    return 0;
}

void fx_faults(const char *spec) {
    vk_status st;
    if (!vk_fault_configure(spec, &st)) fail_msg("fault spec %s: %s", spec ? spec : "(none)", st.message);
}

size_t fx_count_at(const char *collection, const char *path) {
    json_t *items = NULL;
    vms_error err;
    if (!vms_list(fx.inspector, collection, VMS_FILTERS("path", path), vk_deadline_in(DEADLINE_MS), &items, &err)) {
        fail_msg("listing %s at %s: %s", collection, path, err.message);
    }
    size_t n = json_array_size(items);
    json_decref(items);
    return n;
}

int64_t fx_quota_limit(const char *path) {
    vms_quota q;
    vms_error err;
    if (vms_quota_find_by_path(fx.inspector, path, 0, &q, vk_deadline_in(DEADLINE_MS), &err) != VMS_FOUND) return -1;
    int64_t limit = q.hard_limit;
    vms_object_free(&q.obj);
    return limit;
}

void fx_volume_request_init(fx_volume_request *r, const char *name, const char *root_export, int64_t size) {
    r->pairs[0] = (vk_strpair){"root_export", root_export};
    r->pairs[1] = (vk_strpair){"view_policy", "vast-k8s-nfs"};
    r->pairs[2] = (vk_strpair){"vip_pool_name", "vast-k8s-pool"};
    for (int i = 0; i < 3; i++) r->ptrs[i] = &r->pairs[i];
    vk_status st;
    if (!vast_volume_params_parse(VK_STRMAP_OF(r->ptrs, 3), &r->params, &st)) fail_msg("params: %s", st.message);
    r->spec = (vast_volume_spec){.name = name, .params = &r->params, .name_format = r->params.volume_name_fmt,
                                 .size = size, .secrets = fx.secrets};
}

vk_code fx_create(fx_volume_request *r, vast_volume_result *out, vk_status *st) {
    return vast_volume_create(&fx.ctx, &r->spec, vk_deadline_in(DEADLINE_MS), out, st);
}

void fx_create_ok(const char *name, int64_t size, vast_volume_result *out) {
    fx_volume_request r;
    fx_volume_request_init(&r, name, "/k8s", size);
    vk_status st;
    if (fx_create(&r, out, &st) != VK_OK) fail_msg("create %s: %s", name, st.message);
}

vk_code fx_delete_volume(const char *id, vk_status *st) {
    return vast_volume_delete(&fx.ctx, id, fx.secrets, vk_deadline_in(DEADLINE_MS), st);
}
