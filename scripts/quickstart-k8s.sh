#!/usr/bin/env bash
# Quickstart on Kubernetes: builds, brings up a local control plane on loopback (etcd,
# kube-apiserver, kube-controller-manager: tests/k8s/lib.sh), a seeded vms-sim, vast-csi in
# controller mode and the upstream csi-provisioner, then shows a PVC going from
# `kubectl apply` to Bound with kubectl's own output, what it made on the simulator, and
# its deletion. Everything it started is stopped by PID and its scratch directory removed.
# No kubelet runs (no container runtime): the PVC is provisioned and bound, not mounted.
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

# shellcheck source=../tests/k8s/lib.sh
source tests/k8s/lib.sh
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl csi-provisioner
# shellcheck source=../tests/integration/lib.sh
source tests/integration/lib.sh # WORK, start_sim, start_plugin, cleanup (the exit trap)
# shellcheck source=../tests/sanity/lib.sh
source tests/sanity/lib.sh # sim_leftovers
quickstart_stop() {
  k8s_stop
  cleanup
}
trap quickstart_stop EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
kubectl() { k "$@"; } # so that the commands on screen read as a user types them

step "vms-sim (the VAST management API simulator) and vast-csi (controller)"
start_sim
start_plugin --mode controller --vms-secret-dir "$SECRET_DIR"
DRIVER=$(json_field "$("$CSICTL" -e "$ENDPOINT" GetPluginInfo)" name)
echo "vms-sim at $SIM_ENDPOINT, $DRIVER on $SOCK"

step "a Kubernetes control plane on loopback, and csi-provisioner"
k8s_start "$WORK/k8s"
"$VK_K8S_TOOLS_BIN/csi-provisioner" --csi-address "$SOCK" --kubeconfig "$KUBECONFIG" \
  --leader-election=false --extra-create-metadata >"$WORK/csi-provisioner.log" 2>&1 &
K8S_PIDS+=($!)
show kubectl get namespaces

step "the Secret and StorageClass for the driver"
k create secret generic vast-sim --namespace default \
  --from-literal "endpoint=$SIM_ENDPOINT" --from-literal username=admin --from-literal password=123456 \
  --from-file "ssl_cert=$SECRET_DIR/ssl_cert"
cat >"$WORK/storageclass.yaml" <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: vast
provisioner: $DRIVER
reclaimPolicy: Delete
volumeBindingMode: Immediate
parameters:
  root_export: /k8s
  view_policy: vast-k8s-nfs
  vip_pool_name: vast-k8s-pool
  csi.storage.k8s.io/provisioner-secret-name: vast-sim
  csi.storage.k8s.io/provisioner-secret-namespace: default
YAML
show kubectl apply -f "$WORK/storageclass.yaml"

step "kubectl apply of a PVC"
cat >"$WORK/pvc.yaml" <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: default
spec:
  storageClassName: vast
  accessModes: [ReadWriteMany]
  resources:
    requests:
      storage: 1Gi
YAML
cat "$WORK/pvc.yaml"
t0=$(now_ms)
show kubectl apply -f "$WORK/pvc.yaml"
show kubectl get pvc data
show kubectl wait --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=120s
echo "Bound in $(($(now_ms) - t0)) ms"
show kubectl get pvc data
show kubectl get pv
PV=$(k get pvc data -o jsonpath='{.spec.volumeName}')
echo "on vms-sim (views, quotas, snapshots under /k8s): $(sim_leftovers)"

step "kubectl delete of the PVC"
show kubectl delete pvc data --wait=true --timeout=60s
show kubectl wait --for=delete "pv/$PV" --timeout=120s
show kubectl get pv
echo "on vms-sim (views, quotas, snapshots under /k8s): $(sim_leftovers)"

step "stopping everything"
k8s_stop
stop_plugin
echo "quickstart-k8s: done; nothing left running"
