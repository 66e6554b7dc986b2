/* COSI conformance: every cosi.v1alpha1 RPC of `vast-csi --mode cosi`, and every code
 * the objectstorage sidecar relies on (the list is in README.md), against a seeded
 * vms-sim on HTTPS. Not a port of an upstream suite (COSI has none): the cases
 * come from the COSI spec's error scheme and the sidecar's handling of each answer.
 *
 * The run: vms-sim (HTTP for the test's own VMS calls, HTTPS for the driver), a
 * default-cluster secret, `vast-csi --mode cosi --endpoint unix://DIR/cosi.sock
 * --vms-secret-dir DIR/secret` started with fork+execve and waited for with
 * DriverGetInfo, stopped by PID with SIGTERM (exit 0 expected). Each spec's buckets and
 * accesses are revoked and deleted in its teardown, newest first, and the objects a spec
 * made as "an administrator" through the VMS API are removed there too. The last spec
 * checks that nothing of the run is left on VMS and that no secret reached the log.
 *
 * Environment: VAST_CSI, VMS_SIM (set by CMake); CONFORMANCE_KEEP=1 keeps the run
 * directory (the driver's log) and prints its path. */
#include "conformance.h"

#include "../common/run.h"
#include "../vms/sim_harness.h"
#include "cosi.pb-c.h"
#include "vk/deadline.h"
#include "vk/vast_bucket.h"
#include "vk/vms.h"

#include <grpc/grpc.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { CALL_TIMEOUT_MS = 60000, READY_WAIT_MS = 30000, STOP_WAIT_MS = 15000, RACERS = 8, REPLAYS = 3 };

#define IDENTITY "/cosi.v1alpha1.Identity/"
#define PROVISIONER "/cosi.v1alpha1.Provisioner/"

/* ---- the run ---- */

typedef struct {
    char *bucket_id;
    char *account_id; /* NULL: a bucket to delete; else an access to revoke */
} resource;

typedef struct {
    char *path; /* VMS path of the object, e.g. "views/12/" */
} admin_object;

static struct {
    sim_instance sim;
    bool sim_started;
    vms_client *vms; /* the test's own VMS client (admin, over HTTP) */
    char dir[128], endpoint_text[192], secret_dir[160], log[200];
    vk_endpoint endpoint;
    pid_t plugin;
    vk_rpc_client *client;
    char suffix[20];   /* lower-case hex: S3 bucket names are lower case */
    unsigned counter;  /* names of the run: <prefix>-<suffix>-<counter> */
    int64_t tenant_id;
    int64_t s3_policy_id;
    json_t *before;    /* users, s3policies, locals3keys at the start */
    char **secrets;    /* every secret key and access key handed out */
    size_t n_secrets, cap_secrets;
    /* per spec */
    resource *resources;
    size_t n_resources, cap_resources;
    admin_object *admin;
    size_t n_admin, cap_admin;
    ProtobufCMessage **messages;
    size_t n_messages, cap_messages;
    char **strings;
    size_t n_strings, cap_strings;
} run;

static const char *keep_string(char *s) {
    if (!s) abort();
    GROW(run.strings, run.n_strings, run.cap_strings);
    run.strings[run.n_strings++] = s;
    return s;
}

static const char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    char *s = NULL;
    if (vasprintf(&s, format, ap) < 0) abort();
    va_end(ap);
    return keep_string(s);
}

static void *keep_message(ProtobufCMessage *m) {
    if (!m) return NULL;
    GROW(run.messages, run.n_messages, run.cap_messages);
    run.messages[run.n_messages++] = m;
    return m;
}

static const char *unique(const char *prefix) { return fmt("%s-%s-%u", prefix, run.suffix, ++run.counter); }

/* The plugin's --cache-ttl: short, so a spec can see VMS change under a cached pool. */
#define COSI_CACHE_TTL_MS 300
#define COSI_CACHE_TTL_TEXT "300"

/* ---- the test's own VMS calls ---- */

static json_t *sim_vms(const char *method, const char *path, json_t *body) {
    json_t *out = NULL;
    vms_error err;
    bool ok = vms_request(run.vms, method, path, body, 0, vk_deadline_in(20000), &out, &err);
    json_decref(body);
    if (!ok) CONF_FAIL("VMS %s %s: %s", method, path, err.message);
    return out;
}

static int64_t id_of_named(const char *collection, const char *name) {
    json_t *list = sim_vms("GET", fmt("%s/?name=%s", collection, name), NULL);
    int64_t id = json_array_size(list) == 1 ? json_integer_value(json_object_get(json_array_get(list, 0), "id")) : 0;
    json_decref(list);
    return id;
}

/* An object made as an administrator would, removed in the spec's teardown. */
static json_t *admin_create(const char *collection, json_t *body) {
    json_t *made = sim_vms("POST", fmt("%s/", collection), body);
    GROW(run.admin, run.n_admin, run.cap_admin);
    char *path = NULL;
    if (asprintf(&path, "%s/%" PRId64 "/", collection, (int64_t)json_integer_value(json_object_get(made, "id"))) < 0) {
        abort();
    }
    run.admin[run.n_admin++] = (admin_object){path};
    return made;
}

/* The collections a COSI call may change, as stored. */
static json_t *state_of(const char *const *collections) {
    json_t *inventory = sim_admin(&run.sim, "GET", "/_sim/inventory", NULL);
    json_t *out = json_object();
    for (size_t i = 0; collections[i]; i++) {
        json_object_set(out, collections[i], json_object_get(inventory, collections[i]));
    }
    json_decref(inventory);
    return out;
}

/* JSON text for a failure message, without key ids (the simulator never answers
 * secrets, but an access key is not printed either). Free with free(). */
static void strip_keys(json_t *j) {
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) strip_keys(v);
    } else if (json_is_object(j)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(j, tmp, k, v) {
            if (strstr(k, "access_key") || strstr(k, "secret")) json_object_set_new(j, k, json_string("(not shown)"));
            else strip_keys(v);
        }
    }
}

static char *printable(const json_t *j) {
    json_t *copy = json_deep_copy(j);
    strip_keys(copy);
    char *text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return text;
}

static const char *const cosi_collections[] = {"views", "quotas", "users", "s3policies", "locals3keys", NULL};

static void expect_same_state(json_t *before, const char *what) {
    json_t *after = state_of(cosi_collections);
    bool same = json_equal(before, after);
    if (!same) {
        const char *name;
        json_t *value;
        json_object_foreach(before, name, value) {
            if (json_equal(value, json_object_get(after, name))) continue;
            char *b = printable(value), *a = printable(json_object_get(after, name));
            print_error("%s: %s changed:\n  before %s\n  after  %s\n", what, name, b ? b : "?", a ? a : "?");
            free(b);
            free(a);
        }
    }
    json_decref(after);
    json_decref(before);
    if (!same) CONF_FAIL("%s changed the simulator", what);
}

/* ---- COSI calls ---- */

typedef Cosi__V1alpha1__DriverCreateBucketRequest__ParametersEntry map_entry;
typedef Cosi__V1alpha1__DriverGrantBucketAccessResponse grant_reply;
typedef Cosi__V1alpha1__DriverGrantBucketAccessRequest__ParametersEntry grant_entry;
#define AUTH_KEY COSI__V1ALPHA1__AUTHENTICATION_TYPE__Key
#define AUTH_IAM COSI__V1ALPHA1__AUTHENTICATION_TYPE__IAM
#define AUTH_UNKNOWN COSI__V1ALPHA1__AUTHENTICATION_TYPE__UnknownAuthenticationType

/* kv (key, value, ..., NULL) as map entries kept for the spec. */
static map_entry **entries_of(const char *const *kv, size_t *n) {
    size_t count = 0;
    while (kv && kv[2 * count]) count++;
    map_entry **list = calloc(count + 1, sizeof *list);
    map_entry *items = calloc(count + 1, sizeof *items);
    if (!list || !items) abort();
    keep_string((char *)list);
    keep_string((char *)items);
    for (size_t i = 0; i < count; i++) {
        map_entry init = COSI__V1ALPHA1__DRIVER_CREATE_BUCKET_REQUEST__PARAMETERS_ENTRY__INIT;
        items[i] = init;
        items[i].key = (char *)kv[2 * i];
        items[i].value = (char *)kv[2 * i + 1];
        list[i] = &items[i];
    }
    *n = count;
    return list;
}

static vk_code call_on(vk_rpc_client *client, const char *path, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp, vk_status *st) {
    ProtobufCMessage *r = NULL;
    vk_code code = vk_rpc_client_call(client, path, req, resp_desc, CALL_TIMEOUT_MS, &r, st);
    if (resp) *resp = r;
    else if (r) protobuf_c_message_free_unpacked(r, NULL);
    return code;
}

static vk_code call(const char *path, const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                    ProtobufCMessage **resp, vk_status *st) {
    ProtobufCMessage *r = NULL;
    vk_code code = call_on(run.client, path, req, resp_desc, &r, st);
    keep_message(r);
    if (resp) *resp = r;
    return code;
}

/* The parameters every bucket of the run gets, then extra (key, value, ..., NULL). */
static const char *const *bucket_params(const char *const *extra) {
    static const char *const base[] = {"root_export", "/k8s", "vip_pool_name", "vast-k8s-pool", "scheme", "https"};
    size_t n_extra = 0;
    while (extra && extra[n_extra]) n_extra++;
    const char **kv = calloc(6 + n_extra + 1, sizeof *kv);
    if (!kv) abort();
    keep_string((char *)kv);
    memcpy(kv, base, sizeof base);
    for (size_t i = 0; i < n_extra; i++) kv[6 + i] = extra[i];
    return kv;
}

static void track(const char *bucket_id, const char *account_id) {
    GROW(run.resources, run.n_resources, run.cap_resources);
    run.resources[run.n_resources++] =
        (resource){strdup(bucket_id), account_id ? strdup(account_id) : NULL};
}

/* DriverCreateBucket with kv as parameters (the run's when NULL); an answered bucket is
 * deleted in the teardown. */
static vk_code create_with(vk_rpc_client *client, const char *name, const char *const *kv,
                           Cosi__V1alpha1__DriverCreateBucketResponse **out, vk_status *st, bool keep) {
    Cosi__V1alpha1__DriverCreateBucketRequest req = COSI__V1ALPHA1__DRIVER_CREATE_BUCKET_REQUEST__INIT;
    req.name = (char *)name;
    req.parameters = entries_of(kv ? kv : bucket_params(NULL), &req.n_parameters);
    ProtobufCMessage *r = NULL;
    vk_code code = call_on(client, PROVISIONER "DriverCreateBucket", &req.base,
                           &cosi__v1alpha1__driver_create_bucket_response__descriptor, &r, st);
    Cosi__V1alpha1__DriverCreateBucketResponse *resp = (Cosi__V1alpha1__DriverCreateBucketResponse *)r;
    if (keep) keep_message(r);
    if (code == VK_OK && resp && resp->bucket_id && *resp->bucket_id && keep) track(resp->bucket_id, NULL);
    if (out) *out = resp;
    return code;
}

static vk_code create(const char *name, const char *const *kv, Cosi__V1alpha1__DriverCreateBucketResponse **out,
                      vk_status *st) {
    return create_with(run.client, name, kv, out, st, true);
}

static Cosi__V1alpha1__DriverCreateBucketResponse *must_create_at(const char *name, const char *const *kv,
                                                                  const char *file, int line) {
    Cosi__V1alpha1__DriverCreateBucketResponse *r = NULL;
    vk_status st;
    conf_expect_code_at(create(name, kv, &r, &st), VK_OK, &st, fmt("DriverCreateBucket %s", name), file, line);
    if (!r || !r->bucket_id || !*r->bucket_id) conf_fail_at(file, line, "DriverCreateBucket %s: empty bucket_id", name);
    return r;
}
#define must_create(name, kv) must_create_at(name, kv, __FILE__, __LINE__)

static vk_code delete_bucket(const char *bucket_id, vk_status *st) {
    Cosi__V1alpha1__DriverDeleteBucketRequest req = COSI__V1ALPHA1__DRIVER_DELETE_BUCKET_REQUEST__INIT;
    req.bucket_id = (char *)bucket_id;
    return call(PROVISIONER "DriverDeleteBucket", &req.base, &cosi__v1alpha1__driver_delete_bucket_response__descriptor,
                NULL, st);
}

static void remember_secrets(const grant_reply *r) {
    for (size_t i = 0; r && i < r->n_credentials; i++) {
        const Cosi__V1alpha1__CredentialDetails *d = r->credentials[i]->value;
        for (size_t j = 0; d && j < d->n_secrets; j++) {
            const char *k = d->secrets[j]->key;
            if (strcmp(k, "accessSecretKey") != 0 && strcmp(k, "accessKeyID") != 0) continue;
            GROW(run.secrets, run.n_secrets, run.cap_secrets);
            run.secrets[run.n_secrets++] = strdup(d->secrets[j]->value);
        }
    }
}

static vk_code grant(const char *bucket_id, const char *name, Cosi__V1alpha1__AuthenticationType auth,
                     const char *const *kv, grant_reply **out, vk_status *st) {
    Cosi__V1alpha1__DriverGrantBucketAccessRequest req = COSI__V1ALPHA1__DRIVER_GRANT_BUCKET_ACCESS_REQUEST__INIT;
    req.bucket_id = (char *)bucket_id;
    req.name = (char *)name;
    req.authentication_type = auth;
    req.parameters = (grant_entry **)entries_of(kv, &req.n_parameters);
    ProtobufCMessage *r = NULL;
    vk_code code = call(PROVISIONER "DriverGrantBucketAccess", &req.base,
                        &cosi__v1alpha1__driver_grant_bucket_access_response__descriptor, &r, st);
    grant_reply *resp = (grant_reply *)r;
    if (code == VK_OK && resp) {
        remember_secrets(resp);
        if (resp->account_id && *resp->account_id) track(bucket_id, resp->account_id);
    }
    if (out) *out = resp;
    return code;
}

static grant_reply *must_grant_at(const char *bucket_id, const char *name,
                                                                      const char *file, int line) {
    grant_reply *r = NULL;
    vk_status st;
    conf_expect_code_at(grant(bucket_id, name, AUTH_KEY, NULL, &r, &st), VK_OK, &st,
                        fmt("DriverGrantBucketAccess %s", name), file, line);
    if (!r || !r->account_id || !*r->account_id) conf_fail_at(file, line, "grant %s: empty account_id", name);
    return r;
}
#define must_grant(bucket_id, name) must_grant_at(bucket_id, name, __FILE__, __LINE__)

static vk_code revoke_access(const char *bucket_id, const char *account_id, vk_status *st) {
    Cosi__V1alpha1__DriverRevokeBucketAccessRequest req = COSI__V1ALPHA1__DRIVER_REVOKE_BUCKET_ACCESS_REQUEST__INIT;
    req.bucket_id = (char *)bucket_id;
    req.account_id = (char *)account_id;
    return call(PROVISIONER "DriverRevokeBucketAccess", &req.base,
                &cosi__v1alpha1__driver_revoke_bucket_access_response__descriptor, NULL, st);
}

/* The secrets map of credentials["s3"], or a failed spec. */
static const Cosi__V1alpha1__CredentialDetails *s3_credentials(const grant_reply *r) {
    if (r->n_credentials != 1) {
        CONF_FAIL("grant: %zu credentials entries, the sidecar wants exactly one", r->n_credentials);
    }
    if (strcmp(r->credentials[0]->key, "s3") != 0) {
        CONF_FAIL("grant: credentials entry \"%s\", not \"s3\"", r->credentials[0]->key);
    }
    if (!r->credentials[0]->value) CONF_FAIL("grant: credentials[\"s3\"] has no details");
    return r->credentials[0]->value;
}

static const char *secret_of(const Cosi__V1alpha1__CredentialDetails *d, const char *key) {
    for (size_t i = 0; i < d->n_secrets; i++) {
        if (strcmp(d->secrets[i]->key, key) == 0) return d->secrets[i]->value;
    }
    return NULL;
}

/* A well-formed bucket id of this driver for path (nothing needs to be there). */
static const char *bucket_id_for(const char *path) {
    return fmt("vb1::%" PRId64 ":%s?pool=vast-k8s-pool&scheme=https&region=us-east-1", run.tenant_id, path);
}

/* An administrator's S3 bucket under /k8s, not made by the driver: a user, a quota
 * and a view. Returns its path. */
static const char *admin_bucket(void) {
    const char *name = unique("admin-dir");
    const char *path = fmt("/k8s/%s", name);
    const char *owner = unique("admin-owner");
    json_decref(admin_create("users", json_pack("{s:s}", "name", owner)));
    json_decref(admin_create("quotas", json_pack("{s:s, s:s, s:b, s:I, s:I}", "name", name, "path", path, "create_dir",
                                                 1, "tenant_id", (json_int_t)run.tenant_id, "hard_limit",
                                                 (json_int_t)1073741824)));
    json_decref(admin_create("views", json_pack("{s:s, s:b, s:[s], s:s, s:s, s:I, s:I}", "path", path, "create_dir", 1,
                                                "protocols", "S3", "bucket", name, "bucket_owner", owner, "policy_id",
                                                (json_int_t)run.s3_policy_id, "tenant_id",
                                                (json_int_t)run.tenant_id)));
    return path;
}

/* ---- specs ---- */

static void identity_driver_get_info(void **state) {
    (void)state;
    Cosi__V1alpha1__DriverGetInfoRequest req = COSI__V1ALPHA1__DRIVER_GET_INFO_REQUEST__INIT;
    Cosi__V1alpha1__DriverGetInfoResponse *r = NULL;
    vk_status st;
    CONF_EXPECT_OK(call(IDENTITY "DriverGetInfo", &req.base, &cosi__v1alpha1__driver_get_info_response__descriptor,
                        (ProtobufCMessage **)&r, &st),
                   &st, "DriverGetInfo");
    assert_non_null(r);
    assert_string_equal(r->name, "cosi.vast-k8s.io");
}

static void unknown_methods_unimplemented(void **state) {
    (void)state;
    vk_status st;
    CONF_EXPECT_CODE(call(PROVISIONER "DriverGetExistingBucket", NULL, NULL, NULL, &st), VK_UNIMPLEMENTED, &st,
                     "a v1alpha2 method");
    CONF_EXPECT_CODE(call("/csi.v1.Identity/Probe", NULL, NULL, NULL, &st), VK_UNIMPLEMENTED, &st,
                     "CSI Probe in cosi mode");
}

static void create_requires_name(void **state) {
    (void)state;
    vk_status st;
    CONF_EXPECT_CODE(create("", NULL, NULL, &st), VK_INVALID_ARGUMENT, &st, "DriverCreateBucket without a name");
    if (!strstr(st.message, "name")) CONF_FAIL("the message does not say what is missing: %s", st.message);
}

static void create_refuses_bad_parameters(void **state) {
    (void)state;
    vk_status st;
    const char *name = unique("bucket");
    const char *const unknown[] = {"colour", "blue", NULL};
    CONF_EXPECT_CODE(create(name, bucket_params(unknown), NULL, &st), VK_INVALID_ARGUMENT, &st, "unknown parameter");
    if (!strstr(st.message, "colour")) CONF_FAIL("the message does not name the parameter: %s", st.message);
    const char *const no_root[] = {"vip_pool_name", "vast-k8s-pool", NULL};
    CONF_EXPECT_CODE(create(name, no_root, NULL, &st), VK_INVALID_ARGUMENT, &st, "without root_export");
    const char *const bad_quota[] = {"quota", "lots", NULL};
    CONF_EXPECT_CODE(create(name, bucket_params(bad_quota), NULL, &st), VK_INVALID_ARGUMENT, &st, "quota=lots");
    json_t *views = sim_vms("GET", fmt("views/?bucket=%s", name), NULL);
    size_t n = json_array_size(views);
    json_decref(views);
    if (n) CONF_FAIL("a refused create left %zu view(s) for %s", n, name);
}

static void create_replay_same_bucket(void **state) {
    (void)state;
    const char *name = unique("bucket");
    Cosi__V1alpha1__DriverCreateBucketResponse *first = must_create(name, NULL);
    if (!first->bucket_info || first->bucket_info->type_case != COSI__V1ALPHA1__PROTOCOL__TYPE_S3 ||
        !first->bucket_info->s3) {
        CONF_FAIL("bucket_info is not S3");
    }
    assert_int_equal(first->bucket_info->s3->signature_version, COSI__V1ALPHA1__S3_SIGNATURE_VERSION__S3V4);
    if (!first->bucket_info->s3->region || !*first->bucket_info->s3->region) CONF_FAIL("bucket_info.s3 has no region");
    for (int i = 0; i < REPLAYS; i++) {
        Cosi__V1alpha1__DriverCreateBucketResponse *again = must_create(name, NULL);
        if (strcmp(again->bucket_id, first->bucket_id) != 0) {
            CONF_FAIL("replay %d answered bucket_id %s, the first call %s", i + 1, again->bucket_id, first->bucket_id);
        }
    }
    json_t *views = sim_vms("GET", fmt("views/?bucket=%s", name), NULL);
    size_t n = json_array_size(views);
    json_decref(views);
    if (n != 1) CONF_FAIL("%zu views for bucket %s after %d replays, want 1", n, name, REPLAYS);
}

static void create_conflicting_parameters_already_exists(void **state) {
    (void)state;
    const char *name = unique("bucket");
    const char *const one[] = {"quota", "1Gi", NULL};
    const char *const two[] = {"quota", "2Gi", NULL};
    must_create(name, bucket_params(one));
    vk_status st;
    CONF_EXPECT_CODE(create(name, bucket_params(two), NULL, &st), VK_ALREADY_EXISTS, &st,
                     "same name, another quota");
    must_create(name, bucket_params(one)); /* the original parameters still replay */
}

static void create_concurrent_duplicates(void **state);

static void delete_requires_bucket_id(void **state) {
    (void)state;
    vk_status st;
    CONF_EXPECT_CODE(delete_bucket("", &st), VK_INVALID_ARGUMENT, &st, "DriverDeleteBucket without bucket_id");
}

static void delete_unknown_or_forged_ok_and_untouched(void **state) {
    (void)state;
    const char *admin = admin_bucket();
    json_t *before = state_of(cosi_collections);
    vk_status st;
    const char *ids[] = {
        "not-a-bucket-id",
        bucket_id_for(fmt("/k8s/%s", unique("bucket-never-made"))),
        bucket_id_for(admin),                                      /* an administrator's bucket */
        bucket_id_for("/k8s"),                                     /* the root itself */
        fmt("vb1::%" PRId64 ":/elsewhere/b1?pool=p&scheme=https&region=r", run.tenant_id), /* outside the roots */
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        CONF_EXPECT_OK(delete_bucket(ids[i], &st), &st, fmt("DriverDeleteBucket %s", ids[i]));
    }
    expect_same_state(before, "deleting unknown and forged bucket ids");
}

static void delete_twice_ok(void **state) {
    (void)state;
    const char *name = unique("bucket");
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(name, NULL);
    vk_status st;
    CONF_EXPECT_OK(delete_bucket(made->bucket_id, &st), &st, "DriverDeleteBucket");
    CONF_EXPECT_OK(delete_bucket(made->bucket_id, &st), &st, "DriverDeleteBucket again");
    json_t *views = sim_vms("GET", fmt("views/?bucket=%s", name), NULL);
    size_t n = json_array_size(views);
    json_decref(views);
    if (n) CONF_FAIL("bucket %s still has %zu view(s) after DriverDeleteBucket", name, n);
    json_t *quotas = sim_vms("GET", fmt("quotas/?path=/k8s/%s", name), NULL);
    n = json_array_size(quotas);
    json_decref(quotas);
    if (n) CONF_FAIL("bucket %s still has its quota after DriverDeleteBucket", name);
}

static void grant_requires_fields(void **state) {
    (void)state;
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(unique("bucket"), NULL);
    vk_status st;
    CONF_EXPECT_CODE(grant("", unique("ba"), AUTH_KEY, NULL, NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "grant without bucket_id");
    CONF_EXPECT_CODE(grant(made->bucket_id, "", AUTH_KEY, NULL, NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "grant without name");
    const char *const unknown[] = {"colour", "blue", NULL};
    CONF_EXPECT_CODE(grant(made->bucket_id, unique("ba"), AUTH_KEY, unknown, NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "grant with an unknown parameter");
}

static void grant_iam_and_unknown_auth_invalid(void **state) {
    (void)state;
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(unique("bucket"), NULL);
    json_t *before = state_of(cosi_collections);
    vk_status st;
    CONF_EXPECT_CODE(grant(made->bucket_id, unique("ba"), AUTH_IAM, NULL, NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "IAM");
    if (!strstr(st.message, "IAM authentication is not supported") || !strstr(st.message, "authenticationType Key")) {
        CONF_FAIL("the IAM refusal does not say what to do: %s", st.message);
    }
    CONF_EXPECT_CODE(grant(made->bucket_id, unique("ba"), AUTH_UNKNOWN,
                           NULL, NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "UnknownAuthenticationType");
    expect_same_state(before, "refused grants");
}

static void grant_forged_bucket_not_found(void **state) {
    (void)state;
    const char *admin = admin_bucket();
    json_t *before = state_of(cosi_collections);
    vk_status st;
    CONF_EXPECT_CODE(grant(bucket_id_for(admin), unique("ba"), AUTH_KEY, NULL, NULL, &st),
                     VK_NOT_FOUND, &st, "grant on an administrator's bucket");
    CONF_EXPECT_CODE(grant(bucket_id_for(fmt("/k8s/%s", unique("bucket-never-made"))), unique("ba"),
                           AUTH_KEY, NULL, NULL, &st),
                     VK_NOT_FOUND, &st, "grant on a bucket that does not exist");
    CONF_EXPECT_CODE(grant("not-a-bucket-id", unique("ba"), AUTH_KEY, NULL, NULL, &st),
                     VK_NOT_FOUND, &st, "grant on a malformed bucket id");
    expect_same_state(before, "grants on forged bucket ids");
}

static void grant_replay_one_key(void **state) {
    (void)state;
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(unique("bucket"), NULL);
    const char *name = unique("ba");
    grant_reply *last = NULL;
    const char *account = NULL;
    for (int i = 0; i <= REPLAYS; i++) {
        last = must_grant(made->bucket_id, name);
        if (account && strcmp(account, last->account_id) != 0) {
            CONF_FAIL("replay %d answered account_id %s, the first %s", i, last->account_id, account);
        }
        account = last->account_id;
        const Cosi__V1alpha1__CredentialDetails *s3 = s3_credentials(last);
        static const char *const keys[] = {"accessKeyID", "accessSecretKey", "endpoint", "region"};
        for (size_t k = 0; k < 4; k++) {
            const char *v = secret_of(s3, keys[k]);
            if (!v || !*v) CONF_FAIL("grant: credentials[\"s3\"] lacks %s", keys[k]);
        }
        if (s3->n_secrets != 4) CONF_FAIL("grant: credentials[\"s3\"] has %zu entries, want 4", s3->n_secrets);
        /* the seeded pool (127.0.0.10-13) with scheme https, and the default region */
        const char *endpoint = secret_of(s3, "endpoint");
        if (strncmp(endpoint, "https://127.0.0.1", 17) != 0) {
            CONF_FAIL("grant: endpoint %s is not a VIP of the pool", endpoint);
        }
        if (strcmp(secret_of(s3, "region"), "us-east-1") != 0) CONF_FAIL("grant: region %s", secret_of(s3, "region"));
    }
    int64_t user = id_of_named("users", account);
    if (!user) CONF_FAIL("no VMS user named %s after the grant", account);
    json_t *keys = sim_vms("GET", fmt("locals3keys/?user_id=%" PRId64, user), NULL);
    size_t n = json_array_size(keys);
    const char *key = json_string_value(json_object_get(json_array_get(keys, 0), "access_key"));
    bool latest = key && strcmp(key, secret_of(s3_credentials(last), "accessKeyID")) == 0;
    json_decref(keys);
    if (n != 1) CONF_FAIL("user %s has %zu S3 keys after %d replayed grants, want 1", account, n, REPLAYS);
    if (!latest) CONF_FAIL("user %s's one key is not the one the last grant answered", account);
}

/* The same account asked again with another access mode: a real conflict. */
static void grant_other_mode_already_exists(void **state) {
    (void)state;
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(unique("bucket"), NULL);
    const char *name = unique("ba");
    const char *const read_only[] = {"access_mode", "ReadOnly", NULL};
    const char *const read_write[] = {"access_mode", "ReadWrite", NULL};
    grant_reply *g = NULL;
    vk_status st;
    CONF_EXPECT_OK(grant(made->bucket_id, name, AUTH_KEY, read_only, &g, &st), &st,
                   "grant ReadOnly");
    CONF_EXPECT_CODE(grant(made->bucket_id, name, AUTH_KEY, read_write, NULL, &st),
                     VK_ALREADY_EXISTS, &st, "the same account again, ReadWrite");
    CONF_EXPECT_OK(grant(made->bucket_id, name, AUTH_KEY, read_only, NULL, &st), &st,
                   "the same account again, ReadOnly");
    const char *const bad_mode[] = {"access_mode", "WriteOnly", NULL};
    CONF_EXPECT_CODE(grant(made->bucket_id, unique("ba"), AUTH_KEY, bad_mode, NULL, &st),
                     VK_INVALID_ARGUMENT, &st, "access_mode=WriteOnly");
}

static void revoke_requires_fields(void **state) {
    (void)state;
    vk_status st;
    CONF_EXPECT_CODE(revoke_access("", "ba-x", &st), VK_INVALID_ARGUMENT, &st, "revoke without bucket_id");
    CONF_EXPECT_CODE(revoke_access(bucket_id_for("/k8s/bucket-x1"), "", &st), VK_INVALID_ARGUMENT, &st,
                     "revoke without account_id");
}

static void revoke_twice_ok(void **state) {
    (void)state;
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(unique("bucket"), NULL);
    grant_reply *g = must_grant(made->bucket_id, unique("ba"));
    vk_status st;
    CONF_EXPECT_OK(revoke_access(made->bucket_id, g->account_id, &st), &st, "DriverRevokeBucketAccess");
    CONF_EXPECT_OK(revoke_access(made->bucket_id, g->account_id, &st), &st, "DriverRevokeBucketAccess again");
    if (id_of_named("users", g->account_id)) CONF_FAIL("user %s is still there after the revoke", g->account_id);
    if (id_of_named("s3policies", g->account_id)) {
        CONF_FAIL("S3 policy %s is still there after the revoke", g->account_id);
    }
}

static void revoke_foreign_account_ok_and_untouched(void **state) {
    (void)state;
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(unique("bucket"), NULL);
    const char *stranger = unique("admin-user");
    json_decref(admin_create("users", json_pack("{s:s}", "name", stranger)));
    json_t *before = state_of(cosi_collections);
    vk_status st;
    CONF_EXPECT_OK(revoke_access(made->bucket_id, stranger, &st), &st, "revoke of an administrator's user");
    CONF_EXPECT_OK(revoke_access(made->bucket_id, "admin", &st), &st, "revoke of \"admin\"");
    CONF_EXPECT_OK(revoke_access("not-a-bucket-id", stranger, &st), &st, "revoke on a malformed bucket id");
    expect_same_state(before, "revokes of accounts the driver did not make");
}

/* Revoke after the bucket is gone: the sidecar may delete in either order. */
static void revoke_after_delete_ok(void **state) {
    (void)state;
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(unique("bucket"), NULL);
    grant_reply *g = must_grant(made->bucket_id, unique("ba"));
    vk_status st;
    CONF_EXPECT_OK(delete_bucket(made->bucket_id, &st), &st, "DriverDeleteBucket with an access left");
    CONF_EXPECT_CODE(grant(made->bucket_id, unique("ba"), AUTH_KEY, NULL, NULL, &st),
                     VK_NOT_FOUND, &st, "grant on a deleted bucket");
    CONF_EXPECT_OK(revoke_access(made->bucket_id, g->account_id, &st), &st, "revoke after the bucket's delete");
    if (id_of_named("users", g->account_id)) CONF_FAIL("user %s is still there after the revoke", g->account_id);
}

/* ---- failures that must leave nothing behind and say what happened ---- */

/* A grant that is refused (here: the bucket's VIP pool was deleted after the bucket
 * was made) must not leave a user, its policy or an active key whose secret nobody was
 * told: the sidecar never revokes an access it was not granted. A class naming a pool
 * that does not exist is refused at create already. */
static void grant_failure_leaves_nothing(void **state) {
    (void)state;
    const char *const missing[] = {"root_export", "/k8s", "vip_pool_name", "nope-pool", "scheme", "https", NULL};
    vk_status st;
    CONF_EXPECT_CODE(create(unique("bucket"), missing, NULL, &st), VK_INVALID_ARGUMENT, &st,
                     "create with a VIP pool that does not exist");
    const char *pool = unique("pool");
    json_t *made_pool = sim_vms("POST", "vippools/",
                                 json_pack("{s:s, s:I, s:s, s:[[s,s]], s:i}", "name", pool, "tenant_id",
                                           (json_int_t)run.tenant_id, "role", "PROTOCOLS", "ip_ranges", "127.0.0.20",
                                           "127.0.0.20", "subnet_cidr", 8));
    int64_t pool_id = json_integer_value(json_object_get(made_pool, "id"));
    json_decref(made_pool);
    const char *const kv[] = {"root_export", "/k8s", "vip_pool_name", pool, "scheme", "https", NULL};
    Cosi__V1alpha1__DriverCreateBucketResponse *made = must_create(unique("bucket"), kv);
    json_decref(sim_vms("DELETE", fmt("vippools/%" PRId64 "/", pool_id), NULL));
    static const char *const access_collections[] = {"users", "s3policies", "locals3keys", NULL};
    json_t *before = state_of(access_collections);
    /* the pool is cached for --cache-ttl: the conformance plugin runs with a short one */
    vk_sleep_ms(COSI_CACHE_TTL_MS + 200);
    CONF_EXPECT_CODE(grant(made->bucket_id, unique("ba"), AUTH_KEY, NULL, NULL, &st), VK_FAILED_PRECONDITION, &st,
                     "grant with the bucket's VIP pool gone");
    json_t *after = state_of(access_collections);
    bool same = json_equal(before, after);
    json_decref(after);
    json_decref(before);
    if (!same) CONF_FAIL("the refused grant left a user, S3 policy or key on VMS");
}

/* Text a lower layer quoted must come through once and whole. */
static void expect_readable(const vk_status *st, const char *what) {
    const char *first = strstr(st->message, "cannot be reached");
    if (!first) CONF_FAIL("%s: the message does not say the cluster cannot be reached: %s", what, st->message);
    if (strstr(first + 1, "cannot be reached")) CONF_FAIL("%s: the message is garbled: %s", what, st->message);
}

static void unreachable_cluster_message_readable(void **state) {
    (void)state;
    const char *id = "vb1:other:2:/k8s/bucket-elsewhere?pool=p&scheme=https&region=us-east-1";
    vk_status st;
    CONF_EXPECT_CODE(delete_bucket(id, &st), VK_FAILED_PRECONDITION, &st, "delete on a cluster the driver cannot reach");
    expect_readable(&st, "DriverDeleteBucket");
    CONF_EXPECT_CODE(grant(id, unique("ba"), AUTH_KEY, NULL, NULL, &st), VK_NOT_FOUND, &st,
                     "grant on a cluster the driver cannot reach");
    expect_readable(&st, "DriverGrantBucketAccess");
}

/* ---- concurrent duplicates ---- */

typedef struct {
    const char *name;
    const char *const *params;
    pthread_barrier_t *start;
    vk_code code;
    char bucket_id[VAST_BUCKET_ID_MAX + 1];
    char message[VK_STATUS_MESSAGE_MAX];
} racer;

static void *race(void *arg) {
    racer *r = arg;
    vk_rpc_client *client = vk_rpc_client_new(&run.endpoint);
    pthread_barrier_wait(r->start);
    Cosi__V1alpha1__DriverCreateBucketRequest req = COSI__V1ALPHA1__DRIVER_CREATE_BUCKET_REQUEST__INIT;
    req.name = (char *)r->name;
    map_entry items[16], *list[16];
    size_t n = 0;
    for (; r->params[2 * n] && n < 16; n++) {
        map_entry init = COSI__V1ALPHA1__DRIVER_CREATE_BUCKET_REQUEST__PARAMETERS_ENTRY__INIT;
        items[n] = init;
        items[n].key = (char *)r->params[2 * n];
        items[n].value = (char *)r->params[2 * n + 1];
        list[n] = &items[n];
    }
    req.parameters = list;
    req.n_parameters = n;
    ProtobufCMessage *resp = NULL;
    vk_status st = {0};
    r->code = call_on(client, PROVISIONER "DriverCreateBucket", &req.base,
                      &cosi__v1alpha1__driver_create_bucket_response__descriptor, &resp, &st);
    snprintf(r->message, sizeof r->message, "%s", st.message);
    if (resp) {
        snprintf(r->bucket_id, sizeof r->bucket_id, "%s",
                 ((Cosi__V1alpha1__DriverCreateBucketResponse *)resp)->bucket_id);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    vk_rpc_client_free(client);
    return NULL;
}

static void create_concurrent_duplicates(void **state) {
    (void)state;
    const char *name = unique("bucket-race");
    const char *const *params = bucket_params(NULL);
    racer *racers = calloc(RACERS, sizeof *racers);
    if (!racers) abort();
    keep_string((char *)racers);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, RACERS);
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (racer){.name = name, .params = params, .start = &start};
        if (pthread_create(&threads[i], NULL, race, &racers[i]) != 0) abort();
    }
    for (int i = 0; i < RACERS; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    const char *id = NULL;
    int ok = 0, aborted = 0;
    for (int i = 0; i < RACERS; i++) {
        if (racers[i].code == VK_OK) {
            if (!ok) track(racers[i].bucket_id, NULL);
            if (id && strcmp(id, racers[i].bucket_id) != 0) {
                CONF_FAIL("two concurrent creates of %s answered bucket ids %s and %s", name, id, racers[i].bucket_id);
            }
            id = racers[i].bucket_id;
            ok++;
        } else if (racers[i].code == VK_ABORTED) {
            aborted++;
        } else {
            CONF_FAIL("concurrent create %d of %s: %s: %s (want OK or ABORTED)", i, name,
                      vk_status_name(racers[i].code), racers[i].message);
        }
    }
    print_message("%d concurrent creates of one name: %d OK, %d ABORTED\n", RACERS, ok, aborted);
    if (!ok) {
        /* every one lost the race: a retry, as the sidecar makes, must succeed */
        must_create(name, params);
    }
    json_t *views = sim_vms("GET", fmt("views/?bucket=%s", name), NULL);
    size_t n = json_array_size(views);
    json_decref(views);
    if (n != 1) CONF_FAIL("%zu views for bucket %s after %d concurrent creates, want exactly 1", n, name, RACERS);
    json_t *quotas = sim_vms("GET", fmt("quotas/?path=/k8s/%s", name), NULL);
    n = json_array_size(quotas);
    json_decref(quotas);
    if (n != 1) CONF_FAIL("%zu quotas for bucket %s after %d concurrent creates, want exactly 1", n, name, RACERS);
}

/* ---- the last spec: nothing left, no secret logged ---- */

static bool under_root(const char *path) { return path && strncmp(path, "/k8s/", 5) == 0; }

static void nothing_left(void **state) {
    (void)state;
    int left = 0;
    json_t *now = state_of(cosi_collections);
    static const char *const by_path[] = {"views", "quotas"};
    for (size_t c = 0; c < 2; c++) {
        size_t i;
        json_t *obj;
        json_array_foreach(json_object_get(now, by_path[c]), i, obj) {
            if (!under_root(json_string_value(json_object_get(obj, "path")))) continue;
            char *text = printable(obj);
            print_error("left on VMS: %s %s\n", by_path[c], text ? text : "?");
            free(text);
            left++;
        }
    }
    static const char *const by_set[] = {"users", "s3policies", "locals3keys"};
    for (size_t c = 0; c < 3; c++) {
        json_t *then = json_object_get(run.before, by_set[c]), *after = json_object_get(now, by_set[c]);
        if (json_equal(then, after)) continue;
        char *text = printable(after);
        print_error("left on VMS: %s differ from the start of the run: %s\n", by_set[c], text ? text : "?");
        free(text);
        left++;
    }
    json_decref(now);
    char *log = sim_read_file(run.log);
    size_t leaked = 0;
    for (size_t i = 0; log && i < run.n_secrets; i++) {
        if (strstr(log, run.secrets[i])) leaked++;
    }
    bool redacted = log && strstr(log, "***stripped***") != NULL;
    free(log);
    if (leaked) CONF_FAIL("%zu of the %zu keys granted in this run appear in the driver's log", leaked, run.n_secrets);
    if (!run.n_secrets || !redacted) {
        CONF_FAIL("the log check proves nothing: %zu keys granted, redacted replies in the log: %s", run.n_secrets,
                  redacted ? "yes" : "no");
    }
    if (left) CONF_FAIL("%d kind(s) of object of this run are still on VMS after every spec's cleanup", left);
}

/* ---- per spec ---- */

static int spec_setup(void **state) {
    conf.spec = *state;
    return 0;
}

static int spec_teardown(void **state) {
    (void)state;
    int errors = 0;
    vk_status st;
    for (size_t i = run.n_resources; i-- > 0;) {
        const resource *r = &run.resources[i];
        vk_code code =
            r->account_id ? revoke_access(r->bucket_id, r->account_id, &st) : delete_bucket(r->bucket_id, &st);
        if (code != VK_OK) {
            print_error("cleanup: %s %s%s%s: %s: %s\n",
                        r->account_id ? "DriverRevokeBucketAccess" : "DriverDeleteBucket", r->bucket_id,
                        r->account_id ? " account " : "", r->account_id ? r->account_id : "", vk_status_name(code),
                        st.message);
            errors++;
        }
    }
    for (size_t i = run.n_admin; i-- > 0;) {
        json_t *out = NULL;
        vms_error err;
        if (!vms_request(run.vms, "DELETE", run.admin[i].path, NULL, 0, vk_deadline_in(20000), &out, &err)) {
            print_error("cleanup: VMS DELETE %s: %s\n", run.admin[i].path, err.message);
            errors++;
        }
        json_decref(out);
        free(run.admin[i].path);
    }
    for (size_t i = 0; i < run.n_resources; i++) {
        free(run.resources[i].bucket_id);
        free(run.resources[i].account_id);
    }
    for (size_t i = 0; i < run.n_messages; i++) protobuf_c_message_free_unpacked(run.messages[i], NULL);
    for (size_t i = 0; i < run.n_strings; i++) free(run.strings[i]);
    free(run.resources);
    free(run.admin);
    free(run.messages);
    free(run.strings);
    run.resources = NULL;
    run.admin = NULL;
    run.messages = NULL;
    run.strings = NULL;
    run.n_resources = run.cap_resources = run.n_admin = run.cap_admin = 0;
    run.n_messages = run.cap_messages = run.n_strings = run.cap_strings = 0;
    if (errors) print_error("%s: cleanup failed (%d error(s))\n", conf.spec, errors);
    conf.spec = NULL;
    return errors ? -1 : 0;
}

/* ---- the plugin ---- */

static void print_log_tail(void) {
    char *text = sim_read_file(run.log);
    if (!text) return;
    size_t len = strlen(text);
    fprintf(stderr, "--- vast-csi log (tail) ---\n%s\n", len > 4000 ? text + len - 4000 : text);
    free(text);
}

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The environment without the plugin's own settings, which would change what starts. */
static char **plugin_env(void) {
    size_t n = 0;
    while (environ[n]) n++;
    char **envp = calloc(n + 1, sizeof *envp);
    if (!envp) abort();
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = environ[i];
        if (strncmp(v, "X_CSI_", 6) == 0 || strncmp(v, "CSI_ENDPOINT=", 13) == 0 ||
            strncmp(v, "COSI_ENDPOINT=", 14) == 0 || strncmp(v, "VAST_CSI_FAULTS=", 16) == 0) {
            continue;
        }
        envp[e++] = (char *)v;
    }
    return envp;
}

static bool plugin_start(void) {
    const char *binary = getenv("VAST_CSI");
    if (!binary || !*binary) {
        fprintf(stderr, "VAST_CSI is not set (CMake sets it to the built vast-csi)\n");
        return false;
    }
    vk_status st;
    if (!vk_endpoint_parse(run.endpoint_text, &run.endpoint, &st)) {
        fprintf(stderr, "%s: %s\n", run.endpoint_text, st.message);
        return false;
    }
    const char *argv[] = {binary, "--mode", "cosi", "--endpoint", run.endpoint_text, "--vms-secret-dir",
                          run.secret_dir, "--log-level", "debug", "--cache-ttl", COSI_CACHE_TTL_TEXT, NULL};
    char **envp = plugin_env();
    run.plugin = fork();
    if (run.plugin == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(run.log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execve(binary, (char *const *)argv, envp);
        _exit(127);
    }
    free(envp);
    if (run.plugin < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        run.plugin = 0;
        return false;
    }
    vk_code code = VK_UNAVAILABLE;
    for (int64_t t0 = vk_now_ms(); vk_now_ms() - t0 < READY_WAIT_MS; sleep_ms(50)) {
        int status;
        if (waitpid(run.plugin, &status, WNOHANG) == run.plugin) {
            run.plugin = 0;
            print_log_tail();
            fprintf(stderr, "vast-csi --mode cosi exited during start-up (status 0x%x)\n", status);
            return false;
        }
        vk_rpc_client *probe = vk_rpc_client_new(&run.endpoint);
        ProtobufCMessage *resp = NULL;
        code = vk_rpc_client_call(probe, IDENTITY "DriverGetInfo", NULL,
                                  &cosi__v1alpha1__driver_get_info_response__descriptor, 1000, &resp, &st);
        if (resp) protobuf_c_message_free_unpacked(resp, NULL);
        vk_rpc_client_free(probe);
        if (code == VK_OK) {
            run.client = vk_rpc_client_new(&run.endpoint);
            return true;
        }
    }
    print_log_tail();
    fprintf(stderr, "vast-csi --mode cosi did not answer DriverGetInfo within %d ms: %s: %s\n", READY_WAIT_MS,
            vk_status_name(code), st.message);
    return false;
}

static bool plugin_stop(void) {
    if (run.client) vk_rpc_client_free(run.client);
    run.client = NULL;
    if (run.plugin <= 0) return true;
    kill(run.plugin, SIGTERM);
    int status = 0;
    bool exited = false;
    for (int64_t t0 = vk_now_ms(); vk_now_ms() - t0 < STOP_WAIT_MS; sleep_ms(10)) {
        if (waitpid(run.plugin, &status, WNOHANG) == run.plugin) {
            exited = true;
            break;
        }
    }
    if (!exited) {
        kill(run.plugin, SIGKILL);
        waitpid(run.plugin, &status, 0);
    }
    run.plugin = 0;
    bool clean = exited && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean) {
        print_log_tail();
        fprintf(stderr, "vast-csi %s after SIGTERM (status 0x%x)\n", exited ? "did not exit 0" : "did not stop",
                status);
    }
    return clean;
}

/* ---- the group ---- */

static int64_t seeded_id(const char *collection, const char *name) {
    json_t *list = NULL;
    vms_error err;
    char path[128];
    snprintf(path, sizeof path, "%s/?name=%s", collection, name);
    if (!vms_get(run.vms, path, vk_deadline_in(20000), &list, &err)) {
        fprintf(stderr, "VMS GET %s: %s\n", path, err.message);
        return 0;
    }
    int64_t id = json_integer_value(json_object_get(json_array_get(list, 0), "id"));
    json_decref(list);
    return id;
}

static int group_setup(void **state) {
    (void)state;
    if (!tc_run_dir_make(run.dir, sizeof run.dir, "conformance-cosi")) return -1;
    snprintf(run.endpoint_text, sizeof run.endpoint_text, "unix://%s/cosi.sock", run.dir);
    snprintf(run.secret_dir, sizeof run.secret_dir, "%s/secret", run.dir);
    snprintf(run.log, sizeof run.log, "%s/vast-csi.log", run.dir);
    unsigned char b[8];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) return -1;
    for (size_t i = 0; i < sizeof b; i++) sprintf(run.suffix + 2 * i, "%02x", b[i]);

    sim_options options = {.http = true, .https = true, .seed = true};
    sim_start(&run.sim, &options);
    run.sim_started = true;
    vms_config cfg = sim_client_config(&run.sim);
    run.vms = sim_client(&cfg);
    run.tenant_id = seeded_id("tenants", "vast-k8s");
    run.s3_policy_id = seeded_id("viewpolicies", "s3_default_policy");
    if (!run.tenant_id || !run.s3_policy_id) {
        fprintf(stderr, "the seeded tenant vast-k8s or view policy s3_default_policy is missing\n");
        return -1;
    }
    static const char *const kept[] = {"users", "s3policies", "locals3keys", NULL};
    run.before = state_of(kept);
    if (!tc_write_secret_dir(run.secret_dir, &run.sim, "admin", "123456")) return -1;
    if (!plugin_start()) return -1;
    print_message("conformance.cosi: vast-csi --mode cosi on %s, vms-sim on https://127.0.0.1:%d, names end in %s-N\n",
                  run.endpoint_text, run.sim.https_port, run.suffix);
    fflush(stdout);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    int rc = plugin_stop() ? 0 : -1;
    if (run.vms) vms_client_free(run.vms);
    run.vms = NULL;
    json_decref(run.before);
    run.before = NULL;
    for (size_t i = 0; i < run.n_secrets; i++) {
        explicit_bzero(run.secrets[i], strlen(run.secrets[i]));
        free(run.secrets[i]);
    }
    free(run.secrets);
    run.secrets = NULL;
    run.n_secrets = run.cap_secrets = 0;
    if (run.sim_started) sim_stop(&run.sim);
    run.sim_started = false;
    tc_run_dir_finish(run.dir, "CONFORMANCE_KEEP");
    return rc;
}

#define COSI_SPEC(name, fn) {name, fn, spec_setup, spec_teardown, (void *)(name)}

int main(void) {
    static const struct CMUnitTest specs[] = {
        COSI_SPEC("Identity DriverGetInfo answers the COSI driver name", identity_driver_get_info),
        COSI_SPEC("Methods not served (v1alpha2, CSI) are UNIMPLEMENTED", unknown_methods_unimplemented),
        COSI_SPEC("DriverCreateBucket without name is INVALID_ARGUMENT", create_requires_name),
        COSI_SPEC("DriverCreateBucket with an unknown or malformed parameter is INVALID_ARGUMENT",
                  create_refuses_bad_parameters),
        COSI_SPEC("DriverCreateBucket replayed is OK with the same bucket_id and one view", create_replay_same_bucket),
        COSI_SPEC("DriverCreateBucket of a name with other parameters is ALREADY_EXISTS",
                  create_conflicting_parameters_already_exists),
        COSI_SPEC("DriverCreateBucket concurrent duplicates are OK or ABORTED and make one bucket",
                  create_concurrent_duplicates),
        COSI_SPEC("DriverDeleteBucket without bucket_id is INVALID_ARGUMENT", delete_requires_bucket_id),
        COSI_SPEC("DriverDeleteBucket of unknown or forged ids is OK and changes nothing",
                  delete_unknown_or_forged_ok_and_untouched),
        COSI_SPEC("DriverDeleteBucket twice is OK and removes view and quota", delete_twice_ok),
        COSI_SPEC("DriverGrantBucketAccess without bucket_id or name, or with an unknown parameter, is "
                  "INVALID_ARGUMENT",
                  grant_requires_fields),
        COSI_SPEC("DriverGrantBucketAccess with IAM or UnknownAuthenticationType is INVALID_ARGUMENT",
                  grant_iam_and_unknown_auth_invalid),
        COSI_SPEC("DriverGrantBucketAccess on a forged bucket_id is NOT_FOUND and changes nothing",
                  grant_forged_bucket_not_found),
        COSI_SPEC("DriverGrantBucketAccess replayed is OK, one s3 credential, and the user keeps one key",
                  grant_replay_one_key),
        COSI_SPEC("DriverGrantBucketAccess of an account with another access_mode is ALREADY_EXISTS",
                  grant_other_mode_already_exists),
        COSI_SPEC("DriverRevokeBucketAccess without bucket_id or account_id is INVALID_ARGUMENT",
                  revoke_requires_fields),
        COSI_SPEC("DriverRevokeBucketAccess twice is OK and removes user and policy", revoke_twice_ok),
        COSI_SPEC("DriverRevokeBucketAccess of an account the driver did not make is OK and changes nothing",
                  revoke_foreign_account_ok_and_untouched),
        COSI_SPEC("DriverRevokeBucketAccess after the bucket's delete is OK", revoke_after_delete_ok),
        COSI_SPEC("DriverGrantBucketAccess refused midway leaves no user, policy or key", grant_failure_leaves_nothing),
        COSI_SPEC("Messages about an unreachable cluster are whole", unreachable_cluster_message_readable),
        COSI_SPEC("(conformance) no bucket, quota, user, policy or key of the run is left; no key in the log",
                  nothing_left),
    };
    grpc_init();
    int failed = _cmocka_run_group_tests("COSI Provisioner", specs, sizeof specs / sizeof specs[0], group_setup,
                                         group_teardown);
    grpc_shutdown_blocking();
    return failed;
}
