#!/usr/bin/env bash
# Without vast-csi-mount-helper next to it, the plugin runs its own binary as the mount
# helper (--mount-helper): staging, publishing and probing still work.
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) -ne 0 ]]; then
  echo "not root: bind mounts are not possible here"
  echo "0 passed, 0 failed"
  exit 0
fi
mkdir -p "$WORK/bin"
cp "$VAST_CSI" "$WORK/bin/vast-csi" # alone: no vast-csi-mount-helper beside it
VAST_CSI="$WORK/bin/vast-csi"
trap 'unmount_all_under "$WORK"; cleanup' EXIT

start_sim
start_plugin --vms-secret-dir "$SECRET_DIR" --mount-mode bind --bind-root "$WORK/sim/fs" --state-dir "$WORK/state"
run_ctl c CreateVolume name=pvc-fallback 'volume_capabilities[0].access_mode.mode=MULTI_NODE_MULTI_WRITER' \
  'volume_capabilities[0].mount.fs_type=' parameters.root_export=/k8s parameters.view_policy=vast-k8s-nfs \
  parameters.vip_pool_name=vast-k8s-pool
expect_eq "CreateVolume" 0 "$c_rc"
id=$(json_field "$c_out" volume.volume_id)
cap=('volume_capability.access_mode.mode=MULTI_NODE_MULTI_WRITER' 'volume_capability.mount.fs_type=')
run_ctl s NodeStageVolume "volume_id=$id" "staging_target_path=$WORK/staging" "${cap[@]}" \
  volume_context.export_path=/k8s/pvc-fallback
expect_eq "NodeStageVolume through the plugin's own helper" 0 "$s_rc"
run_ctl p NodePublishVolume "volume_id=$id" "staging_target_path=$WORK/staging" "target_path=$WORK/pod/vol" \
  "${cap[@]}" volume_context.export_path=/k8s/pvc-fallback
expect_eq "NodePublishVolume" 0 "$p_rc"
echo data >"$WORK/pod/vol/file"
expect_eq "the file reached the volume's directory" data "$(cat "$WORK/sim/fs/k8s/pvc-fallback/file")"
run_ctl g NodeGetVolumeStats "volume_id=$id" "volume_path=$WORK/pod/vol"
expect_eq "stats probe" healthy "$(json_field "$g_out" volume_condition.message)"
run_ctl u NodeUnpublishVolume "volume_id=$id" "target_path=$WORK/pod/vol"
run_ctl v NodeUnstageVolume "volume_id=$id" "staging_target_path=$WORK/staging"
expect_eq "unpublish and unstage" "0 0" "$u_rc $v_rc"
expect_eq "nothing mounted under the test directory" 0 "$(grep -c " $WORK/" /proc/self/mounts || true)"
stop_plugin
finish
