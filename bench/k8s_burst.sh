#!/usr/bin/env bash
# Benchmark (not a test): the 200-PVC burst of tests/k8s/test_burst.sh through the real
# control plane and csi-provisioner, at no injected VMS latency and at 20 ms added by
# vms-sim to every request, each twice: with csi-provisioner's own defaults (client-go's
# 5 requests/s to the API server, 100 workers) and with the flags the chart gives it
# (read from `helm template charts/vast-k8s`: --worker-threads, --kube-api-qps,
# --kube-api-burst). Prints, for each, PVC-to-Bound p50/p99 and the total time from
# apply to the last Bound, then the chart's figures as ratios of the defaults'.
#   bash bench/k8s_burst.sh [BUILD_DIR]     # default: build; the tools from scripts/k8s-tools.sh
# Environment: VK_BURST_PVCS (default 200), VK_BURST_LATENCIES (default "0 20", in ms),
# VK_BURST_CONFIGS (default "defaults chart").
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
VK_K8S_TOOLS_BIN=${VK_K8S_TOOLS_BIN:-$(bash "$ROOT/scripts/k8s-tools.sh" --print-bin)}
export VK_K8S_TOOLS_BIN VAST_CSI="$BUILD/csi/vast-csi" CSICTL="$BUILD/csictl/csictl" VMS_SIM="$BUILD/sim/vms-sim"
export VK_BURST_PVCS=${VK_BURST_PVCS:-200}
for tool in "$VAST_CSI" "$CSICTL" "$VMS_SIM" "$VK_K8S_TOOLS_BIN/kube-apiserver" "$VK_K8S_TOOLS_BIN/csi-provisioner" \
  "$VK_K8S_TOOLS_BIN/helm"; do
  [[ -x $tool ]] || { echo "k8s_burst: $tool is missing: build first (cmake, scripts/k8s-tools.sh)" >&2; exit 2; }
done

# The chart's csi-provisioner flags that set its pace, space-separated.
chart_flags() {
  "$VK_K8S_TOOLS_BIN/helm" template bench "$ROOT/charts/vast-k8s" --namespace vast-system |
    /usr/bin/python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-controller"):
        for c in d["spec"]["template"]["spec"]["containers"]:
            if c["name"] == "csi-provisioner":
                print(" ".join(a for a in c["args"] if a.split("=")[0] in
                               ("--worker-threads", "--kube-api-qps", "--kube-api-burst")))
                sys.exit(0)
sys.exit("k8s_burst: no csi-provisioner in the chart'"'"'s controller Deployment")'
}
CHART_FLAGS=$(chart_flags)
[[ -n $CHART_FLAGS ]] || { echo "k8s_burst: the chart gives csi-provisioner no rate flags" >&2; exit 1; }

declare -A p50 p99 total
results=()
for config in ${VK_BURST_CONFIGS:-defaults chart}; do
  flags=""
  [[ $config == chart ]] && flags=$CHART_FLAGS
  for ms in ${VK_BURST_LATENCIES:-0 20}; do
    log=$(mktemp "${TMPDIR:-/tmp}/k8s_burst.XXXXXX")
    echo "k8s_burst: $VK_BURST_PVCS PVCs at $ms ms injected VMS latency, csi-provisioner with ${flags:-its defaults} ..."
    rc=0
    VK_BURST_LATENCY_MS=$ms VK_BURST_PROVISIONER_FLAGS=$flags bash "$ROOT/tests/k8s/test_burst.sh" >"$log" 2>&1 || rc=$?
    line=$(grep '^burst:' "$log" || true)
    if ((rc != 0)) || [[ -z $line ]]; then
      echo "k8s_burst: the run at $ms ms failed (exit $rc):" >&2
      grep -E '^(FAIL|k8s:)' "$log" >&2 || tail -n 20 "$log" >&2
      rm -f "$log"
      exit 1
    fi
    grep -E '^ok   - all .* Bound|^ok   - all .* deleted' "$log" | sed 's/^ok   - /  /'
    results+=("$config: $line")
    # "burst: ... p50 N ms, p99 N ms, max N ms; apply-to-last-Bound N s (...)" (test_burst.sh)
    p50[$config.$ms]=$(sed -E 's/.*p50 ([0-9.]+) ms.*/\1/' <<<"$line")
    p99[$config.$ms]=$(sed -E 's/.*p99 ([0-9.]+) ms.*/\1/' <<<"$line")
    total[$config.$ms]=$(sed -E 's/.*apply-to-last-Bound ([0-9.]+) s.*/\1/' <<<"$line")
    rm -f "$log"
  done
done
echo
printf '%s\n' "${results[@]}"
for ms in ${VK_BURST_LATENCIES:-0 20}; do
  [[ -n ${p50[defaults.$ms]:-} && -n ${p50[chart.$ms]:-} ]] || continue
  awk -v ms="$ms" -v a="${p50[chart.$ms]}" -v b="${p50[defaults.$ms]}" -v c="${p99[chart.$ms]}" \
    -v d="${p99[defaults.$ms]}" -v e="${total[chart.$ms]}" -v f="${total[defaults.$ms]}" \
    'BEGIN { printf "at %s ms: the chart'"'"'s flags / the defaults: p50 %.2f, p99 %.2f, last Bound %.2f\n", ms, a / b, c / d, e / f }'
done
