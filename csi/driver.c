#include "driver.h"

bool csi_driver_register(csi_driver *driver, vk_rpc_server *server, vk_status *st) {
    if (!csi_identity_register(driver, server, st)) return false;
    if ((driver->options.mode & CSI_MODE_CONTROLLER) && !csi_controller_register(driver, server, st)) return false;
    if ((driver->options.mode & CSI_MODE_NODE) && !csi_node_register(driver, server, st)) return false;
    return true;
}
