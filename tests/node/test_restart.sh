#!/usr/bin/env bash
# A node plugin killed with kill -9 and started again knows every mount its predecessor
# made: the state is the kernel's mount table, not the plugin's memory. Three volumes,
# each staged once and published to two pods; after the restart the same NodeStage and
# NodePublish calls (kubelet repeats them) succeed without a new mount, stats work, and
# NodeUnpublish/NodeUnstage leave no mount and no target directory. A second kill -9
# in the middle of the teardown changes nothing either.
source "$(dirname "$0")/helpers.sh"

start_sim
start_node

P="$WORK/pods"
declare -A VOL VPATH CTX_FILE
for v in r1 r2 r3; do
  create_vol "pvc-$v"
  VOL[$v]=$VOL_ID
  VPATH[$v]=$VOL_PATH
  CTX_FILE[$v]="$WORK/ctx.$v"
  printf '%s\n' "${VOL_CTX[@]}" >"${CTX_FILE[$v]}"
  mkdir -p "$WORK/staging/$v" "$P/$v-a" "$P/$v-b"
done
use_vol() { mapfile -t VOL_CTX <"${CTX_FILE[$1]}"; }

for v in r1 r2 r3; do
  use_vol $v
  stage S "${VOL[$v]}" "$WORK/staging/$v" MULTI_NODE_MULTI_WRITER
  expect_rc "NodeStageVolume $v" 0 S
  for pod in a b; do
    publish PB "${VOL[$v]}" "$WORK/staging/$v" "$P/$v-$pod/mount" MULTI_NODE_MULTI_WRITER
    expect_rc "NodePublishVolume $v-$pod" 0 PB
  done
  echo "data of $v" >"$P/$v-a/mount/data.txt"
done
BEFORE=$(mount_points_under "$WORK" | sort)
expect_eq "9 mounts (3 stagings + 6 targets)" 9 "$(mount_points_under "$WORK" | wc -l)"

# ---------- kill -9, start again ----------

crash_node
expect_eq "the mounts outlive the plugin" "$BEFORE" "$(mount_points_under "$WORK" | sort)"
start_node

for v in r1 r2 r3; do
  use_vol $v
  stage S "${VOL[$v]}" "$WORK/staging/$v" MULTI_NODE_MULTI_WRITER
  expect_rc "after restart: NodeStageVolume $v again" 0 S
  for pod in a b; do
    publish PB "${VOL[$v]}" "$WORK/staging/$v" "$P/$v-$pod/mount" MULTI_NODE_MULTI_WRITER
    expect_rc "after restart: NodePublishVolume $v-$pod again" 0 PB
  done
done
expect_eq "after restart: no new mount, none lost" "$BEFORE" "$(mount_points_under "$WORK" | sort)"
for v in r1 r2 r3; do
  expect_eq "after restart: $v has its staging mount and 2 targets, each once" 3 "$(mounts_of "${VPATH[$v]}")"
done
if grep -qE 'msg=(mounting|published)' "$WORK/plugin.log"; then
  fail "after restart: the plugin mounted again: $(grep -E 'msg=(mounting|published)' "$WORK/plugin.log" | head -3)"
else
  pass "after restart: the plugin log shows no new mount"
fi

# a read-only request for a target the old plugin mounted read-write is still refused
use_vol r1
publish E "${VOL[r1]}" "$WORK/staging/r1" "$P/r1-a/mount" MULTI_NODE_MULTI_WRITER readonly=true
expect_rc "after restart: read-write target asked read-only" 6 E

for v in r1 r2 r3; do
  stats ST "${VOL[$v]}" "$P/$v-b/mount"
  expect_rc "after restart: NodeGetVolumeStats $v" 0 ST
  expect_eq "after restart: $v healthy" healthy "$(jget "$ST_out" volume_condition.message)"
  expect_eq "after restart: $v's data through the other pod" "data of $v" "$(cat "$P/$v-b/mount/data.txt" 2>&1)"
done
stats E "${VOL[r1]}" "$P/r2-a/mount"
expect_rc "after restart: stats of r1 at r2's target" 5 E

# a new pod after the restart gets the existing staging mount, no second one
use_vol r2
mkdir -p "$P/r2-c"
publish PB "${VOL[r2]}" "$WORK/staging/r2" "$P/r2-c/mount" MULTI_NODE_MULTI_WRITER
expect_rc "after restart: a new pod of r2" 0 PB
expect_eq "after restart: r2 staged once, now 3 targets" 4 "$(mounts_of "${VPATH[r2]}")"
expect_eq "after restart: the new pod sees r2's data" "data of r2" "$(cat "$P/r2-c/mount/data.txt" 2>&1)"

# ---------- teardown, with another kill -9 in the middle ----------

unpublish U "${VOL[r1]}" "$P/r1-a/mount"
expect_rc "after restart: NodeUnpublishVolume r1-a" 0 U
crash_node
start_node
for t in r1-b r2-a r2-b r2-c r3-a r3-b; do
  unpublish U "${VOL[${t%-*}]}" "$P/$t/mount"
  expect_rc "after a second restart: NodeUnpublishVolume $t" 0 U
done
for v in r1 r2 r3; do
  unstage U "${VOL[$v]}" "$WORK/staging/$v"
  expect_rc "after a second restart: NodeUnstageVolume $v" 0 U
done
expect_no_mounts_under "no mount left under the test directory" "$WORK"
left=$(find "$P" -mindepth 2 -maxdepth 2 -name mount | tr '\n' ' ')
expect_eq "no target directory left" "" "$left"
for v in r1 r2 r3; do
  expect_eq "$v's data is still on VAST" "data of $v" "$(cat "$SIM_FS${VPATH[$v]}/data.txt" 2>&1)"
done

finish
