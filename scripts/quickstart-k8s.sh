#!/usr/bin/env bash
# Quickstart on Kubernetes: builds, brings up a local control plane on loopback (etcd,
# kube-apiserver, kube-controller-manager), a seeded vms-sim, vast-csi in controller mode
# and the upstream sidecars (csi-provisioner, csi-snapshotter, snapshot-controller), then
# shows with kubectl's own output a PVC going from `kubectl apply` to Bound, a snapshot of
# it, a PVC restored from that snapshot with its data, what each made on the simulator,
# and their deletion. Then vast-operator turning a Tenant into its storage: a VastCluster
# and a Tenant applied, the Tenant Ready with its StorageClass, Secret and admission
# policy, a PVC of that class Bound in the tenant's namespace through the same driver and
# provisioner (with the tenant admin's credentials), one in another namespace refused by
# the admission policy, and the Tenant deleted with its VAST objects. Then a bucket's life through COSI (the upstream COSI controller and
# objectstorage sidecar, vast-csi --mode cosi, vms-sim's S3 data plane): a BucketClaim and
# a BucketAccess, the credentials Secret's fields (the secret hidden), an object put and
# read back with boto3 from that Secret alone, and the deletion. It runs on the end-to-end
# tests' own helpers (tests/k8s/sidecars.sh, tests/k8s/cosi.sh), so what it shows is what
# they check. Everything it started is stopped by PID and its
# scratch directory removed. No kubelet runs (no container runtime): volumes are
# provisioned and bound, not mounted.
#   bash scripts/quickstart-k8s.sh        # VK_BUILD: the build directory (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${VK_BUILD:-build}

bash scripts/bootstrap.sh
VK_K8S_TOOLS_BIN=$(bash scripts/k8s-tools.sh --print-bin)
bash scripts/k8s-tools.sh >/dev/null # builds the pinned tools once; later runs find them cached
cmake -S . -B "$BUILD" -DVK_K8S_TOOLS_BIN="$VK_K8S_TOOLS_BIN" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null
export VK_K8S_TOOLS_BIN VAST_CSI="$ROOT/$BUILD/csi/vast-csi" CSICTL="$ROOT/$BUILD/csictl/csictl" VMS_SIM="$ROOT/$BUILD/sim/vms-sim"

K8S_TEST_DIR=$ROOT/tests/k8s
# shellcheck source=../tests/k8s/sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # the control plane, sidecars, Secret, StorageClass, PVCs
# shellcheck source=../tests/k8s/cosi.sh
source "$K8S_TEST_DIR/cosi.sh" # vms-sim's S3 listener, the COSI controller, driver, sidecar
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
kubectl() { k "$@"; } # so that the commands on screen read as a user types them
on_sim() { echo "on vms-sim (views, quotas, snapshots under /k8s): $(sim_leftovers)"; }

step "vms-sim, vast-csi (controller) and a Kubernetes control plane on loopback"
k8s_test_start csi-provisioner csi-snapshotter snapshot-controller cosi-controller objectstorage-sidecar
echo "vms-sim at $SIM_ENDPOINT, $DRIVER on $SOCK"
install_snapshot_crds
start_snapshot_controller
start_snapshotter
start_provisioner
show kubectl get namespaces

step "the StorageClass and VolumeSnapshotClass (the vendor driver's parameters)"
vast_storageclass vast Delete
show kubectl get storageclass vast -o yaml
vast_snapshotclass vast-snap

step "kubectl apply of a PVC"
vast_pvc_yaml data vast 1Gi >"$WORK/pvc.yaml"
cat "$WORK/pvc.yaml"
t0=$(now_ms)
show kubectl apply -f "$WORK/pvc.yaml"
show kubectl wait --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=120s
echo "Bound in $(($(now_ms) - t0)) ms"
show kubectl get pvc data
show kubectl get pv
on_sim
DATA_DIR="$SIM_FS/k8s/$(pv_of data)"
printf 'written before the snapshot\n' >"$DATA_DIR/hello.txt"
echo "wrote hello.txt into the volume (the simulator's directory $DATA_DIR)"

step "a VolumeSnapshot of it"
kubectl apply -f - <<'EOF'
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: data-snap
  namespace: default
spec:
  volumeSnapshotClassName: vast-snap
  source:
    persistentVolumeClaimName: data
EOF
show kubectl wait --for=jsonpath='{.status.readyToUse}'=true volumesnapshot/data-snap --timeout=120s
show kubectl get volumesnapshot data-snap
on_sim

step "a PVC restored from the snapshot"
vast_pvc_yaml restored vast 1Gi VolumeSnapshot data-snap >"$WORK/restored.yaml"
cat "$WORK/restored.yaml"
show kubectl apply -f "$WORK/restored.yaml"
show kubectl wait --for=jsonpath='{.status.phase}'=Bound pvc/restored --timeout=120s
show kubectl get pvc
echo "restored/hello.txt: $(cat "$SIM_FS/k8s/$(pv_of restored)/hello.txt")"

step "kubectl delete of the snapshot and the PVCs"
PVS=$(k get pv -o jsonpath='{.items[*].metadata.name}')
show kubectl delete volumesnapshot data-snap --wait=true --timeout=60s
show kubectl delete pvc data restored --wait=true --timeout=60s
for pv in $PVS; do k wait --for=delete "pv/$pv" --timeout=120s >/dev/null 2>&1 || true; done
show kubectl get pv
on_sim

# a Tenant made into its storage by vast-operator, used through the same driver and
# provisioner: the class's Secret is the tenant's own (its tenant admin, not the cluster admin)
step "vast-operator: the Tenant and VastCluster CRDs, the cluster admin's Secret"
show kubectl apply --server-side -f charts/vast-k8s/crds/
k wait --for condition=Established --timeout=60s crd/tenants.tenancy.vast-k8s.io crd/vastclusters.tenancy.vast-k8s.io >/dev/null
show kubectl create namespace vast-system
show kubectl create namespace acme-train
show kubectl create namespace other-team
show kubectl -n vast-system create secret generic vast-a-admin --from-literal=username=admin --from-literal=password=123456
"$ROOT/$BUILD/operator/vast-operator" --kubeconfig "$KUBECONFIG" --leader-elect false --health-address 127.0.0.1:0 \
  --csi-driver "$DRIVER" --driver-namespace vast-system >"$WORK/operator.log" 2>&1 &
OPERATOR_PID=$!
K8S_PIDS+=("$OPERATOR_PID") # stopped with the control plane if anything fails
echo "vast-operator running (driver namespace vast-system, CSI driver $DRIVER)"

step "kubectl apply of a VastCluster (vms-sim, its CA) and a Tenant"
{
  cat <<EOF
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: VastCluster
metadata: {name: vast-a}
spec:
  endpoint: https://$SIM_ENDPOINT
  credentialsSecretRef: {name: vast-a-admin, namespace: vast-system}
  caBundle: |
EOF
  sed 's/^/    /' "$SECRET_DIR/ssl_cert"
  cat <<'EOF'
---
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: Tenant
metadata: {name: acme}
spec:
  namespaces: {names: [acme-train]}
  clusters:
  - name: vast-a
    vipPool: {ranges: [{start: 10.0.0.10, end: 10.0.0.19}], subnetCIDR: 24}
  capacity: {hardLimit: 10Ti, softLimit: 8Ti}
  clientNetworks: [10.20.0.0/16]
  storageClasses:
  - name: acme-fast
    default: true
    qos: {maxWriteMBps: 1000, burstWriteMBps: 5000, burstWriteCreditMB: 300000}
  deletionPolicy: Delete
EOF
} >"$WORK/tenant.yaml"
sed -n '/^kind: Tenant$/,$p' "$WORK/tenant.yaml"
t0=$(now_ms)
show kubectl apply -f "$WORK/tenant.yaml"
show kubectl wait --for=condition=Ready tenant/acme --timeout=120s
echo "Ready in $(($(now_ms) - t0)) ms"
show kubectl get tenants
show kubectl get vastclusters
show kubectl get storageclass acme-fast
show kubectl -n vast-system get secret vk-tenant-acme
show kubectl get validatingadmissionpolicies
echo "on vms-sim: $(sim_api GET 'tenants/?name=vk-acme' | "$PY" -c 'import json, sys
t = json.load(sys.stdin)[0]
print("tenant %s (id %s), client IP ranges %s" % (t["name"], t["id"], t.get("client_ip_ranges")))')"

step "a PVC in the tenant's namespace, with the tenant's class"
sed -e 's/namespace: default/namespace: acme-train/' <(vast_pvc_yaml train-data acme-fast 1Gi) >"$WORK/acme-pvc.yaml"
cat "$WORK/acme-pvc.yaml"
t0=$(now_ms)
show kubectl apply -f "$WORK/acme-pvc.yaml"
show kubectl -n acme-train wait --for=jsonpath='{.status.phase}'=Bound pvc/train-data --timeout=120s
echo "Bound in $(($(now_ms) - t0)) ms"
show kubectl -n acme-train get pvc train-data
ACME_PV=$(k -n acme-train get pvc train-data -o jsonpath='{.spec.volumeName}')
echo "its volume: $(k get pv "$ACME_PV" -o jsonpath='{.spec.csi.volumeHandle}')"

step "the same class from another namespace: refused by the tenant's admission policy"
sed -e 's/namespace: default/namespace: other-team/' <(vast_pvc_yaml stolen acme-fast 1Gi) >"$WORK/other-pvc.yaml"
printf '$ kubectl apply -f other-pvc.yaml  (namespace other-team, class acme-fast)\n'
if k apply -f "$WORK/other-pvc.yaml"; then
  echo "quickstart-k8s: a PVC of acme-fast in other-team was accepted" >&2
  exit 1
fi

step "kubectl delete of the PVC, then of the Tenant (deletionPolicy Delete: its VAST objects go too)"
show kubectl -n acme-train delete pvc train-data --wait=true --timeout=60s
k wait --for=delete "pv/$ACME_PV" --timeout=120s >/dev/null 2>&1 || true
show kubectl delete tenant acme --wait=true --timeout=120s
show kubectl get tenants,storageclass
echo "on vms-sim: tenants named vk-acme: $(sim_api GET 'tenants/?name=vk-acme' | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')"
kill -TERM "$OPERATOR_PID"
wait "$OPERATOR_PID" || { echo "quickstart-k8s: vast-operator did not exit 0 on SIGTERM; its log:" >&2; tail -20 "$WORK/operator.log" >&2; exit 1; }
for i in "${!K8S_PIDS[@]}"; do [[ ${K8S_PIDS[i]} == "$OPERATOR_PID" ]] && unset 'K8S_PIDS[i]'; done

# a bucket's life, as tests/k8s/test_cosi.sh lives it
step "vast-csi --mode cosi, the COSI controller and the objectstorage sidecar"
cosi_start
echo "vms-sim's S3 at 127.0.0.1:$S3_PORT, $COSI_DRIVER (COSI) on $COSI_SOCK"
# as in tests/k8s/test_cosi.sh: VMS answers as over a network, so that the released COSI
# controller finishes its own writes to the claim before the sidecar's (its known race)
sim_admin POST /_sim/faults '{"rules": [{"latency_ms": 150}]}' >/dev/null
echo "vms-sim answers every VMS request after 150 ms, as a VAST cluster across a network"

step "a BucketClass and a BucketAccessClass (the driver's parameters)"
cosi_bucketclass vast-s3 Delete
cosi_accessclass vast-s3-key
show kubectl get bucketclass vast-s3 -o yaml
show kubectl get bucketaccessclass vast-s3-key

step "kubectl apply of a BucketClaim and a BucketAccess"
{ cosi_claim_yaml media vast-s3 && echo --- && cosi_access_yaml media-rw media vast-s3-key media-creds; } >"$WORK/bucket.yaml"
cat "$WORK/bucket.yaml"
t0=$(now_ms)
show kubectl apply -f "$WORK/bucket.yaml"
show kubectl wait --for=jsonpath='{.status.bucketReady}'=true bucketclaim/media --timeout=180s
echo "ready in $(($(now_ms) - t0)) ms"
show kubectl wait --for=jsonpath='{.status.accessGranted}'=true bucketaccess/media-rw --timeout=180s
show kubectl get bucketclaim media -o jsonpath='{.status}{"\n"}'
show kubectl get buckets
BUCKET=$(cosi_bucket_of media)
echo "on vms-sim: $(cosi_views_of "$BUCKET") S3 view for bucket $BUCKET"

step "the credentials Secret: one key, BucketInfo (its secret shown as a length only)"
show kubectl get secret media-creds
cosi_bucket_info media-creds "$WORK/media.json"
cosi_s3 "$WORK/media.json" keys

step "an object put, listed and read back with boto3, from that Secret alone"
echo "put notes.txt: ETag $(cosi_s3 "$WORK/media.json" put notes.txt 'stored through COSI')"
echo "list: $(cosi_s3 "$WORK/media.json" list)"
echo "get notes.txt: $(cosi_s3 "$WORK/media.json" get notes.txt)"

step "kubectl delete of the BucketAccess (the key is revoked) and the BucketClaim (Delete policy)"
show kubectl delete bucketaccess media-rw --wait=true --timeout=120s
echo "the old key now: $(cosi_s3 "$WORK/media.json" list || true)"
show kubectl delete bucketclaim media --wait=true --timeout=120s
k wait --for=delete "bucket/$BUCKET" --timeout=120s >/dev/null 2>&1 || true
show kubectl get buckets
echo "on vms-sim: $(cosi_views_of "$BUCKET") S3 view for bucket $BUCKET"
cosi_stop

step "stopping everything"
k8s_test_end
