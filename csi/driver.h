/* State shared by the CSI services of one vast-csi process. */
#ifndef VK_CSI_DRIVER_H
#define VK_CSI_DRIVER_H

#include "vk/vast.h"
#include "vk/keylock.h"
#include "options.h"
#include "vk/rpc_server.h"

typedef struct {
    csi_options options;
    /* what the VAST operations share: VMS clients and cached look-ups, one operation
     * at a time per volume / snapshot, and options.root_exports */
    vast_ctx vast;
} csi_driver;

/* Creates the shared state from the parsed options; csi_driver_close releases it. */
void csi_driver_open(csi_driver *driver);
void csi_driver_close(csi_driver *driver);

/* Adds the services the mode calls for: Identity always (fast lane), Controller in
 * controller mode, Node in node mode (worker lane); in cosi mode the COSI Identity
 * (fast lane) and Provisioner (worker lane) and no CSI service. */
bool csi_driver_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);

/* Per-service registration, one file each. */
bool csi_identity_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);
bool csi_controller_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);
bool csi_node_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);
bool csi_cosi_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);

/* The deadline for the backend work of a call: the CO's, or --operation-timeout. */
int64_t csi_call_deadline(const csi_driver *driver, const vk_rpc_call *call);

#endif
