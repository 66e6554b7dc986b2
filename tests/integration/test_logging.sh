#!/usr/bin/env bash
# Every call is logged with method, code and duration; secrets never reach the log,
# in either format.
source "$(dirname "$0")/lib.sh"

secret_value="hunter2-$RANDOM-topsecret"
for format in logfmt json; do
  start_plugin --log-level debug --log-format "$format"
  ctl CreateVolume name=pvc-1 "secrets.password=$secret_value" "secrets.username=admin" \
    "parameters.vms_token=$secret_value" "parameters.view_policy=default" >/dev/null 2>&1 || true
  ctl NodePublishVolume volume_id=v target_path=/x "secrets.key=$secret_value" >/dev/null 2>&1 || true
  ctl NodeGetInfo >/dev/null
  stop_plugin
  log=$(cat "$WORK/plugin.log")
  expect_not_contains "$format: no secret value in the log" "$log" "$secret_value"
  expect_contains "$format: secrets are marked as stripped" "$log" "***stripped***"
  expect_contains "$format: harmless parameters stay visible" "$log" "default"
  expect_contains "$format: calls are logged with their method" "$log" "/csi.v1.Node/NodeGetInfo"
  expect_contains "$format: and their duration" "$log" "duration_ms"
done

# the JSON format is one valid JSON object per line (checked by a second parser)
bad=$(/usr/bin/python3 -c 'import json,sys
bad=0
for line in open(sys.argv[1]):
    try: json.loads(line)
    except Exception: bad+=1
print(bad)' "$WORK/plugin.log")
expect_eq "every JSON log line parses" 0 "$bad"

# info level (the default) logs the worker-lane calls but not the debug bodies
start_plugin
ctl NodeGetInfo >/dev/null
stop_plugin
log=$(cat "$WORK/plugin.log")
expect_contains "info level logs the call" "$log" "code=OK"
expect_not_contains "info level leaves request bodies out" "$log" "rpc request"

finish
