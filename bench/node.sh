#!/usr/bin/env bash
# Node benchmark: NodePublishVolume and NodeUnpublishVolume latency for an already staged
# volume, and the mounts they make, against a seeded vms-sim and a real vast-csi in bind
# mode (this machine and CI have no NFS client: NodeStage bind-mounts the volume's
# directory in the simulator's data, NodePublish bind-mounts the staging path into each
# target, as in NFS mode).
#
#   bench/node.sh [BUILD_DIR]      (default: build; run as root: it mounts)
#
# One CreateVolume, then bench/node_publish: one NodeStageVolume, then a round per level of
# existing mounts (EXISTING, default "10,1000"): the bench grows its own extra bind mounts
# under $WORK/existing to that many, so they sit in the node's mount table while the
# round's calls run, then makes N (PUBLISHES, default 200) NodePublishVolume calls, each
# followed by the NodeUnpublishVolume of its target (so the table keeps the level's size);
# then one NodeUnstageVolume. It reports p50/p90/p99 of publish and of unpublish per level,
# the ratios last level / first level (1000/10) of p50 and p99, and the mounts of the export
# after each phase (1 while staged, 0 after). Environment: EXISTING, PUBLISHES=N,
# CONCURRENCY=C (default 1: latency, not throughput), WORKERS (vast-csi --workers).
#
# It prints a readable report (with the load average, which moves such figures) and the
# JSON line. It measures, never judges: it fails only when a call or a process fails.
# Every process it starts is stopped by PID, and every mount it leaves (the extra mounts,
# after a failure the volume's) is detached.
set -euo pipefail

BUILD=${1:-build}
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH="$BUILD/bench/node_publish"
require_tools "$SIM" "$CSI" "$CSICTL" "$BENCH"
[[ $(id -u) == 0 ]] || { echo "node.sh: run as root (the node mounts)" >&2; exit 2; }

PUBLISHES=${PUBLISHES:-200}
EXISTING=${EXISTING:-10,1000}
CONCURRENCY=${CONCURRENCY:-1}
WORKERS=${WORKERS:-16}

make_work vk-node-bench
# The processes go first, then every mount left under $WORK (newest first), then $WORK.
detach_mounts() {
  local points i
  mapfile -t points < <(awk -v d="$WORK" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo)
  for ((i = ${#points[@]} - 1; i >= 0; i--)); do umount -l "${points[i]}" 2>/dev/null || true; done
}
node_cleanup() {
  kill_started
  detach_mounts
  rm -rf "$WORK"
}
trap node_cleanup EXIT

# ---------- processes ----------

start_sim
write_sim_secret
start_csi --vms-secret-dir "$WORK/secret" --mount-mode bind --bind-root "$WORK/sim/fs" \
  --state-dir "$WORK/state" --node-id bench-node --workers "$WORKERS" --log-level warn

# ---------- the volume ----------

out=$("$CSICTL" -e "$ENDPOINT" CreateVolume name=pvc-bench capacity_range.required_bytes=1073741824 \
  'volume_capabilities[0].access_mode.mode=MULTI_NODE_MULTI_WRITER' 'volume_capabilities[0].mount.fs_type=' \
  parameters.root_export=/k8s parameters.view_policy=vast-k8s-nfs parameters.vip_pool_name=vast-k8s-pool) ||
  die "CreateVolume failed"
VOLUME_ID=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["volume"]["volume_id"])' <<<"$out")
EXPORT=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["volume"]["volume_context"]["export_path"])' <<<"$out")
mapfile -t CONTEXT < <(/usr/bin/python3 -c 'import json,sys
for k, v in json.load(sys.stdin)["volume"]["volume_context"].items(): print("--context=%s=%s" % (k, v))' <<<"$out")

echo "vast-csi node benchmark: bind mode, vms-sim on HTTPS, --workers $WORKERS, $(nproc) CPUs, $(uname -r)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
status=0
"$BENCH" --endpoint "$ENDPOINT" --volume-id "$VOLUME_ID" "${CONTEXT[@]}" --staging "$WORK/staging/pvc-bench" \
  --targets-dir "$WORK/pods" --export "$EXPORT" --bind-root "$WORK/sim/fs" --publishes "$PUBLISHES" \
  --concurrency "$CONCURRENCY" --existing "$EXISTING" --existing-dir "$WORK/existing" >"$WORK/bench.out" ||
  status=$?
cat "$WORK/bench.out"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ $status == 0 ]] || die "node_publish reported failed calls (exit $status)"

"$CSICTL" -e "$ENDPOINT" -q DeleteVolume "volume_id=$VOLUME_ID" || die "DeleteVolume failed"

# ---------- stop ----------

stop_or_die CSI_PID vast-csi
stop_sim
