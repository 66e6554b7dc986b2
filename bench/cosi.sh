#!/usr/bin/env bash
# COSI benchmark: VMS round trips per COSI call, and create+grant throughput when every
# VMS request takes 20 ms, against a seeded vms-sim and a real `vast-csi --mode cosi`.
#
#   bench/cosi.sh [BUILD_DIR]      (default: build)
#
# (a) Round trips. After one warm-up bucket (view policy and VIP pool cached, the VMS
#     token fetched), 20 sequential DriverCreateBucket, then 20 DriverGrantBucketAccess,
#     20 DriverRevokeBucketAccess and 20 DriverDeleteBucket, the simulator's counters
#     reset before each batch: VMS requests per call, and which.
# (b) Throughput. With 20 ms added to every simulator request, 200 buckets created and
#     granted (one timed operation each: what a BucketClaim plus a BucketAccess cost) by
#     10 callers, then revoked and deleted. A provisioner whose only cost is VMS latency
#     reaches callers / ((create + grant round trips) x 20 ms) operations/s; the report
#     gives measured / ideal.
#
# It prints a readable report and the JSON lines of each run. It measures, never judges:
# it fails only when a call or a process fails. Every process it starts is stopped by PID.
set -euo pipefail

BUILD=${1:-build}
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOAD="$BUILD/bench/cosi_load"
require_tools "$SIM" "$CSI" "$CSICTL" "$LOAD"

SEQUENTIAL=${SEQUENTIAL:-20}
BUCKETS=${BUCKETS:-200}
CALLERS=${CALLERS:-10}
LATENCY_MS=${LATENCY_MS:-20}
PARAMS="root_export=/k8s,vip_pool_name=vast-k8s-pool,scheme=http,s3_port=9000"

make_memory_work vk-cosi-bench
ENDPOINT="unix://$WORK/cosi.sock"

start_sim_cluster
CSI_READY_CALL=DriverGetInfo start_csi --mode cosi --vms-secret-dir "$WORK/secret" --log-level warn

load() { "$LOAD" --endpoint "$ENDPOINT" "$@"; }

JSON_LINES=()

echo "vast-csi COSI benchmark: vms-sim on HTTPS"
echo
load --buckets 1 --prefix warm --params "$PARAMS" --ops create,grant,revoke,delete >/dev/null ||
  die "warm-up bucket failed"

# ---------- (a) round trips ----------

echo "(a) VMS round trips per call ($SEQUENTIAL sequential calls each, caches warm):"
state="$WORK/rt.state"
for op in create grant revoke delete; do
  reset_stats
  if [[ $op == create ]]; then
    line=$(load --buckets "$SEQUENTIAL" --prefix rt --params "$PARAMS" --ops create --state-out "$state") ||
      die "sequential $op failed"
  else
    line=$(load --buckets "$SEQUENTIAL" --prefix rt --ops "$op" --state-in "$state" --state-out "$state") ||
      die "sequential $op failed"
  fi
  JSON_LINES+=("$line")
  per_op "$SEQUENTIAL" "$op"
done
RT_CREATE=$(cat "$WORK/rt.create")
RT_GRANT=$(cat "$WORK/rt.grant")
RT_REVOKE=$(cat "$WORK/rt.revoke")
RT_DELETE=$(cat "$WORK/rt.delete")

# ---------- (b) throughput under VMS latency ----------

echo
echo "(b) $BUCKETS buckets created and granted by $CALLERS callers, ${LATENCY_MS} ms added to every VMS request"
echo "    (then revoked and deleted):"
sim_admin POST /_sim/faults "{\"rules\": [{\"latency_ms\": $LATENCY_MS}]}" >/dev/null
state="$WORK/lat.state"
up=$(load --buckets "$BUCKETS" --concurrency "$CALLERS" --prefix lat --params "$PARAMS" --ops create,grant \
  --state-out "$state") || die "create+grant under latency failed: $up"
down=$(load --buckets "$BUCKETS" --concurrency "$CALLERS" --prefix lat --ops revoke,delete --state-in "$state") ||
  die "revoke+delete under latency failed: $down"
sim_admin DELETE /_sim/faults >/dev/null
JSON_LINES+=("$up" "$down")
SUMMARY=$(/usr/bin/python3 - "$up" "$down" "$CALLERS" "$RT_CREATE" "$RT_GRANT" "$RT_REVOKE" "$RT_DELETE" \
  "$LATENCY_MS" <<'PY'
import json, sys
up, down = json.loads(sys.argv[1]), json.loads(sys.argv[2])
c = int(sys.argv[3])
rt_c, rt_g, rt_r, rt_d, lat = (float(x) for x in sys.argv[4:9])
ideal_up = c / ((rt_c + rt_g) * lat / 1000)
ideal_down = c / ((rt_r + rt_d) * lat / 1000)
print("  create+grant: %6.1f/s (ideal %6.1f, ratio %.2f), p50 %6.1f ms, p99 %6.1f ms"
      % (up["per_s"], ideal_up, up["per_s"] / ideal_up, up["p50_ms"], up["p99_ms"]))
print("  revoke+delete: %5.1f/s (ideal %6.1f, ratio %.2f), p50 %6.1f ms, p99 %6.1f ms"
      % (down["per_s"], ideal_down, down["per_s"] / ideal_down, down["p50_ms"], down["p99_ms"]))
print("  wall-time round trips per create+grant: %.1f (p50 latency / %g ms)" % (up["p50_ms"] / lat, lat))
print(json.dumps({"callers": c, "create_grant_per_s": up["per_s"], "ideal_create_grant_per_s": round(ideal_up, 1),
                  "create_grant_ratio": round(up["per_s"] / ideal_up, 3), "create_grant_p50_ms": up["p50_ms"],
                  "revoke_delete_per_s": down["per_s"], "revoke_delete_ratio": round(down["per_s"] / ideal_down, 3)}))
PY
)
echo "${SUMMARY%$'\n'*}"
echo "  ideal = callers / (round trips per operation x ${LATENCY_MS} ms): what VMS latency alone allows"

echo
echo "JSON:"
printf '%s\n' "${JSON_LINES[@]}"
printf '{"bench": "cosi", "round_trips": {"create_bucket": %s, "grant": %s, "revoke": %s, "delete_bucket": %s}, "latency_ms": %s, "run": %s}\n' \
  "$RT_CREATE" "$RT_GRANT" "$RT_REVOKE" "$RT_DELETE" "$LATENCY_MS" "${SUMMARY##*$'\n'}"

stop_or_die CSI_PID vast-csi
stop_sim
