#!/usr/bin/env bash
# Every Node RPC and its error codes, and what each leaves in the mount table and in the
# simulator's data: NodeGetCapabilities, NodeGetInfo (topology, volume limit), NodeStage
# and NodePublish (data written through a pod's target lands in the volume's directory;
# read-only targets; idempotency with one mount each; read-write vs read-only conflict;
# single-writer volumes), NodeGetVolumeStats, NodeExpandVolume, NodeUnpublish (the
# target directory goes) and NodeUnstage (no mount left).
source "$(dirname "$0")/helpers.sh"

start_sim
start_node --topology topology.vast-k8s.io/zone=z1,rack=r7 --max-volumes-per-node 42

P="$WORK/pods" # pod directories: kubelet makes the target's parent, the driver the target
mkdir -p "$P"

# ---------- NodeGetCapabilities, NodeGetInfo ----------

run_ctl C NodeGetCapabilities
expect_rc "NodeGetCapabilities" 0 C
expect_eq "node capabilities" \
  "EXPAND_VOLUME GET_VOLUME_STATS SINGLE_NODE_MULTI_WRITER STAGE_UNSTAGE_VOLUME VOLUME_CONDITION" \
  "$("$PY" -c 'import json,sys; print(" ".join(sorted(c["rpc"]["type"] for c in json.loads(sys.argv[1])["capabilities"])))' "$C_out")"

run_ctl I NodeGetInfo
expect_rc "NodeGetInfo" 0 I
expect_eq "node_id from --node-id" "$NODE_ID" "$(jget "$I_out" node_id)"
expect_eq "max_volumes_per_node from --max-volumes-per-node" 42 "$(jget "$I_out" max_volumes_per_node)"
expect_eq "topology from --topology" '{"rack": "r7", "topology.vast-k8s.io/zone": "z1"}' \
  "$(jget "$I_out" accessible_topology.segments)"

# ---------- argument errors: INVALID_ARGUMENT, nothing mounted ----------

create_vol pvc-a
VA=$VOL_ID
VA_PATH=$VOL_PATH
CTX_A=("${VOL_CTX[@]}")
S_A="$WORK/staging/a"
mkdir -p "$S_A" # kubelet makes the staging directory

mapfile -t RWX < <(cap_args MULTI_NODE_MULTI_WRITER)
BLOCK='{"volume_capability":{"block":{},"access_mode":{"mode":"MULTI_NODE_MULTI_WRITER"}}}'

run_ctl E NodeStageVolume "staging_target_path=$S_A" "${RWX[@]}" "${CTX_A[@]}"
expect_rc "NodeStageVolume without volume_id" 3 E
run_ctl E NodeStageVolume "volume_id=$VA" "${RWX[@]}" "${CTX_A[@]}"
expect_rc "NodeStageVolume without staging_target_path" 3 E
run_ctl E NodeStageVolume "volume_id=$VA" "staging_target_path=$S_A" "${CTX_A[@]}"
expect_rc "NodeStageVolume without volume_capability" 3 E
run_ctl E --json "$BLOCK" NodeStageVolume "volume_id=$VA" "staging_target_path=$S_A" "${CTX_A[@]}"
expect_rc "NodeStageVolume with block access" 3 E
expect_contains "block access: says why" "$E_err" "only mount access is supported"

run_ctl E NodePublishVolume "staging_target_path=$S_A" "target_path=$P/x/target" "${RWX[@]}" "${CTX_A[@]}"
expect_rc "NodePublishVolume without volume_id" 3 E
run_ctl E NodePublishVolume "volume_id=$VA" "staging_target_path=$S_A" "${RWX[@]}" "${CTX_A[@]}"
expect_rc "NodePublishVolume without target_path" 3 E
run_ctl E NodePublishVolume "volume_id=$VA" "staging_target_path=$S_A" "target_path=$P/x/target" "${CTX_A[@]}"
expect_rc "NodePublishVolume without volume_capability" 3 E
run_ctl E --json "$BLOCK" NodePublishVolume "volume_id=$VA" "staging_target_path=$S_A" "target_path=$P/x/target" \
  "${CTX_A[@]}"
expect_rc "NodePublishVolume with block access" 3 E

run_ctl E NodeUnpublishVolume "target_path=$P/x/target"
expect_rc "NodeUnpublishVolume without volume_id" 3 E
run_ctl E NodeUnpublishVolume "volume_id=$VA"
expect_rc "NodeUnpublishVolume without target_path" 3 E
run_ctl E NodeUnstageVolume "staging_target_path=$S_A"
expect_rc "NodeUnstageVolume without volume_id" 3 E
run_ctl E NodeUnstageVolume "volume_id=$VA"
expect_rc "NodeUnstageVolume without staging_target_path" 3 E
run_ctl E NodeGetVolumeStats "volume_path=$S_A"
expect_rc "NodeGetVolumeStats without volume_id" 3 E
run_ctl E NodeGetVolumeStats "volume_id=$VA"
expect_rc "NodeGetVolumeStats without volume_path" 3 E
run_ctl E NodeExpandVolume "volume_path=$S_A"
expect_rc "NodeExpandVolume without volume_id" 3 E
run_ctl E NodeExpandVolume "volume_id=$VA"
expect_rc "NodeExpandVolume without volume_path" 3 E

# NodePublish before NodeStage: FAILED_PRECONDITION, and no target made
publish E "$VA" "$S_A" "$P/early/target" MULTI_NODE_MULTI_WRITER
expect_rc "NodePublishVolume before NodeStageVolume" 9 E
expect_contains "before NodeStage: says so" "$E_err" "NodeStageVolume must come first"
expect_path_gone "before NodeStage: no target directory" "$P/early/target"
publish E "$VA" "" "$P/early/target" MULTI_NODE_MULTI_WRITER
expect_rc "NodePublishVolume without staging_target_path" 9 E
expect_no_mounts_under "argument errors mount nothing" "$WORK"

# ---------- stage + publish, data lands in the volume ----------

stage S "$VA" "$S_A" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume" 0 S
expect_mounted "staging path is a mount" "$S_A"
expect_eq "one mount of the volume (staging)" 1 "$(mounts_of "$VA_PATH")"

T1="$P/pod-1/volumes/vol/mount"
mkdir -p "$(dirname "$T1")"
publish PB "$VA" "$S_A" "$T1" MULTI_NODE_MULTI_WRITER
expect_rc "NodePublishVolume" 0 PB
expect_mounted "target is a mount" "$T1"
echo "written by pod-1" >"$T1/hello.txt"
expect_eq "a file written through the target is in the volume's directory" "written by pod-1" \
  "$(cat "$SIM_FS$VA_PATH/hello.txt" 2>&1)"
echo "written on VAST" >"$SIM_FS$VA_PATH/from-vast.txt"
expect_eq "a file written on VAST is seen through the target" "written on VAST" "$(cat "$T1/from-vast.txt" 2>&1)"

# idempotency: the same calls again succeed without a second mount
for i in 1 2 3; do
  stage S "$VA" "$S_A" MULTI_NODE_MULTI_WRITER
  expect_rc "NodeStageVolume again ($i)" 0 S
  publish PB "$VA" "$S_A" "$T1" MULTI_NODE_MULTI_WRITER
  expect_rc "NodePublishVolume again ($i)" 0 PB
done
expect_eq "staging path: one mount after 4 stages" 1 "$(mounts_at "$S_A")"
expect_eq "target: one mount after 4 publishes" 1 "$(mounts_at "$T1")"
expect_eq "volume: staging + one target" 2 "$(mounts_of "$VA_PATH")"

# the same target asked for read-only: ALREADY_EXISTS, the mount stays read-write
publish E "$VA" "$S_A" "$T1" MULTI_NODE_MULTI_WRITER readonly=true
expect_rc "read-write target published again read-only" 6 E
expect_contains "read-only conflict: says how it is published" "$E_err" "read-write"
if touch "$T1/still-writable" 2>/dev/null; then pass "target still read-write"; else fail "target became read-only"; fi

# read-only targets: readonly=true, and a read-only access mode
T_RO="$P/pod-ro/volumes/vol/mount"
mkdir -p "$(dirname "$T_RO")"
publish PB "$VA" "$S_A" "$T_RO" MULTI_NODE_MULTI_WRITER readonly=true
expect_rc "NodePublishVolume readonly=true" 0 PB
expect_erofs "writing through a read-only target: EROFS" "$T_RO/nope"
expect_eq "read-only target still reads the volume" "written by pod-1" "$(cat "$T_RO/hello.txt" 2>&1)"
publish PB "$VA" "$S_A" "$T_RO" MULTI_NODE_MULTI_WRITER readonly=true
expect_rc "read-only publish again" 0 PB
publish E "$VA" "$S_A" "$T_RO" MULTI_NODE_MULTI_WRITER
expect_rc "read-only target published again read-write" 6 E
T_ROX="$P/pod-rox/volumes/vol/mount"
mkdir -p "$(dirname "$T_ROX")"
publish PB "$VA" "$S_A" "$T_ROX" MULTI_NODE_READER_ONLY
expect_rc "NodePublishVolume MULTI_NODE_READER_ONLY" 0 PB
expect_erofs "writing through a ReadOnlyMany target: EROFS" "$T_ROX/nope"
if touch "$T1/after-ro" 2>/dev/null; then pass "read-only targets leave the others writable"; else
  fail "a read-only target made the read-write one read-only"
fi

# ---------- NodeGetVolumeStats ----------

stats ST "$VA" "$T1"
expect_rc "NodeGetVolumeStats on a target" 0 ST
expect_eq "stats: condition healthy" "false" "$(jget "$ST_out" volume_condition.abnormal | sed 's/^$/false/')"
expect_eq "stats: usage in bytes and inodes" "BYTES INODES" \
  "$("$PY" -c 'import json,sys; print(" ".join(u["unit"] for u in json.loads(sys.argv[1])["usage"]))' "$ST_out")"
if (($(jget "$ST_out" usage.0.total) > 0)); then pass "stats: total bytes > 0"; else fail "stats: total bytes 0"; fi
stats ST "$VA" "$S_A"
expect_rc "NodeGetVolumeStats on the staging path" 0 ST
stats E vk1::2:/k8s/no-such-volume "$T1"
expect_rc "stats: a volume that is not mounted there" 5 E
stats E fake-vol-id "$T1"
expect_rc "stats: an id that is no volume of ours" 5 E
mkdir -p "$P/not-a-mount"
stats E "$VA" "$P/not-a-mount"
expect_rc "stats: a directory that is not the volume's mount" 5 E
stats E "$VA" "$P/does-not-exist"
expect_rc "stats: a path that does not exist" 5 E
stats E "$VA" some/path
expect_rc "stats: a relative path" 5 E

# another volume's mount is not this volume's
create_vol pvc-b
VB=$VOL_ID
VB_PATH=$VOL_PATH
S_B="$WORK/staging/b"
mkdir -p "$S_B"
stage S "$VB" "$S_B" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume of a second volume" 0 S
stats E "$VA" "$S_B"
expect_rc "stats: the path holds another volume" 5 E
run_ctl E NodeExpandVolume "volume_id=$VA" "volume_path=$S_B"
expect_rc "expand: the path holds another volume" 5 E
# a staging path holding another volume is not taken over
VOL_CTX=("${CTX_A[@]}")
stage E "$VA" "$S_B" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume on a staging path that holds another volume" 6 E
expect_eq "the other volume's staging mount is untouched" 1 "$(mounts_at "$S_B")"
unstage U "$VB" "$S_B"
expect_rc "NodeUnstageVolume of the second volume" 0 U

# ---------- NodeExpandVolume after ControllerExpandVolume ----------

run_ctl X ControllerExpandVolume "volume_id=$VA" capacity_range.required_bytes=$((2 * GiB))
expect_rc "ControllerExpandVolume" 0 X
expect_eq "quota grown" $((2 * GiB)) "$(inv_get quotas hard_limit "$VA_PATH")"
run_ctl X NodeExpandVolume "volume_id=$VA" "volume_path=$T1" capacity_range.required_bytes=$((2 * GiB))
expect_rc "NodeExpandVolume after ControllerExpandVolume" 0 X
run_ctl E NodeExpandVolume "volume_id=vk1::2:/k8s/no-such-volume" "volume_path=$T1"
expect_rc "NodeExpandVolume: the volume is not mounted there" 5 E
run_ctl E NodeExpandVolume "volume_id=fake-vol-id" "volume_path=some/path"
expect_rc "NodeExpandVolume: unknown volume" 5 E

# ---------- single writer (ReadWriteOncePod) ----------

create_vol pvc-once SINGLE_NODE_SINGLE_WRITER
VO=$VOL_ID
VO_PATH=$VOL_PATH
S_O="$WORK/staging/once"
mkdir -p "$S_O"
stage S "$VO" "$S_O" SINGLE_NODE_SINGLE_WRITER
expect_rc "NodeStageVolume single-writer" 0 S
TO1="$P/pod-o1/volumes/vol/mount"
TO2="$P/pod-o2/volumes/vol/mount"
mkdir -p "$(dirname "$TO1")" "$(dirname "$TO2")"
publish PB "$VO" "$S_O" "$TO1" SINGLE_NODE_SINGLE_WRITER
expect_rc "single-writer: first target" 0 PB
publish PB "$VO" "$S_O" "$TO1" SINGLE_NODE_SINGLE_WRITER
expect_rc "single-writer: the same target again" 0 PB
publish E "$VO" "$S_O" "$TO2" SINGLE_NODE_SINGLE_WRITER
expect_rc "single-writer: a second target" 9 E
expect_contains "single-writer: names the first target" "$E_err" "$TO1"
expect_path_gone "single-writer: no second target directory" "$TO2"
expect_eq "single-writer: staging + one target" 2 "$(mounts_of "$VO_PATH")"
unpublish U "$VO" "$TO1"
expect_rc "single-writer: unpublish the first target" 0 U
publish PB "$VO" "$S_O" "$TO2" SINGLE_NODE_SINGLE_WRITER
expect_rc "single-writer: the second target once the first is gone" 0 PB
unpublish U "$VO" "$TO2"
unstage U "$VO" "$S_O"
expect_rc "single-writer: unstage" 0 U

# ---------- unpublish / unstage ----------

VOL_CTX=("${CTX_A[@]}")
for t in "$T1" "$T_RO" "$T_ROX"; do
  unpublish U "$VA" "$t"
  expect_rc "NodeUnpublishVolume $(basename "$(dirname "$(dirname "$(dirname "$t")")")")" 0 U
  expect_not_mounted "unpublish: target unmounted" "$t"
  expect_path_gone "unpublish: target directory removed" "$t"
  expect_dir "unpublish: the pod's directory stays (kubelet's)" "$(dirname "$t")"
done
unpublish U "$VA" "$T1"
expect_rc "NodeUnpublishVolume again (gone already)" 0 U
unpublish U "$VA" "$P/never-published/target"
expect_rc "NodeUnpublishVolume of a target never published" 0 U
expect_mounted "unpublish leaves the staging mount" "$S_A"
expect_eq "the volume's data survives unpublish" "written by pod-1" "$(cat "$SIM_FS$VA_PATH/hello.txt" 2>&1)"

unstage U "$VA" "$S_A"
expect_rc "NodeUnstageVolume" 0 U
expect_not_mounted "unstage: staging path unmounted" "$S_A"
expect_dir "unstage: the staging directory stays (kubelet's)" "$S_A"
unstage U "$VA" "$S_A"
expect_rc "NodeUnstageVolume again" 0 U
expect_eq "no mount of the volume anywhere" 0 "$(mounts_of "$VA_PATH")"
expect_no_mounts_under "no mount left under the test directory" "$WORK"
expect_eq "the volume's data survives unstage" "written by pod-1" "$(cat "$SIM_FS$VA_PATH/hello.txt" 2>&1)"

finish
