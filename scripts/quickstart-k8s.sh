#!/usr/bin/env bash
# Quickstart on Kubernetes: builds, brings up a local control plane on loopback (etcd,
# kube-apiserver, kube-controller-manager), a seeded vms-sim, vast-csi in controller mode
# and the upstream sidecars (csi-provisioner, csi-snapshotter, snapshot-controller), then
# shows with kubectl's own output a PVC going from `kubectl apply` to Bound, a snapshot of
# it, a PVC restored from that snapshot with its data, what each made on the simulator,
# and their deletion. It runs on the end-to-end tests' own helpers (tests/k8s/sidecars.sh),
# so what it shows is what they check. Everything it started is stopped by PID and its
# scratch directory removed. No kubelet runs (no container runtime): volumes are
# provisioned and bound, not mounted.
#   bash scripts/quickstart-k8s.sh        # VK_BUILD: the build directory (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${VK_BUILD:-build}

bash scripts/bootstrap.sh
VK_K8S_TOOLS_BIN=$(bash scripts/k8s-tools.sh --print-bin)
bash scripts/k8s-tools.sh >/dev/null # builds the pinned tools once; later runs find them cached
cmake -S . -B "$BUILD" -DVK_K8S_TOOLS_BIN="$VK_K8S_TOOLS_BIN" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null
export VK_K8S_TOOLS_BIN VAST_CSI="$ROOT/$BUILD/csi/vast-csi" CSICTL="$ROOT/$BUILD/csictl/csictl" VMS_SIM="$ROOT/$BUILD/sim/vms-sim"

K8S_TEST_DIR=$ROOT/tests/k8s
# shellcheck source=../tests/k8s/sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # the control plane, sidecars, Secret, StorageClass, PVCs
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
kubectl() { k "$@"; } # so that the commands on screen read as a user types them
on_sim() { echo "on vms-sim (views, quotas, snapshots under /k8s): $(sim_leftovers)"; }

step "vms-sim, vast-csi (controller) and a Kubernetes control plane on loopback"
k8s_test_start csi-provisioner csi-snapshotter snapshot-controller
echo "vms-sim at $SIM_ENDPOINT, $DRIVER on $SOCK"
install_snapshot_crds
start_snapshot_controller
start_snapshotter
start_provisioner
show kubectl get namespaces

step "the StorageClass and VolumeSnapshotClass (the vendor driver's parameters)"
vast_storageclass vast Delete
show kubectl get storageclass vast -o yaml
vast_snapshotclass vast-snap

step "kubectl apply of a PVC"
vast_pvc_yaml data vast 1Gi >"$WORK/pvc.yaml"
cat "$WORK/pvc.yaml"
t0=$(now_ms)
show kubectl apply -f "$WORK/pvc.yaml"
show kubectl wait --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=120s
echo "Bound in $(($(now_ms) - t0)) ms"
show kubectl get pvc data
show kubectl get pv
on_sim
DATA_DIR="$SIM_FS/k8s/$(pv_of data)"
printf 'written before the snapshot\n' >"$DATA_DIR/hello.txt"
echo "wrote hello.txt into the volume (the simulator's directory $DATA_DIR)"

step "a VolumeSnapshot of it"
kubectl apply -f - <<'EOF'
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: data-snap
  namespace: default
spec:
  volumeSnapshotClassName: vast-snap
  source:
    persistentVolumeClaimName: data
EOF
show kubectl wait --for=jsonpath='{.status.readyToUse}'=true volumesnapshot/data-snap --timeout=120s
show kubectl get volumesnapshot data-snap
on_sim

step "a PVC restored from the snapshot"
vast_pvc_yaml restored vast 1Gi VolumeSnapshot data-snap >"$WORK/restored.yaml"
cat "$WORK/restored.yaml"
show kubectl apply -f "$WORK/restored.yaml"
show kubectl wait --for=jsonpath='{.status.phase}'=Bound pvc/restored --timeout=120s
show kubectl get pvc
echo "restored/hello.txt: $(cat "$SIM_FS/k8s/$(pv_of restored)/hello.txt")"

step "kubectl delete of the snapshot and the PVCs"
PVS=$(k get pv -o jsonpath='{.items[*].metadata.name}')
show kubectl delete volumesnapshot data-snap --wait=true --timeout=60s
show kubectl delete pvc data restored --wait=true --timeout=60s
for pv in $PVS; do k wait --for=delete "pv/$pv" --timeout=120s >/dev/null 2>&1 || true; done
show kubectl get pv
on_sim

step "stopping everything"
k8s_test_end
