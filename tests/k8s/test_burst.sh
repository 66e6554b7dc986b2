#!/usr/bin/env bash
# A burst through the real Kubernetes components: N PVCs (200 by default) applied with one
# `kubectl apply` of a multi-document file, provisioned by the upstream csi-provisioner
# (its default worker count, timeouts and API rate limits) calling vast-csi on vms-sim,
# all Bound; then all deleted: no PV left and nothing left on the simulator under /k8s.
# Prints PVC-to-Bound p50/p99 (from the moment a watch first saw each PVC to the moment
# it saw it Bound) and the burst's total time; the figures are printed, not asserted.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM (tests/k8s/CMakeLists.txt);
# optional VK_BURST_PVCS (how many, default 200) and VK_BURST_LATENCY_MS (latency the
# simulator adds to every VMS request, default 0) and VK_BURST_PROVISIONER_FLAGS (more
# csi-provisioner flags, space-separated: bench/k8s_burst.sh passes the chart's rate
# limits and workers).
set -euo pipefail
K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # lib.sh, tests/integration/lib.sh, sim_leftovers

N=${VK_BURST_PVCS:-200}
LATENCY_MS=${VK_BURST_LATENCY_MS:-0}
BOUND_CEILING_S=240 # generous (85 s seen): 2 busy cores, the provisioner's default 5 QPS to the API
DELETE_CEILING_S=300 # ~200 s seen; with setup, within ctest's 600 s

k8s_test_start csi-provisioner
if ((LATENCY_MS > 0)); then
  sim_admin POST /_sim/faults "{\"rules\": [{\"latency_ms\": $LATENCY_MS}]}" >/dev/null
fi
# the provisioner as deployed by default: no --worker-threads, --timeout, --kube-api-qps,
# unless the caller names some
read -r -a extra_flags <<<"${VK_BURST_PROVISIONER_FLAGS:-}"
sidecar_start csi-provisioner --csi-address "$SOCK" --leader-election=false --extra-create-metadata --v 2 \
  "${extra_flags[@]}"

vast_storageclass vast Delete
names=()
for ((i = 0; i < N; i++)); do printf -v name burst-%03d "$i" && names+=("$name"); done
vast_pvcs "$WORK/pvcs.yaml" vast 1Gi "${names[@]}"

# The watch: one line per change of a PVC ("name phase"), stamped with the time it was
# read; the stamps are written to $WORK/stamps when every PVC was seen Bound (or at the
# ceiling). It stops its kubectl itself; k8s_stop stops it by PID if it is still there.
"$PY" - "$VK_K8S_TOOLS_BIN/kubectl" "$KUBECONFIG" "$N" "$BOUND_CEILING_S" "$WORK/stamps" "$WORK/watch.ready" <<'PY' &
import os, signal, subprocess, sys, threading, time
kubectl, kubeconfig, n, ceiling, out, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
p = subprocess.Popen([kubectl, "--kubeconfig", kubeconfig, "get", "pvc", "--namespace", "default", "--watch",
                      "--no-headers", "-o", "custom-columns=N:.metadata.name,P:.status.phase"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
def stop(*_):
    p.kill()
signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(1)))
threading.Timer(ceiling, stop).start()
seen, bound = {}, {}
open(ready, "w").close()
for line in p.stdout:
    t = time.time()
    f = line.split()
    if len(f) < 2:
        continue
    seen.setdefault(f[0], t)
    if f[1] == "Bound":
        bound.setdefault(f[0], t)
        if len(bound) >= n:
            break
stop()
with open(out + ".tmp", "w") as o:
    for name, t in seen.items():
        o.write("%s %.3f %s\n" % (name, t, "%.3f" % bound[name] if name in bound else "-"))
os.rename(out + ".tmp", out)
os._exit(0)
PY
WATCH_PID=$!
K8S_PIDS+=("$WATCH_PID")
for _ in $(seq 1 100); do [[ -e "$WORK/watch.ready" ]] && break; sleep 0.1; done
sleep 1 # the watch's initial list is done before the first PVC exists

t0=$(now_ms)
k apply -f "$WORK/pvcs.yaml" >/dev/null
t_applied=$(now_ms)
pass "one kubectl apply of $N PVCs took $((t_applied - t0)) ms"

for ((i = 0; i < BOUND_CEILING_S * 2 + 20; i++)); do
  [[ -s "$WORK/stamps" ]] && break
  sleep 0.5
done
t_bound=$(now_ms)
# the watch is done (or at its ceiling): out of K8S_PIDS, which k8s_wait wants all alive
kill -TERM "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
pids=()
for pid in "${K8S_PIDS[@]}"; do [[ $pid == "$WATCH_PID" ]] || pids+=("$pid"); done
K8S_PIDS=("${pids[@]}")
bound_n=$(k get pvc --namespace default --no-headers -o custom-columns=P:.status.phase | grep -c '^Bound$' || true)
if [[ $bound_n -eq $N ]]; then
  pass "all $N PVCs Bound, $((t_bound - t0)) ms after the apply began"
else
  fail "$bound_n of $N PVCs Bound within ${BOUND_CEILING_S} s"
  k get pvc --namespace default --no-headers | grep -v Bound | head -n 5
  k get events --namespace default --field-selector reason=ProvisioningFailed --no-headers 2>/dev/null | tail -n 5
  tail -n 20 "$WORK/csi-provisioner.log"
fi
# the figures: from the watch's first sight of each PVC (at most the apply's time after its
# creation) to its first sight as Bound
if [[ -s "$WORK/stamps" ]]; then
  "$PY" - "$WORK/stamps" "$t0" "$LATENCY_MS" "$N" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
t0 = int(sys.argv[2]) / 1000.0
d = sorted(float(b) - float(s) for _, s, b in rows if b != "-")
last = max((float(b) for _, _, b in rows if b != "-"), default=t0)
def pct(q):
    return d[min(len(d) - 1, int(q * len(d)))] * 1000 if d else float("nan")
print("burst: %d PVCs, %s ms VMS latency: PVC-to-Bound p50 %.0f ms, p99 %.0f ms, max %.0f ms; "
      "apply-to-last-Bound %.1f s (%d Bound)" % (int(sys.argv[4]), sys.argv[3], pct(0.50), pct(0.99),
                                                 d[-1] * 1000 if d else float("nan"), last - t0, len(d)))
PY
fi

# every PV is ours, with a view and a quota at its path
pv_n=$(k get pv --no-headers 2>/dev/null | wc -l)
expect_eq "$N PVs exist" "$N" "$pv_n"
words() { wc -w <<<"$1"; }
distinct() { tr ' ' '\n' <<<"$1" | awk NF | sort -u | wc -l; }
mapfile -t held < <(sim_leftover_lines)
inv_counts="$(words "${held[0]}") $(distinct "${held[0]}") $(words "${held[1]}") $(distinct "${held[1]}")"
inv_counts+=" $(words "${held[2]:-}")"
expect_eq "vms-sim holds $N distinct views and $N distinct quotas under /k8s, no snapshot" "$N $N $N $N 0" "$inv_counts"

t_del=$(now_ms)
k delete pvc --all --namespace default --wait=false >/dev/null
if k8s_wait "every PV deleted" "$DELETE_CEILING_S" bash -c '[[ -z $("$0" --kubeconfig "$1" get pv --no-headers 2>/dev/null) ]]' \
  "$VK_K8S_TOOLS_BIN/kubectl" "$KUBECONFIG"; then
  pass "all $N PVCs deleted: no PV left, $(($(now_ms) - t_del)) ms after the delete"
else
  fail "PVs left ${DELETE_CEILING_S} s after deleting the PVCs: $(k get pv --no-headers 2>/dev/null | wc -l)"
fi
expect_eq "no PVC left" "" "$(k get pvc --namespace default --no-headers 2>/dev/null)"
expect_eq "nothing is left on vms-sim under /k8s" "[] [] []" "$(sim_leftovers)"

k8s_test_end
