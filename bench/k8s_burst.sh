#!/usr/bin/env bash
# Benchmark (not a test): the 200-PVC burst of tests/k8s/test_burst.sh through the real
# control plane and csi-provisioner (default workers, timeouts and API rate limits), once
# with no injected VMS latency and once with 20 ms added by vms-sim to every request.
# Prints, for each, PVC-to-Bound p50/p99 and the total time from apply to the last Bound.
#   bash bench/k8s_burst.sh [BUILD_DIR]     # default: build; the tools from scripts/k8s-tools.sh
# Environment: VK_BURST_PVCS (default 200), VK_BURST_LATENCIES (default "0 20", in ms).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
VK_K8S_TOOLS_BIN=${VK_K8S_TOOLS_BIN:-$(bash "$ROOT/scripts/k8s-tools.sh" --print-bin)}
export VK_K8S_TOOLS_BIN VAST_CSI="$BUILD/csi/vast-csi" CSICTL="$BUILD/csictl/csictl" VMS_SIM="$BUILD/sim/vms-sim"
export VK_BURST_PVCS=${VK_BURST_PVCS:-200}
for tool in "$VAST_CSI" "$CSICTL" "$VMS_SIM" "$VK_K8S_TOOLS_BIN/kube-apiserver" "$VK_K8S_TOOLS_BIN/csi-provisioner"; do
  [[ -x $tool ]] || { echo "k8s_burst: $tool is missing: build first (cmake, scripts/k8s-tools.sh)" >&2; exit 2; }
done

results=()
for ms in ${VK_BURST_LATENCIES:-0 20}; do
  log=$(mktemp "${TMPDIR:-/tmp}/k8s_burst.XXXXXX")
  echo "k8s_burst: $VK_BURST_PVCS PVCs at $ms ms injected VMS latency ..."
  rc=0
  VK_BURST_LATENCY_MS=$ms bash "$ROOT/tests/k8s/test_burst.sh" >"$log" 2>&1 || rc=$?
  line=$(grep '^burst:' "$log" || true)
  if ((rc != 0)) || [[ -z $line ]]; then
    echo "k8s_burst: the run at $ms ms failed (exit $rc):" >&2
    grep -E '^(FAIL|k8s:)' "$log" >&2 || tail -n 20 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  grep -E '^ok   - all .* Bound|^ok   - all .* deleted' "$log" | sed 's/^ok   - /  /'
  results+=("$line")
  rm -f "$log"
done
echo
printf '%s\n' "${results[@]}"
