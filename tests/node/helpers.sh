# shellcheck shell=bash
# Helpers for the node tests: vast-csi (all services) in bind mode against a seeded
# vms-sim. This machine and CI have no NFS client, so the plugin runs with
# --mount-mode bind --bind-root $WORK/sim/fs: NodeStageVolume bind-mounts the volume's
# directory in the simulator's data where it would mount the NFS export, and
# NodePublishVolume bind-mounts the staging path into each target as it always does.
# Needs root. Every mount under $WORK is detached when the test exits, also on failure.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$HERE/../integration/lib.sh"

STATE_DIR="$WORK/state"
NODE_ID=node-1

# The node tests mount: without root (CAP_SYS_ADMIN) they are skipped (ctest reports
# exit status 77 as skipped), never silently passed.
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: the node tests bind-mount: run them as root"
  rm -rf "$WORK"
  exit 77
fi
mkdir -p "$WORK/.mount-probe/a" "$WORK/.mount-probe/b"
if ! mount --bind "$WORK/.mount-probe/a" "$WORK/.mount-probe/b" 2>/dev/null; then
  echo "SKIP: bind mounts are not permitted here (a container without CAP_SYS_ADMIN?)"
  rm -rf "$WORK"
  exit 77
fi
umount "$WORK/.mount-probe/b"
rm -rf "$WORK/.mount-probe"

# The exit trap: lib.sh's cleanup, but the plugin is reaped and every mount under $WORK
# detached before the directory is removed.
node_cleanup() {
  kill_extra_pids
  if [[ -n "$PLUGIN_PID" ]] && kill -0 "$PLUGIN_PID" 2>/dev/null; then
    kill -KILL "$PLUGIN_PID" 2>/dev/null || true
    wait "$PLUGIN_PID" 2>/dev/null || true
  fi
  PLUGIN_PID=""
  unmount_all_under "$WORK"
  cleanup
}
trap node_cleanup EXIT

# start_node [vast-csi flags...]: the plugin in bind mode on $ENDPOINT (environment such
# as VAST_CSI_FAULTS=... passes through). The previous plugin's log is kept in
# $WORK/plugin.previous.log.
start_node() {
  if [[ -s "$WORK/plugin.log" ]]; then cat "$WORK/plugin.log" >>"$WORK/plugin.previous.log"; fi
  start_plugin --mount-mode bind --bind-root "$SIM_FS" --state-dir "$STATE_DIR" --vms-secret-dir "$SECRET_DIR" \
    --node-id "$NODE_ID" "$@"
}

# crash_node: kill -9, as a node plugin dies when its pod is deleted or OOM-killed; the
# log so far is kept in $WORK/plugin.log.N.
RESTARTS=0
crash_node() {
  kill -KILL "$PLUGIN_PID"
  wait "$PLUGIN_PID" 2>/dev/null || true
  PLUGIN_PID=""
  RESTARTS=$((RESTARTS + 1))
  cp "$WORK/plugin.log" "$WORK/plugin.log.$RESTARTS"
}

# ---------- calls ----------

# cap_args MODE: a mount capability with that access mode, as csictl arguments of
# NodeStage/NodePublish (volume_capability.*).
cap_args() { printf '%s\n' "volume_capability.access_mode.mode=$1" "volume_capability.mount.fs_type="; }

# create_vol NAME [MODE] [SIZE]: CreateVolume with the seeded StorageClass; must succeed.
# Sets VOL_ID, VOL_PATH (the export path) and VOL_CTX (volume_context.K=V arguments).
create_vol() {
  local name=$1 mode=${2:-MULTI_NODE_MULTI_WRITER} size=${3:-$GiB}
  run_ctl CV CreateVolume "name=$name" "capacity_range.required_bytes=$size" \
    "volume_capabilities[0].access_mode.mode=$mode" 'volume_capabilities[0].mount.fs_type=' \
    parameters.root_export=/k8s parameters.view_policy=vast-k8s-nfs parameters.vip_pool_name=vast-k8s-pool
  if [[ $CV_rc != 0 ]]; then
    fail "CreateVolume $name: rc=$CV_rc $CV_err"
    finish
  fi
  VOL_ID=$(jget "$CV_out" volume.volume_id)
  VOL_PATH=$(jget "$CV_out" volume.volume_context.export_path)
  mapfile -t VOL_CTX < <("$PY" -c 'import json,sys
for k, v in json.loads(sys.argv[1])["volume"].get("volume_context", {}).items(): print("volume_context.%s=%s" % (k, v))' "$CV_out")
}

# stage PREFIX VOLUME_ID STAGING MODE [field=value...]: NodeStageVolume with the last
# created volume's context; PREFIX_rc/_out/_err as run_ctl.
stage() {
  local prefix=$1 vol=$2 staging=$3 mode=$4
  shift 4
  mapfile -t _cap < <(cap_args "$mode")
  run_ctl "$prefix" NodeStageVolume "volume_id=$vol" "staging_target_path=$staging" "${_cap[@]}" "${VOL_CTX[@]}" "$@"
}

# publish PREFIX VOLUME_ID STAGING TARGET MODE [field=value...]
publish() {
  local prefix=$1 vol=$2 staging=$3 target=$4 mode=$5
  shift 5
  mapfile -t _cap < <(cap_args "$mode")
  run_ctl "$prefix" NodePublishVolume "volume_id=$vol" "staging_target_path=$staging" "target_path=$target" \
    "${_cap[@]}" "${VOL_CTX[@]}" "$@"
}

unpublish() { run_ctl "$1" NodeUnpublishVolume "volume_id=$2" "target_path=$3"; }
unstage() { run_ctl "$1" NodeUnstageVolume "volume_id=$2" "staging_target_path=$3"; }
stats() { run_ctl "$1" NodeGetVolumeStats "volume_id=$2" "volume_path=$3"; }

# ---------- the mount table ----------

# is_mounted PATH: PATH is a mount point.
is_mounted() { awk -v p="$1" '$5 == p { found = 1 } END { exit !found }' /proc/self/mountinfo; }

# mounts_at PATH: how many mounts are stacked on PATH.
mounts_at() { awk -v p="$1" '$5 == p { n++ } END { print n + 0 }' /proc/self/mountinfo; }

# mounts_of VMS_PATH: how many mounts in the whole mount table show that volume's
# directory (in bind mode a mount's root is the directory under $SIM_FS; compared on the
# path's tail from this test's directory on, since the root is relative to the file
# system $WORK lives on).
ROOT_TAIL="/$(basename "$WORK")/sim/fs"
mounts_of() {
  awk -v s="$ROOT_TAIL$1" '{ n0 = length($4); ns = length(s); if (n0 >= ns && substr($4, n0 - ns + 1) == s) n++ }
    END { print n + 0 }' /proc/self/mountinfo
}

# mounts_of_outside VMS_PATH DIR...: mounts of the volume whose mount point is in none of
# the given directories (or is none of the given paths).
mounts_of_outside() {
  local vol=$1
  shift
  awk -v s="$ROOT_TAIL$vol" -v dirs="$*" 'BEGIN { n = split(dirs, d, " ") }
    { n0 = length($4); ns = length(s); if (!(n0 >= ns && substr($4, n0 - ns + 1) == s)) next
      for (i = 1; i <= n; i++) if ($5 == d[i] || index($5, d[i] "/") == 1) next
      out++ }
    END { print out + 0 }' /proc/self/mountinfo
}

# expect_mounted WHAT PATH / expect_not_mounted WHAT PATH
expect_mounted() { if is_mounted "$2"; then pass "$1"; else fail "$1: $2 is not a mount point"; fi; }
expect_not_mounted() { if is_mounted "$2"; then fail "$1: $2 is still mounted"; else pass "$1"; fi; }
expect_no_mounts_under() { # WHAT DIR
  local left
  left=$(mount_points_under "$2" | tr '\n' ' ')
  if [[ -z $left ]]; then pass "$1"; else fail "$1: still mounted: $left"; fi
}
# expect_log WHAT TEXT: the running plugin's log has a line containing TEXT.
expect_log() {
  if grep -qF -- "$2" "$WORK/plugin.log"; then pass "$1"; else fail "$1: no log line contains [$2]"; fi
}
# expect_erofs WHAT FILE: creating FILE fails with EROFS (a read-only mount).
expect_erofs() {
  local err
  if err=$(touch "$2" 2>&1); then fail "$1: writing $2 succeeded"; else expect_contains "$1" "$err" "Read-only file system"; fi
}
expect_path_gone() { if [[ -e $2 ]]; then fail "$1: $2 still exists"; else pass "$1"; fi; }
expect_dir() { if [[ -d $2 ]]; then pass "$1"; else fail "$1: $2 is not a directory"; fi; }

# ---------- the simulator ----------

# sim_id COLL NAME: the id of the seeded object of that name.
sim_id() {
  sim_admin GET /_sim/inventory | "$PY" -c '
import json, sys
print(next(o["id"] for o in json.load(sys.stdin)[sys.argv[1]] if o.get("name") == sys.argv[2]))' "$1" "$2"
}
