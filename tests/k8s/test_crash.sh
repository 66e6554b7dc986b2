#!/usr/bin/env bash
# kill -9 of vast-csi while the real csi-provisioner has PVCs in flight: 20 PVCs applied at
# once against a vms-sim that answers every request late, the driver killed as soon as its
# first quota exists, then started again on the same socket (and the provisioner started
# again if it exited on losing its driver, as a restarted sidecar container would be).
# Then every PVC is Bound and vms-sim holds exactly one view and one quota per PV, at the
# PV's path, and nothing at a path no PV names; deleting the PVCs leaves nothing behind.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM (tests/k8s/CMakeLists.txt).
set -euo pipefail
K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # lib.sh, tests/integration/lib.sh, sim_leftovers

N=20
LATENCY_MS=400 # per VMS request while the driver is killed: CreateVolumes are mid-flight
PROV_PID=""

# the provisioner is outside K8S_PIDS: it may exit when its driver dies (k8s_wait would
# take that for a failure of the control plane)
stop_own_provisioner() {
  if [[ -n $PROV_PID ]] && kill -0 "$PROV_PID" 2>/dev/null; then
    kill -TERM "$PROV_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PROV_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PROV_PID" 2>/dev/null || true
  fi
  [[ -z $PROV_PID ]] || wait "$PROV_PID" 2>/dev/null || true
  PROV_PID=""
}
start_own_provisioner() {
  "$VK_K8S_TOOLS_BIN/csi-provisioner" --csi-address "$SOCK" --kubeconfig "$KUBECONFIG" \
    --leader-election=false --extra-create-metadata --v 3 >>"$WORK/csi-provisioner.log" 2>&1 &
  PROV_PID=$!
}
crash_test_cleanup() {
  stop_own_provisioner
  k8s_test_cleanup
}
trap crash_test_cleanup EXIT

# what vms-sim holds under /k8s: the views' and the quotas' paths, and the PVs' paths
k8s_quotas() { sim_leftover_lines | sed -n 2p | wc -w; }
pv_paths() {
  k get pv --no-headers -o custom-columns=N:.metadata.name | sed 's|^|/k8s/|' | sort | paste -sd' ' -
}

k8s_test_start csi-provisioner
start_own_provisioner
vast_storageclass vast Delete
names=()
for ((i = 0; i < N; i++)); do printf -v name crash-%02d "$i" && names+=("$name"); done
vast_pvcs "$WORK/pvcs.yaml" vast 1Gi "${names[@]}"

sim_admin POST /_sim/faults "{\"rules\": [{\"latency_ms\": $LATENCY_MS}]}" >/dev/null
k apply -f "$WORK/pvcs.yaml" >/dev/null

# kill -9 once the first quota exists (or at 60 s: then the kill is checked below anyway)
for _ in $(seq 1 600); do
  [[ $(k8s_quotas) -ge 1 ]] && break
  sleep 0.1
done
kill -KILL "$PLUGIN_PID"
wait "$PLUGIN_PID" 2>/dev/null || true
PLUGIN_PID=""
bound_at_kill=$(k get pvc --namespace default --no-headers -o custom-columns=P:.status.phase | grep -c '^Bound$' || true)
quotas_at_kill=$(k8s_quotas)
if ((bound_at_kill < N)); then
  pass "vast-csi killed with -9 mid-burst: $bound_at_kill of $N PVCs Bound, $quotas_at_kill quotas on vms-sim"
else
  fail "the kill landed after every PVC was Bound ($quotas_at_kill quotas): nothing was in flight"
fi
sleep 2 # requests the dead driver sent are still answered by the simulator (late)

sim_admin DELETE /_sim/faults >/dev/null
start_plugin --mode controller --vms-secret-dir "$SECRET_DIR" # same socket: $ENDPOINT
pass "vast-csi started again on the same socket"
if [[ -n $PROV_PID ]] && ! kill -0 "$PROV_PID" 2>/dev/null; then
  wait "$PROV_PID" 2>/dev/null || true
  echo "# csi-provisioner exited when its driver died (as upstream does): started again"
  start_own_provisioner
fi

t0=$(now_ms)
if k wait --namespace default --for=jsonpath='{.status.phase}'=Bound pvc --all --timeout=300s >/dev/null; then
  pass "every PVC Bound, $(($(now_ms) - t0)) ms after the restart"
else
  fail "not every PVC Bound within 300 s of the restart: $(k get pvc --namespace default --no-headers | grep -vc Bound) left"
  k get events --namespace default --no-headers 2>/dev/null | tail -n 5
  tail -n 20 "$WORK/csi-provisioner.log"
fi

expect_eq "$N PVs" "$N" "$(k get pv --no-headers 2>/dev/null | wc -l)"
PVS=$(pv_paths)
mapfile -t held < <(sim_leftover_lines)
expect_eq "exactly one view per PV, at its path, none orphaned" "$PVS" "${held[0]:-}"
expect_eq "exactly one quota per PV, at its path, none orphaned" "$PVS" "${held[1]:-}"

k delete pvc --all --namespace default --wait=false >/dev/null
for _ in $(seq 1 600); do [[ -z $(k get pv --no-headers 2>/dev/null) ]] && break; sleep 0.5; done
if [[ -z $(k get pv --no-headers 2>/dev/null) ]]; then
  pass "PVCs deleted: no PV left"
else
  fail "PVs left 300 s after deleting the PVCs: $(k get pv --no-headers 2>/dev/null | wc -l)"
fi
expect_eq "nothing is left on vms-sim under /k8s" "[] [] []" "$(sim_leftovers)"

stop_own_provisioner
k8s_test_end
