#!/usr/bin/env bash
# Crash safety of the Controller: the plugin killed at each fault point between VMS
# calls (create, delete, snapshot, clone), then restarted without the fault; the CO's
# retry of the same call must succeed and leave no orphan and no duplicate on VAST.
# Also the simulator killed with SIGKILL between and during calls (its state survives),
# a lost answer, and concurrent calls for the same volume.
# shellcheck source=helpers.sh disable=SC2154 # run_ctl sets PREFIX_rc/_out/_err
source "$(dirname "$0")/helpers.sh"

start_sim
TENANT=$(inv "by('tenants', name='vast-k8s')[0]['id']")
vid() { echo "vk1::$TENANT:/k8s/$1"; }
LIVE=() # paths of the volumes that exist now

# crash_at POINT CALL...: a plugin armed with POINT=kill runs CALL (a helper such as
# create_volume, in this shell) and dies at the point; then a plugin without faults is
# started. The caller checks the half-done state VMS holds, then retries the call.
crash_at() {
  local point=$1
  shift
  [[ -z "$PLUGIN_PID" ]] || stop_plugin
  VAST_CSI_FAULTS="$point=kill" start_controller
  "$@"
  expect_plugin_died "$point"
  start_controller
}

# ---------- CreateVolume: killed between and during its concurrent requests ----------
# The quota, the view and the check for foreign data go out at once (docs/controller.md).
# Killed once every answer came: quota and view exist, and the retry finds both.
crash_at controller.create.after_requests create_volume pvc-a $GiB
expect_eq "after_requests: the call failed UNAVAILABLE" 14 "$CV_rc"
expect_eq "after_requests: quota and view made" "1 1" "$(inv_count quotas path=/k8s/pvc-a) $(inv_count views path=/k8s/pvc-a)"
create_volume pvc-a $GiB
expect_rc "after_requests: retry" 0 CV
expect_eq "after_requests: retry gives the volume id" "$(vid pvc-a)" "$VOL_ID"
LIVE+=(/k8s/pvc-a)
check_volumes "after_requests: one quota and one view" "${LIVE[@]}"
expect_eq "after_requests: quota size" $GiB "$(inv_get quotas hard_limit /k8s/pvc-a)"

# kill_during NAME HELD WAITED: the simulator holds the POST of HELD (quotas/ or views/)
# 3 s; once WAITED exists for NAME the plugin is killed with SIGKILL, HELD still in
# flight (whether VMS still makes it after its client died, what follows must not care);
# then a plugin without faults is started.
kill_during() {
  local name=$1 held=$2 waited=$3
  sim_admin POST /_sim/faults "{\"rules\": [{\"method\": \"POST\", \"path\": \"$held\", \"latency_ms\": 3000, \"count\": 1}]}" >/dev/null
  "$CSICTL" -e "$ENDPOINT" CreateVolume "name=$name" capacity_range.required_bytes=$GiB "${VOL_ARGS[@]}" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  local call=$!
  EXTRA_PIDS+=("$call")
  made() { [[ $(inv_count "$waited" "path=/k8s/$name") == 1 ]]; }
  wait_for "$name: its ${waited%s} is made while the $held POST is held" 20 made
  kill -KILL "$PLUGIN_PID"
  expect_plugin_died "$name: killed during the requests"
  wait "$call" || true
  sleep 3.5 # the held request's latency runs out: VMS makes it or drops it
  sim_admin DELETE /_sim/faults >/dev/null
  start_controller
}

kill_during pvc-c views/ quotas
expect_eq "killed during (view held): the quota exists, one view at most" "1 yes" \
  "$(inv_count quotas path=/k8s/pvc-c) $([[ $(inv_count views path=/k8s/pvc-c) -le 1 ]] && echo yes || echo no)"
create_volume pvc-c $GiB
expect_rc "killed during (view held): retry" 0 CV
LIVE+=(/k8s/pvc-c)
check_volumes "killed during (view held): one quota and one view" "${LIVE[@]}"
run_ctl D DeleteVolume "volume_id=$(vid pvc-c)"
expect_rc "killed during (view held): and deleted" 0 D
LIVE=(/k8s/pvc-a)

# the other way round, and never retried (the CO gave up): DeleteVolume removes what
# was made, the view by its own mark when no quota came
kill_during pvc-d quotas/ views
expect_eq "killed during (quota held): the view exists, one quota at most" "1 yes" \
  "$(inv_count views path=/k8s/pvc-d) $([[ $(inv_count quotas path=/k8s/pvc-d) -le 1 ]] && echo yes || echo no)"
run_ctl D DeleteVolume "volume_id=$(vid pvc-d)"
expect_rc "killed during, no retry: DeleteVolume" 0 D
expect_eq "killed during, no retry: no view and no quota left" "0 0" \
  "$(inv_count views path=/k8s/pvc-d) $(inv_count quotas path=/k8s/pvc-d)"
# a directory left without its quota holds nothing: the name's next volume takes it
create_volume pvc-d $GiB
expect_rc "the same name again" 0 CV
run_ctl D DeleteVolume "volume_id=$(vid pvc-d)"
expect_rc "and deleted" 0 D
check_volumes "killed during, no retry: nothing of pvc-d left" "${LIVE[@]}"

# ---------- CreateVolume: killed after the view ----------
crash_at controller.create.after_view create_volume pvc-b $GiB parameters.qos_policy=vast-k8s-qos
expect_eq "after_view: the call failed" 14 "$CV_rc"
expect_eq "after_view: quota and view made" "1 1" "$(inv_count quotas path=/k8s/pvc-b) $(inv_count views path=/k8s/pvc-b)"
create_volume pvc-b $GiB parameters.qos_policy=vast-k8s-qos
expect_rc "after_view: retry" 0 CV
LIVE+=(/k8s/pvc-b)
check_volumes "after_view: one quota and one view" "${LIVE[@]}"
# the retry with another size is still refused: the half-made volume is the same volume
create_volume pvc-b $((2 * GiB)) parameters.qos_policy=vast-k8s-qos
expect_rc "after_view: other size refused" 6 CV

# ---------- DeleteVolume: killed after its look-ups, before any write ----------
crash_at controller.delete.after_lookups run_ctl D DeleteVolume "volume_id=$(vid pvc-a)"
expect_eq "delete after_lookups: the call failed" 14 "$D_rc"
expect_eq "delete after_lookups: view, quota and data kept" "1 1 yes" \
  "$(inv_count views path=/k8s/pvc-a) $(inv_count quotas path=/k8s/pvc-a) $([[ -d $SIM_FS/k8s/pvc-a ]] && echo yes || echo no)"
run_ctl D DeleteVolume "volume_id=$(vid pvc-a)"
expect_rc "delete after_lookups: retry" 0 D
LIVE=(/k8s/pvc-b)
check_volumes "delete after_lookups: nothing of pvc-a left" "${LIVE[@]}"

# ---------- DeleteVolume: killed after the data ----------
printf 'data\n' >"$SIM_FS/k8s/pvc-b/file"
crash_at controller.delete.after_data run_ctl D DeleteVolume "volume_id=$(vid pvc-b)"
expect_eq "delete after_data: the call failed" 14 "$D_rc"
expect_eq "delete after_data: view and data gone, quota kept" "0 1 no" \
  "$(inv_count views path=/k8s/pvc-b) $(inv_count quotas path=/k8s/pvc-b) $([[ -d $SIM_FS/k8s/pvc-b ]] && echo yes || echo no)"
run_ctl D DeleteVolume "volume_id=$(vid pvc-b)"
expect_rc "delete after_data: retry" 0 D
LIVE=()
check_volumes "delete after_data: nothing of pvc-b left"

# ---------- CreateSnapshot: killed after the snapshot ----------
create_ok pvc-src $GiB
LIVE=(/k8s/pvc-src)
printf 'before\n' >"$SIM_FS/k8s/pvc-src/file"
crash_at controller.snapshot.after_create create_snapshot snap-1 "$(vid pvc-src)"
expect_eq "snapshot after_create: the call failed" 14 "$CS_rc"
expect_eq "snapshot after_create: the snapshot was made" 1 "$(inv_count snapshots base_name=csi-snap-1)"
printf 'after\n' >"$SIM_FS/k8s/pvc-src/file"
create_snapshot snap-1 "$(vid pvc-src)"
expect_rc "snapshot after_create: retry" 0 CS
S1=$SNAP_ID
expect_eq "snapshot after_create: still one snapshot" 1 "$(inv_count snapshots base_name=csi-snap-1)"
expect_eq "snapshot after_create: the retry returns the first snapshot" "before" \
  "$(cat "$SIM_FS"/k8s/pvc-src/.snapshot/csi-snap-1~*/file)"

# ---------- clones: killed once the stream started ----------
crash_at controller.clone.after_start create_volume pvc-restore $GiB "volume_content_source.snapshot.snapshot_id=$S1"
expect_eq "restore after_start: the call failed" 14 "$CV_rc"
expect_eq "restore after_start: a stream, no quota yet" "1 0" \
  "$(inv "len([s for s in inv['globalsnapstreams'] if s['loanee_root_path'].rstrip('/') == '/k8s/pvc-restore'])") $(inv_count quotas path=/k8s/pvc-restore)"
create_volume pvc-restore $GiB "volume_content_source.snapshot.snapshot_id=$S1"
expect_rc "restore after_start: retry" 0 CV
LIVE+=(/k8s/pvc-restore)
check_volumes "restore after_start: one stream, one quota, one view" "${LIVE[@]}"
expect_eq "restore after_start: data" before "$(cat "$SIM_FS/k8s/pvc-restore/file" 2>&1)"

crash_at controller.clone.after_start create_volume pvc-clone $GiB "volume_content_source.volume.volume_id=$(vid pvc-src)"
expect_eq "clone after_start: the call failed" 14 "$CV_rc"
expect_eq "clone after_start: a temporary snapshot exists" 1 \
  "$(inv "len([s for s in inv['snapshots'] if s['name'].startswith('csi-clone-')])")"
create_volume pvc-clone $GiB "volume_content_source.volume.volume_id=$(vid pvc-src)"
expect_rc "clone after_start: retry" 0 CV
LIVE+=(/k8s/pvc-clone)
check_volumes "clone after_start: temporary snapshot gone, one stream, one quota, one view" "${LIVE[@]}"
expect_eq "clone after_start: one clone stream" 1 \
  "$(inv "len([s for s in inv['globalsnapstreams'] if s['loanee_root_path'].rstrip('/') == '/k8s/pvc-clone'])")"
expect_eq "clone after_start: data" after "$(cat "$SIM_FS/k8s/pvc-clone/file" 2>&1)"

# the crash-made objects go with the volumes
run_ctl DS DeleteSnapshot "snapshot_id=$S1"
for v in pvc-src pvc-restore pvc-clone; do
  run_ctl D DeleteVolume "volume_id=$(vid $v)"
  expect_rc "delete $v" 0 D
done
LIVE=()
check_volumes "after the crash tests: nothing left"
expect_eq "no snapshot, no stream left" "0 0" "$(inv "len(inv['snapshots'])") $(inv "len(inv['globalsnapstreams'])")"

# ---------- the simulator killed (SIGKILL) between calls ----------
stop_plugin
start_controller --vms-timeout 5000
create_ok pvc-s1 $GiB
kill_sim
create_volume pvc-s2 $GiB
expect_rc "VMS down: UNAVAILABLE" 14 CV
restart_sim_same_ports
expect_eq "VMS state survived SIGKILL" "1 1" "$(inv_count quotas path=/k8s/pvc-s1) $(inv_count views path=/k8s/pvc-s1)"
sim_admin POST /_sim/stats/reset >/dev/null
create_volume pvc-s2 $GiB
expect_rc "VMS back: CreateVolume" 0 CV
expect_eq "VMS back: the session survived (no new login)" 0 "$(sim_stat "POST token/")"
run_ctl D DeleteVolume "volume_id=$(vid pvc-s1)"
expect_rc "VMS back: DeleteVolume" 0 D
LIVE=(/k8s/pvc-s2)
check_volumes "after the VMS restart" "${LIVE[@]}"

# ---------- the simulator killed while it holds a processed request ----------
# hang_ms holds the answer after the change is stored: VMS made the quota, the driver
# never hears of it, VMS dies
sim_admin POST /_sim/faults '{"rules": [{"method": "POST", "path": "quotas/", "hang_ms": 20000, "count": 1}]}' >/dev/null
"$CSICTL" -e "$ENDPOINT" CreateVolume name=pvc-s3 capacity_range.required_bytes=$GiB "${VOL_ARGS[@]}" \
  >"$WORK/s3.out" 2>"$WORK/s3.err" &
CALL=$!
EXTRA_PIDS+=("$CALL")
quota_stored() { [[ $(inv_count quotas path=/k8s/pvc-s3) == 1 ]]; }
wait_for "the quota is stored while its answer is held" 10 quota_stored
kill_sim
RC=0
wait "$CALL" || RC=$?
expect_eq "VMS died mid-call: CreateVolume failed UNAVAILABLE" 14 "$RC"
restart_sim_same_ports
expect_eq "the quota of the lost answer exists, and the view sent with it" "1 1" \
  "$(inv_count quotas path=/k8s/pvc-s3) $(inv_count views path=/k8s/pvc-s3)"
create_volume pvc-s3 $GiB
expect_rc "retry after the lost answer" 0 CV
LIVE+=(/k8s/pvc-s3)
check_volumes "lost answer: one quota, one view" "${LIVE[@]}"

# ---------- answers lost on the wire (the connection dropped after the change) ----------
sim_admin POST /_sim/faults '{"rules": [{"method": "POST", "path": "views/", "drop": true, "count": 1},
  {"method": "POST", "path": "quotas/", "drop": true, "count": 1}]}' >/dev/null
create_volume pvc-s4 $GiB
[[ $CV_rc == 0 ]] || create_volume pvc-s4 $GiB # the CO's retry, should the first give up
expect_rc "dropped answers: CreateVolume converges" 0 CV
LIVE+=(/k8s/pvc-s4)
check_volumes "dropped answers: one quota, one view" "${LIVE[@]}"
sim_admin POST /_sim/faults '{"rules": [{"method": "DELETE", "path": "views/", "drop": true, "count": 1},
  {"method": "DELETE", "path": "quotas/", "drop": true, "count": 1}]}' >/dev/null
run_ctl D DeleteVolume "volume_id=$(vid pvc-s4)"
[[ $D_rc == 0 ]] || run_ctl D DeleteVolume "volume_id=$(vid pvc-s4)"
expect_rc "dropped answers: DeleteVolume converges" 0 D
LIVE=(/k8s/pvc-s2 /k8s/pvc-s3)
check_volumes "dropped answers: pvc-s4 gone" "${LIVE[@]}"
sim_admin DELETE /_sim/faults >/dev/null

# ---------- concurrent calls for one volume ----------
# every CreateVolume waits 300 ms on entry, so five calls for the same name overlap
stop_plugin
VAST_CSI_FAULTS="rpc.CreateVolume=sleep:300" start_controller
for i in 1 2 3 4 5; do
  "$CSICTL" -e "$ENDPOINT" CreateVolume name=pvc-same capacity_range.required_bytes=$GiB "${VOL_ARGS[@]}" \
    >"$WORK/same.$i.out" 2>"$WORK/same.$i.err" &
  EXTRA_PIDS+=($!)
done
RCS=""
for pid in "${EXTRA_PIDS[@]: -5}"; do
  rc=0
  wait "$pid" || rc=$?
  RCS+="$rc "
done
expect_eq "5 concurrent creates of one name: all OK" "0 0 0 0 0 " "$RCS"
IDS=$(for i in 1 2 3 4 5; do jget "$(cat "$WORK/same.$i.out")" volume.volume_id; done | sort -u)
expect_eq "5 concurrent creates: one volume id" "$(vid pvc-same)" "$IDS"
LIVE+=(/k8s/pvc-same)
check_volumes "5 concurrent creates: one quota, one view" "${LIVE[@]}"

# the window between quota and view held open: calls for one volume are serialized,
# so the second runs its whole sequence after the first (two sleeps, >= 2000 ms; were
# they to overlap, both would be done after one)
stop_plugin
VAST_CSI_FAULTS="controller.create.after_requests=sleep:1000" start_controller
race() { # race NAME SIZE1 SIZE2: two concurrent creates; sets R1 R2 ELAPSED
  local t0 p1 p2
  t0=$(now_ms)
  "$CSICTL" -e "$ENDPOINT" CreateVolume "name=$1" "capacity_range.required_bytes=$2" "${VOL_ARGS[@]}" \
    >"$WORK/race.1.out" 2>"$WORK/race.1.err" &
  p1=$!
  "$CSICTL" -e "$ENDPOINT" CreateVolume "name=$1" "capacity_range.required_bytes=$3" "${VOL_ARGS[@]}" \
    >"$WORK/race.2.out" 2>"$WORK/race.2.err" &
  p2=$!
  EXTRA_PIDS+=("$p1" "$p2")
  R1=0 R2=0
  wait "$p1" || R1=$?
  wait "$p2" || R2=$?
  ELAPSED=$(($(now_ms) - t0))
}
race pvc-race $GiB $GiB
expect_eq "racing creates, same size: both OK" "0 0" "$R1 $R2"
expect_le "racing creates ran one after the other ($ELAPSED ms >= 2 x 1000 ms)" "$ELAPSED" 2000
LIVE+=(/k8s/pvc-race)
check_volumes "racing creates: one quota, one view" "${LIVE[@]}"
race pvc-race2 $GiB $((2 * GiB))
expect_eq "racing creates, two sizes: one OK, one ALREADY_EXISTS" "0 6" "$(printf '%s\n' "$R1" "$R2" | sort -n | tr '\n' ' ' | sed 's/ $//')"
WINNER=$([[ $R1 == 0 ]] && echo $GiB || echo $((2 * GiB)))
expect_eq "racing creates, two sizes: the quota has the winner's size" "$WINNER" "$(inv_get quotas hard_limit /k8s/pvc-race2)"
LIVE+=(/k8s/pvc-race2)
check_volumes "racing creates, two sizes: one quota, one view" "${LIVE[@]}"
stop_and_check
finish
