/* What the tests of the vast layer share: one vms-sim (seeded, HTTP for the inspector
 * and HTTPS for the driver), the clusters with a default cluster (a --vms-secret-dir of
 * files, as ListVolumes and GetCapacity use) and the same cluster as a request's
 * secret, the locks and roots of a vast_ctx, and helpers that make volumes and look
 * at VAST directly. One fixture a process: the suites' group setup starts it. */
#ifndef VK_TESTS_VAST_FIXTURE_H
#define VK_TESTS_VAST_FIXTURE_H

#include "sim_harness.h"
#include "vk/vast.h"

#include <stdint.h>

#define GIB (1LL << 30)
#define DEADLINE_MS 20000

typedef struct {
    sim_instance sim;
    char *ca_pem;
    char secret_dir[64]; /* the default cluster's secret files */
    vms_clusters *clusters;
    vk_keylock *locks;
    vast_roots roots;
    vast_ctx ctx;
    vms_client *inspector; /* the admin over plain HTTP, to look at VAST directly */
    vk_strpair secret_pairs[4];
    const vk_strpair *secret_ptrs[4];
    vk_strmap secrets; /* the cluster as a request's secret */
} vast_fixture;

extern vast_fixture fx;

/* cmocka group setup and teardown: the sim, with roots "/k8s". */
int fx_setup(void **state);
int fx_teardown(void **state);

/* Sets the process's fault points (NULL: none); fails the test on a bad spec. */
void fx_faults(const char *spec);

/* How many objects of collection VMS has at exactly path; a quota's hard limit (-1 when
 * there is no quota). */
size_t fx_count_at(const char *collection, const char *path);
int64_t fx_quota_limit(const char *path);

/* A CreateVolume's parameters (view policy vast-k8s-nfs, pool vast-k8s-pool) and spec. */
typedef struct {
    vk_strpair pairs[3];
    const vk_strpair *ptrs[3];
    vast_volume_params params;
    vast_volume_spec spec;
} fx_volume_request;

void fx_volume_request_init(fx_volume_request *r, const char *name, const char *root_export, int64_t size);
vk_code fx_create(fx_volume_request *r, vast_volume_result *out, vk_status *st);
/* Makes the volume under /k8s or fails the test. */
void fx_create_ok(const char *name, int64_t size, vast_volume_result *out);
vk_code fx_delete_volume(const char *id, vk_status *st);

#endif
