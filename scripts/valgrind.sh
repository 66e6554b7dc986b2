#!/usr/bin/env bash
# Runs vast-csi under valgrind (memcheck), drives 1,000 calls of every kind it answers
# through it, stops it with SIGTERM, and fails on any memory error or definite leak.
#
#   scripts/valgrind.sh [BUILD_DIR]      (default: build)
#
# Needs BUILD_DIR/csi/vast-csi, BUILD_DIR/csictl/csictl and BUILD_DIR/bench/rpc_latency.
# Use a build without sanitizers: valgrind and ASan cannot share a process.
# "Possibly lost" and "still reachable" blocks are reported, not failed: gRPC core keeps
# some process-wide state past grpc_shutdown by design.
set -euo pipefail

BUILD=${1:-build}
VALGRIND=${VALGRIND:-valgrind}
# Tool paths, scratch directory, stop by PID (CSI_PID here: valgrind running vast-csi).
# shellcheck source=../bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../bench/lib.sh"
RPC_LATENCY="$BUILD/bench/rpc_latency"
require_tools "$CSI" "$CSICTL" "$RPC_LATENCY"
command -v "$VALGRIND" >/dev/null || { echo "valgrind.sh: $VALGRIND not found" >&2; exit 2; }

make_work vk-valgrind
VG_LOG="$WORK/valgrind.log"

# Not bench/lib.sh's die: a test's failure goes to stdout (ctest shows it), with the logs
# of the plugin and of valgrind.
die() {
  echo "FAIL: $*"
  echo "--- plugin log (tail) ---"; tail -n 20 "$WORK/plugin.log" 2>/dev/null || true
  echo "--- valgrind log (tail) ---"; tail -n 60 "$VG_LOG" 2>/dev/null || true
  exit 1
}

# Debug logging runs the redacting protobuf->JSON path on every request and reply,
# so that code is checked too.
"$VALGRIND" --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
  --log-file="$VG_LOG" \
  "$CSI" --endpoint "$ENDPOINT" --node-id valgrind-node --log-level debug --workers 4 \
  2>"$WORK/plugin.log" &
CSI_PID=$!

# Start-up under valgrind takes seconds, not milliseconds.
"$CSICTL" -e "$ENDPOINT" -w 60000 -t 10000 -q Probe || die "vast-csi did not answer Probe within 60 s"

# The bulk: 980 calls through rpc_latency (it exits non-zero on any failed call).
bulk() { # bulk CALLS THREADS METHOD
  "$RPC_LATENCY" --endpoint "$ENDPOINT" --calls "$1" --threads "$2" --method "$3" --timeout 30000 \
    >>"$WORK/bulk.json" || die "rpc_latency $3 failed"
}
bulk 300 2 /csi.v1.Identity/GetPluginInfo
bulk 200 1 /csi.v1.Identity/Probe
bulk 200 2 /csi.v1.Identity/GetPluginCapabilities
bulk 150 4 /csi.v1.Node/NodeGetInfo
bulk 130 2 /csi.v1.Controller/ControllerGetCapabilities

# The odd ones: 20 calls that must fail with a known code (csictl exits with it): an
# unknown method (UNIMPLEMENTED) and a CreateVolume carrying secrets that fails its
# validation (INVALID_ARGUMENT: no capabilities) after the request was logged.
expect_code() {
  local want=$1 rc=0
  shift
  "$CSICTL" -e "$ENDPOINT" -t 30000 -q "$@" 2>/dev/null || rc=$?
  [[ $rc -eq $want ]] || die "csictl $1: expected exit $want, got $rc"
}
for _ in $(seq 10); do
  expect_code 12 /csi.v1.Nope/Nope
  expect_code 3 CreateVolume name=pvc-valgrind secrets.password=valgrind-secret \
    parameters.view_policy=default
done

stop_process CSI_PID

echo "calls: 980 through rpc_latency, 20 through csictl"
grep -E 'LEAK SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks|ERROR SUMMARY' \
  "$VG_LOG" | sed 's/^==[0-9]*== *//'

[[ $STOP_STATUS -eq 0 ]] || die "vast-csi under valgrind exited with $STOP_STATUS (99: valgrind found errors)"
grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG" || die "valgrind reported errors"
grep -qE 'definitely lost: 0 bytes|All heap blocks were freed' "$VG_LOG" ||
  die "valgrind reported definite leaks"
if grep -q 'valgrind-secret' "$WORK/plugin.log"; then die "the plugin log holds the secret"; fi
echo "PASS: no memory errors, no definite leaks"

# The VMS client's cmocka tests under memcheck as well. Each test binary starts its own
# vms-sim (VMS_SIM; the simulator itself runs natively, valgrind does not follow execve).
if [[ -x "$SIM" ]]; then
  for name in error config client tls list objects; do
    test_bin="$BUILD/tests/vms/test_vms_$name"
    [[ -x "$test_bin" ]] || { echo "FAIL: $test_bin is missing: build first"; exit 1; }
    vms_log="$WORK/valgrind-vms-$name.log"
    if ! VMS_SIM="$SIM" "$VALGRIND" --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
      --log-file="$vms_log" "$test_bin" >"$WORK/vms-$name.out" 2>&1; then
      echo "FAIL: test_vms_$name under valgrind"
      tail -n 30 "$WORK/vms-$name.out"; tail -n 60 "$vms_log"
      exit 1
    fi
    grep -qE 'definitely lost: 0 bytes|All heap blocks were freed' "$vms_log" ||
      { echo "FAIL: test_vms_$name: definite leaks"; tail -n 60 "$vms_log"; exit 1; }
    echo "test_vms_$name: $(grep -E 'ERROR SUMMARY' "$vms_log" | sed 's/^==[0-9]*== *//')"
  done
  echo "PASS: VMS client tests: no memory errors, no definite leaks"
else
  echo "vms-sim is not built: the VMS client tests were not run under valgrind"
fi
