#!/usr/bin/env bash
# End to end through csi-provisioner on the loopback control plane, against vast-csi
# (controller mode) on a seeded vms-sim: a StorageClass with reclaimPolicy Retain keeps the
# VAST volume (view and quota) after its PVC and PV are deleted with kubectl; and a
# StorageClass naming a view policy the cluster does not have leaves its PVC Pending with
# an event, where a user looks (kubectl describe, kubectl get events), that names the
# policy and the cluster.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM (tests/k8s/CMakeLists.txt).
set -euo pipefail
K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # lib.sh, tests/integration/lib.sh, sim_leftovers

k8s_test_start csi-provisioner
start_provisioner
vast_storageclass vast-retain Retain
vast_storageclass vast-badpolicy Delete no-such-policy

# Retain: PVC deleted → the PV is Released, not deleted; deleting the PV keeps the volume
vast_pvc keep vast-retain 1Gi
wait_bound keep 120 || give_up "PVC keep is not Bound within 120 s"
PV=$(pv_of keep)
expect_eq "the PV's reclaim policy is Retain" Retain "$(k get pv "$PV" -o jsonpath='{.spec.persistentVolumeReclaimPolicy}')"
k delete pvc keep --namespace default --wait=true --timeout=60s >/dev/null
if k wait --for=jsonpath='{.status.phase}'=Released "pv/$PV" --timeout=120s >/dev/null 2>&1; then
  pass "kubectl delete of the PVC: the PV is Released"
else
  fail "PV $PV is not Released: $(k get pv "$PV" -o jsonpath='{.status.phase}' 2>&1)"
fi
k delete pv "$PV" --wait=true --timeout=60s >/dev/null
k wait --for=delete "pv/$PV" --timeout=60s >/dev/null 2>&1 && pass "kubectl delete of the PV: it is gone" ||
  fail "PV $PV still there after kubectl delete"
# give a wrong DeleteVolume (there must be none) the time it would take to arrive
sleep 2
expect_eq "the VAST volume stays: one view and one quota at /k8s/$PV" "[\"/k8s/$PV\"] [\"/k8s/$PV\"] []" "$(sim_leftovers)"
expect_eq "the retained quota keeps its 1 GiB hard limit" "$GiB" "$(inv_get quotas hard_limit "/k8s/$PV")"
if grep -q DeleteVolume "$WORK/plugin.log"; then
  fail "vast-csi was asked to DeleteVolume a retained volume"
else
  pass "no DeleteVolume reached vast-csi"
fi

# an unknown view policy: Pending, with a ProvisioningFailed event naming policy and cluster
vast_pvc bad vast-badpolicy 1Gi
end=$((SECONDS + 120))
events=""
until [[ $events == *no-such-policy* ]] || ((SECONDS >= end)); do
  sleep 0.5
  events=$(k get events --namespace default --field-selector involvedObject.name=bad \
    -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}' 2>/dev/null || true)
done
expect_contains "kubectl get events: ProvisioningFailed for PVC bad" "$events" "ProvisioningFailed"
expect_contains "the event names the view policy" "$events" "no-such-policy"
expect_contains "the event names the cluster" "$events" "$SIM_ENDPOINT"
described=$(k describe pvc bad --namespace default)
expect_contains "kubectl describe pvc bad shows the policy" "$described" "no-such-policy"
expect_eq "PVC bad stays Pending" Pending "$(k get pvc bad --namespace default -o jsonpath='{.status.phase}')"
expect_eq "no view or quota was made for it" "[\"/k8s/$PV\"] [\"/k8s/$PV\"] []" "$(sim_leftovers)"
k delete pvc bad --namespace default --wait=true --timeout=60s >/dev/null

# the retained volume is the administrator's to remove
k8s_test_end
