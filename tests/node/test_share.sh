#!/usr/bin/env bash
# Stage once, publish many: 50 pods of one job on one node use one volume. The node makes
# ONE mount of the volume's export (at the staging path) and 50 bind mounts of it, never
# a second mount of the export; the publishes run 10 at a time, as kubelet's volume
# manager issues them. Unpublishing all leaves only the staging mount; unstaging, none.
source "$(dirname "$0")/helpers.sh"

PODS=50
PARALLEL=10

start_sim
start_node

create_vol pvc-shared
V=$VOL_ID
V_PATH=$VOL_PATH
STAGING="$WORK/staging/pvc-shared"
P="$WORK/pods"
mkdir -p "$STAGING"
target() { echo "$P/pod-$1/volumes/kubernetes.io~csi/pvc-shared/mount"; }
for i in $(seq 1 $PODS); do mkdir -p "$(dirname "$(target "$i")")"; done

stage S "$V" "$STAGING" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume" 0 S

# publish_bg I: one pod's NodePublishVolume in the background; its code in $WORK/rc.I
publish_bg() {
  mapfile -t _cap < <(cap_args MULTI_NODE_MULTI_WRITER)
  local rc=0
  "$CSICTL" -e "$ENDPOINT" -q NodePublishVolume "volume_id=$V" "staging_target_path=$STAGING" \
    "target_path=$(target "$1")" "${_cap[@]}" "${VOL_CTX[@]}" 2>"$WORK/err.$1" || rc=$?
  echo "$rc" >"$WORK/rc.$1"
}

start=$(now_ms)
for ((i = 1; i <= PODS; i += PARALLEL)); do
  pids=()
  for ((j = i; j < i + PARALLEL && j <= PODS; j++)); do
    publish_bg "$j" &
    pids+=($!)
  done
  wait "${pids[@]}"
done
echo "# $PODS publishes, $PARALLEL at a time: $(($(now_ms) - start)) ms"
bad=""
for i in $(seq 1 $PODS); do
  [[ $(cat "$WORK/rc.$i") == 0 ]] || bad+=" pod-$i:$(cat "$WORK/rc.$i"):$(cat "$WORK/err.$i")"
done
expect_eq "all $PODS NodePublishVolume calls OK" "" "$bad"

missing=""
for i in $(seq 1 $PODS); do is_mounted "$(target "$i")" || missing+=" pod-$i"; done
expect_eq "every target is a mount" "" "$missing"
expect_eq "ONE staging mount" 1 "$(mounts_at "$STAGING")"
expect_eq "mounts of the volume: the staging mount + $PODS bind mounts" $((PODS + 1)) "$(mounts_of "$V_PATH")"
expect_eq "no mount of the export outside the staging path and the pods' targets" 0 \
  "$(mounts_of_outside "$V_PATH" "$STAGING" "$P")"
stacked=""
for i in $(seq 1 $PODS); do [[ $(mounts_at "$(target "$i")") == 1 ]] || stacked+=" pod-$i"; done
expect_eq "one mount per target (nothing stacked)" "" "$stacked"

# the pods share the data
echo "from pod 1" >"$(target 1)/shared.txt"
expect_eq "pod $PODS sees what pod 1 wrote" "from pod 1" "$(cat "$(target $PODS)/shared.txt" 2>&1)"
expect_eq "the file is in the volume's directory on VAST" "from pod 1" "$(cat "$SIM_FS$V_PATH/shared.txt" 2>&1)"

# a second round of the same publishes (kubelet retries after a restart): nothing new
for i in 1 25 $PODS; do
  publish PB "$V" "$STAGING" "$(target "$i")" MULTI_NODE_MULTI_WRITER
  expect_rc "publish pod-$i again" 0 PB
done
stage S "$V" "$STAGING" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume again" 0 S
expect_eq "still $((PODS + 1)) mounts of the volume" $((PODS + 1)) "$(mounts_of "$V_PATH")"

# ---------- unpublish all ----------

unpublish_bg() {
  local rc=0
  "$CSICTL" -e "$ENDPOINT" -q NodeUnpublishVolume "volume_id=$V" "target_path=$(target "$1")" \
    2>"$WORK/err.$1" || rc=$?
  echo "$rc" >"$WORK/rc.$1"
}
for ((i = 1; i <= PODS; i += PARALLEL)); do
  pids=()
  for ((j = i; j < i + PARALLEL && j <= PODS; j++)); do
    unpublish_bg "$j" &
    pids+=($!)
  done
  wait "${pids[@]}"
done
bad=""
for i in $(seq 1 $PODS); do
  [[ $(cat "$WORK/rc.$i") == 0 ]] || bad+=" pod-$i:$(cat "$WORK/rc.$i"):$(cat "$WORK/err.$i")"
done
expect_eq "all $PODS NodeUnpublishVolume calls OK" "" "$bad"
left=""
for i in $(seq 1 $PODS); do [[ -e $(target "$i") ]] && left+=" pod-$i"; done
expect_eq "every target directory removed" "" "$left"
expect_eq "only the staging mount is left" 1 "$(mounts_of "$V_PATH")"
expect_mounted "the staging path is still mounted" "$STAGING"

unstage U "$V" "$STAGING"
expect_rc "NodeUnstageVolume" 0 U
expect_eq "no mount of the volume" 0 "$(mounts_of "$V_PATH")"
expect_no_mounts_under "no mount left under the test directory" "$WORK"
expect_eq "the data is still on VAST" "from pod 1" "$(cat "$SIM_FS$V_PATH/shared.txt" 2>&1)"

finish
