#!/usr/bin/env bash
# Endpoint handling: parent directories created, stale sockets replaced, a regular file
# or a live socket refused with a clear message, bare paths and TCP accepted.
source "$(dirname "$0")/lib.sh"

# the parent directory does not exist yet: start_plugin's socket is $WORK/plugin/csi.sock
start_plugin
pass "parent directory created"

# a second plugin on the same live socket is refused
rc=0
err=$("$VAST_CSI" --endpoint "$ENDPOINT" 2>&1) || rc=$?
expect_eq "second plugin on a live socket exits 1" 1 "$rc"
expect_contains "and says another process serves it" "$err" "another process is serving"
run_ctl r Probe
expect_eq "the first plugin still serves" 0 "$r_rc"

# a crash leaves the socket behind; the restart replaces it
kill -KILL "$PLUGIN_PID"
wait "$PLUGIN_PID" 2>/dev/null || true
PLUGIN_PID=""
[[ -S "$SOCK" ]] && pass "kill -9 leaves a stale socket" || fail "no stale socket after kill -9"
start_plugin
pass "restart over a stale socket"
stop_plugin

# a regular file at the path is never removed
echo "precious" >"$SOCK"
rc=0
err=$("$VAST_CSI" --endpoint "$ENDPOINT" 2>&1) || rc=$?
expect_eq "a regular file at the socket path is refused" 1 "$rc"
expect_contains "with a clear message" "$err" "is not a socket"
expect_eq "and the file is untouched" precious "$(cat "$SOCK")"
rm -f "$SOCK"

# a bare path (as some manifests pass CSI_ENDPOINT)
bare="$WORK/bare/csi.sock"
CSI_ENDPOINT="$bare" "$VAST_CSI" 2>"$WORK/plugin.log" &
PLUGIN_PID=$!
rc=0
"$CSICTL" -e "$bare" -w 10000 -q Probe || rc=$?
expect_eq "a bare path in CSI_ENDPOINT works" 0 "$rc"
stop_plugin

# TCP for debugging, on loopback
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$VAST_CSI" --endpoint "tcp://127.0.0.1:$port" 2>"$WORK/plugin.log" &
PLUGIN_PID=$!
rc=0
"$CSICTL" -e "127.0.0.1:$port" -w 10000 -q Probe || rc=$?
expect_eq "tcp://127.0.0.1:PORT works" 0 "$rc"
stop_plugin

# over-long path
long="unix://$WORK/$(printf 'x%.0s' {1..120})/csi.sock"
rc=0
err=$("$VAST_CSI" --endpoint "$long" 2>&1) || rc=$?
expect_eq "an over-long socket path is refused" 2 "$rc"
expect_contains "naming the limit" "$err" "107"

finish
