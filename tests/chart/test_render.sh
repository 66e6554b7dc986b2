#!/usr/bin/env bash
# The chart without a cluster, through the real helm (pinned in scripts/k8s-tools.versions):
# helm lint and helm template with the default values, with every part switched off and
# with every part on; what the rendered objects promise (check_manifests.py: the CSIDriver,
# the sidecars' flags, privilege only where mounting needs it, RBAC, images at the pinned
# versions, the snapshot CRDs as released); and values.schema.json refusing each kind of
# wrong value with a message that names the key.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL (tests/chart/CMakeLists.txt).
set -euo pipefail
CHART_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$CHART_TEST_DIR/../integration/lib.sh" # WORK, pass, fail, expect_*, finish
# shellcheck source=../k8s/lib.sh
source "$CHART_TEST_DIR/../k8s/lib.sh" # k8s_need_tools
# shellcheck source=chart.sh
source "$CHART_TEST_DIR/chart.sh"
k8s_need_tools helm
VERSIONS="$CHART_TEST_DIR/../../scripts/k8s-tools.versions"
CRD_DIR=$(bash "$CHART_TEST_DIR/../../scripts/k8s-tools.sh" --print-crd)

OFF=(--set csiDriver.enabled=false --set controller.enabled=false --set node.enabled=false
  --set operator.enabled=false --set cosi.enabled=false --set snapshotController.enabled=false)
ALL=(--set cosi.enabled=true --set cosi.clusterSecret=vast-cosi --set snapshotController.enabled=true
  --set snapshotController.installCRDs=true --set 'secretNamespaces={team-a}'
  --set 'operator.credentialSecretNamespaces={ops,vast-system}')

# ---- lint: default, all off, all on ----
for set in default off all; do
  case $set in
    default) flags=() ;;
    off) flags=("${OFF[@]}") ;;
    all) flags=("${ALL[@]}") ;;
  esac
  if out=$(helm lint --strict "$CHART" --namespace "$RELEASE_NS" ${flags[@]+"${flags[@]}"} 2>&1); then
    pass "helm lint --strict, $set values: $(tail -n 1 <<<"$out")"
  else
    fail "helm lint --strict, $set values: $out"
  fi
done

# ---- template: what the objects promise ----
if render "$WORK/default.yaml"; then
  pass "helm template with the default values ($(grep -c '^kind:' "$WORK/default.yaml") objects)"
  check_manifests "$WORK/default.yaml" defaults "$VERSIONS"
else
  fail "helm template with the default values: $(cat "$WORK/default.yaml.err")"
fi
if render "$WORK/off.yaml" "${OFF[@]}"; then
  check_manifests "$WORK/off.yaml" off
else
  fail "helm template with every part off: $(cat "$WORK/off.yaml.err")"
fi
if render "$WORK/all.yaml" "${ALL[@]}"; then
  pass "helm template with every part on ($(grep -c '^kind:' "$WORK/all.yaml") objects)"
  check_manifests "$WORK/all.yaml" all "$CRD_DIR"
else
  fail "helm template with every part on: $(cat "$WORK/all.yaml.err")"
fi
KDIR=/var/snap/microk8s/common/var/lib/kubelet
if render "$WORK/kubelet.yaml" --set "node.kubeletDir=$KDIR"; then
  check_manifests "$WORK/kubelet.yaml" kubelet "$KDIR"
else
  fail "helm template with node.kubeletDir=$KDIR: $(cat "$WORK/kubelet.yaml.err")"
fi
MON=(--set metrics.podMonitor.enabled=true --set metrics.prometheusRule.enabled=true --set metrics.dashboard.enabled=true)
if render "$WORK/monitoring.yaml" "${MON[@]}"; then
  check_manifests "$WORK/monitoring.yaml" monitoring "$CHART"
else
  fail "helm template with the monitoring objects on: $(cat "$WORK/monitoring.yaml.err")"
fi
if render "$WORK/nometrics.yaml" --set metrics.enabled=false --set cosi.enabled=true --set cosi.clusterSecret=vast-cosi; then
  check_manifests "$WORK/nometrics.yaml" nometrics
else
  fail "helm template with metrics.enabled=false: $(cat "$WORK/nometrics.yaml.err")"
fi
expect_eq "files/snapshot-crds holds the pinned release's v1 CRDs byte for byte" "" \
  "$(for f in "$CHART"/files/snapshot-crds/*.yaml; do cmp -s "$f" "$CRD_DIR/$(basename "$f")" || echo "$f differs"; done)"

# ---- values.schema.json: each rule refuses a wrong value, naming the key ----
# refused WHAT NEEDLE... -- HELM FLAGS...: helm template fails and its message has each NEEDLE.
refused() {
  local what=$1 needles=() out n missing=""
  shift
  while [[ $1 != -- ]]; do needles+=("$1"); shift; done
  shift
  if out=$(helm template "$RELEASE" "$CHART" --namespace "$RELEASE_NS" "$@" 2>&1 >/dev/null); then
    fail "$what: helm template accepted $*"
    return
  fi
  for n in "${needles[@]}"; do [[ $out == *"$n"* ]] || missing+=" '$n'"; done
  if [[ -z $missing ]]; then
    pass "$what: refused ($(grep -m1 -E "$(printf '%s' "${needles[0]}" | sed 's/[][\.*^$/]/\\&/g')" <<<"$out" | sed 's/^ *//' | cut -c1-110))"
  else
    fail "$what: the message lacks$missing: $out"
  fi
}
refused "replicas below 1" "/controller/replicas" "minimum" -- --set controller.replicas=0
refused "replicas of the wrong type" "/operator/replicas" "integer" -- --set-string operator.replicas=two
refused "an unknown log level" "/logLevel" "'debug', 'info', 'warn', 'error'" -- --set logLevel=verbose
refused "an unknown log format" "/logFormat" -- --set logFormat=text
refused "an empty image repository" "/images/csi/repository" "minLength" -- --set images.csi.repository=
refused "a sidecar image without its tag" "/sidecars/provisioner" "tag" -- --set sidecars.provisioner.tag=null
refused "a misspelt key" "/controller" "replica" "additional" -- --set controller.replica=3
refused "a relative kubelet directory" "/node/kubeletDir" "var/lib/kubelet" -- --set node.kubeletDir=var/lib/kubelet
refused "an unknown fsGroupPolicy" "/csiDriver/fsGroupPolicy" "'File', 'None', 'ReadWriteOnceWithFSType'" -- --set csiDriver.fsGroupPolicy=Always
refused "COSI on without its cluster Secret" "/cosi/clusterSecret" -- --set cosi.enabled=true
refused "a driver name that is no DNS name" "/driverName" "CSI_VAST" -- --set driverName=CSI_VAST
refused "a port above 65535" "/controller/healthPort" "maximum" -- --set controller.healthPort=70000
refused "a namespace name that is no DNS label" "/secretNamespaces/0" "Team_A" -- --set 'secretNamespaces={Team_A}'
refused "a PodDisruptionBudget of 0 unavailable" "/controller/podDisruptionBudget/maxUnavailable" -- \
  --set controller.podDisruptionBudget.maxUnavailable=0
refused "a pull policy that is none" "/images/operator/pullPolicy" "'Always', 'IfNotPresent', 'Never'" -- --set images.operator.pullPolicy=Sometimes
refused "a bad sidecar timeout" "/controller/timeout" "60" -- --set-string controller.timeout=60
refused "a scrape interval that is no duration" "/metrics/podMonitor/interval" "30 seconds" -- \
  --set "metrics.podMonitor.interval=30 seconds"
refused "operator workers above 256" "/operator/workers" "256" -- --set operator.workers=1000
refused "a sidecar API rate of 0" "/controller/kubeApiQps" "exclusiveMinimum" -- --set controller.kubeApiQps=0
refused "an operator API burst of 0" "/operator/kubeBurst" "minimum" -- --set operator.kubeBurst=0
refused "provisioner workers above 1000" "/controller/provisionerWorkers" "want 1,000" -- --set controller.provisionerWorkers=5000
finish
