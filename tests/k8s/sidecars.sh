# shellcheck shell=bash
# Shared pieces of the end-to-end tests that run upstream CSI sidecars on the loopback
# control plane of lib.sh: starting each sidecar (its PID goes into K8S_PIDS, so k8s_stop
# and the exit trap stop it), the snapshot CRDs, and the vendor-format Secret,
# StorageClass and PVC. Sourced after lib.sh and tests/integration/lib.sh (SOCK, WORK,
# SIM_ENDPOINT, SECRET_DIR), once the plugin and the control plane are up.

# sidecar_start NAME [FLAGS...]: runs $VK_K8S_TOOLS_BIN/NAME against the plugin's socket and
# the test cluster, logs in $WORK/NAME.log.
sidecar_start() {
  local name=$1
  shift
  "$VK_K8S_TOOLS_BIN/$name" --kubeconfig "$KUBECONFIG" "$@" >"$WORK/$name.log" 2>&1 &
  K8S_PIDS+=($!)
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

# vast_pvc NAME CLASS SIZE [DATASOURCE_KIND DATASOURCE_NAME]: a RWX PVC in namespace default,
# from a VolumeSnapshot or another PVC when a data source is given.
vast_pvc() {
  local source=""
  if [[ $# -ge 5 ]]; then
    if [[ $4 == VolumeSnapshot ]]; then
      source=$'  dataSource:\n    apiGroup: snapshot.storage.k8s.io\n    kind: VolumeSnapshot\n    name: '"$5"
    else
      source=$'  dataSource:\n    kind: '"$4"$'\n    name: '"$5"
    fi
  fi
  k apply -f - >/dev/null <<EOF
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
$source
EOF
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
