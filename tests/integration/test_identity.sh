#!/usr/bin/env bash
# Identity service through csictl: plugin info, capabilities per mode, Probe, node info.
source "$(dirname "$0")/lib.sh"

# --- mode all, custom driver name by flag ---
start_plugin --mode all --driver-name csi.example-test.io --node-id node-a
run_ctl r GetPluginInfo
expect_eq "GetPluginInfo exits OK" 0 "$r_rc"
expect_eq "name comes from --driver-name" csi.example-test.io "$(json_field "$r_out" name)"
version=$("$VAST_CSI" --version)
expect_contains "vendor_version is the build's version" "$version" "$(json_field "$r_out" vendor_version)"
expect_eq "manifest names the mode" all "$(json_field "$r_out" manifest.mode)"

run_ctl r GetPluginCapabilities
expect_eq "controller+node advertises the controller service" CONTROLLER_SERVICE \
  "$(json_field "$r_out" capabilities.0.service.type)"
expect_eq "and online volume expansion (the quota grows under a mounted volume)" ONLINE \
  "$(json_field "$r_out" capabilities.1.volume_expansion.type)"

run_ctl r Probe
expect_eq "Probe is ready" True "$(json_field "$r_out" ready)"

run_ctl r NodeGetInfo
expect_eq "NodeGetInfo returns --node-id" node-a "$(json_field "$r_out" node_id)"

run_ctl r ControllerGetCapabilities
expect_eq "ControllerGetCapabilities answers in mode all" 0 "$r_rc"
expect_not_contains "GET_SNAPSHOT not advertised by default" "$r_out" GET_SNAPSHOT
stop_plugin

# --- --advertise-get-snapshot lists the capability of the served GetSnapshot ---
start_plugin --advertise-get-snapshot true
run_ctl r ControllerGetCapabilities
expect_contains "--advertise-get-snapshot true: GET_SNAPSHOT advertised" "$r_out" GET_SNAPSHOT
expect_contains "the others still are" "$r_out" CREATE_DELETE_SNAPSHOT
stop_plugin
expect_eq "SIGTERM exits 0" 0 "$STOP_STATUS"
[[ ! -e "$SOCK" ]] && pass "socket removed on shutdown" || fail "socket still at $SOCK"

# --- node mode, settings from the environment (the vendor driver's variable names) ---
X_CSI_MODE=node X_CSI_PLUGIN_NAME=env.driver-name X_CSI_NODE_ID=node-env start_plugin
run_ctl r GetPluginInfo
expect_eq "X_CSI_PLUGIN_NAME sets the name" env.driver-name "$(json_field "$r_out" name)"
run_ctl r GetPluginCapabilities
expect_eq "node mode advertises no controller service" "None" "$(json_field "$r_out" capabilities)"
run_ctl r NodeGetInfo
expect_eq "X_CSI_NODE_ID sets the node id" node-env "$(json_field "$r_out" node_id)"
run_ctl r ControllerGetCapabilities
expect_eq "node mode does not serve the controller" 12 "$r_rc"
expect_contains "and says which services it serves" "$r_err" "csi.v1.Node"
stop_plugin

# --- controller mode; a flag beats the environment ---
X_CSI_MODE=node start_plugin --mode controller
run_ctl r GetPluginCapabilities
expect_eq "--mode controller beats X_CSI_MODE=node" CONTROLLER_SERVICE \
  "$(json_field "$r_out" capabilities.0.service.type)"
run_ctl r NodeGetInfo
expect_eq "controller mode does not serve the node" 12 "$r_rc"
run_ctl r GetPluginInfo
expect_eq "default driver name is distinct from the vendor's" csi.vast-k8s.io "$(json_field "$r_out" name)"
stop_plugin
expect_eq "controller mode exits 0" 0 "$STOP_STATUS"

finish
