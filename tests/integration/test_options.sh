#!/usr/bin/env bash
# vast-csi's command line: help, version, and clear refusals of bad settings.
source "$(dirname "$0")/lib.sh"

out=$("$VAST_CSI" --help)
expect_contains "--help lists --endpoint" "$out" "--endpoint"
expect_contains "--help names the environment variable" "$out" "CSI_ENDPOINT"

out=$("$VAST_CSI" --version)
expect_contains "--version prints the program" "$out" "vast-csi "

check_refused() { # WHAT EXPECTED_TEXT args...
  local what=$1 text=$2
  shift 2
  local rc=0 err
  err=$("$VAST_CSI" "$@" 2>&1 >/dev/null) || rc=$?
  expect_eq "$what exits 2" 2 "$rc"
  expect_contains "$what says why" "$err" "$text"
}
check_refused "unknown mode" "use controller, node or all" --mode sideways
check_refused "bad driver name" "driver name" --driver-name -bad-
check_refused "too many workers" "1 to 1024" --workers 5000
check_refused "relative socket" "must be absolute" --endpoint unix:relative.sock
check_refused "unknown flag" "--no-such-flag" --no-such-flag
check_refused "bad level" "debug, info, warn or error" --log-level loud
rc=0
err=$(X_CSI_WORKER_THREADS=zero "$VAST_CSI" 2>&1 >/dev/null) || rc=$?
expect_contains "a bad environment value names the variable" "$err" "X_CSI_WORKER_THREADS"
rc=0
err=$(VAST_CSI_FAULTS="x=explode" "$VAST_CSI" 2>&1 >/dev/null) || rc=$?
expect_eq "a malformed fault spec is refused" 2 "$rc"

finish
