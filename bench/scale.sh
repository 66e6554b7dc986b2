#!/usr/bin/env bash
# Scale benchmark: what CreateVolume and ListVolumes cost with 1,000 and with 100,000
# volumes already on VAST, in one run, against a seeded vms-sim and a real vast-csi.
#
#   bench/scale.sh [BUILD_DIR]      (default: build)
#
# For each size (SIZES, default "1000 100000"): CreateVolumes seed the volumes up to that
# count (concurrency SEED_CONCURRENCY, no injected latency), then with LATENCY_MS (20)
# added to every simulator request:
#   - CREATES (500) CreateVolumes at concurrency 10, then deleted: creates/s, p50, p99;
#   - a full ListVolumes walk, PAGE (1000) entries a call, following next_token: calls,
#     entries, seconds, the CPU time vast-csi and vms-sim spent on it, and vast-csi's peak
#     RSS over the walk (a fresh vast-csi, so its VmHWM is the walk's) against its RSS
#     idle before it;
#   - the simulator's RSS, and its state file and journal sizes on disk.
# Then the ratios of the largest size to the smallest: create p50 and p99, list seconds
# per volume, and the walk's RSS growth.
#
# It prints a readable report and a JSON line. It measures, never judges: it fails only
# when a call or a process fails. Every process it starts is stopped by PID.
set -euo pipefail

BUILD=${1:-build}
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOAD="$BUILD/bench/create_load"
require_tools "$SIM" "$CSI" "$CSICTL" "$LOAD"

SIZES=${SIZES:-"1000 100000"}
CREATES=${CREATES:-500}
LATENCY_MS=${LATENCY_MS:-20}
PAGE=${PAGE:-1000}
SEED_CONCURRENCY=${SEED_CONCURRENCY:-64}
WORKERS=${WORKERS:-128}
PARAMS=$VOLUME_PARAMS
SIZE=$VOLUME_SIZE
make_memory_work vk-scale-bench

start_sim_cluster
csi_up() {
  start_csi --mode controller --vms-secret-dir "$WORK/secret" --workers "$WORKERS" --log-level warn
}
csi_up
rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; } # rss_kb PID VmRSS|VmHWM
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system, in clock ticks
file_kb() { local f; f=$(du -k "$1" 2>/dev/null) && echo "${f%%[[:space:]]*}" || echo 0; }
state_files() { # the simulator's persistent files, with their sizes in KB
  local f out=""
  for f in "$WORK/sim"/state.json*; do [[ -f "$f" ]] && out+="$(basename "$f") $(file_kb "$f") KB, "; done
  echo "${out%, }"
}
latency() { sim_admin POST /_sim/faults "{\"rules\": [{\"latency_ms\": $1}]}" >/dev/null; }
no_latency() { sim_admin DELETE /_sim/faults >/dev/null; }
load() { "$LOAD" --endpoint "$ENDPOINT" "$@"; }

# list_walk: every ListVolumes page of $PAGE; prints "calls entries seconds".
list_walk() {
  /usr/bin/python3 - "$CSICTL" "$ENDPOINT" "$PAGE" <<'PY'
import json, subprocess, sys, time
csictl, endpoint, page = sys.argv[1], sys.argv[2], sys.argv[3]
token, calls, entries = "", 0, 0
start = time.monotonic()
while True:
    args = [csictl, "-e", endpoint, "ListVolumes", "max_entries=" + page]
    if token:
        args.append("starting_token=" + token)
    out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout or "{}")
    calls += 1
    entries += len(out.get("entries", []))
    token = out.get("next_token", "")
    if not token:
        break
print(calls, entries, "%.3f" % (time.monotonic() - start))
PY
}

echo "vast-csi scale benchmark: vms-sim on HTTPS, ${LATENCY_MS} ms injected while measuring, --workers $WORKERS"
seeded=0
RESULTS=()
for n in $SIZES; do
  if ((n > seeded)); then
    t0=$(date +%s)
    load --volumes "$((n - seeded))" --concurrency "$SEED_CONCURRENCY" --prefix "seed$n" --params "$PARAMS" \
      --size "$SIZE" --timeout 120000 >/dev/null || die "seeding $n volumes failed"
    echo
    echo "$n volumes on VAST (seeded $((n - seeded)) in $(($(date +%s) - t0)) s):"
    seeded=$n
  fi
  latency "$LATENCY_MS"
  load --volumes 100 --concurrency 10 --prefix "warm$n" --params "$PARAMS" --size "$SIZE" --delete >/dev/null ||
    die "warm-up at $n failed"
  create=$(load --volumes "$CREATES" --concurrency 10 --prefix "at$n" --params "$PARAMS" --size "$SIZE" --delete) ||
    die "creates at $n failed: $create"
  # a fresh vast-csi for the walk: its VmHWM is then the walk's peak
  stop_or_die CSI_PID vast-csi
  csi_up
  "$CSICTL" -e "$ENDPOINT" -q ListVolumes max_entries=1 >/dev/null || die "ListVolumes failed" # the session
  idle=$(rss_kb "$CSI_PID" VmRSS)
  csi0=$(cpu_ticks "$CSI_PID") sim0=$(cpu_ticks "$SIM_PID")
  read -r calls entries secs < <(list_walk) || die "the ListVolumes walk failed"
  peak=$(rss_kb "$CSI_PID" VmHWM)
  hz=$(getconf CLK_TCK)
  list_cpu="vast-csi $(((($(cpu_ticks "$CSI_PID") - csi0) * 1000) / hz)) ms, vms-sim $(((($(cpu_ticks "$SIM_PID") - sim0) * 1000) / hz)) ms"
  no_latency
  sim_rss=$(rss_kb "$SIM_PID" VmRSS)
  line=$(/usr/bin/python3 - "$create" "$n" "$calls" "$entries" "$secs" "$idle" "$peak" "$sim_rss" <<'PY'
import json, sys
c = json.loads(sys.argv[1])
n, calls, entries, secs, idle, peak, sim = (int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]),
                                            int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]))
print(json.dumps({"volumes": n, "creates_per_s": c["creates_per_s"], "create_p50_ms": c["p50_ms"],
                  "create_p99_ms": c["p99_ms"], "list_calls": calls, "list_entries": entries, "list_s": secs,
                  "list_idle_rss_kb": idle, "list_peak_rss_kb": peak, "sim_rss_kb": sim}))
PY
)
  RESULTS+=("$line")
  /usr/bin/python3 - "$line" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("  CreateVolume x500 at concurrency 10: %.1f/s, p50 %.1f ms, p99 %.1f ms"
      % (r["creates_per_s"], r["create_p50_ms"], r["create_p99_ms"]))
print("  ListVolumes walk: %d entries in %d calls, %.2f s; vast-csi RSS %d MB idle, %d MB peak"
      % (r["list_entries"], r["list_calls"], r["list_s"], r["list_idle_rss_kb"] // 1024, r["list_peak_rss_kb"] // 1024))
print("  vms-sim RSS %d MB" % (r["sim_rss_kb"] // 1024))
PY
  echo "  CPU over the walk: $list_cpu"
  echo "  vms-sim files: $(state_files)"
done

echo
/usr/bin/python3 - "$LATENCY_MS" "${RESULTS[@]}" <<'PY'
import json, sys
latency = int(sys.argv[1])
runs = [json.loads(a) for a in sys.argv[2:]]
small, large = runs[0], runs[-1]
ratios = {
    "create_p50": large["create_p50_ms"] / small["create_p50_ms"],
    "create_p99": large["create_p99_ms"] / small["create_p99_ms"],
    "list_s_per_volume": (large["list_s"] / max(large["list_entries"], 1)) / (small["list_s"] / max(small["list_entries"], 1)),
    "list_rss_growth_kb": (large["list_peak_rss_kb"] - large["list_idle_rss_kb"]) - (small["list_peak_rss_kb"] - small["list_idle_rss_kb"]),
}
print("Ratios %d / %d volumes: create p50 %.2f, create p99 %.2f, ListVolumes seconds per volume %.2f;"
      " the walk's RSS growth differs by %d KB" % (large["volumes"], small["volumes"], ratios["create_p50"],
                                                   ratios["create_p99"], ratios["list_s_per_volume"],
                                                   ratios["list_rss_growth_kb"]))
print()
print("JSON:")
print(json.dumps({"bench": "scale", "latency_ms": latency, "runs": runs,
                  "ratios": {k: round(v, 3) for k, v in ratios.items()}}))
PY

stop_or_die CSI_PID vast-csi
stop_sim
