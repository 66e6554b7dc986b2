#!/usr/bin/env bash
# vast-operator's /metrics (--health-address) on the real control plane and vms-sim, read
# by the Prometheus project's own parser: every family parses and is there; a Tenant
# applied with kubectl and Ready is counted by vast_operator_tenants{condition="Ready"} as
# kubectl sees it, its reconciles by kind and result, and the VMS writes the operator
# counts are those vms-sim counted; made Degraded (a VIP range out of order: SpecInvalid)
# it moves from Ready to Degraded at the next scrape; the leader gauge is 1.
# The operator's own tests (tests/operator/) prove its behaviour; this proves what it
# exports.
source "$(dirname "$0")/../operator/lib.sh"
source "$(dirname "$0")/helpers.sh"

OP_FAMILIES=(vast_operator_reconciles_total:counter vast_operator_reconcile_duration_seconds:histogram
  vast_operator_queue_depth:gauge vast_operator_tenants:gauge vast_operator_leader:gauge "${VMS_FAMILIES[@]}")
# made by the first Tenant's reconcile (operator/tenant.c), so not in the first scrape
WRITES=vast_operator_writes_total:counter

# tenants_with CONDITION: how many Tenants kubectl shows with that condition True.
tenants_with() {
  kc get tenants -o json | "$PY" -c 'import json, sys
print(sum(any(c["type"] == sys.argv[1] and c["status"] == "True" for c in t.get("status", {}).get("conditions", []))
          for t in json.load(sys.stdin)["items"]))' "$1"
}
sim_writes() { sim_admin GET /_sim/stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["writes_total"])'; }

op_test_start
op_start a
HTTP_URL="http://127.0.0.1:${OP_PORT[a]}"
poll "the operator is ready" 60 bash -c "[[ \$($PROM get $HTTP_URL/readyz) == 200* ]]" || fail "/readyz 200"
expect_http "/healthz answers 200" /healthz 200
expect_http "/readyz answers 200" /readyz 200
poll "VastCluster vast-a Connected" 60 bash -c \
  "[[ \$(\"$VK_K8S_TOOLS_BIN/kubectl\" --kubeconfig \"$KUBECONFIG\" get vastcluster vast-a -o jsonpath='{.status.conditions[?(@.type==\"Connected\")].status}') == True ]]" ||
  fail "VastCluster vast-a Connected"

scrape o0 "${OP_FAMILIES[@]}"
expect_eq "the leader gauge is 1 (no election: it leads)" 1 "$(value o0 vast_operator_leader)"
expect_eq "no Tenant yet: none Ready" 0 "$(value o0 vast_operator_tenants condition=Ready)"
writes0=$(sim_writes)

kc create namespace team-m >/dev/null
tenant_yaml tm 1 "[team-m]" | kc apply -f - >/dev/null
poll "Tenant tm Ready" 120 tenant_ready tm || fail "Tenant tm Ready"
scrape o1 "${OP_FAMILIES[@]}" $WRITES
expect_eq "tenants{Ready} as kubectl counts them" "$(tenants_with Ready)" "$(value o1 vast_operator_tenants condition=Ready)"
expect_eq "... which is 1" 1 "$(value o1 vast_operator_tenants condition=Ready)"
expect_eq "tenants{Degraded} 0" 0 "$(value o1 vast_operator_tenants condition=Degraded)"
expect_eq "tenants{DeletionBlocked} 0" 0 "$(value o1 vast_operator_tenants condition=DeletionBlocked)"
ok_passes=$(delta o0 o1 vast_operator_reconciles_total kind=tenant result=ok)
if ((ok_passes >= 1)); then pass "tenant reconciles counted ok ($ok_passes)"; else fail "no ok tenant reconcile counted"; fi
expect_eq "reconcile histogram counts every pass" "$(delta o0 o1 vast_operator_reconciles_total)" \
  "$(delta o0 o1 vast_operator_reconcile_duration_seconds_count)"
expect_eq "VMS writes counted as vms-sim counted them" "$(($(sim_writes) - writes0))" \
  "$(delta o0 o1 vast_operator_writes_total target=vms)"
kube_writes=$(delta o0 o1 vast_operator_writes_total target=kubernetes)
if ((kube_writes >= 1)); then pass "Kubernetes writes counted ($kube_writes)"; else fail "no Kubernetes write counted"; fi
posts=$(delta o0 o1 vast_vms_requests_total method=POST)
if ((posts >= 1)); then pass "the operator's VMS requests are counted ($posts POSTs)"; else fail "no VMS POST counted"; fi

kc patch tenant tm --type json \
  -p '[{"op": "replace", "path": "/spec/clusters/0/vipPool/ranges/0/start", "value": "10.0.1.30"}]' >/dev/null
poll "Tenant tm Degraded" 60 bash -c "[[ \$(\"$VK_K8S_TOOLS_BIN/kubectl\" --kubeconfig \"$KUBECONFIG\" get tenant tm -o jsonpath='{.status.conditions[?(@.type==\"Degraded\")].status}') == True ]]" ||
  fail "Tenant tm Degraded"
scrape o2 "${OP_FAMILIES[@]}" $WRITES
expect_eq "tenants{Degraded} as kubectl counts them" "$(tenants_with Degraded)" \
  "$(value o2 vast_operator_tenants condition=Degraded)"
expect_eq "... which is 1" 1 "$(value o2 vast_operator_tenants condition=Degraded)"
expect_eq "tenants{Ready} 0 now" 0 "$(value o2 vast_operator_tenants condition=Ready)"

op_test_end
