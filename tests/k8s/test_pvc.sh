#!/usr/bin/env bash
# End to end through the real Kubernetes components: a PVC applied with kubectl is
# provisioned by the upstream csi-provisioner calling vast-csi (controller mode) on a
# seeded vms-sim, bound by kube-controller-manager, and deleted again with nothing left
# on the simulator. StorageClass and Secret are in the vendor driver's format.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM (tests/k8s/CMakeLists.txt).
set -euo pipefail
K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$K8S_TEST_DIR/lib.sh"
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl csi-provisioner
# shellcheck source=../integration/lib.sh
source "$K8S_TEST_DIR/../integration/lib.sh" # WORK, start_sim, start_plugin, checks, finish
# shellcheck source=../sanity/lib.sh
source "$K8S_TEST_DIR/../sanity/lib.sh" # sim_leftovers

# the exit trap: the control plane and the sidecar by PID, then lib.sh's cleanup
k8s_test_cleanup() {
  k8s_stop
  cleanup
}
trap k8s_test_cleanup EXIT

start_sim
start_plugin --mode controller --vms-secret-dir "$SECRET_DIR"
DRIVER=$(json_field "$("$CSICTL" -e "$ENDPOINT" GetPluginInfo)" name)
k8s_start "$WORK/k8s" || { fail "the control plane came up"; finish; }

"$VK_K8S_TOOLS_BIN/csi-provisioner" --csi-address "$SOCK" --kubeconfig "$KUBECONFIG" \
  --leader-election=false --extra-create-metadata --timeout 30s --v 3 >"$WORK/csi-provisioner.log" 2>&1 &
K8S_PIDS+=($!)

# The Secret and StorageClass as a platform engineer writes them for the vendor's driver.
k create secret generic vast-sim --namespace default \
  --from-literal "endpoint=$SIM_ENDPOINT" --from-literal username=admin --from-literal password=123456 \
  --from-file "ssl_cert=$SECRET_DIR/ssl_cert" >/dev/null
k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: vast
provisioner: $DRIVER
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
parameters:
  root_export: /k8s
  view_policy: vast-k8s-nfs
  vip_pool_name: vast-k8s-pool
  csi.storage.k8s.io/provisioner-secret-name: vast-sim
  csi.storage.k8s.io/provisioner-secret-namespace: default
  csi.storage.k8s.io/controller-expand-secret-name: vast-sim
  csi.storage.k8s.io/controller-expand-secret-namespace: default
EOF

t0=$(now_ms)
k apply -f - >/dev/null <<'EOF'
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
EOF
if k wait --namespace default --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=120s >/dev/null; then
  pass "kubectl apply of a PVC: Bound in $(($(now_ms) - t0)) ms"
else
  fail "PVC data is not Bound within 120 s: $(k describe pvc data 2>&1 | tail -n 8)"
  tail -n 30 "$WORK/csi-provisioner.log"
  finish
fi

PV=$(k get pvc data -o jsonpath='{.spec.volumeName}')
expect_eq "the PV's volume context names its export on VAST" "/k8s/$PV" \
  "$(k get pv "$PV" -o jsonpath='{.spec.csi.volumeAttributes.export_path}')"
expect_eq "the PV's capacity is the PVC's request" 1Gi "$(k get pv "$PV" -o jsonpath='{.spec.capacity.storage}')"
expect_eq "the PV names our driver" "$DRIVER" "$(k get pv "$PV" -o jsonpath='{.spec.csi.driver}')"
expect_eq "the PV is bound to default/data" default/data \
  "$(k get pv "$PV" -o jsonpath='{.spec.claimRef.namespace}/{.spec.claimRef.name}')"
expect_eq "vms-sim holds one view and one quota, at /k8s/$PV" "[\"/k8s/$PV\"] [\"/k8s/$PV\"] []" "$(sim_leftovers)"
expect_eq "the quota's hard limit is 1 GiB" "$GiB" "$(inv_get quotas hard_limit "/k8s/$PV")"

k delete pvc data --namespace default --wait=true --timeout=60s >/dev/null
if k wait --for=delete "pv/$PV" --timeout=120s >/dev/null 2>&1; then
  pass "kubectl delete of the PVC: the PV is gone"
else
  fail "PV $PV still there 120 s after its PVC was deleted: $(k get pv "$PV" -o wide 2>&1 | tail -n 1)"
fi
expect_eq "nothing is left on vms-sim under /k8s" "[] [] []" "$(sim_leftovers)"

k8s_stop
stop_plugin
expect_eq "vast-csi exits 0 on SIGTERM" 0 "$STOP_STATUS"
finish
