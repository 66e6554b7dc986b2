# shellcheck shell=bash disable=SC2034 # SIM_HTTP_PORT and the like are for the scripts that source this
# Shared by the benchmark scripts (bench/*.sh) and scripts/valgrind.sh: the paths of the
# built tools, a scratch directory, starting vms-sim and vast-csi on loopback and stopping
# them again (vms-sim through the tests' one launcher, tests/launcher/sim_launch.sh).
# Every process started here is stopped by its PID (SIM_PID, CSI_PID; empty when none
# runs), never by name. Source it after setting BUILD (the build directory).

: "${BUILD:?set BUILD (the build directory) before sourcing bench/lib.sh}"
SIM="$BUILD/sim/vms-sim"
VMS_SIM=$SIM
# shellcheck source=../tests/launcher/sim_launch.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/launcher/sim_launch.sh"
CSI="$BUILD/csi/vast-csi"
CSICTL="$BUILD/csictl/csictl"
ME=$(basename "$0") # how the script's messages begin
WORK=""
SIM_PID=""
CSI_PID=""

# require_tools PATH...: exits 2 unless every PATH is an executable (nothing is built here).
require_tools() {
  local tool
  for tool in "$@"; do
    [[ -x "$tool" ]] || { echo "$ME: $tool is missing: build first" >&2; exit 2; }
  done
}

# make_work PREFIX [DIR]: creates the scratch directory $WORK (DIR/PREFIX.XXXXXX; DIR is
# $TMPDIR or /tmp by default) with vast-csi's socket at $ENDPOINT, and removes it when the
# script exits, after killing whatever it started that still runs.
make_work() {
  WORK=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/$1.XXXXXX")
  ENDPOINT="unix://$WORK/csi.sock"
  trap bench_cleanup EXIT
}

# kill_started: SIGKILL the processes this script started that still run (on a failure).
kill_started() {
  local pid
  for pid in "$CSI_PID" "$SIM_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

# make_memory_work PREFIX: make_work on a memory file system when there is one: on a
# slow disk the simulator's writes, not the driver, would set the benchmark's pace.
make_memory_work() {
  local dir=${TMPDIR:-/tmp}
  [[ -d /dev/shm && -w /dev/shm ]] && dir=/dev/shm
  make_work "$1" "$dir"
}

bench_cleanup() {
  kill_started
  rm -rf "$WORK"
}

# die MESSAGE: says what failed and shows the end of the simulator's and vast-csi's logs.
die() {
  echo "$ME: $*" >&2
  for log in sim csi; do
    [[ -s "$WORK/$log.log" ]] && { echo "--- $log log (tail) ---" >&2; tail -20 "$WORK/$log.log" >&2; }
  done
  exit 1
}

# start_sim [vms-sim flags...]: a seeded vms-sim on free loopback ports, HTTPS and plain
# HTTP, data in $WORK/sim, log in $WORK/sim.log, through the tests' launcher (which
# waits for its port file); sets SIM_HTTPS_PORT, SIM_HTTP_PORT and SIM_PID.
start_sim() {
  sim_launch --listen https --listen http --data-dir "$WORK/sim" --log "$WORK/sim.log" -- \
    --seed --log-level warn "$@" || die "vms-sim did not start"
  SIM_PID=$VMS_SIM_PID
  SIM_HTTPS_PORT=$VMS_SIM_HTTPS_PORT
  SIM_HTTP_PORT=$VMS_SIM_HTTP_PORT
}

# start_sim_cluster [vms-sim flags...]: start_sim, with SIM_URL (its plain-HTTP address,
# for sim_admin) and the secret files vast-csi's --vms-secret-dir reads.
start_sim_cluster() {
  start_sim "$@"
  SIM_URL="http://127.0.0.1:$SIM_HTTP_PORT"
  write_sim_secret
}

# The StorageClass parameters and size of the volumes the load generators make.
VOLUME_PARAMS="root_export=/k8s,view_policy=vast-k8s-nfs,vip_pool_name=vast-k8s-pool"
VOLUME_SIZE=1073741824

# stop_sim: SIGTERM through the launcher; dies unless vms-sim exited 0.
stop_sim() {
  sim_launch_stop TERM
  SIM_PID=""
  [[ $VMS_SIM_STATUS -eq 0 ]] || die "vms-sim exited with $VMS_SIM_STATUS after SIGTERM"
}

# write_sim_secret: the simulator as vast-csi's default cluster, in $WORK/secret (for
# --vms-secret-dir): its HTTPS endpoint, the seeded admin user, its certificate as CA.
write_sim_secret() {
  mkdir -p "$WORK/secret"
  printf '127.0.0.1:%s' "$SIM_HTTPS_PORT" >"$WORK/secret/endpoint"
  printf 'admin' >"$WORK/secret/username"
  printf '123456' >"$WORK/secret/password"
  cp "$WORK/sim/tls/cert.pem" "$WORK/secret/ssl_cert"
}

# start_csi [vast-csi flags...]: vast-csi on $ENDPOINT, log in $WORK/csi.log; waits (up
# to 10 s) until it answers $CSI_READY_CALL (Probe; DriverGetInfo in COSI mode).
start_csi() {
  "$CSI" --endpoint "$ENDPOINT" "$@" 2>"$WORK/csi.log" &
  CSI_PID=$!
  "$CSICTL" -e "$ENDPOINT" -w 10000 -q "${CSI_READY_CALL:-Probe}" || die "vast-csi did not come up"
}

# ---------- the simulator's counters (SIM_URL: its plain-HTTP address) ----------

# sim_admin: tests/launcher/sim_launch.sh

# per_op N LABEL: requests since the last reset divided by N, as "total/N" plus the
# breakdown by request, e.g. "4.00  (GET viewpolicies/ 0.00, POST quotas/ 1.00, ...)".
# Writes the figure to $WORK/rt.LABEL.
per_op() {
  sim_admin GET /_sim/stats | /usr/bin/python3 -c '
import json, sys
n, label, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = json.load(sys.stdin)
total = s["requests_total"] / n
open(out, "w").write("%.2f" % total)
parts = ", ".join("%s %.2f" % (k, v / n) for k, v in sorted(s["requests"].items()))
print("  %-16s %5.2f VMS requests each  (%s)" % (label, total, parts))
' "$1" "$2" "$WORK/rt.$2"
}

reset_stats() { sim_admin POST /_sim/stats/reset >/dev/null; }

json_get() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }



# stop_process PID_VAR: SIGTERM to the process whose PID is in the variable PID_VAR
# (CSI_PID, SIM_PID), waits for it and empties the variable; its exit status in STOP_STATUS.
stop_process() {
  local pid=${!1}
  kill -TERM "$pid"
  STOP_STATUS=0
  wait "$pid" || STOP_STATUS=$?
  printf -v "$1" '%s' ""
}

# stop_or_die PID_VAR NAME: stop_process, and fail unless NAME exited 0.
stop_or_die() {
  stop_process "$1"
  [[ $STOP_STATUS -eq 0 ]] || die "$2 exited with $STOP_STATUS after SIGTERM"
}
