# shellcheck shell=bash
# The shell side of vms-sim-launch (tests/launcher/main.c), the one launcher of the C,
# shell and Python tests. Sourced by tests/integration/lib.sh.
#
#   sim_launch [LAUNCHER OPTIONS] [-- VMS-SIM FLAGS...]   # sets VMS_SIM_* (see --help)
#   sim_launch_stop [SIGNAL]                                # sets VMS_SIM_STATUS
#
# The launcher is $VMS_SIM_LAUNCH, else the vms-sim-launch built beside $VMS_SIM.
VMS_SIM_LAUNCHER_PID=""

# sim_launch ARGS...: runs the launcher in the background and evals the facts it prints
# (it closes its stdout after them; a FIFO lets us read them while it keeps running as
# the simulator's parent). Sets VMS_SIM_PID, VMS_SIM_HTTP(S)(_PORT), VMS_SIM_CA,
# VMS_SIM_DIR, VMS_SIM_LOG and VMS_SIM_LAUNCHER_PID. Returns 1, having reaped the
# launcher, when the simulator did not start (the launcher said why on stderr).
sim_launch() {
  : "${VMS_SIM:?path of the vms-sim binary}"
  local launcher=${VMS_SIM_LAUNCH:-$(dirname "$VMS_SIM")/vms-sim-launch} fifo_dir facts rc=0
  fifo_dir=$(mktemp -d "${TMPDIR:-/tmp}/vms-sim-launch.XXXXXX")
  mkfifo -m 600 "$fifo_dir/facts"
  "$launcher" --sim "$VMS_SIM" "$@" >"$fifo_dir/facts" &
  VMS_SIM_LAUNCHER_PID=$!
  facts=$(cat "$fifo_dir/facts")
  rm -rf "$fifo_dir"
  if [[ $facts != *"VMS_SIM_PID="* ]]; then
    wait "$VMS_SIM_LAUNCHER_PID" || rc=$?
    echo "sim_launch: vms-sim did not start (launcher exit status $rc)" >&2
    VMS_SIM_LAUNCHER_PID=""
    return 1
  fi
  eval "$facts"
}

# sim_launch_stop [SIGNAL]: stops the simulator and waits for it; VMS_SIM_STATUS is its
# exit status as bash reports a child's (128+N for signal N). TERM (the default), INT and
# the other stop signals go to the launcher, which passes them on; KILL goes to the
# simulator's PID (a crash: nothing can pass SIGKILL on). A simulator still there after
# 20 s is killed (status 137). Nothing running: status 0.
sim_launch_stop() {
  local sig=${1:-TERM} i
  VMS_SIM_STATUS=0
  [[ -n ${VMS_SIM_LAUNCHER_PID:-} ]] || return 0
  if [[ $sig == KILL || $sig == 9 ]]; then
    kill -KILL "$VMS_SIM_PID" 2>/dev/null || true
  else
    kill "-$sig" "$VMS_SIM_LAUNCHER_PID" 2>/dev/null || true
  fi
  # bash reaps a child as it ends (keeping its status for wait): kill -0 fails then
  for ((i = 0; i < 200; i++)); do kill -0 "$VMS_SIM_LAUNCHER_PID" 2>/dev/null || break; sleep 0.1; done
  if ((i == 200)); then
    echo "sim_launch_stop: vms-sim did not stop within 20 s of SIG$sig: killed" >&2
    kill -KILL "$VMS_SIM_PID" 2>/dev/null || true
  fi
  wait "$VMS_SIM_LAUNCHER_PID" 2>/dev/null || VMS_SIM_STATUS=$? # (no "Killed" job notice)
  VMS_SIM_LAUNCHER_PID=""
}

# sim_admin METHOD PATH [JSON]: the simulator's admin API (SIM_URL: its plain-HTTP
# address, set by the caller), the answer printed.
sim_admin() {
  /usr/bin/python3 - "$SIM_URL" "$@" <<'PY'
import sys, urllib.request
url, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(url + path, data=body, method=method, headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as r:
    sys.stdout.write(r.read().decode())
PY
}
