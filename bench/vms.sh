#!/usr/bin/env bash
# VMS client benchmark: 10,000 GETs from 8 threads through one client against a
# zero-latency vms-sim, over plain HTTP and over HTTPS (the simulator's generated
# certificate as CA). Prints the figures: requests/s, and how many connections the
# simulator accepted (the client should open about one per thread, not one per request).
# It measures and reports; it fails only when a request or the simulator fails.
#
#   bench/vms.sh [BUILD_DIR]      (default: build)
set -euo pipefail

BUILD=${1:-build}
SIM="$BUILD/sim/vms-sim"
BENCH="$BUILD/bench/vms_client"
for tool in "$SIM" "$BENCH"; do
  [[ -x "$tool" ]] || { echo "vms.sh: $tool is missing: build first" >&2; exit 2; }
done

REQUESTS=${REQUESTS:-10000}
THREADS=${THREADS:-8}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vk-vms-bench.XXXXXX")
SIM_PID=""
cleanup() {
  if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then kill -KILL "$SIM_PID"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$SIM" --data-dir "$WORK/data" --http 127.0.0.1:0 --https 127.0.0.1:0 --port-file "$WORK/ports.json" \
  --seed --log-level warn 2>"$WORK/sim.log" &
SIM_PID=$!
for _ in $(seq 200); do
  [[ -s "$WORK/ports.json" ]] && break
  kill -0 "$SIM_PID" 2>/dev/null || { echo "vms-sim exited; its log:" >&2; cat "$WORK/sim.log" >&2; exit 1; }
  sleep 0.05
done
[[ -s "$WORK/ports.json" ]] || { echo "vms-sim wrote no port file" >&2; exit 1; }
port() { sed -E "s/.*\"$1\": *([0-9]+).*/\1/" "$WORK/ports.json"; }
HTTP_PORT=$(port http)
HTTPS_PORT=$(port https)

echo "http:  $("$BENCH" --url "http://127.0.0.1:$HTTP_PORT" --requests "$REQUESTS" --threads "$THREADS")"
echo "https: $("$BENCH" --url "https://127.0.0.1:$HTTPS_PORT" --ca "$WORK/data/tls/cert.pem" \
  --requests "$REQUESTS" --threads "$THREADS")"

kill -TERM "$SIM_PID"
status=0
wait "$SIM_PID" || status=$?
SIM_PID=""
[[ $status -eq 0 ]] || { echo "vms-sim exited with $status after SIGTERM" >&2; exit 1; }
