#!/usr/bin/env bash
# Unknown methods get UNIMPLEMENTED at once, even when every worker is busy; Identity
# stays fast while slow calls occupy the worker lane.
source "$(dirname "$0")/lib.sh"

# one worker, and every NodeGetInfo holds it for 8 s. Each bound below races a hang
# (gRPC core holding an unknown call until its deadline; a call queued behind the held
# worker) and sits at half of it, so a slow machine (2 cores, ASan) never decides.
VAST_CSI_FAULTS="rpc.NodeGetInfo=sleep:8000" start_plugin --workers 1

t0=$(now_ms)
run_ctl r -t 5000 /csi.v1.NoSuchService/NoSuchMethod
t1=$(now_ms)
expect_eq "unknown method is UNIMPLEMENTED (not DEADLINE_EXCEEDED)" 12 "$r_rc"
expect_contains "the message names the method" "$r_err" "/csi.v1.NoSuchService/NoSuchMethod"
expect_le "unknown method answered well before its 5 s deadline, process start included (ms)" 2500 $((t1 - t0))

# occupy the only worker
ctl -t 10000 NodeGetInfo >/dev/null 2>&1 &
busy=$!
sleep 0.3
t0=$(now_ms)
run_ctl r -t 4000 /csi.v1.Controller/NoSuchMethod
run_ctl p -t 4000 Probe
t1=$(now_ms)
expect_eq "unknown method while the worker is busy" 12 "$r_rc"
expect_eq "Probe while the worker is busy" 0 "$p_rc"
expect_le "both answered while an 8 s call holds the worker: not queued behind it (ms)" 4000 $((t1 - t0))
wait "$busy" && pass "the slow call itself completed" || fail "the slow call failed"

# a registered method this mode does not serve
stop_plugin
start_plugin --mode node
run_ctl r CreateVolume name=v1
expect_eq "CreateVolume on a node plugin is UNIMPLEMENTED" 12 "$r_rc"
stop_plugin

finish
