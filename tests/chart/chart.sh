# shellcheck shell=bash
# What the chart tests share: the chart's directory, helm (scripts/k8s-tools.sh builds it
# from its Go module into VK_K8S_TOOLS_BIN) with its cache and configuration in the
# scratch directory (nothing of the user's ~/.config/helm is read or written), rendering,
# and the manifest checks of check_manifests.py turned into this suite's pass/fail lines.
#
#   CHART_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
#   source "$CHART_TEST_DIR/chart.sh"     # after tests/integration/lib.sh or sidecars.sh
#   render FILE [helm template flags...]  # the release "vast-k8s" in namespace vast-system
: "${CHART_TEST_DIR:?set CHART_TEST_DIR (this directory) before sourcing chart.sh}"
CHART="$(cd "$CHART_TEST_DIR/../../charts/vast-k8s" && pwd)"
RELEASE=vast-k8s
RELEASE_NS=vast-system
export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" HELM_DATA_HOME="$WORK/helm/data"

helm() { "$VK_K8S_TOOLS_BIN/helm" "$@"; }

# render FILE [FLAGS...]: helm template of the chart into FILE; its stderr in FILE.err.
render() {
  local out=$1
  shift
  helm template "$RELEASE" "$CHART" --namespace "$RELEASE_NS" "$@" >"$out" 2>"$out.err"
}

# check_manifests FILE CHECK [ARGS...]: runs one check of check_manifests.py over the
# rendered FILE; each of its "ok"/"FAIL" lines becomes a pass or a fail here.
check_manifests() {
  local line
  while IFS= read -r line; do
    case $line in
      "ok   - "*) pass "${line#ok   - }" ;;
      "FAIL - "*) fail "${line#FAIL - }" ;;
      *) echo "$line" ;;
    esac
  done < <("$PY" "$CHART_TEST_DIR/check_manifests.py" "$@" 2>&1 || echo "FAIL - check_manifests.py $2 ended with an error (above)")
}
