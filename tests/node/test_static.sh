#!/usr/bin/env bash
# Static PVs: an administrator's PersistentVolume whose volumeHandle is the absolute path
# on VAST and whose volumeAttributes name only the VIP pool (no export_path; CreateVolume
# never ran). The directory, quota and view are made by hand through the VMS REST API;
# NodeStage/NodePublish/stats/NodeUnpublish/NodeUnstage work on it in bind mode. And
# DeleteVolume with such a handle never deletes data that lacks this driver's quota: a
# plain directory full of data, or the root export holding other volumes, stays.
source "$(dirname "$0")/helpers.sh"

start_sim
start_node

TENANT=$(sim_id tenants vast-k8s)
POLICY=$(sim_id viewpolicies vast-k8s-nfs)
P="$WORK/pods"
mkdir -p "$P/pod-1" "$P/pod-2" "$WORK/staging/static" "$WORK/staging/reuse" "$WORK/staging/bad"

# ---------- a static PV made by hand on VAST ----------

SP=/k8s/static-share
sim_api POST quotas/ "{\"name\": \"hand-made\", \"path\": \"$SP\", \"tenant_id\": $TENANT, \"hard_limit\": $GiB, \"create_dir\": true}" >/dev/null
sim_api POST views/ "{\"path\": \"$SP\", \"policy_id\": $POLICY, \"tenant_id\": $TENANT}" >/dev/null
expect_dir "the directory exists on VAST" "$SIM_FS$SP"
echo "prepared by the admin" >"$SIM_FS$SP/readme.txt"

VOL_CTX=(volume_context.vip_pool_name=vast-k8s-pool) # all a static PV's volumeAttributes say
stage S "$SP" "$WORK/staging/static" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume with volume_id = the absolute path, context {vip_pool_name}" 0 S
expect_mounted "the static volume is staged" "$WORK/staging/static"
publish PB "$SP" "$WORK/staging/static" "$P/pod-1/mount" MULTI_NODE_MULTI_WRITER
expect_rc "NodePublishVolume of the static volume" 0 PB
expect_eq "the pod reads the admin's data" "prepared by the admin" "$(cat "$P/pod-1/mount/readme.txt" 2>&1)"
echo "written by pod-1" >"$P/pod-1/mount/out.txt"
expect_eq "what the pod writes lands in the path on VAST" "written by pod-1" "$(cat "$SIM_FS$SP/out.txt" 2>&1)"
stage S "$SP" "$WORK/staging/static" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume again" 0 S
publish PB "$SP" "$WORK/staging/static" "$P/pod-1/mount" MULTI_NODE_MULTI_WRITER
expect_rc "NodePublishVolume again" 0 PB
expect_eq "staged once, published once" 2 "$(mounts_of "$SP")"
stats ST "$SP" "$P/pod-1/mount"
expect_rc "NodeGetVolumeStats of the static volume" 0 ST
expect_eq "healthy" healthy "$(jget "$ST_out" volume_condition.message)"
run_ctl X NodeExpandVolume "volume_id=$SP" "volume_path=$P/pod-1/mount"
expect_rc "NodeExpandVolume of the static volume" 0 X
unpublish U "$SP" "$P/pod-1/mount"
expect_rc "NodeUnpublishVolume of the static volume" 0 U
expect_path_gone "the target directory is removed" "$P/pod-1/mount"
unstage U "$SP" "$WORK/staging/static"
expect_rc "NodeUnstageVolume of the static volume" 0 U
expect_eq "no mount of the static volume" 0 "$(mounts_of "$SP")"
expect_eq "the admin's data is untouched" "prepared by the admin" "$(cat "$SIM_FS$SP/readme.txt" 2>&1)"

# a static PV may also name a volume CreateVolume made, by its path
create_vol pvc-reused
REUSED=$VOL_PATH
VOL_CTX=(volume_context.vip_pool_name=vast-k8s-pool)
stage S "$REUSED" "$WORK/staging/reuse" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume of a CreateVolume path as a static handle" 0 S
publish PB "$REUSED" "$WORK/staging/reuse" "$P/pod-2/mount" MULTI_NODE_MULTI_WRITER
expect_rc "NodePublishVolume of it" 0 PB
echo x >"$P/pod-2/mount/x" && expect_eq "it is the volume's directory" x "$(cat "$SIM_FS$REUSED/x" 2>&1)"
unpublish U "$REUSED" "$P/pod-2/mount"
unstage U "$REUSED" "$WORK/staging/reuse"
expect_rc "NodeUnstageVolume of it" 0 U

# a handle that is not a clean absolute path names nothing
stage E "/k8s/../etc" "$WORK/staging/bad" MULTI_NODE_MULTI_WRITER
if [[ $E_rc != 0 ]]; then pass "a handle with .. is refused (code $E_rc)"; else fail "a handle with .. was staged"; fi
expect_not_mounted "nothing staged for a handle with .." "$WORK/staging/bad"
stage E "k8s/relative" "$WORK/staging/bad" MULTI_NODE_MULTI_WRITER
if [[ $E_rc != 0 ]]; then pass "a relative handle without export_path is refused (code $E_rc)"; else
  fail "a relative handle was staged"
fi
expect_not_mounted "nothing staged for a relative handle" "$WORK/staging/bad"

# ---------- a static PV whose path ends like another volume's path ----------

# /data/k8s/pvc-reused is another directory than /k8s/pvc-reused: a mount of one is not
# a mount of the other (fails while csi_mount_serves matches bind mounts by path suffix)
OTHER=/data$REUSED
mkdir -p "$SIM_FS$OTHER" "$WORK/staging/other" "$P/pod-3"
echo "someone else's data" >"$SIM_FS$OTHER/secret.txt"
VOL_CTX=(volume_context.vip_pool_name=vast-k8s-pool)
stage S "$OTHER" "$WORK/staging/other" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume of $OTHER" 0 S
stats E "$REUSED" "$WORK/staging/other"
expect_rc "stats of $REUSED at the staging mount of $OTHER" 5 E
publish E "$REUSED" "$WORK/staging/other" "$P/pod-3/mount" MULTI_NODE_MULTI_WRITER
expect_rc "NodePublishVolume of $REUSED from the staging mount of $OTHER" 9 E
if [[ -e "$P/pod-3/mount/secret.txt" ]]; then fail "a pod of $REUSED sees the data of $OTHER"; else
  pass "a pod of $REUSED does not see the data of $OTHER"
fi
unpublish U "$REUSED" "$P/pod-3/mount"
unstage U "$OTHER" "$WORK/staging/other"
expect_rc "NodeUnstageVolume of $OTHER" 0 U

# ---------- DeleteVolume never deletes what lacks this driver's quota ----------

# a plain directory with data and no quota, inside and outside the root export
mkdir -p "$SIM_FS/k8s/plain-data/sub" "$SIM_FS/projects/results"
echo "precious" >"$SIM_FS/k8s/plain-data/sub/file.txt"
echo "precious too" >"$SIM_FS/projects/results/file.txt"
for handle in /k8s/plain-data "vk1::$TENANT:/k8s/plain-data" /projects/results "vk1::$TENANT:/projects/results"; do
  run_ctl D DeleteVolume "volume_id=$handle"
  expect_rc "DeleteVolume $handle (no quota)" 0 D
done
expect_eq "the plain directory's data is still there" "precious" "$(cat "$SIM_FS/k8s/plain-data/sub/file.txt" 2>&1)"
expect_eq "the other plain directory's data is still there" "precious too" \
  "$(cat "$SIM_FS/projects/results/file.txt" 2>&1)"

# the root export itself holds volumes but has no quota of its own
for handle in /k8s "vk1::$TENANT:/k8s"; do
  run_ctl D DeleteVolume "volume_id=$handle"
  expect_rc "DeleteVolume $handle (the root export)" 0 D
done
expect_dir "the root export is still there" "$SIM_FS/k8s"
expect_eq "the static volume's data is still there" "prepared by the admin" "$(cat "$SIM_FS$SP/readme.txt" 2>&1)"
expect_eq "the CreateVolume volume's data is still there" x "$(cat "$SIM_FS$REUSED/x" 2>&1)"
expect_eq "the CreateVolume volume's quota is still there" 1 "$(inv_count quotas path="$REUSED")"
expect_eq "the static volume's quota is still there" 1 "$(inv_count quotas path="$SP")"
expect_eq "the static volume's view is still there" 1 "$(inv_count views path="$SP")"

expect_no_mounts_under "no mount left under the test directory" "$WORK"
finish
