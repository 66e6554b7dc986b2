/* Turns csictl's command-line assignments into a request JSON object, using the
 * request message's descriptor to type each value:
 *
 *   name=pvc-1                                  string field
 *   capacity_range.required_bytes=1073741824    nested message field (number)
 *   volume_capabilities[0].access_mode.mode=SINGLE_NODE_WRITER
 *   parameters.csi.storage.k8s.io/pvc/name=x    map: everything after the map field is the key
 *   secrets.password=hunter2
 *   mount_flags=ro mount_flags=noatime           repeated scalar: each assignment appends
 *   capacity_range={"required_bytes":1}         a message-typed field takes JSON text
 *   secrets.ssl_cert=@/path/ca.pem              @FILE stands for the file's contents
 */
#ifndef VK_CSICTL_REQUEST_H
#define VK_CSICTL_REQUEST_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* Applies one "path=value" assignment to obj (a JSON object for a message of type desc).
 * Returns 0, or -1 with a message in err naming the offending path. */
int csictl_assign(json_t *obj, const ProtobufCMessageDescriptor *desc, const char *assignment,
                  char *err, size_t err_size);

#endif
