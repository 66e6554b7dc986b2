# Shared helpers for the integration tests: a scratch directory, starting and stopping
# vast-csi, and assertions that print what was expected and what came back.
set -euo pipefail

: "${VAST_CSI:?path of the vast-csi binary}"
: "${CSICTL:?path of the csictl binary}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vk-test.XXXXXX")
SOCK="$WORK/plugin/csi.sock"
ENDPOINT="unix://$SOCK"
PLUGIN_PID=""
FAILURES=0
CHECKS=0

cleanup() {
  if [[ -n "$PLUGIN_PID" ]] && kill -0 "$PLUGIN_PID" 2>/dev/null; then
    kill -KILL "$PLUGIN_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_plugin [vast-csi flags...]: starts vast-csi on $ENDPOINT, logs in $WORK/plugin.log,
# and waits until it answers Probe.
start_plugin() {
  "$VAST_CSI" --endpoint "$ENDPOINT" "$@" 2>"$WORK/plugin.log" &
  PLUGIN_PID=$!
  if ! "$CSICTL" -e "$ENDPOINT" -w 10000 -q Probe; then
    echo "vast-csi did not come up; its log:"
    cat "$WORK/plugin.log"
    exit 1
  fi
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

# json_field JSON PATH: prints a field of a JSON document (python's json, a second parser).
json_field() {
  /usr/bin/python3 -c 'import json,sys
v=json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v=v[int(k)] if isinstance(v,list) else v.get(k)
print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2"
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
