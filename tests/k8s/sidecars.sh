# shellcheck shell=bash
# What the end-to-end tests here share: the libraries they need (lib.sh's loopback
# control plane, tests/integration/lib.sh's scratch directory, simulator, plugin and
# checks, tests/sanity/lib.sh's sim_leftovers), the start and end every test has,
# starting each upstream CSI sidecar (its PID goes into K8S_PIDS, so k8s_stop and the
# exit trap stop it), the snapshot CRDs, and the vendor-format Secret, StorageClass and
# PVCs. A test sources this file only:
#
#   K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
#   source "$K8S_TEST_DIR/sidecars.sh"
#   k8s_test_start csi-provisioner   # + the sidecars it runs: tools checked, all up
#   ...
#   k8s_test_end
: "${K8S_TEST_DIR:?set K8S_TEST_DIR (this directory) before sourcing sidecars.sh}"
# shellcheck source=lib.sh
source "$K8S_TEST_DIR/lib.sh"
# shellcheck source=../integration/lib.sh
source "$K8S_TEST_DIR/../integration/lib.sh" # WORK, start_sim, start_plugin, checks, finish
# shellcheck source=../sanity/lib.sh
source "$K8S_TEST_DIR/../sanity/lib.sh" # sim_leftovers

# the exit trap: the control plane and the sidecars by PID, then lib.sh's cleanup
k8s_test_cleanup() {
  k8s_stop
  cleanup
}
trap k8s_test_cleanup EXIT

# k8s_test_start [TOOL...]: the start of every test: the control plane's tools and the
# given ones (sidecars) are there (a missing one fails, never skips), a seeded vms-sim
# (with the flags in K8S_SIM_FLAGS, e.g. cosi.sh's S3 listener), vast-csi in controller
# mode with it as the default cluster (DRIVER: the plugin's name), the control plane, and
# the Secret the StorageClasses name (vast_secret).
K8S_SIM_FLAGS=()
k8s_test_start() {
  k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl "$@"
  start_sim ${K8S_SIM_FLAGS[@]+"${K8S_SIM_FLAGS[@]}"}
  start_plugin --mode controller --vms-secret-dir "$SECRET_DIR"
  DRIVER=$(json_field "$("$CSICTL" -e "$ENDPOINT" GetPluginInfo)" name)
  k8s_start "$WORK/k8s" || { fail "the control plane came up"; finish; }
  vast_secret
}

# k8s_test_end: the end of every test: the control plane and the sidecars stopped, then
# vast-csi and vms-sim with SIGTERM (each must exit 0), then the summary.
k8s_test_end() {
  k8s_stop
  stop_plugin
  expect_eq "vast-csi exits 0 on SIGTERM" 0 "$STOP_STATUS"
  sim_launch_stop TERM
  expect_eq "vms-sim exits 0 on SIGTERM" 0 "$VMS_SIM_STATUS"
  finish
}

# give_up WHAT: a step the rest depends on failed: the failure, the end of every
# sidecar's log, the summary.
SIDECARS=()
give_up() {
  fail "$1"
  local name
  for name in "${SIDECARS[@]}"; do
    echo "--- end of $name.log ---"
    tail -n 15 "$WORK/$name.log" 2>/dev/null || true
  done
  finish
}

# sidecar_start NAME [FLAGS...]: runs $VK_K8S_TOOLS_BIN/NAME against the plugin's socket and
# the test cluster, logs in $WORK/NAME.log.
sidecar_start() {
  local name=$1
  shift
  "$VK_K8S_TOOLS_BIN/$name" --kubeconfig "$KUBECONFIG" "$@" >"$WORK/$name.log" 2>&1 &
  K8S_PIDS+=($!)
  SIDECARS+=("$name")
}

start_provisioner() {
  sidecar_start csi-provisioner --csi-address "$SOCK" --leader-election=false \
    --extra-create-metadata --timeout 30s --v 3
}
start_resizer() {
  sidecar_start csi-resizer --csi-address "$SOCK" --leader-election=false --timeout 30s --v 3
}
start_snapshotter() {
  sidecar_start csi-snapshotter --csi-address "$SOCK" --leader-election=false --timeout 30s --v 3
}
start_snapshot_controller() {
  sidecar_start snapshot-controller --leader-election=false --v 3
}

# install_snapshot_crds: the VolumeSnapshot* CRDs released with the pinned snapshotter,
# returned once the API server serves them.
install_snapshot_crds() {
  local crd
  crd=$(bash "$K8S_TEST_DIR/../../scripts/k8s-tools.sh" --print-crd)
  k apply -f "$crd" >/dev/null
  k wait --for condition=established --timeout=60s \
    crd/volumesnapshotclasses.snapshot.storage.k8s.io crd/volumesnapshotcontents.snapshot.storage.k8s.io \
    crd/volumesnapshots.snapshot.storage.k8s.io >/dev/null
}

# vast_secret: the Secret vast-sim in namespace default, in the vendor driver's keys.
vast_secret() {
  k create secret generic vast-sim --namespace default \
    --from-literal "endpoint=$SIM_ENDPOINT" --from-literal username=admin --from-literal password=123456 \
    --from-file "ssl_cert=$SECRET_DIR/ssl_cert" >/dev/null
}

# vast_storageclass NAME RECLAIM [VIEW_POLICY]: a StorageClass of the driver in the vendor's
# format, with volume expansion allowed and the Secret for every controller call.
vast_storageclass() {
  k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $1
provisioner: $DRIVER
reclaimPolicy: $2
volumeBindingMode: Immediate
allowVolumeExpansion: true
parameters:
  root_export: /k8s
  view_policy: ${3:-vast-k8s-nfs}
  vip_pool_name: vast-k8s-pool
  csi.storage.k8s.io/provisioner-secret-name: vast-sim
  csi.storage.k8s.io/provisioner-secret-namespace: default
  csi.storage.k8s.io/controller-expand-secret-name: vast-sim
  csi.storage.k8s.io/controller-expand-secret-namespace: default
EOF
}

# vast_snapshotclass NAME: a VolumeSnapshotClass of the driver (Delete policy) with the
# Secret for the snapshotter's calls.
vast_snapshotclass() {
  k apply -f - <<EOF
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: $1
driver: $DRIVER
deletionPolicy: Delete
parameters:
  csi.storage.k8s.io/snapshotter-secret-name: vast-sim
  csi.storage.k8s.io/snapshotter-secret-namespace: default
EOF
}

# vast_pvc_yaml NAME CLASS SIZE [DATASOURCE_KIND DATASOURCE_NAME]: the manifest of a RWX
# PVC in namespace default, from a VolumeSnapshot or another PVC when a data source is
# given.
vast_pvc_yaml() {
  cat <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: $1
  namespace: default
spec:
  storageClassName: $2
  accessModes: [ReadWriteMany]
  resources:
    requests:
      storage: $3
EOF
  if [[ $# -ge 5 && $4 == VolumeSnapshot ]]; then
    printf '  dataSource:\n    apiGroup: snapshot.storage.k8s.io\n    kind: VolumeSnapshot\n    name: %s\n' "$5"
  elif [[ $# -ge 5 ]]; then
    printf '  dataSource:\n    kind: %s\n    name: %s\n' "$4" "$5"
  fi
}

# vast_pvc NAME CLASS SIZE [DATASOURCE_KIND DATASOURCE_NAME]: that PVC, applied.
vast_pvc() { vast_pvc_yaml "$@" | k apply -f - >/dev/null; }

# vast_pvcs FILE CLASS SIZE NAME...: a PVC per name, one multi-document manifest in
# FILE, for one `kubectl apply` of them all (a burst).
vast_pvcs() {
  local file=$1 class=$2 size=$3 name
  shift 3
  for name in "$@"; do
    echo ---
    vast_pvc_yaml "$name" "$class" "$size"
  done >"$file"
}

# wait_bound PVC TIMEOUT_S: waits for the PVC to be Bound; on failure prints why.
wait_bound() {
  if k wait --namespace default --for=jsonpath='{.status.phase}'=Bound "pvc/$1" --timeout="${2}s" >/dev/null 2>&1; then
    return 0
  fi
  k describe pvc "$1" --namespace default 2>&1 | tail -n 10
  return 1
}

# pv_of PVC: the name of the PV bound to the PVC.
pv_of() { k get pvc "$1" --namespace default -o jsonpath='{.spec.volumeName}'; }

# sim_leftover_lines: sim_leftovers as three lines of space-separated words: the paths of
# the views, the paths of the quotas, the names of the snapshots under /k8s.
sim_leftover_lines() {
  sim_leftovers | "$PY" -c 'import json, sys
t = sys.stdin.read().strip()
dec, i = json.JSONDecoder(), 0
while i < len(t):
    words, i = dec.raw_decode(t, i)
    print(" ".join(words))
    while i < len(t) and t[i] == " ":
        i += 1'
}
