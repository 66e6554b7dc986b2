/* CSI calls by method name with the request written as JSON, as the plugin suites make
 * them: the method found in a service's descriptor, the request built with vk_pbjson
 * (a request the message cannot take fails the test: the case is wrong, not the
 * driver), the call sent on one client. */
#ifndef VK_TESTS_COMMON_CSI_CALL_H
#define VK_TESTS_COMMON_CSI_CALL_H

#include "vk/rpc_client.h"
#include "vk/status.h"

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* The method of that name in service (&csi__v1__node__descriptor, ...), or NULL. */
const ProtobufCMethodDescriptor *tc_csi_find(const ProtobufCServiceDescriptor *service, const char *name);
/* tc_csi_find that fails the test (cmocka) when the service has no such method. */
const ProtobufCMethodDescriptor *tc_csi_method(const ProtobufCServiceDescriptor *service, const char *name);

/* m's request from JSON (consumed; NULL: an empty message); fails the test, printing
 * the JSON and why, when the message cannot take it. */
ProtobufCMessage *tc_csi_request(const ProtobufCMethodDescriptor *m, json_t *json);

/* Sends req (freed here) as /SERVICE/METHOD. On return *response is the reply or NULL
 * (with response NULL the reply is freed). Returns the gRPC code; st holds the message. */
vk_code tc_csi_send(vk_rpc_client *client, const ProtobufCServiceDescriptor *service,
                    const ProtobufCMethodDescriptor *m, ProtobufCMessage *req, int timeout_ms,
                    ProtobufCMessage **response, vk_status *st);

#endif
