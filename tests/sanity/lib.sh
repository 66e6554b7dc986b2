# shellcheck shell=bash
# Helpers for tests/sanity: csi-sanity's configuration for vast-csi on vms-sim, the
# counts of its summary line, and the checks after a run. Sourced after
# tests/node/helpers.sh (which brings tests/integration/lib.sh: WORK, start_sim, SIM_*,
# SECRET_DIR, pass/fail, finish).

# Specs skipped on purpose with --ginkgo.skip (a regex; empty: none). Each must be named
# with the reason in docs/testing.md; a driver bug found by csi-sanity goes here with its
# issue until it is fixed.
SANITY_SKIP=${SANITY_SKIP:-}

# write_sanity_config DIR: DIR/parameters.yaml, the StorageClass of the seeded simulator
# in the vendor driver's format, and DIR/secrets.yaml, the secrets of every RPC that
# carries them (csi-sanity's keys), pointing at the simulator as the vendor's secret does
# (endpoint, username, password, ssl_cert).
write_sanity_config() {
  local dir=$1 key
  mkdir -p "$dir"
  cat >"$dir/parameters.yaml" <<'EOF'
root_export: /k8s
view_policy: vast-k8s-nfs
vip_pool_name: vast-k8s-pool
EOF
  : >"$dir/secrets.yaml"
  for key in CreateVolumeSecret DeleteVolumeSecret ControllerPublishVolumeSecret \
    ControllerUnpublishVolumeSecret ControllerValidateVolumeCapabilitiesSecret \
    NodeStageVolumeSecret NodePublishVolumeSecret CreateSnapshotSecret DeleteSnapshotSecret \
    ControllerExpandVolumeSecret ControllerModifyVolumeSecret ListSnapshotsSecret GetSnapshotSecret; do
    {
      echo "$key:"
      echo "  endpoint: \"$SIM_ENDPOINT\""
      echo "  username: admin"
      echo "  password: \"123456\""
      echo "  ssl_cert: |"
      sed 's/^/    /' "$SECRET_DIR/ssl_cert"
    } >>"$dir/secrets.yaml"
  done
}

# sanity_counts FILE: "PASSED FAILED PENDING SKIPPED" from ginkgo's summary line
# ("SUCCESS! -- 75 Passed | 0 Failed | 1 Pending | 20 Skipped"); "? ? ? ?" when the
# run printed none (it crashed or never started).
sanity_counts() {
  local line
  line=$(grep -E '[0-9]+ Passed \| [0-9]+ Failed \| [0-9]+ Pending \| [0-9]+ Skipped' "$1" | tail -1 || true)
  if [[ -z $line ]]; then
    echo "? ? ? ?"
    return
  fi
  echo "$line" | sed -E 's/.* ([0-9]+) Passed \| ([0-9]+) Failed \| ([0-9]+) Pending \| ([0-9]+) Skipped.*/\1 \2 \3 \4/'
}

# sim_leftovers: the paths of the views and quotas and the names of the snapshots under
# /k8s on the simulator, as three JSON lists ("[] [] []" when the suite cleaned up).
sim_leftovers() {
  sim_admin GET /_sim/inventory | "$PY" -c '
import json, sys
inv = json.load(sys.stdin)
def under(coll, field):
    return sorted(o[field] for o in inv.get(coll, []) if o.get("path", "").startswith("/k8s/"))
print(json.dumps(under("views", "path")), json.dumps(under("quotas", "path")), json.dumps(under("snapshots", "name")))'
}

# stop_and_check_node: SIGTERM to the plugin and the simulator (both must exit 0; in the
# sanitizer build a leak makes that fail) and no sanitizer report or failed assertion in
# their logs.
stop_and_check_node() {
  local status found
  if kill -0 "$PLUGIN_PID" 2>/dev/null; then
    stop_plugin
    expect_eq "vast-csi exits 0 on SIGTERM" 0 "$STOP_STATUS"
  else
    status=0
    wait "$PLUGIN_PID" || status=$?
    PLUGIN_PID=""
    fail "vast-csi died during the run (exit status $status); the end of its log:"
    tail -n 30 "$WORK/plugin.log"
  fi
  sim_launch_stop TERM
  expect_eq "vms-sim exits 0 on SIGTERM" 0 "$VMS_SIM_STATUS"
  found=$(cat "$WORK"/plugin.log "$WORK"/sim.log 2>/dev/null |
    grep -E 'Sanitizer|runtime error:|Assertion .* failed' | head -5 || true)
  expect_eq "no sanitizer report or assertion failure in the logs" "" "$found"
}

# sanity_skipped JUNIT: one line per spec csi-sanity skipped, with its reason (the
# capability the driver does not offer, or a --ginkgo.skip of ours).
sanity_skipped() {
  "$PY" - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
for case in ET.parse(sys.argv[1]).iter("testcase"):
    skip = case.find("skipped")
    if skip is not None:
        reason = (skip.get("message") or "").replace("skipped - ", "").strip()
        print("  skipped: %s -- %s" % (case.get("name", "").removeprefix("[It] "), reason))
PY
}
