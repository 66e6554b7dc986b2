# Shared helpers for the integration tests, and through tests/controller/helpers.sh and
# tests/node/helpers.sh for theirs: a scratch directory, starting and stopping vast-csi
# and vms-sim (through tests/launcher's vms-sim-launch, as every test does), the
# simulator's inventory, and assertions that print what was expected and what came back.
set -euo pipefail
# shellcheck source=../launcher/sim_launch.sh
source "$(dirname "${BASH_SOURCE[0]}")/../launcher/sim_launch.sh"

: "${VAST_CSI:?path of the vast-csi binary}"
: "${CSICTL:?path of the csictl binary}"
VMS_SIM=${VMS_SIM:-}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vk-test.XXXXXX")
SOCK="$WORK/plugin/csi.sock"
ENDPOINT="unix://$SOCK"
PLUGIN_PID=""
FAILURES=0
CHECKS=0
PY=/usr/bin/python3
# shellcheck disable=SC2034 # used by the tests
GiB=1073741824
# shellcheck disable=SC2034 # used by the tests
SIM_FS="$WORK/sim/fs" # the simulator keeps VMS path P in $SIM_FS/P

# Background processes a test starts besides the plugin and the simulator
# (EXTRA_PIDS+=($!)); killed by PID, first thing when the test exits.
EXTRA_PIDS=()
kill_extra_pids() {
  local pid
  for pid in "${EXTRA_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  EXTRA_PIDS=()
}

cleanup() {
  kill_extra_pids
  if [[ -n "$PLUGIN_PID" ]] && kill -0 "$PLUGIN_PID" 2>/dev/null; then
    kill -KILL "$PLUGIN_PID" 2>/dev/null || true
  fi
  sim_launch_stop TERM
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_plugin [vast-csi flags...]: starts vast-csi on $ENDPOINT, logs in $WORK/plugin.log,
# and waits until it answers $PLUGIN_READY_CALL (Probe; DriverGetInfo for --mode cosi).
start_plugin() {
  "$VAST_CSI" --endpoint "$ENDPOINT" "$@" >"$WORK/plugin.out" 2>"$WORK/plugin.log" &
  PLUGIN_PID=$!
  if ! "$CSICTL" -e "$ENDPOINT" -w 10000 -q "${PLUGIN_READY_CALL:-Probe}"; then
    echo "vast-csi did not come up; its log:"
    cat "$WORK/plugin.log"
    exit 1
  fi
}

# start_sim [vms-sim flags...]: starts a seeded vms-sim on HTTPS and plain HTTP (loopback,
# free ports), data in $WORK/sim (kept across restarts), its log appended to
# $WORK/sim.log, and writes the default-cluster secret for it into $SECRET_DIR (endpoint,
# username, password, ssl_cert = the simulator's certificate). Sets SIM_URL (plain HTTP,
# for the /_sim/ admin API) and SIM_ENDPOINT (host:port), and the launcher's VMS_SIM_*.
SECRET_DIR="$WORK/secret"
start_sim() {
  launch_sim --listen https --listen http -- --seed "$@"
}

# launch_sim LAUNCHER ARGS...: start_sim with the launcher's arguments as given (the
# listeners included); exits the test when the simulator does not start.
launch_sim() {
  sim_launch --data-dir "$WORK/sim" --log "$WORK/sim.log" "$@" || {
    echo "vms-sim did not start (the launcher said why above)"
    exit 1
  }
  SIM_ENDPOINT="127.0.0.1:$VMS_SIM_HTTPS_PORT"
  SIM_URL=$VMS_SIM_HTTP
  mkdir -p "$SECRET_DIR"
  printf '%s' "$SIM_ENDPOINT" >"$SECRET_DIR/endpoint"
  printf 'admin' >"$SECRET_DIR/username"
  printf '123456' >"$SECRET_DIR/password"
  cp "$VMS_SIM_CA" "$SECRET_DIR/ssl_cert"
}

# sim_admin METHOD PATH [JSON]: tests/launcher/sim_launch.sh

# sim_stat KEY: a request counter of the simulator ("POST quotas/"), or a top-level one.
sim_stat() {
  sim_admin GET /_sim/stats | /usr/bin/python3 -c 'import json,sys
s=json.load(sys.stdin); k=sys.argv[1]
print(s.get("requests",{}).get(k, s.get(k, 0)))' "$1"
}

# sim_api METHOD PATH [JSON]: the VMS REST API as the admin user (HTTP Basic, plain
# HTTP listener), e.g. sim_api DELETE views/3/. Prints the body; fails on HTTP >= 400.
sim_api() {
  "$PY" - "$SIM_URL" "$@" <<'PY'
import base64, sys, urllib.request
url, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
auth = base64.b64encode(b"admin:123456").decode()
req = urllib.request.Request(url + "/api/v1/" + path, data=body, method=method,
                             headers={"Content-Type": "application/json", "Authorization": "Basic " + auth})
with urllib.request.urlopen(req, timeout=10) as r:
    sys.stdout.write(r.read().decode())
PY
}

# The start of the Python that reads /_sim/inventory from stdin (inv_count here, inv in
# tests/controller/helpers.sh): inv, the inventory, with a base_name on every named
# object - its name without the driver's ownership mark ("~" and 12 hex digits).
INV_PY='
import json, re, sys
inv = json.load(sys.stdin)
for objs in inv.values():
    for o in objs if isinstance(objs, list) else []:
        if isinstance(o, dict) and isinstance(o.get("name"), str):
            o["base_name"] = re.sub(r"~[0-9a-f]{12}$", "", o["name"])
'

# inv_count COLL FIELD=VALUE...: how many objects of COLL in /_sim/inventory have those
# fields (values compared as JSON when they parse as JSON, e.g. tenant_id=2, else as text).
# base_name is the name without the driver's ownership mark ("~" and 12 hex digits).
inv_count() {
  local coll=$1
  shift
  sim_admin GET /_sim/inventory | "$PY" -c "$INV_PY"'
want = {}
for a in sys.argv[2:]:
    k, v = a.split("=", 1)
    try: want[k] = json.loads(v)
    except ValueError: want[k] = v
print(sum(all(o.get(k) == v for k, v in want.items()) for o in inv.get(sys.argv[1], [])))' "$coll" "$@"
}

# inv_get COLL FIELD PATH: one field of the object of COLL at VMS path PATH in
# /_sim/inventory (text as is, anything else as JSON; "" if there is none).
inv_get() {
  sim_admin GET /_sim/inventory | "$PY" -c '
import json, sys
inv = json.load(sys.stdin)
for o in inv.get(sys.argv[1], []):
    if o.get("path") == sys.argv[3]:
        v = o.get(sys.argv[2])
        print(v if isinstance(v, str) else json.dumps(v))
        break' "$1" "$2" "$3"
}

# stop_plugin: SIGTERM, wait, and return its exit status in STOP_STATUS.
stop_plugin() {
  kill -TERM "$PLUGIN_PID"
  STOP_STATUS=0
  wait "$PLUGIN_PID" || STOP_STATUS=$?
  PLUGIN_PID=""
}

ctl() { "$CSICTL" -e "$ENDPOINT" "$@"; }

# run_ctl VAR_PREFIX args...: runs csictl, keeping stdout, stderr and the exit status.
run_ctl() {
  local prefix=$1
  shift
  local rc=0
  ctl "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  printf -v "${prefix}_rc" '%s' "$rc"
  printf -v "${prefix}_out" '%s' "$(cat "$WORK/out")"
  printf -v "${prefix}_err" '%s' "$(cat "$WORK/err")"
}

pass() { CHECKS=$((CHECKS + 1)); echo "ok   - $1"; }
fail() { CHECKS=$((CHECKS + 1)); FAILURES=$((FAILURES + 1)); echo "FAIL - $1"; }

expect_eq() { # expect_eq WHAT EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
expect_contains() { # expect_contains WHAT HAYSTACK NEEDLE
  if [[ "$2" == *"$3"* ]]; then pass "$1"; else fail "$1: [$3] not in [$2]"; fi
}
expect_not_contains() {
  if [[ "$2" != *"$3"* ]]; then pass "$1"; else fail "$1: [$3] must not appear in [$2]"; fi
}
expect_le() { # expect_le WHAT LIMIT VALUE
  if (( $3 <= $2 )); then pass "$1 ($3 <= $2)"; else fail "$1: $3 > $2"; fi
}
# expect_rc WHAT CODE PREFIX: the gRPC code a run_ctl call with that PREFIX ended with.
expect_rc() {
  local rc_var="${3}_rc" err_var="${3}_err"
  if [[ "${!rc_var}" == "$2" ]]; then pass "$1 (code $2)"; else fail "$1: expected code $2, got ${!rc_var}: ${!err_var}"; fi
}

# json_field JSON PATH: prints a field of a JSON document (python's json, a second parser).
json_field() {
  /usr/bin/python3 -c 'import json,sys
v=json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v=v[int(k)] if isinstance(v,list) else v.get(k)
print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2"
}

# jget JSON PATH: a field of a JSON document by dotted path (list indexes as numbers);
# empty when absent, JSON for lists/objects, true/false for booleans.
jget() {
  "$PY" -c 'import json,sys
v=json.loads(sys.argv[1]) if sys.argv[1].strip() else None
for k in sys.argv[2].split(".") if sys.argv[2] else []:
    if isinstance(v, list): v = v[int(k)] if int(k) < len(v) else None
    elif isinstance(v, dict): v = v.get(k)
    else: v = None
if v is None: print("")
elif isinstance(v, bool): print("true" if v else "false")
elif isinstance(v, (dict, list)): print(json.dumps(v, sort_keys=True))
else: print(v)' "$1" "$2"
}

now_ms() { date +%s%3N; }

finish() {
  echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
  if ((FAILURES > 0)); then
    echo "--- plugin log ---"
    cat "$WORK/plugin.log" 2>/dev/null || true
    exit 1
  fi
  exit 0
}

# ---------- mounts (tests/node) ----------

# mount_points_under DIR: the mount points at or below DIR in this process's mount table,
# one a line, oldest first (paths as /proc/self/mountinfo writes them).
mount_points_under() {
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# unmount_all_under DIR: lazily detaches every mount at or below DIR, newest first, so
# that a failed test leaves no mount behind (and rm -rf never reaches through one).
unmount_all_under() {
  local points i
  mapfile -t points < <(mount_points_under "$1")
  for ((i = ${#points[@]} - 1; i >= 0; i--)); do
    umount -l "${points[i]}" 2>/dev/null || echo "unmount_all_under: cannot detach ${points[i]}" >&2
  done
}
