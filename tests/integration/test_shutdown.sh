#!/usr/bin/env bash
# SIGTERM with calls in flight: they all finish, the plugin exits 0 and removes its
# socket. Past the grace period, calls still running are cancelled and the exit is
# still clean.
source "$(dirname "$0")/lib.sh"

# in_flight N: waits (up to 30 s) until the plugin has taken N NodeGetInfo calls (its
# debug log names each request), so SIGTERM lands while they run, however slowly the
# clients start (ASan, two busy cores): order, not a guess of how long starting takes.
in_flight() {
  local n=$1 i
  for ((i = 0; i < 300; i++)); do
    (($(grep -c 'msg="rpc request" method=/csi.v1.Node/NodeGetInfo' "$WORK/plugin.log" || true) >= n)) && return 0
    sleep 0.1
  done
  fail "only $(grep -c 'msg="rpc request" method=/csi.v1.Node/NodeGetInfo' "$WORK/plugin.log" || true) of $n calls arrived"
}

VAST_CSI_FAULTS="rpc.NodeGetInfo=sleep:3000" start_plugin --workers 4 --log-level debug
pids=()
for i in 1 2 3 4; do
  ctl -t 10000 NodeGetInfo >"$WORK/call$i.out" 2>&1 &
  pids+=($!)
done
in_flight 4
stop_plugin
expect_eq "plugin exits 0 after SIGTERM with 4 calls in flight" 0 "$STOP_STATUS"
for i in 1 2 3 4; do
  rc=0
  wait "${pids[$((i - 1))]}" || rc=$?
  expect_eq "in-flight call $i finished OK" 0 "$rc"
done
expect_contains "a finished call has its reply" "$(cat "$WORK/call1.out")" '"node_id"'
[[ ! -e "$SOCK" ]] && pass "socket removed" || fail "socket left at $SOCK"
expect_contains "the log tells that it is finishing calls" "$(cat "$WORK/plugin.log")" "finishing calls in flight"

# grace period shorter than the call: the call is cancelled, the exit is still 0
VAST_CSI_FAULTS="rpc.NodeGetInfo=sleep:5000" start_plugin --workers 2 --shutdown-grace 200 --log-level debug
ctl -t 10000 NodeGetInfo >/dev/null 2>"$WORK/cancelled.err" &
call=$!
in_flight 1
stop_plugin
expect_eq "plugin exits 0 when the grace period runs out" 0 "$STOP_STATUS"
rc=0
wait "$call" || rc=$?
[[ "$rc" != 0 ]] && pass "the overrunning call was cut off (code $rc)" || fail "the overrunning call reported OK"
expect_contains "the log says calls were cancelled" "$(cat "$WORK/plugin.log")" "grace period over"

# SIGINT works like SIGTERM
start_plugin
kill -INT "$PLUGIN_PID"
rc=0
wait "$PLUGIN_PID" || rc=$?
PLUGIN_PID=""
expect_eq "SIGINT exits 0" 0 "$rc"

finish
