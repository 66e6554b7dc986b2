/* vast-csi-mount-helper: the mount helper as a small binary (libmount only), so the
 * node starts one in about a millisecond instead of loading the whole plugin. */
#include "mount_helper.h"

int main(int argc, char **argv) {
    /* argv[0] is "--mount-helper" when the plugin starts it; run as a command, it is the
     * program's name: either way OP ARGS follow, as after `vast-csi --mount-helper` */
    char *args[16] = {"vast-csi-mount-helper", "--mount-helper"};
    int n = 2;
    for (int i = 1; i < argc && n < 15; i++) args[n++] = argv[i];
    args[n] = 0;
    return csi_mount_helper_main(n, args);
}
