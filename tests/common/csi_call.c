/* CSI calls by method name with JSON requests (see csi_call.h). */
#include "csi_call.h"

#include "vk/pbjson.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ProtobufCMethodDescriptor *tc_csi_find(const ProtobufCServiceDescriptor *service, const char *name) {
    for (unsigned m = 0; m < service->n_methods; m++) {
        if (strcmp(service->methods[m].name, name) == 0) return &service->methods[m];
    }
    return NULL;
}

const ProtobufCMethodDescriptor *tc_csi_method(const ProtobufCServiceDescriptor *service, const char *name) {
    const ProtobufCMethodDescriptor *m = tc_csi_find(service, name);
    if (!m) fail_msg("%s has no method %s", service->name, name);
    return m;
}

ProtobufCMessage *tc_csi_request(const ProtobufCMethodDescriptor *m, json_t *json) {
    if (!json) json = json_object();
    char err[512];
    ProtobufCMessage *msg = vk_pbjson_to_message(m->input, json, err, sizeof err);
    if (!msg) {
        char *text = json_dumps(json, JSON_COMPACT);
        print_error("cannot build %s from %s: %s\n", m->input->name, text ? text : "?", err);
        free(text);
    }
    json_decref(json);
    if (!msg) fail_msg("a request the message cannot take: the case is wrong");
    return msg;
}

vk_code tc_csi_send(vk_rpc_client *client, const ProtobufCServiceDescriptor *service,
                    const ProtobufCMethodDescriptor *m, ProtobufCMessage *req, int timeout_ms,
                    ProtobufCMessage **response, vk_status *st) {
    char path[160];
    snprintf(path, sizeof path, "/%s/%s", service->name, m->name);
    ProtobufCMessage *resp = NULL;
    vk_code code = vk_rpc_client_call(client, path, req, m->output, timeout_ms, &resp, st);
    protobuf_c_message_free_unpacked(req, NULL);
    if (response) {
        *response = resp;
    } else if (resp) {
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    return code;
}
