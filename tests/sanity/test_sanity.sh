#!/usr/bin/env bash
# The real csi-sanity (kubernetes-csi/csi-test, built by scripts/k8s-tools.sh) against
# vast-csi in mode all on a seeded vms-sim: the controller provisions on the simulator
# over HTTPS with the per-RPC secrets csi-sanity sends, the node bind-mounts the volume
# directories of the simulator's data (--mount-mode bind: no NFS client here).
#
#   test_sanity.sh VERSION MIN_PASSED
#
# Passes when csi-sanity exits 0 with 0 failed specs and at least MIN_PASSED passed (so
# that a run where everything skipped cannot pass), nothing is left on the simulator
# under /k8s, no mount is left and no sanitizer report is in the plugin's log.
# Environment: VK_K8S_TOOLS_BIN (the tools' bin directory), VAST_CSI, CSICTL, VMS_SIM;
# SANITY_KEEP=1 keeps the run directory. The skips are explained in docs/testing.md.
set -euo pipefail
VERSION=${1:?csi-sanity version}
MIN_PASSED=${2:?least number of passed specs}
SANITY="${VK_K8S_TOOLS_BIN:-}/csi-sanity-$VERSION"

# No tools is a failure, never a skip: CI would go green without having run the suite.
if [[ -z ${VK_K8S_TOOLS_BIN:-} || ! -x "$SANITY" ]]; then
  echo "FAIL: csi-sanity $VERSION is not built (looked for ${SANITY})."
  echo "      Run scripts/k8s-tools.sh: it builds the pinned tools into ~/.cache/vast-k8s and"
  echo "      --print-bin prints their directory, which CMake's VK_K8S_TOOLS_BIN names (the default)."
  exit 1
fi

SANITY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../node/helpers.sh
source "$SANITY_DIR/../node/helpers.sh" # root and bind-mount checks, start_sim/start_node, mount cleanup
# shellcheck source=lib.sh
source "$SANITY_DIR/lib.sh"

start_sim
start_node
write_sanity_config "$WORK/cfg"

# csi-sanity mkdirs (not -p) these per spec: their parent must exist, they must not
mkdir -p "$WORK/csi"
args=(
  --csi.endpoint "$SOCK"
  --csi.secrets "$WORK/cfg/secrets.yaml"
  --csi.testvolumeparameters "$WORK/cfg/parameters.yaml"
  --csi.mountdir "$WORK/csi/mount"
  --csi.stagingdir "$WORK/csi/staging"
  --ginkgo.no-color
  --ginkgo.junit-report "$WORK/junit.xml"
  # the top-level containers run in random order; pin it so a failure replays
  --ginkgo.seed 1
)
if [[ -n $SANITY_SKIP ]]; then args+=(--ginkgo.skip "$SANITY_SKIP"); fi

echo "--- $SANITY ${args[*]}"
status=0
timeout 600 "$SANITY" "${args[@]}" >"$WORK/sanity.out" 2>&1 || status=$?
cat "$WORK/sanity.out"
echo "--- end of csi-sanity output"

read -r passed failed pending skipped < <(sanity_counts "$WORK/sanity.out")
if [[ -s "$WORK/junit.xml" ]]; then sanity_skipped "$WORK/junit.xml"; fi
echo "csi-sanity $VERSION: $passed passed, $failed failed, $skipped skipped, $pending pending"
expect_eq "csi-sanity $VERSION exits 0" 0 "$status"
expect_eq "csi-sanity $VERSION: no spec failed" 0 "$failed"
if [[ $passed =~ ^[0-9]+$ ]] && ((passed >= MIN_PASSED)); then
  pass "csi-sanity $VERSION: $passed specs passed (at least $MIN_PASSED)"
else
  fail "csi-sanity $VERSION: $passed specs passed, expected at least $MIN_PASSED"
fi
expect_eq "nothing of the suite's is left on vms-sim under /k8s" "[] [] []" \
  "$(sim_leftovers)"
expect_no_mounts_under "no mount left under the suite's directories" "$WORK/csi"
stop_and_check_node
if [[ ${SANITY_KEEP:-} == 1 ]]; then
  cp -r "$WORK" "$WORK.kept" && echo "kept in $WORK.kept"
fi
finish
