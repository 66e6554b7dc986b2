/* COSI v1alpha1 (cosi.v1alpha1.Identity and .Provisioner) over the VAST bucket layer
 * (vk/vast_bucket.h): each handler checks the request, calls one backend operation with
 * the driver's default cluster (COSI calls carry no secrets: --vms-secret-dir is
 * required in cosi mode), and builds the reply. The backend's vk_status code is the
 * gRPC code as is.
 *
 * Credentials leave the process only in the Grant reply: the backend's copy is wiped
 * as soon as the reply message holds its own, and the rpc layer's request/response
 * logging redacts by field name ("credentials", "secrets", "...secret..."). */
#include "driver.h"
#include "csi_map.h"

#include "vk/vast_bucket.h"

#include "cosi.pb-c.h"

#include <stdio.h>
#include <string.h>

/* Secrets for the backend: none, so it takes the cluster of --vms-secret-dir. */
static const vk_strmap no_secrets = {NULL, 0, 0};

/* ---- Identity (fast lane) ---- */

static vk_code driver_get_info(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    (void)request;
    csi_driver *driver = vk_rpc_call_user(call);
    Cosi__V1alpha1__DriverGetInfoResponse *r =
        vk_rpc_new_message(call, &cosi__v1alpha1__driver_get_info_response__descriptor);
    r->name = driver->options.driver_name;
    *response = &r->base;
    return VK_OK;
}

/* ---- Provisioner (worker lane) ---- */

static vk_code create_bucket(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Cosi__V1alpha1__DriverCreateBucketRequest *req = (const Cosi__V1alpha1__DriverCreateBucketRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    if (!*req->name) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT,
                           "DriverCreateBucket: name is required (the Bucket object's name)");
    }
    vk_status st;
    vast_bucket_result made;
    vk_code code = vast_bucket_create(&driver->vast, req->name, CSI_MAP(req, parameters), no_secrets,
                                      csi_call_deadline(driver, call), &made, &st);
    if (code != VK_OK) return vk_rpc_fail(call, code, "DriverCreateBucket %s: %s", req->name, st.message);

    Cosi__V1alpha1__DriverCreateBucketResponse *r =
        vk_rpc_new_message(call, &cosi__v1alpha1__driver_create_bucket_response__descriptor);
    r->bucket_id = vk_rpc_strdup(call, made.bucket_id);
    Cosi__V1alpha1__S3 *s3 = vk_rpc_new_message(call, &cosi__v1alpha1__s3__descriptor);
    s3->region = vk_rpc_strdup(call, made.region);
    s3->signature_version = COSI__V1ALPHA1__S3_SIGNATURE_VERSION__S3V4;
    Cosi__V1alpha1__Protocol *info = vk_rpc_new_message(call, &cosi__v1alpha1__protocol__descriptor);
    info->type_case = COSI__V1ALPHA1__PROTOCOL__TYPE_S3;
    info->s3 = s3;
    r->bucket_info = info;
    *response = &r->base;
    return VK_OK;
}

static vk_code delete_bucket(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Cosi__V1alpha1__DriverDeleteBucketRequest *req = (const Cosi__V1alpha1__DriverDeleteBucketRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    if (!*req->bucket_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT,
                           "DriverDeleteBucket: bucket_id is required (the Bucket's status.bucketID)");
    }
    vk_status st;
    vk_code code = vast_bucket_delete(&driver->vast, req->bucket_id, no_secrets, csi_call_deadline(driver, call), &st);
    if (code != VK_OK) return vk_rpc_fail(call, code, "DriverDeleteBucket %s: %s", req->bucket_id, st.message);
    *response = vk_rpc_new_message(call, &cosi__v1alpha1__driver_delete_bucket_response__descriptor);
    return VK_OK;
}

/* Key is all VAST offers: an S3 key of a user scoped to the bucket. */
static bool check_authentication(const Cosi__V1alpha1__DriverGrantBucketAccessRequest *req, vk_status *st) {
    switch (req->authentication_type) {
    case COSI__V1ALPHA1__AUTHENTICATION_TYPE__Key:
        return true;
    case COSI__V1ALPHA1__AUTHENTICATION_TYPE__IAM:
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "IAM authentication is not supported: use a BucketAccessClass with authenticationType Key");
        return false;
    case COSI__V1ALPHA1__AUTHENTICATION_TYPE__UnknownAuthenticationType:
        vk_status_set(st, VK_INVALID_ARGUMENT,
                      "authentication_type is unset (UnknownAuthenticationType): use a BucketAccessClass with "
                      "authenticationType Key");
        return false;
    default:
        break;
    }
    vk_status_set(st, VK_INVALID_ARGUMENT,
                  "authentication_type %d is not one this driver knows: use a BucketAccessClass with "
                  "authenticationType Key",
                  (int)req->authentication_type);
    return false;
}

/* credentials = {"s3": {accessKeyID, accessSecretKey, endpoint, region}}: exactly one
 * entry, as the sidecar requires. The strings are copied into the call's arena. */
static void put_credentials(vk_rpc_call *call, Cosi__V1alpha1__DriverGrantBucketAccessResponse *r,
                            const vast_access_result *granted) {
    Cosi__V1alpha1__CredentialDetails *details =
        vk_rpc_new_message(call, &cosi__v1alpha1__credential_details__descriptor);
    const char *const kv[] = {"accessKeyID", granted->access_key, "accessSecretKey", granted->secret_key,
                              "endpoint",    granted->endpoint,   "region",          granted->region,
                              NULL};
    details->secrets = (Cosi__V1alpha1__CredentialDetails__SecretsEntry **)csi_build_map(
        call, &cosi__v1alpha1__credential_details__secrets_entry__descriptor, &details->n_secrets, kv);
    Cosi__V1alpha1__DriverGrantBucketAccessResponse__CredentialsEntry *entry =
        vk_rpc_new_message(call, &cosi__v1alpha1__driver_grant_bucket_access_response__credentials_entry__descriptor);
    entry->key = vk_rpc_strdup(call, "s3");
    entry->value = details;
    r->credentials = vk_rpc_alloc(call, sizeof *r->credentials);
    r->credentials[0] = entry;
    r->n_credentials = 1;
}

static vk_code grant_access(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Cosi__V1alpha1__DriverGrantBucketAccessRequest *req =
        (const Cosi__V1alpha1__DriverGrantBucketAccessRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    vk_status st;
    if (!*req->bucket_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT,
                           "DriverGrantBucketAccess %s: bucket_id is required (the Bucket's status.bucketID)",
                           req->name);
    }
    if (!*req->name) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT,
                           "DriverGrantBucketAccess on bucket %s: name (the account name, ba-<BucketAccess uid>) "
                           "is required",
                           req->bucket_id);
    }
    if (!check_authentication(req, &st)) {
        return vk_rpc_fail(call, st.code, "DriverGrantBucketAccess %s on bucket %s: %s", req->name, req->bucket_id,
                           st.message);
    }
    vast_access_result granted;
    vk_code code = vast_access_grant(&driver->vast, req->bucket_id, req->name, CSI_MAP(req, parameters), no_secrets,
                                     csi_call_deadline(driver, call), &granted, &st);
    if (code != VK_OK) {
        vast_access_result_clear(&granted);
        return vk_rpc_fail(call, code, "DriverGrantBucketAccess %s on bucket %s: %s", req->name, req->bucket_id,
                           st.message);
    }
    Cosi__V1alpha1__DriverGrantBucketAccessResponse *r =
        vk_rpc_new_message(call, &cosi__v1alpha1__driver_grant_bucket_access_response__descriptor);
    r->account_id = vk_rpc_strdup(call, granted.account_id);
    put_credentials(call, r, &granted);
    vast_access_result_clear(&granted);
    *response = &r->base;
    return VK_OK;
}

static vk_code revoke_access(vk_rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
    const Cosi__V1alpha1__DriverRevokeBucketAccessRequest *req =
        (const Cosi__V1alpha1__DriverRevokeBucketAccessRequest *)request;
    csi_driver *driver = vk_rpc_call_user(call);
    if (!*req->bucket_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT,
                           "DriverRevokeBucketAccess %s: bucket_id is required (the Bucket's status.bucketID)",
                           req->account_id);
    }
    if (!*req->account_id) {
        return vk_rpc_fail(call, VK_INVALID_ARGUMENT,
                           "DriverRevokeBucketAccess on bucket %s: account_id is required (the BucketAccess's "
                           "status.accountID)",
                           req->bucket_id);
    }
    vk_status st;
    vk_code code = vast_access_revoke(&driver->vast, req->bucket_id, req->account_id, no_secrets,
                                      csi_call_deadline(driver, call), &st);
    if (code != VK_OK) {
        return vk_rpc_fail(call, code, "DriverRevokeBucketAccess %s on bucket %s: %s", req->account_id,
                           req->bucket_id, st.message);
    }
    *response = vk_rpc_new_message(call, &cosi__v1alpha1__driver_revoke_bucket_access_response__descriptor);
    return VK_OK;
}

bool csi_cosi_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    static const vk_rpc_method_handler identity[] = {
        {"DriverGetInfo", driver_get_info},
        {NULL, NULL},
    };
    static const vk_rpc_method_handler provisioner[] = {
        {"DriverCreateBucket", create_bucket},
        {"DriverDeleteBucket", delete_bucket},
        {"DriverGrantBucketAccess", grant_access},
        {"DriverRevokeBucketAccess", revoke_access},
        {NULL, NULL},
    };
    return vk_rpc_server_add_service(server, &cosi__v1alpha1__identity__descriptor, identity, driver,
                                     VK_RPC_LANE_FAST, st) &&
           vk_rpc_server_add_service(server, &cosi__v1alpha1__provisioner__descriptor, provisioner, driver,
                                     VK_RPC_LANE_WORKERS, st);
}
