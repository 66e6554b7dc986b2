#!/usr/bin/env bash
# vast-operator killed with SIGKILL in the middle of a reconcile, and its leader election.
#
# Crashes: for every step of vast_tenant_apply (tenant, VIP pool, view policy, class QoS
# policy, root quota, tenant admin) a new Tenant, the operator killed there, and a
# restarted operator that converges it to Ready with exactly one object of each kind on
# vms-sim and a Secret whose password logs in as the tenant admin. Each step twice: killed
# by its fault point just before the create (VAST_OPERATOR_FAULTS=vast.tenant.STEP.create=
# kill, include/vk/fault.h), and killed while the simulator holds the create's answer
# (its hang_ms fault: the object is made, the operator never learns its id), which only
# a lookup by the natural key before every create survives.
#
# Leader election: two operators with --leader-elect true; only the leader reconciles,
# both answer /readyz 200; SIGTERM of the leader releases the Lease, so the standby leads
# long before the 15 s lease would expire and reconciles a change made afterwards;
# SIGKILL of the new leader leaves the Lease held: a restarted candidate leads only after
# it expires.
# Environment: VK_K8S_TOOLS_BIN, VAST_OPERATOR, VAST_CSI, CSICTL, VMS_SIM.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ONE_OF_EACH="tenants=1 vippools=1 viewpolicies=1 qospolicies=1 quotas=1 managers=1"
STEPS=(tenant vip_pool view_policy qos_policy root_quota admin)
COLLECTIONS=(tenants vippools viewpolicies qospolicies quotas managers)

# count_of TENANT COLLECTION: how many of TENANT's objects of COLLECTION vms-sim holds.
count_of() { local w; for w in $(vast_of "$1"); do [[ ${w%%=*} == "$2" ]] && echo "${w#*=}"; done; }
has_one() { [[ $(count_of "$1" "$2") == 1 ]]; }

# converges TENANT HOW: a restarted operator (no faults) makes TENANT Ready with one
# object of each kind, and the Secret's password logs in as the tenant admin.
converges() {
  local name=$1 how=$2 t0 user password
  t0=$(now_ms)
  OP_FAULTS="" op_start crash
  if poll "Tenant $name Ready after the restart" 60 tenant_ready "$name"; then
    pass "$how: restarted, Tenant $name Ready in $(($(now_ms) - t0)) ms"
  else
    fail "$how: Tenant $name not Ready after the restart: $(kc get tenant "$name" -o jsonpath='{.status.conditions}')"
  fi
  expect_eq "$how: one object of each kind on vms-sim" "$ONE_OF_EACH" "$(vast_of "$name")"
  user=$(secret_cluster "$name" username)
  password=$(secret_cluster "$name" password)
  expect_eq "$how: the Secret's credentials log in as vk-$name-csi" "200 vk-$name-csi" \
    "$(vms_as "$user" "$password" GET tenants/ | cut -d' ' -f1) $user"
  op_stop crash TERM
  expect_eq "$how: the restarted operator exits 0 on SIGTERM" 0 "$OP_STATUS"
}

op_test_start
kc create namespace crash-ns >/dev/null

# --- 5a. killed at each step's fault point, before its create ---
for i in "${!STEPS[@]}"; do
  step=${STEPS[i]} coll=${COLLECTIONS[i]} name=crash-a$i how="killed before the ${STEPS[i]} create"
  tenant_yaml "$name" "$i" "[crash-ns]" | kc apply -f - >/dev/null
  OP_FAULTS="vast.tenant.$step.create=kill@1" op_start crash
  if poll "the operator killed at vast.tenant.$step.create" 60 op_exited crash; then
    expect_eq "$how: the operator died of SIGKILL" 137 "$OP_STATUS"
  else
    fail "$how: the operator is still running"
    op_stop crash KILL
  fi
  expect_eq "$how: nothing of that step on vms-sim yet" 0 "$(count_of "$name" "$coll")"
  ((i == 0)) || expect_eq "$how: the step before it done" 1 "$(count_of "$name" "${COLLECTIONS[i - 1]}")"
  converges "$name" "$how"
done

# --- 5b. killed while vms-sim holds the answer of a create it has made ---
for i in "${!STEPS[@]}"; do
  coll=${COLLECTIONS[i]} name=crash-b$i how="killed during the ${STEPS[i]} create"
  # one POST held 20 s after it is processed (the simulator's hang_ms); the operator's
  # VMS timeout is 30 s, so it is still waiting for the answer when it is killed
  sim_admin POST /_sim/faults "{\"rules\": [{\"method\": \"POST\", \"path\": \"$coll/\", \"hang_ms\": 20000, \"count\": 1}]}" >/dev/null
  tenant_yaml "$name" "$((10 + i))" "[crash-ns]" | kc apply -f - >/dev/null
  OP_FAULTS="" op_start crash
  if poll "the $coll create made while its answer is held" 60 has_one "$name" "$coll"; then
    op_stop crash KILL
    expect_eq "$how: the operator died of SIGKILL" 137 "$OP_STATUS"
  else
    fail "$how: vms-sim never made the object: $(vast_of "$name")"
    op_stop crash KILL
  fi
  sim_admin DELETE /_sim/faults >/dev/null
  converges "$name" "$how"
done
# every earlier Tenant still one of each after all those restarts
for name in crash-a{0..5} crash-b{0..5}; do echo "$name $(vast_of "$name")"; done >"$WORK/all.txt"
expect_eq "all twelve Tenants still hold one object of each kind" 12 "$(grep -cF "$ONE_OF_EACH" "$WORK/all.txt")"

# --- 6. leader election ---
# readyz NAME standby|leader: operator NAME's /readyz answers 200, saying "standby" or
# (a leader with synced caches) anything else.
readyz() {
  local got
  got=$(op_http "$1" /readyz)
  if [[ $2 == standby ]]; then [[ $got == "200 standby" ]]; else [[ $got == "200 "* && $got != "200 standby" ]]; fi
}
reconciles() { grep -cF 'tenant reconciled' "$WORK/op-$1.log" || true; }
# quota_limit TENANT: the hard limit of the Tenant's root quota on vms-sim.
quota_limit() {
  sim_admin GET /_sim/inventory | "$PY" -c 'import json, sys
print(*[q.get("hard_limit") for q in json.load(sys.stdin)["quotas"] if q.get("name") == "vk-" + sys.argv[1]])' "$1"
}
limit_is() { [[ $(quota_limit "$1") == "$2" ]]; }
TiB=1099511627776
tenant_yaml lead 30 "[crash-ns]" | kc apply -f - >/dev/null
op_start a --leader-elect true --identity op-a
poll "op-a leads" 30 op_log_has a "became leader" || give_up "op-a never led: $(tail -n 5 "$WORK/op-a.log")"
op_start b --leader-elect true --identity op-b
poll "Tenant lead Ready" 60 tenant_ready lead || fail "Tenant lead not Ready under op-a"
poll "op-a /readyz 200 as the leader" 30 readyz a leader || fail "op-a's /readyz: $(op_http a /readyz)"
poll "op-b /readyz 200 as a standby" 30 readyz b standby || fail "op-b's /readyz: $(op_http b /readyz)"
pass "/readyz: op-a '$(op_http a /readyz)', op-b '$(op_http b /readyz)'"
# two more resync passes of the leader (3 s apart) with the standby running
n=$(reconciles a)
more() { (($(reconciles a) >= n + 2 * 13)); } # 13 Tenants a pass
poll "two resync passes of op-a" 30 more || fail "op-a did not resync: $(reconciles a) reconciles"
expect_eq "the standby op-b reconciled nothing" "0 0" \
  "$(reconciles b) $(grep -cF 'msg=reconciling' "$WORK/op-b.log" || true)"

t0=$(now_ms)
op_stop a TERM
expect_eq "op-a exits 0 on SIGTERM" 0 "$OP_STATUS"
t1=$(now_ms)
if poll "op-b leads after op-a released the Lease" 30 op_log_has b "became leader"; then
  handover=$(($(now_ms) - t1))
  pass "op-b leads ${handover} ms after op-a exited ($((t1 - t0)) ms from SIGTERM to exit)"
  expect_le "the released Lease is taken well within its 15 s duration (ms)" 10000 "$handover"
else
  fail "op-b did not lead after op-a's SIGTERM: $(tail -n 3 "$WORK/op-b.log")"
fi
kc patch tenant lead --type merge -p '{"spec":{"capacity":{"hardLimit":"12Ti"}}}' >/dev/null
poll "op-b reconciles the new limit onto vms-sim" 30 limit_is lead $((12 * TiB)) &&
  pass "op-b reconciled the Tenant change: root quota 12Ti" || fail "root quota of lead: $(quota_limit lead)"

op_stop b KILL
t0=$(now_ms)
op_start c --leader-elect true --identity op-c
if poll "op-c leads once op-b's lease has expired" 45 op_log_has c "became leader"; then
  takeover=$(($(now_ms) - t0))
  pass "op-c leads ${takeover} ms after op-b was killed"
  # the Lease op-b renewed just before dying is honoured: not taken before it ran out
  if ((takeover >= 10000)); then pass "op-c waited for the lease to expire (${takeover} ms >= 10000)"; else
    fail "op-c led ${takeover} ms after the kill: before a 15 s lease could expire"; fi
else
  fail "op-c did not lead: $(tail -n 3 "$WORK/op-c.log")"
fi
kc patch tenant lead --type merge -p '{"spec":{"capacity":{"hardLimit":"14Ti"}}}' >/dev/null
poll "op-c reconciles the new limit onto vms-sim" 30 limit_is lead $((14 * TiB)) &&
  pass "op-c reconciled the Tenant change: root quota 14Ti" || fail "root quota of lead: $(quota_limit lead)"

op_test_end
