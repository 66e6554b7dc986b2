#!/usr/bin/env bash
# VMS round trips per operation with warm caches (view policy, QoS policy, VIP pool,
# VAST version and the session all known after a first create/delete): the simulator
# counts every request it serves. CreateVolume must cost exactly two (POST quotas/,
# POST views/); the bounds for the other operations are what they cost today, so a
# change that adds a round trip shows up here.
# shellcheck source=helpers.sh disable=SC2154 # run_ctl sets PREFIX_rc/_out/_err
source "$(dirname "$0")/helpers.sh"

start_sim
start_controller
TENANT=$(inv "by('tenants', name='vast-k8s')[0]['id']")

# counts RPC: prints the simulator's per-request counters after one call (stats reset
# just before), as "total | key=n key=n ..."
stats_line() {
  sim_admin GET /_sim/stats | "$PY" -c 'import json,sys
s=json.load(sys.stdin)
print(s["requests_total"], "|", " ".join("%s=%d" % kv for kv in sorted(s["requests"].items())))'
}
reset_stats() { sim_admin POST /_sim/stats/reset >/dev/null; }

# warm up: a first volume (login, policy lookups), its snapshot, and a delete (version)
create_ok pvc-warm $GiB parameters.qos_policy=vast-k8s-qos
create_snapshot snap-warm "$VOL_ID"
run_ctl D DeleteSnapshot "snapshot_id=$SNAP_ID"
run_ctl D DeleteVolume "volume_id=vk1::$TENANT:/k8s/pvc-warm"
expect_rc "warm-up delete" 0 D

reset_stats
create_ok pvc-1 $GiB
STATS=$(stats_line)
echo "# CreateVolume: $STATS"
# POST quotas/ (makes the directory), GET quotas/?path__startswith=<path>/ (the directory
# held no one else's data: no quota beneath it), POST views/
expect_eq "CreateVolume: 3 VMS requests" 3 "${STATS%% |*}"
expect_eq "CreateVolume: POST quotas/, GET quotas/, POST views/" "GET quotas/=1 POST quotas/=1 POST views/=1" "${STATS#*| }"
expect_eq "CreateVolume: no login" 0 "$(sim_stat tokens_issued)"

reset_stats
create_ok pvc-2 $GiB parameters.qos_policy=vast-k8s-qos
STATS=$(stats_line)
echo "# CreateVolume with a QoS policy: $STATS"
expect_eq "CreateVolume with QoS (cached): 3 VMS requests" 3 "${STATS%% |*}"

reset_stats
create_volume pvc-1 $GiB
STATS=$(stats_line)
echo "# CreateVolume retried (volume exists): $STATS"
# POST quotas/ (refused: exists) + GET quotas/ + GET quotas/ (nothing beneath) + POST views/
# (refused) + GET views/
expect_le "CreateVolume of an existing volume: at most 5 VMS requests" 5 "${STATS%% |*}"

reset_stats
create_snapshot snap-1 "vk1::$TENANT:/k8s/pvc-1"
STATS=$(stats_line)
echo "# CreateSnapshot: $STATS"
# GET quotas/ (the source exists, its usage) + POST snapshots/
expect_le "CreateSnapshot: at most 2 VMS requests" 2 "${STATS%% |*}"

reset_stats
run_ctl DS DeleteSnapshot "snapshot_id=$SNAP_ID"
STATS=$(stats_line)
echo "# DeleteSnapshot: $STATS"
# GET snapshots/{id}/ (proves it is this driver's: its mark, path, tenant) + DELETE
expect_le "DeleteSnapshot: at most 2 VMS requests" 2 "${STATS%% |*}"

reset_stats
run_ctl D DeleteVolume "volume_id=vk1::$TENANT:/k8s/pvc-1"
expect_rc "DeleteVolume" 0 D
STATS=$(stats_line)
echo "# DeleteVolume: $STATS"
# GET globalsnapstreams/ (clone still filling it?) + GET snapshots/ (refuse while
# snapshots exist) + GET views/ + DELETE views/{id}/ + DELETE folders/delete_folder/ +
# GET quotas/ + DELETE quotas/{id}/, and first GET quotas/?path= (the quota at the id's
# path carries the driver's mark: the volume is ours)
expect_le "DeleteVolume: at most 8 VMS requests" 8 "${STATS%% |*}"
expect_eq "DeleteVolume: version cached" "" "$(grep -o 'GET versions/=[0-9]*' <<<"$STATS")"

reset_stats
run_ctl X ControllerExpandVolume "volume_id=vk1::$TENANT:/k8s/pvc-2" capacity_range.required_bytes=$((2 * GiB))
STATS=$(stats_line)
echo "# ControllerExpandVolume: $STATS"
expect_le "ControllerExpandVolume: at most 2 VMS requests (GET + PATCH quota)" 2 "${STATS%% |*}"

reset_stats
run_ctl G ControllerGetVolume "volume_id=vk1::$TENANT:/k8s/pvc-2"
STATS=$(stats_line)
echo "# ControllerGetVolume: $STATS"
expect_le "ControllerGetVolume: at most 2 VMS requests (quota, view)" 2 "${STATS%% |*}"

# ListVolumes walks the quotas under each root export entry, a chunk per entry, then looks
# up the page's views by path: the default /k8s,/vast-k8s/tenants/* is two quota chunks
# (the wildcard one listing for every tenant root) and one view look-up, an exact root the
# wildcard admits adds none, and /k8s alone is one chunk and one look-up
list_cost() { # list_cost WHAT BOUND [vast-csi flags...]
  local what=$1 bound=$2
  shift 2
  stop_plugin
  start_controller "$@"
  run_ctl L ListVolumes # the session
  reset_stats
  run_ctl L ListVolumes
  expect_rc "ListVolumes ($what)" 0 L
  STATS=$(stats_line)
  echo "# ListVolumes ($what): $STATS"
  expect_le "ListVolumes ($what): at most $bound VMS requests (a quota chunk per root export, the views)" "$bound" "${STATS%% |*}"
}
reset_stats
run_ctl L ListVolumes
STATS=$(stats_line)
echo "# ListVolumes: $STATS"
expect_le "ListVolumes (default root exports): at most 3 VMS requests (a quota chunk per root export, the views)" 3 "${STATS%% |*}"
list_cost "/k8s,/vast-k8s/tenants/*,/vast-k8s/tenants/vk-a" 3 --root-exports '/k8s,/vast-k8s/tenants/*,/vast-k8s/tenants/vk-a'
list_cost "/k8s" 2 --root-exports /k8s

stop_and_check
finish
