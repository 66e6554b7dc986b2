#!/usr/bin/env bash
# End to end through the real snapshot path: the snapshot CRDs, snapshot-controller and the
# csi-snapshotter sidecar with csi-provisioner, all on the loopback control plane, against
# vast-csi (controller mode) on a seeded vms-sim; every step with kubectl. A PVC gets data
# (written into the simulator's directory of its volume), a VolumeSnapshot of it becomes
# readyToUse, a PVC restored from the snapshot and a PVC cloned from the first both come up
# Bound with that data, and deleting everything leaves nothing on the simulator.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM (tests/k8s/CMakeLists.txt).
set -euo pipefail
K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # lib.sh, tests/integration/lib.sh, sim_leftovers

k8s_test_start csi-provisioner csi-snapshotter snapshot-controller
install_snapshot_crds
start_snapshot_controller
start_snapshotter
start_provisioner
vast_storageclass vast Delete
vast_snapshotclass vast-snap >/dev/null

# the source PVC and its data, written where the simulator keeps the volume's directory
vast_pvc src vast 1Gi
wait_bound src 120 || give_up "PVC src is not Bound within 120 s"
SRC_PV=$(pv_of src)
SRC_DIR="$SIM_FS/k8s/$SRC_PV"
if [[ -d $SRC_DIR ]]; then
  pass "the volume's directory exists in the simulator"
else
  give_up "no directory $SRC_DIR for PV $SRC_PV"
fi
mkdir -p "$SRC_DIR/sub"
printf 'hello from src\n' >"$SRC_DIR/hello.txt"
printf 'nested\n' >"$SRC_DIR/sub/nested.txt"

t0=$(now_ms)
k apply -f - >/dev/null <<'EOF'
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: snap
  namespace: default
spec:
  volumeSnapshotClassName: vast-snap
  source:
    persistentVolumeClaimName: src
EOF
if k wait --namespace default --for=jsonpath='{.status.readyToUse}'=true volumesnapshot/snap --timeout=120s >/dev/null 2>&1; then
  pass "VolumeSnapshot snap is readyToUse in $(($(now_ms) - t0)) ms"
else
  give_up "VolumeSnapshot snap not readyToUse within 120 s: $(k describe volumesnapshot snap --namespace default 2>&1 | tail -n 8)"
fi
CONTENT=$(k get volumesnapshot snap --namespace default -o jsonpath='{.status.boundVolumeSnapshotContentName}')
SNAP_HANDLE=$(k get volumesnapshotcontent "$CONTENT" -o jsonpath='{.status.snapshotHandle}')
# restoreSize: vast-csi reports the snapshot's used bytes (22 here), not the source's 1Gi
# capacity; a 1Gi restore works either way, so only its presence is checked
RESTORE_SIZE=$(k get volumesnapshot snap --namespace default -o jsonpath='{.status.restoreSize}')
[[ -n $RESTORE_SIZE ]] && pass "the VolumeSnapshot has a restore size ($RESTORE_SIZE)" ||
  fail "the VolumeSnapshot has no restoreSize"
expect_eq "vms-sim holds one snapshot under /k8s" 1 \
  "$(sim_admin GET /_sim/inventory | "$PY" -c 'import json,sys
print(sum(o.get("path","").startswith("/k8s/") for o in json.load(sys.stdin).get("snapshots", [])))')"
[[ -n $SNAP_HANDLE ]] && pass "the VolumeSnapshotContent carries the driver's snapshot id" ||
  fail "the VolumeSnapshotContent $CONTENT has no snapshot handle"

# change the source after the snapshot: the restore must have the old data, the clone the new
printf 'changed after the snapshot\n' >"$SRC_DIR/later.txt"

t0=$(now_ms)
vast_pvc restored vast 1Gi VolumeSnapshot snap
wait_bound restored 120 || give_up "PVC restored (from snapshot snap) is not Bound within 120 s"
pass "a PVC from the VolumeSnapshot: Bound in $(($(now_ms) - t0)) ms"
RESTORED_DIR="$SIM_FS/k8s/$(pv_of restored)"
expect_eq "the restored volume has the snapshot's file" "hello from src" "$(cat "$RESTORED_DIR/hello.txt" 2>&1)"
expect_eq "the restored volume has the snapshot's nested file" nested "$(cat "$RESTORED_DIR/sub/nested.txt" 2>&1)"
[[ ! -e $RESTORED_DIR/later.txt ]] && pass "the restored volume lacks what was written after the snapshot" ||
  fail "the restored volume has later.txt, written after the snapshot"

t0=$(now_ms)
vast_pvc cloned vast 1Gi PersistentVolumeClaim src
wait_bound cloned 120 || give_up "PVC cloned (from PVC src) is not Bound within 120 s"
pass "a PVC cloned from PVC src: Bound in $(($(now_ms) - t0)) ms"
CLONED_DIR="$SIM_FS/k8s/$(pv_of cloned)"
expect_eq "the clone has the source's file" "hello from src" "$(cat "$CLONED_DIR/hello.txt" 2>&1)"
expect_eq "the clone has the source's nested file" nested "$(cat "$CLONED_DIR/sub/nested.txt" 2>&1)"
expect_eq "the clone has what was written after the snapshot" "changed after the snapshot" \
  "$(cat "$CLONED_DIR/later.txt" 2>&1)"
expect_eq "the PVs name our driver" "$DRIVER $DRIVER $DRIVER" \
  "$(k get pv "$SRC_PV" "$(pv_of restored)" "$(pv_of cloned)" -o jsonpath='{range .items[*]}{.spec.csi.driver}{" "}{end}' | sed 's/ $//')"

# delete all: the snapshot first (its content and the VAST snapshot go), then the PVCs
PVS=("$SRC_PV" "$(pv_of restored)" "$(pv_of cloned)")
k delete volumesnapshot snap --namespace default --wait=true --timeout=60s >/dev/null
if k wait --for=delete "volumesnapshotcontent/$CONTENT" --timeout=120s >/dev/null 2>&1; then
  pass "kubectl delete of the VolumeSnapshot: its content is gone"
else
  fail "VolumeSnapshotContent $CONTENT still there 120 s after its VolumeSnapshot was deleted"
fi
k delete pvc src restored cloned --namespace default --wait=true --timeout=60s >/dev/null
gone=0
for pv in "${PVS[@]}"; do
  k wait --for=delete "pv/$pv" --timeout=120s >/dev/null 2>&1 && gone=$((gone + 1))
done
expect_eq "kubectl delete of the three PVCs: their PVs are gone" 3 "$gone"
# the clone's temporary snapshot of src may go a moment after the PVs (its own stream)
end=$((SECONDS + 60))
until [[ $(sim_leftovers) == "[] [] []" ]] || ((SECONDS >= end)); do sleep 0.5; done
expect_eq "nothing is left on vms-sim under /k8s (views, quotas, snapshots)" "[] [] []" "$(sim_leftovers)"

k8s_test_end
