#!/usr/bin/env bash
# vast-csi's node metrics (bind mode, as the node tests; needs root), read by the
# Prometheus project's own parser: a NodeStageVolume is one mount in the operation
# histogram; with the mount helper's statvfs hanging (fault point helper.statvfs) a
# second NodeStageVolume finds the staging mount dead - one probe past its bound, one
# helper abandoned, one stale mount found, one unmount and one mount, one repaired;
# NodeGetVolumeStats of the dead mount finds it again (found, not repaired: the kubelet's
# polling only reports); NodeUnstageVolume is one unmount. The RPC families count the
# Node calls under their csi.v1.Node paths. /healthz and /readyz answer 200.
source "$(dirname "$0")/../node/helpers.sh"
source "$(dirname "$0")/helpers.sh"

STAGE=/csi.v1.Node/NodeStageVolume
OPS=vast_csi_node_operation_duration_seconds_count

start_sim
# every statvfs of the helper hangs for 30 s; the probe's bound is 1 s
VAST_CSI_FAULTS=helper.statvfs=sleep:30000 start_node --probe-timeout 1000 --http-endpoint 127.0.0.1:0
http_url
expect_http "/healthz answers 200" /healthz 200
expect_http "/readyz answers 200" /readyz 200

create_vol pvc-n1
STAGING="$WORK/staging/pvc-n1"
mkdir -p "$STAGING"
scrape n0 "${RPC_FAMILIES[@]}" "${NODE_FAMILIES[@]}"

stage S "$VOL_ID" "$STAGING" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume" 0 S
scrape n1 "${RPC_FAMILIES[@]}" "${NODE_FAMILIES[@]}"
expect_delta "a first stage is one mount" 1 n0 n1 $OPS operation=mount
expect_delta "... no probe (nothing was mounted there)" 0 n0 n1 $OPS operation=probe
expect_delta "... no unmount" 0 n0 n1 $OPS operation=unmount
expect_delta "NodeStageVolume OK counted" 1 n0 n1 vast_csi_rpc_total method=$STAGE code=OK

stage S "$VOL_ID" "$STAGING" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume again, the mount dead" 0 S
expect_mounted "the staging path is mounted again" "$STAGING"
scrape n2 "${RPC_FAMILIES[@]}" "${NODE_FAMILIES[@]}"
expect_delta "the dead mount: one probe" 1 n1 n2 $OPS operation=probe
expect_eq "... that took at least its 1 s bound" 1 "$(($(delta n1 n2 $OPS operation=probe) - $(delta n1 n2 \
  vast_csi_node_operation_duration_seconds_bucket operation=probe le=0.5)))"
expect_delta "... its helper abandoned" 1 n1 n2 vast_csi_node_abandoned_helpers_total
expect_delta "... found dead" 1 n1 n2 vast_csi_node_stale_mounts_total action=found
expect_delta "... unmounted once" 1 n1 n2 $OPS operation=unmount
expect_delta "... mounted again" 1 n1 n2 $OPS operation=mount
expect_delta "... repaired" 1 n1 n2 vast_csi_node_stale_mounts_total action=repaired
expect_log "the log says it remounted" "remounting a dead staging mount"

stats ST "$VOL_ID" "$STAGING"
expect_rc "NodeGetVolumeStats of the dead mount" 0 ST
expect_eq "... abnormal" true "$(jget "$ST_out" volume_condition.abnormal)"
unstage U "$VOL_ID" "$STAGING"
expect_rc "NodeUnstageVolume" 0 U
expect_not_mounted "unstaged" "$STAGING"
scrape n3 "${RPC_FAMILIES[@]}" "${NODE_FAMILIES[@]}"
expect_delta "stats: found dead once more" 1 n2 n3 vast_csi_node_stale_mounts_total action=found
expect_delta "stats: nothing repaired (it only reports)" 0 n2 n3 vast_csi_node_stale_mounts_total action=repaired
expect_delta "stats: its helper abandoned too" 1 n2 n3 vast_csi_node_abandoned_helpers_total
expect_delta "stats: one probe" 1 n2 n3 $OPS operation=probe
expect_delta "unstage: one unmount" 1 n2 n3 $OPS operation=unmount
expect_delta "unstage: no mount" 0 n2 n3 $OPS operation=mount
expect_delta "the Node calls counted: stats, unstage" 2 n2 n3 vast_csi_rpc_total
expect_delta "NodeStageVolume OK twice in all" 2 n0 n3 vast_csi_rpc_total method=$STAGE code=OK
expect_delta "NodeGetVolumeStats OK" 1 n2 n3 vast_csi_rpc_total method=/csi.v1.Node/NodeGetVolumeStats code=OK
expect_eq "no call in flight" 0 "$(value n3 vast_csi_rpc_in_flight)"
expect_no_mounts_under "no mount left under the test directory" "$WORK"

stop_plugin
expect_eq "vast-csi exits 0 on SIGTERM" 0 "$STOP_STATUS"
finish
