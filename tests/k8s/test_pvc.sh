#!/usr/bin/env bash
# End to end through the real Kubernetes components: a PVC applied with kubectl is
# provisioned by the upstream csi-provisioner calling vast-csi (controller mode) on a
# seeded vms-sim, bound by kube-controller-manager, and deleted again with nothing left
# on the simulator. StorageClass and Secret are in the vendor driver's format.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM (tests/k8s/CMakeLists.txt).
set -euo pipefail
K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # lib.sh, tests/integration/lib.sh, sim_leftovers

k8s_test_start csi-provisioner
start_provisioner
# The StorageClass (and Secret, from k8s_test_start) as a platform engineer writes them
# for the vendor's driver.
vast_storageclass vast Delete

t0=$(now_ms)
vast_pvc data vast 1Gi
wait_bound data 120 || give_up "PVC data is not Bound within 120 s"
pass "kubectl apply of a PVC: Bound in $(($(now_ms) - t0)) ms"

PV=$(pv_of data)
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

k8s_test_end
