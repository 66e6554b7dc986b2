#!/usr/bin/env bash
# A dead NFS server never wedges the node plugin (peers.md §3: "unmount of NFS hangs
# forever when server unreachable; pod stuck Terminating", "hung volumes can wedge the
# kubelet"). The helper processes that touch a mount are bounded; the fault points
# helper.statvfs and helper.umount (VAST_CSI_FAULTS) make them hang the way a stat or
# an unmount of a dead server's mount does.
#   - stats: NodeGetVolumeStats answers within the probe bound with the volume condition
#     abnormal and a message that the server did not answer; concurrent probes do not
#     queue behind each other; Probe (the liveness check) stays fast meanwhile;
#   - unmount: NodeUnpublishVolume escalates normal -> forced -> lazy; when the normal
#     and forced attempts hang they are abandoned and the lazy detach finishes the job;
#     when every attempt hangs the call still answers within its bound;
#   - a target kept busy by a process (EBUSY, no fault point): escalation to the lazy
#     detach, for real.
source "$(dirname "$0")/helpers.sh"

start_sim
start_node

create_vol pvc-dead
V=$VOL_ID
STAGING="$WORK/staging/pvc-dead"
P="$WORK/pods"
mkdir -p "$STAGING" "$P"/pod-{1,2,3,4,5}
stage S "$V" "$STAGING" MULTI_NODE_MULTI_WRITER
expect_rc "NodeStageVolume" 0 S
for i in 1 2 3 4 5; do
  publish PB "$V" "$STAGING" "$P/pod-$i/mount" MULTI_NODE_MULTI_WRITER
  expect_rc "NodePublishVolume pod-$i" 0 PB
done
stats ST "$V" "$P/pod-1/mount"
expect_rc "stats while the server answers" 0 ST
expect_eq "healthy while the server answers" healthy "$(jget "$ST_out" volume_condition.message)"

# ---------- the server stops answering stats ----------

stop_plugin
# Bounds below race the 60 s hang (at half of it) or prove order, never a tight figure:
# the suite runs under ASan on two busy cores.
VAST_CSI_FAULTS=helper.statvfs=sleep:60000 start_node --probe-timeout 3000

t0=$(now_ms)
stats ST "$V" "$P/pod-1/mount"
took=$(($(now_ms) - t0))
expect_rc "NodeGetVolumeStats of a dead server's mount answers" 0 ST
expect_le "it answers, bounded: well before the 60 s hang ends (ms)" 30000 "$took"
expect_eq "volume condition abnormal" true "$(jget "$ST_out" volume_condition.abnormal)"
MSG=$(jget "$ST_out" volume_condition.message)
expect_contains "the message says the server did not answer" "$MSG" "did not answer within 3000 ms"
expect_contains "the message says it is unreachable" "$MSG" "NFS server unreachable"
expect_contains "the message names the path" "$MSG" "$P/pod-1/mount"
expect_eq "no usage reported for a dead mount" "" "$(jget "$ST_out" usage)"
expect_log "the plugin log reports the abnormal volume" 'msg="volume abnormal"'

# five probes at once (kubelet polls every volume): each bounded, none waits for another
t0=$(now_ms)
pids=()
for i in 1 2 3 4 5; do
  ( rc=0; "$CSICTL" -e "$ENDPOINT" NodeGetVolumeStats "volume_id=$V" "volume_path=$P/pod-$i/mount" \
      >"$WORK/stats.$i" 2>&1 || rc=$?; echo $rc >"$WORK/stats-rc.$i" ) &
  pids+=($!)
done
# meanwhile the liveness probe answers at once (Identity runs on its own lane): it is
# back while every stat still waits out its 3 s bound
run_ctl PR Probe
expect_rc "Probe while 5 stats hang" 0 PR
answered=$(find "$WORK" -maxdepth 1 -name "stats-rc.*" | wc -l)
expect_eq "Probe answered before any of the 5 hanging stats" 0 "$answered"
wait "${pids[@]}"
took=$(($(now_ms) - t0))
# one after the other they would take 5 x 3 s
expect_le "5 concurrent stats of dead mounts answer together, not one after the other (ms)" 10000 "$took"
all=""
for i in 1 2 3 4 5; do
  all+="$(cat "$WORK/stats-rc.$i"):$(jget "$(cat "$WORK/stats.$i")" volume_condition.abnormal) "
done
expect_eq "each says abnormal" "0:true 0:true 0:true 0:true 0:true " "$all"
expect_log "abandoned helpers are reported" "helper abandoned"

# ---------- the server stops answering unmounts: the first two attempts hang ----------

# The normal and the forced attempt hang; the lazy one runs, as a lazy detach never waits
# for the server (the fault points name each attempt: helper.umount.normal/.force/.lazy).
stop_plugin
VAST_CSI_FAULTS='helper.umount.normal=sleep:60000,helper.umount.force=sleep:60000' start_node --unmount-timeout 1000
t0=$(now_ms)
unpublish U "$V" "$P/pod-1/mount"
took=$(($(now_ms) - t0))
expect_rc "NodeUnpublishVolume of a dead server's mount completes" 0 U
expect_le "it completes within 3 unmount bounds (ms)" 10000 "$took"
expect_not_mounted "the target is no longer mounted" "$P/pod-1/mount"
expect_path_gone "the target directory is removed" "$P/pod-1/mount"
expect_log "log: the normal attempt timed out" 'msg="unmount attempt failed" target='"$P/pod-1/mount"' mode=normal error="timed out"'
expect_log "log: the forced attempt timed out" 'msg="unmount attempt failed" target='"$P/pod-1/mount"' mode=force error="timed out"'
expect_log "log: escalated to the lazy detach" 'msg="unmounted only by escalating" target='"$P/pod-1/mount"' mode=lazy'
unmount_all_under "$P/pod-1" # whatever the plugin left, so the next part starts clean

# ---------- every unmount attempt hangs: the call still answers in time ----------

stop_plugin
VAST_CSI_FAULTS='helper.umount.normal=sleep:60000,helper.umount.force=sleep:60000,helper.umount.lazy=sleep:60000' \
  start_node --unmount-timeout 1000
t0=$(now_ms)
unpublish U "$V" "$P/pod-2/mount"
took=$(($(now_ms) - t0))
expect_le "every attempt hanging: NodeUnpublishVolume still answers within 3 bounds (ms)" 10000 "$took"
if [[ $U_rc != 0 ]]; then pass "every attempt hanging: an error the CO retries (code $U_rc)"; else
  fail "every attempt hanging: OK although nothing could be unmounted"
fi
expect_contains "every attempt hanging: the error names the target" "$U_err" "$P/pod-2/mount"
expect_log "log: the lazy attempt was tried too" "mode=lazy error=\"timed out\""
t1=$(now_ms)
run_ctl PR Probe
expect_rc "Probe after hung unmounts" 0 PR
expect_le "Probe after hung unmounts: not held by them (ms)" 5000 $(($(now_ms) - t1))

# ---------- a busy target (EBUSY from the kernel): escalation for real ----------

stop_plugin
start_node --unmount-timeout 1000
# a process whose working directory is inside the target keeps it busy
(cd "$P/pod-3/mount" && exec sleep 120) &
BUSY=$!
EXTRA_PIDS+=("$BUSY")
sleep 0.2
t0=$(now_ms)
unpublish U "$V" "$P/pod-3/mount"
took=$(($(now_ms) - t0))
expect_rc "NodeUnpublishVolume of a busy target" 0 U
expect_le "busy target: answered within the bounds (ms)" 10000 "$took"
expect_not_mounted "busy target: detached" "$P/pod-3/mount"
expect_path_gone "busy target: directory removed" "$P/pod-3/mount"
expect_log "busy target: the normal attempt failed (busy)" "mode=normal error=\"Device or resource busy\""
expect_log "busy target: escalated to the lazy detach" 'msg="unmounted only by escalating" target='"$P/pod-3/mount"' mode=lazy'
kill -KILL "$BUSY" 2>/dev/null || true
wait "$BUSY" 2>/dev/null || true

# ---------- the rest unpublishes and unstages normally ----------

for i in 2 4 5; do
  unpublish U "$V" "$P/pod-$i/mount"
  expect_rc "NodeUnpublishVolume pod-$i" 0 U
done
unstage U "$V" "$STAGING"
expect_rc "NodeUnstageVolume" 0 U
expect_no_mounts_under "no mount left under the test directory" "$WORK"

finish
