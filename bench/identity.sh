#!/usr/bin/env bash
# Identity-service benchmark: latency and throughput of GetPluginInfo, and the plugin's
# memory when idle and after load. It measures and reports; it never passes or fails on
# a figure (the only failure is a call or a shutdown that went wrong). Builds nothing.
#
#   bench/identity.sh [BUILD_DIR]      (default: build)
#
# Figures depend on the machine and on what else runs on it: compare runs made on the
# same host, and prefer a RelWithDebInfo or Release build without sanitizers.
set -euo pipefail

BUILD=${1:-build}
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RPC_LATENCY="$BUILD/bench/rpc_latency"
require_tools "$CSI" "$CSICTL" "$RPC_LATENCY"

CALLS=10000
WARMUP=500
THREADS=8
METHOD=/csi.v1.Identity/GetPluginInfo

make_work vk-bench

# status_kb FIELD: a memory figure of the plugin from /proc, in kB.
status_kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$CSI_PID/status"; }

# Info level: successful Identity calls log at debug, so the log costs nothing here,
# as in production.
start_csi --node-id bench-node --log-level info
sleep 1 # let start-up allocations settle before calling the process idle
idle_rss=$(status_kb VmRSS)

sequential=$("$RPC_LATENCY" --endpoint "$ENDPOINT" --method "$METHOD" --calls "$CALLS" --warmup "$WARMUP")
# A short warm-up per thread: each thread has its own channel to connect.
parallel=$("$RPC_LATENCY" --endpoint "$ENDPOINT" --method "$METHOD" --calls "$CALLS" \
  --threads "$THREADS" --warmup 50)
loaded_rss=$(status_kb VmRSS)
peak_rss=$(status_kb VmHWM)

stop_process CSI_PID

field() { # field JSON NAME: one number from rpc_latency's flat JSON object
  sed -E "s/.*\"$2\": ([0-9.]+).*/\\1/" <<<"$1"
}

echo "vast-csi identity benchmark ($("$CSI" --version), $(nproc) CPUs)"
echo "  sequential: $CALLS x GetPluginInfo after $WARMUP warm-up calls:" \
  "p50 $(field "$sequential" p50_us) us, p99 $(field "$sequential" p99_us) us," \
  "$(field "$sequential" calls_per_s) calls/s"
echo "  $THREADS threads:  $CALLS x GetPluginInfo, one channel per thread:" \
  "p50 $(field "$parallel" p50_us) us, p99 $(field "$parallel" p99_us) us," \
  "$(field "$parallel" calls_per_s) calls/s"
echo "  memory: idle VmRSS $idle_rss kB; after load VmRSS $loaded_rss kB, VmHWM $peak_rss kB"
echo "$sequential"
echo "$parallel"
[[ $STOP_STATUS -eq 0 ]] || die "vast-csi exited with $STOP_STATUS after SIGTERM (expected 0)"
echo "  shutdown: SIGTERM -> exit 0"
