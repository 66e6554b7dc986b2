#!/usr/bin/env bash
# Controller benchmark: VMS round trips per operation, and CreateVolume throughput when
# every VMS request takes 20 ms, against a seeded vms-sim and a real vast-csi.
#
#   bench/controller.sh [BUILD_DIR]      (default: build)
#
# (a) Round trips. After one warm-up volume (the view policy, VIP pool and VAST version
#     are then cached, the VMS token fetched), 20 sequential CreateVolumes, 20
#     CreateSnapshots of them, 20 DeleteSnapshots and 20 DeleteVolumes, with the
#     simulator's counters reset before each batch: VMS requests per operation, and which.
# (b) Throughput. With 20 ms added to every simulator request, 500 CreateVolumes at
#     concurrency 10, 50 and 100 (then deleted, also timed), each after a warm-up round. CreateVolume sends its
#     requests together, so a controller whose only cost is VMS latency reaches
#     concurrency / 20 ms creates/s; the report gives measured / ideal, and the wall-time
#     round trips of a create and a delete (p50 / 20 ms).
# (c) Memory: vast-csi's RSS idle after start, its peak (VmHWM) over the run, and the
#     peak's excess over idle per call in flight at the highest concurrency.
#
# It prints a readable report and the JSON lines of each run. It measures, never judges:
# it fails only when a call or a process fails. Every process it starts is stopped by PID.
set -euo pipefail

BUILD=${1:-build}
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOAD="$BUILD/bench/create_load"
require_tools "$SIM" "$CSI" "$CSICTL" "$LOAD"

SEQUENTIAL=${SEQUENTIAL:-20}
VOLUMES=${VOLUMES:-500}
LATENCY_MS=${LATENCY_MS:-20}
WORKERS=${WORKERS:-128}
PARAMS=$VOLUME_PARAMS
SIZE=$VOLUME_SIZE
make_memory_work vk-controller-bench

# ---------- processes ----------

start_sim_cluster
start_csi --mode controller --vms-secret-dir "$WORK/secret" --workers "$WORKERS" --log-level warn
rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$CSI_PID/status"; } # rss_kb VmRSS|VmHWM
sleep 1
IDLE_RSS_KB=$(rss_kb VmRSS)

# ---------- helpers ----------

load() { "$LOAD" --endpoint "$ENDPOINT" "$@"; }

# Open TCP connections to the simulator's HTTPS port: the driver's VMS connection pool
# (only vast-csi talks HTTPS to it; connections stay open between requests). "?" without ss.
vms_connections() {
  command -v ss >/dev/null || { echo "?"; return; }
  ss -Htn state established "( dport = :$SIM_HTTPS_PORT )" | wc -l
}

snapshot_all() { # snapshot_all IDS_FILE PREFIX OUT_FILE: one CreateSnapshot per volume, sequential
  local i=0 id out
  : >"$3"
  while read -r id; do
    out=$("$CSICTL" -e "$ENDPOINT" CreateSnapshot source_volume_id="$id" name="$2-$i") || die "CreateSnapshot $id"
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot"]["snapshot_id"])' <<<"$out" >>"$3"
    i=$((i + 1))
  done <"$1"
}

delete_snapshots() { # delete_snapshots FILE
  local id
  while read -r id; do
    "$CSICTL" -e "$ENDPOINT" -q DeleteSnapshot snapshot_id="$id" || die "DeleteSnapshot $id"
  done <"$1"
}

JSON_LINES=()

# ---------- (a) round trips ----------

echo "vast-csi controller benchmark: vms-sim on HTTPS, --workers $WORKERS"
echo
load --volumes 1 --concurrency 1 --prefix warm --params "$PARAMS" --size "$SIZE" --ids-out "$WORK/warm.ids" \
  >/dev/null || die "warm-up create failed"
snapshot_all "$WORK/warm.ids" warm-snap "$WORK/warm.snaps"
delete_snapshots "$WORK/warm.snaps"
load --delete-from "$WORK/warm.ids" >/dev/null || die "warm-up delete failed"

echo "(a) VMS requests per operation ($SEQUENTIAL sequential calls each, caches warm):"
reset_stats
line=$(load --volumes "$SEQUENTIAL" --concurrency 1 --prefix rt --params "$PARAMS" --size "$SIZE" \
  --ids-out "$WORK/rt.ids") || die "sequential creates failed"
JSON_LINES+=("$line")
per_op "$SEQUENTIAL" CreateVolume
reset_stats
snapshot_all "$WORK/rt.ids" rt-snap "$WORK/rt.snaps"
per_op "$SEQUENTIAL" CreateSnapshot
reset_stats
delete_snapshots "$WORK/rt.snaps"
per_op "$SEQUENTIAL" DeleteSnapshot
reset_stats
line=$(load --delete-from "$WORK/rt.ids" --concurrency 1) || die "sequential deletes failed"
JSON_LINES+=("$line")
per_op "$SEQUENTIAL" DeleteVolume
RT_CREATE=$(cat "$WORK/rt.CreateVolume")
RT_DELETE=$(cat "$WORK/rt.DeleteVolume")
RT_SNAP=$(cat "$WORK/rt.CreateSnapshot")
RT_SNAP_DELETE=$(cat "$WORK/rt.DeleteSnapshot")
echo "  sequential, no injected latency: $(json_get "${JSON_LINES[0]}" creates_per_s) creates/s" \
  "(p50 $(json_get "${JSON_LINES[0]}" p50_ms) ms), $(json_get "${JSON_LINES[1]}" deletes_per_s) deletes/s" \
  "(p50 $(json_get "${JSON_LINES[1]}" p50_ms) ms)"

# ---------- (b) throughput under VMS latency ----------

echo
echo "(b) $VOLUMES CreateVolumes with ${LATENCY_MS} ms added to every VMS request (then deleted):"
sim_admin POST /_sim/faults "{\"rules\": [{\"latency_ms\": $LATENCY_MS}]}" >/dev/null
SUMMARY=()
MAX_C=100
for c in 10 50 $MAX_C; do
  # a first round opens the connections this concurrency uses (TLS handshakes are CPU,
  # not VMS latency); the second is measured
  load --volumes "$((4 * c))" --concurrency "$c" --prefix "warm$c" --params "$PARAMS" --size "$SIZE" --delete \
    >/dev/null || die "concurrency $c: warm-up calls failed"
  line=$(load --volumes "$VOLUMES" --concurrency "$c" --prefix "lat$c" --params "$PARAMS" --size "$SIZE" --delete) ||
    die "concurrency $c: calls failed: $line"
  JSON_LINES+=("$line")
  report=$(/usr/bin/python3 - "$line" "$c" "$LATENCY_MS" <<'PY'
import json, sys
r, c, lat = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ideal = c / (lat / 1000)  # one round trip of wall time per call
wall_c, wall_d = r["p50_ms"] / lat, r["delete_p50_ms"] / lat
print("  concurrency %3d: %7.1f creates/s (ideal %7.1f, ratio %.2f), p50 %6.1f ms = %.2f round trips, p99 %6.1f ms;"
      " %7.1f deletes/s, p50 %6.1f ms = %.2f round trips"
      % (c, r["creates_per_s"], ideal, r["creates_per_s"] / ideal, r["p50_ms"], wall_c, r["p99_ms"],
         r["deletes_per_s"], r["delete_p50_ms"], wall_d))
print(json.dumps({"concurrency": c, "creates_per_s": r["creates_per_s"], "ideal_creates_per_s": round(ideal, 1),
                  "create_ratio": round(r["creates_per_s"] / ideal, 3), "create_p50_ms": r["p50_ms"],
                  "create_p99_ms": r["p99_ms"], "create_wall_round_trips": round(wall_c, 2),
                  "deletes_per_s": r["deletes_per_s"], "delete_p50_ms": r["delete_p50_ms"],
                  "delete_wall_round_trips": round(wall_d, 2)}))
PY
)
  echo "${report%%$'\n'*}"
  echo "                   VMS connections open afterwards: $(vms_connections)"
  SUMMARY+=("${report#*$'\n'}")
done
PEAK_RSS_KB=$(rss_kb VmHWM)
sim_admin DELETE /_sim/faults >/dev/null
echo "  ideal = concurrency / ${LATENCY_MS} ms: one round trip of wall time per create, what VMS latency alone allows"
echo
echo "(c) vast-csi memory: idle $((IDLE_RSS_KB / 1024)) MB after start, peak $((PEAK_RSS_KB / 1024)) MB;" \
  "$(((PEAK_RSS_KB - IDLE_RSS_KB) / MAX_C)) KB per call in flight at concurrency $MAX_C"

echo
echo "JSON:"
printf '%s\n' "${JSON_LINES[@]}"
printf '{"bench": "controller", "requests": {"create_volume": %s, "delete_volume": %s, "create_snapshot": %s, "delete_snapshot": %s}, "latency_ms": %s, "idle_rss_kb": %s, "peak_rss_kb": %s, "runs": [%s]}\n' \
  "$RT_CREATE" "$RT_DELETE" "$RT_SNAP" "$RT_SNAP_DELETE" "$LATENCY_MS" "$IDLE_RSS_KB" "$PEAK_RSS_KB" "$(IFS=,; echo "${SUMMARY[*]}")"

# ---------- stop ----------

stop_or_die CSI_PID vast-csi
stop_sim
