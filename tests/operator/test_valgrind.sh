#!/usr/bin/env bash
# vast-operator under valgrind's memcheck through a Tenant's whole life on the real
# control plane and vms-sim: created to Ready, a field changed and applied, deleted with
# deletionPolicy Delete (every VAST object removed, async deletes awaited), then SIGTERM.
# memcheck's exit status (99 on any error, or a definite or indirect leak) is the
# operator's: op_test_end requires 0. Every wait is polled with bounds widened for
# valgrind's slowness (it runs the operator ~20x slower; nothing here asserts on speed).
# Environment: VK_K8S_TOOLS_BIN, VAST_OPERATOR, VAST_CSI, CSICTL, VMS_SIM, VALGRIND.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${VALGRIND:?path of valgrind}"
SLOW=$((SLOW * 4))

op_test_start
kc create namespace acme-train >/dev/null
OP_WRAPPER="$VALGRIND --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
--log-file=$WORK/memcheck.log" op_start vg
tenant_yaml acme 1 "[acme-train]" | kc apply -f - >/dev/null
if poll "Tenant acme Ready under valgrind" 60 tenant_ready acme; then pass "Tenant acme Ready"; else fail "Tenant acme not Ready"; fi
kc patch tenant acme --type merge -p '{"spec":{"clientNetworks":["10.201.0.0/16"]}}' >/dev/null
if poll "the change applied" 60 tenant_ready acme; then pass "a changed Tenant Ready again"; else fail "the change was not applied"; fi
kc delete tenant acme --wait=false >/dev/null
gone() { ! kc get tenant acme >/dev/null 2>&1; }
if poll "Tenant acme deleted" 90 gone; then pass "Tenant acme deleted"; else fail "Tenant acme still there"; fi
expect_eq "nothing of vk-acme left on VAST" "tenants=0 vippools=0 viewpolicies=0 qospolicies=0 quotas=0 managers=0" \
  "$(vast_of acme)"
op_stop vg TERM
if [[ $OP_STATUS != 0 ]]; then
  fail "vast-operator under valgrind exited $OP_STATUS: $(grep -E 'ERROR SUMMARY|definitely|indirectly' "$WORK/memcheck.log" | tr '\n' ' ')"
  sed -n '1,80p' "$WORK/memcheck.log"
else
  pass "memcheck: $(grep -E 'ERROR SUMMARY' "$WORK/memcheck.log" | sed 's/==[0-9]*== //')"
fi
op_test_end
