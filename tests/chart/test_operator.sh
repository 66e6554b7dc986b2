#!/usr/bin/env bash
# The chart's operator RBAC in use: after helm install on the real control plane,
# vast-operator runs as a process with the flags of the installed Deployment and a
# TokenRequest token of the chart's operator ServiceAccount, against vms-sim: it leads
# through its Lease, connects the VastCluster (reading its credentials Secret), makes a
# Tenant Ready with every Kubernetes child (its credentials Secret, StorageClasses,
# VolumeSnapshotClass, the admission policy and binding) and deletes it again, without one
# Forbidden answer. tests/operator covers the operator itself; this covers the chart's roles.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM, VAST_OPERATOR (tests/chart/CMakeLists.txt).
set -euo pipefail
CHART_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../operator/lib.sh
source "$CHART_TEST_DIR/../operator/lib.sh" # sidecars.sh, op_test_start, op_start, tenant_yaml, vast_of
# shellcheck source=chart.sh
source "$CHART_TEST_DIR/chart.sh"

# the simulator, the control plane, the CRDs, namespace vast-system with the VMS admin's
# Secret vast-a-admin, VastCluster vast-a (tests/operator/lib.sh)
op_test_start helm
install_snapshot_crds # the operator makes a VolumeSnapshotClass when the API is served
if out=$(helm install "$RELEASE" "$CHART" --namespace "$RELEASE_NS" --kubeconfig "$KUBECONFIG" 2>&1); then
  pass "helm install with the default values (the CRDs were there: helm leaves them)"
else
  give_up "helm install: $out"
fi
helm get manifest "$RELEASE" -n "$RELEASE_NS" --kubeconfig "$KUBECONFIG" >"$WORK/manifest.yaml"

token=$(kc create token "$RELEASE-operator" -n "$RELEASE_NS" --duration 1h) || give_up "kubectl create token for the operator's ServiceAccount"
k8s_kubeconfig "$WORK/operator.kubeconfig" "$token"
# the installed Deployment's args, but for what only a Pod has: its name and its IP
mapfile -t args < <("$PY" - "$WORK/manifest.yaml" "$RELEASE-operator" <<'PY'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Deployment" and d["metadata"]["name"] == sys.argv[2]:
        for a in d["spec"]["template"]["spec"]["containers"][0]["args"]:
            if a.startswith("--health-address="):
                continue  # op_start gives a free loopback port
            print(a.replace("$(POD_NAME)", "vast-k8s-operator-test"))
PY
)
expect_contains "the chart's operator elects a leader" " ${args[*]} " " --leader-elect=true "
t0=$(now_ms)
KUBECONFIG=$WORK/operator.kubeconfig op_start chart "${args[@]}"
# evaluated on each poll: the Lease is written a moment after the process starts
operator_leads() {
  test "$(kc -n "$RELEASE_NS" get lease vast-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)" = vast-k8s-operator-test
}
poll "the operator holds its Lease" 30 operator_leads ||
  give_up "the operator, with the chart's account, does not lead: $(tail -n 5 "$WORK/op-chart.log")"
pass "the operator leads through its Lease in $RELEASE_NS"

kc create namespace acme-train >/dev/null
tenant_yaml acme 0 "[acme-train]" | kc apply -f - >/dev/null
poll "Tenant acme Ready" 90 tenant_ready acme ||
  give_up "Tenant acme is not Ready with the chart's account: $(kc get tenant acme -o jsonpath='{.status.conditions}')"
pass "Tenant acme Ready with the chart's operator account in $(($(now_ms) - t0)) ms (operator start included)"
expect_eq "VastCluster vast-a is Connected (its credentials Secret read)" True \
  "$(kc get vastcluster vast-a -o jsonpath='{.status.conditions[?(@.type=="Connected")].status}')"
expect_eq "vms-sim holds one of each of acme's objects" \
  "tenants=1 vippools=1 viewpolicies=1 qospolicies=1 quotas=1 managers=1" "$(vast_of acme)"
children=0
for obj in "storageclass acme-fast" "storageclass acme-std" "volumesnapshotclass vk-tenant-acme" \
  "-n $RELEASE_NS secret vk-tenant-acme"; do
  # shellcheck disable=SC2086 # obj is a word list by construction
  kc get $obj >/dev/null 2>&1 && children=$((children + 1)) || echo "missing: $obj"
done
expect_eq "its StorageClasses, VolumeSnapshotClass and credentials Secret exist" 4 "$children"
expect_eq "its admission policy and binding exist" 2 \
  "$(kc get validatingadmissionpolicies,validatingadmissionpolicybindings -l tenancy.vast-k8s.io/tenant=acme -o name | wc -l)"

kc delete tenant acme --wait=false >/dev/null
poll "Tenant acme gone" 90 bash -c "! '$VK_K8S_TOOLS_BIN/kubectl' --kubeconfig '$KUBECONFIG' get tenant acme" ||
  fail "Tenant acme still there 90 s after kubectl delete: $(kc get tenant acme -o jsonpath='{.status.conditions}')"
expect_eq "deleting it removed its objects from vms-sim (deletionPolicy Delete)" \
  "tenants=0 vippools=0 viewpolicies=0 qospolicies=0 quotas=0 managers=0" "$(vast_of acme)"
expect_eq "the operator was never refused by the API server (no 403 in its log)" 0 \
  "$(grep -ciE 'forbidden|PERMISSION_DENIED' "$WORK/op-chart.log" || true)"
op_test_end
