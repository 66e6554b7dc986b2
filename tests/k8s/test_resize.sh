#!/usr/bin/env bash
# End to end through the real resize path: csi-resizer and csi-provisioner on the loopback
# control plane, against vast-csi (controller mode) on a seeded vms-sim. A 1Gi PVC of a
# StorageClass with allowVolumeExpansion is patched with kubectl to 2Gi: the PV's capacity,
# the PVC's status and the VAST quota's hard limit grow. vast-csi advertises
# VolumeExpansion ONLINE and needs no node step, so no kubelet is needed to finish.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM (tests/k8s/CMakeLists.txt).
set -euo pipefail
K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # lib.sh, tests/integration/lib.sh, sim_leftovers

k8s_test_start csi-provisioner csi-resizer
start_provisioner
start_resizer
vast_storageclass vast Delete

vast_pvc data vast 1Gi
wait_bound data 120 || give_up "PVC data is not Bound within 120 s"
PV=$(pv_of data)
expect_eq "before: the quota's hard limit is 1 GiB" "$GiB" "$(inv_get quotas hard_limit "/k8s/$PV")"

t0=$(now_ms)
k patch pvc data --namespace default --type merge -p '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}' >/dev/null
if k wait --for=jsonpath='{.spec.capacity.storage}'=2Gi "pv/$PV" --timeout=120s >/dev/null 2>&1; then
  pass "kubectl patch of the PVC to 2Gi: the PV's capacity is 2Gi in $(($(now_ms) - t0)) ms"
else
  give_up "PV $PV not 2Gi within 120 s: $(k describe pvc data --namespace default 2>&1 | tail -n 8)"
fi
expect_eq "after: the quota's hard limit is 2 GiB" "$((2 * GiB))" "$(inv_get quotas hard_limit "/k8s/$PV")"
# no node step: the resizer marks the resize finished and the PVC reports the new size
if k wait --namespace default --for=jsonpath='{.status.capacity.storage}'=2Gi pvc/data --timeout=60s >/dev/null 2>&1; then
  pass "the PVC's status capacity is 2Gi (no node expansion pending)"
else
  fail "PVC data's status: $(k get pvc data --namespace default -o jsonpath='{.status}')"
fi
expect_eq "vms-sim still holds one view and one quota, at /k8s/$PV" "[\"/k8s/$PV\"] [\"/k8s/$PV\"] []" "$(sim_leftovers)"

k delete pvc data --namespace default --wait=true --timeout=60s >/dev/null
if k wait --for=delete "pv/$PV" --timeout=120s >/dev/null 2>&1; then
  pass "kubectl delete of the PVC: the PV is gone"
else
  fail "PV $PV still there 120 s after its PVC was deleted"
fi
expect_eq "nothing is left on vms-sim under /k8s" "[] [] []" "$(sim_leftovers)"

k8s_test_end
