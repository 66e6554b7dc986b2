# Helpers for the controller tests: vast-csi's Controller against a seeded vms-sim.
# Sourced by every tests/controller/test_*.sh; brings in tests/integration/lib.sh (the
# scratch directory, start_sim, start_plugin, run_ctl, expect_*, jget, the simulator's
# inventory (sim_api, inv_count, inv_get), EXTRA_PIDS, finish). Each test
# starts its own simulator and plugin, checks what the simulator holds afterwards (its
# /_sim/inventory and data directory), not only what the RPCs answered, and ends with
# stop_and_check and finish.
# shellcheck shell=bash disable=SC2034,SC2154 # variables set here or by run_ctl, used by the tests
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$HERE/../integration/lib.sh"

ROOT=/k8s

# The StorageClass of the seeded simulator (docs/vms-sim.md, "Seeded objects").
MOUNT_CAP=('volume_capabilities[0].access_mode.mode=MULTI_NODE_MULTI_WRITER' 'volume_capabilities[0].mount.fs_type=')
SC_PARAMS=("parameters.root_export=$ROOT" parameters.view_policy=vast-k8s-nfs parameters.vip_pool_name=vast-k8s-pool)
VOL_ARGS=("${MOUNT_CAP[@]}" "${SC_PARAMS[@]}")

# ---------- calls ----------

# CTL_TIMEOUT=MS in the environment of create_volume or create_snapshot sets the call's
# deadline (CTL_TIMEOUT=3000 create_volume ...); csictl's default otherwise.

# create_volume NAME SIZE [field=value...]: CreateVolume with the seeded StorageClass;
# sets CV_rc/CV_out/CV_err and VOL_ID (empty on failure).
create_volume() {
  local name=$1 size=$2 opts=()
  shift 2
  [[ -z ${CTL_TIMEOUT:-} ]] || opts=(-t "$CTL_TIMEOUT")
  run_ctl CV "${opts[@]}" CreateVolume "name=$name" "capacity_range.required_bytes=$size" "${VOL_ARGS[@]}" "$@"
  VOL_ID=""
  if [[ $CV_rc == 0 ]]; then VOL_ID=$(json_field "$CV_out" volume.volume_id); fi
}

# create_ok NAME SIZE [field=value...]: create_volume that must succeed (one check).
create_ok() {
  create_volume "$@"
  if [[ $CV_rc == 0 ]]; then pass "CreateVolume $1"; else fail "CreateVolume $1: rc=$CV_rc $CV_err"; fi
}

# create_snapshot NAME VOLUME_ID [field=value...]: sets CS_rc/CS_out/CS_err and SNAP_ID.
create_snapshot() {
  local name=$1 vol=$2 opts=()
  shift 2
  [[ -z ${CTL_TIMEOUT:-} ]] || opts=(-t "$CTL_TIMEOUT")
  run_ctl CS "${opts[@]}" CreateSnapshot "name=$name" "source_volume_id=$vol" "$@"
  SNAP_ID=""
  if [[ $CS_rc == 0 ]]; then SNAP_ID=$(json_field "$CS_out" snapshot.snapshot_id); fi
}

# ---------- the simulator ----------

# inv EXPR: evaluates a Python expression over the simulator's /_sim/inventory and
# prints the result (JSON for lists/dicts). In EXPR: inv (the inventory), by(coll,
# **fields) (objects of a collection whose fields equal those; base_name is the name
# without the driver's ownership mark), paths(coll) (the sorted paths of a collection's
# objects under /k8s/).
inv() {
  sim_admin GET /_sim/inventory | "$PY" -c "$INV_PY"'
def by(coll, **kw):
    return [o for o in inv.get(coll, []) if all(o.get(k) == v for k, v in kw.items())]
def paths(coll):
    return sorted(o["path"] for o in inv.get(coll, []) if o.get("path", "").startswith("/k8s/"))
v = eval(sys.argv[1])
print(json.dumps(v, sort_keys=True) if isinstance(v, (list, dict)) else v)' "$1"
}

# check_volumes WHAT PATH...: the simulator holds exactly these volumes under /k8s and
# nothing else of ours: one quota and one view per path (same tenant), a directory per
# path (and no other directory under /k8s), no temporary clone snapshot left, no clone
# stream still running, and no clone stream for a path that is not a volume.
check_volumes() {
  local what=$1
  shift
  local report
  report=$(sim_admin GET /_sim/inventory | "$PY" -c '
import json, os, sys
inv = json.load(sys.stdin)
fs, want = sys.argv[1], sorted(sys.argv[2:])
problems = []
def under(coll):
    return [o for o in inv.get(coll, []) if o.get("path", "").startswith("/k8s/")]
for coll in ("quotas", "views"):
    got = sorted(o["path"] for o in under(coll))
    if got != want:
        problems.append("%s at %s, expected %s" % (coll, got, want))
for q in under("quotas"):
    views = [v for v in under("views") if v["path"] == q["path"] and v.get("tenant_id") == q.get("tenant_id")]
    if len(views) != 1:
        problems.append("quota %s has %d views in its tenant" % (q["path"], len(views)))
dirs = sorted("/k8s/" + d for d in os.listdir(os.path.join(fs, "k8s")))
if dirs != want:
    problems.append("directories %s, expected %s" % (dirs, want))
temps = [s["name"] for s in inv.get("snapshots", []) if s["name"].startswith("csi-clone-")]
if temps:
    problems.append("temporary clone snapshots left: %s" % temps)
for s in inv.get("globalsnapstreams", []):
    state = s.get("status", {}).get("state")
    if state != "FINISHED":
        problems.append("clone stream %s is %s" % (s["name"], state))
    if s.get("loanee_root_path", "").rstrip("/") not in want:
        problems.append("clone stream %s into %s, which is no volume" % (s["name"], s.get("loanee_root_path")))
print("; ".join(problems) if problems else "ok")' "$SIM_FS" "$@")
  expect_eq "$what" ok "$report"
}

# sim_ports: "HTTPS_PORT HTTP_PORT" of the running simulator.
sim_ports() { echo "${SIM_ENDPOINT##*:} ${SIM_URL##*:}"; }

# kill_sim: SIGKILL the simulator (a crash; its state on disk must survive).
kill_sim() { sim_launch_stop KILL; }

# stop_sim: SIGTERM, wait.
stop_sim() { sim_launch_stop TERM; }

# restart_sim_same_ports [vms-sim flags...]: starts the simulator again on the ports it
# had, on the same data directory (state, certificate), so the plugin's sessions and
# its secret stay valid.
restart_sim_same_ports() {
  local https http
  read -r https http < <(sim_ports)
  launch_sim -- --https "127.0.0.1:$https" --http "127.0.0.1:$http" --seed "$@"
}

# restart_sim [vms-sim flags...]: starts the simulator again on the same data
# directory with new flags (new ports; the secret in $SECRET_DIR follows).
restart_sim() {
  stop_sim
  start_sim "$@"
}

# ---------- the plugin ----------

# start_controller [vast-csi flags...]: the plugin in controller mode with the
# simulator as its default cluster; VAST_CSI_FAULTS in the caller's environment arms
# fault points (VAST_CSI_FAULTS=... start_controller).
start_controller() {
  start_controller_no_default --vms-secret-dir "$SECRET_DIR" "$@"
}

# start_controller_no_default [vast-csi flags...]: the plugin in controller mode with
# no default cluster (every call must carry its secret). Keeps the log of the plugin
# that ran before (lib.sh's start_plugin starts a new plugin.log).
start_controller_no_default() {
  cat "$WORK/plugin.log" >>"$WORK/plugin.all.log" 2>/dev/null || true
  start_plugin --mode controller "$@"
}

# expect_plugin_died WHAT: the plugin process ended by SIGKILL (a fault point's kill);
# reaps it so the next start_controller can take the socket.
expect_plugin_died() {
  local status=0
  for _ in $(seq 1 100); do kill -0 "$PLUGIN_PID" 2>/dev/null || break; sleep 0.05; done
  wait "$PLUGIN_PID" 2>/dev/null || status=$?
  PLUGIN_PID=""
  expect_eq "$1: plugin killed by the fault point (exit status 128+9)" 137 "$status"
}

# stop_and_check: the end of every test: stops the plugin and the simulator with
# SIGTERM (both must exit 0; in the sanitizer build a leak makes that fail) and checks
# that no log of any plugin or simulator this test ran holds a sanitizer report
# (ASan, UBSan, LSan) or a failed assertion.
stop_and_check() {
  local found
  if [[ -n "$PLUGIN_PID" ]]; then
    stop_plugin
    expect_eq "vast-csi exits 0 on SIGTERM" 0 "$STOP_STATUS"
  fi
  if [[ -n ${VMS_SIM_LAUNCHER_PID:-} ]]; then
    sim_launch_stop TERM
    expect_eq "vms-sim exits 0 on SIGTERM" 0 "$VMS_SIM_STATUS"
  fi
  found=$(cat "$WORK"/plugin.all.log "$WORK"/plugin.log "$WORK"/sim.log 2>/dev/null |
    grep -E 'Sanitizer|runtime error:|Assertion .* failed' | head -5 || true)
  expect_eq "no sanitizer report or assertion failure in the logs" "" "$found"
}

# wait_for WHAT TIMEOUT_S COMMAND...: polls COMMAND until it succeeds (one check; a
# timeout is a failed check, the test goes on).
wait_for() {
  local what=$1 timeout=$2
  shift 2
  local end=$((SECONDS + timeout))
  while ! "$@"; do
    if ((SECONDS >= end)); then
      fail "$what: not within ${timeout}s"
      return 0
    fi
    sleep 0.1
  done
  pass "$what"
}
