/* State shared by the CSI services of one vast-csi process. */
#ifndef VK_CSI_DRIVER_H
#define VK_CSI_DRIVER_H

#include "options.h"
#include "vk/rpc_server.h"

typedef struct {
    csi_options options;
} csi_driver;

/* Adds the services the mode calls for: Identity always (fast lane), Controller in
 * controller mode, Node in node mode (worker lane). */
bool csi_driver_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);

/* Per-service registration, one file each. */
bool csi_identity_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);
bool csi_controller_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);
bool csi_node_register(csi_driver *driver, vk_rpc_server *server, vk_status *st);

#endif
