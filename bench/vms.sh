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
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH="$BUILD/bench/vms_client"
require_tools "$SIM" "$BENCH"

REQUESTS=${REQUESTS:-10000}
THREADS=${THREADS:-8}

make_work vk-vms-bench
start_sim

echo "http:  $("$BENCH" --url "http://127.0.0.1:$SIM_HTTP_PORT" --requests "$REQUESTS" --threads "$THREADS")"
echo "https: $("$BENCH" --url "https://127.0.0.1:$SIM_HTTPS_PORT" --ca "$WORK/sim/tls/cert.pem" \
  --requests "$REQUESTS" --threads "$THREADS")"

stop_sim
