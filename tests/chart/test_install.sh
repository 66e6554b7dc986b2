#!/usr/bin/env bash
# helm install of the chart into the real control plane (tests/k8s/lib.sh: etcd,
# kube-apiserver, kube-controller-manager; no kubelet, no scheduler): every object is
# accepted, the CRDs are Established, the Deployments' Pods are admitted. Then the
# controller's sidecars and the snapshot controller run as processes, with the flags the
# chart gives them and the tokens of the chart's own ServiceAccounts (TokenRequest), against
# vast-csi (controller mode, as the chart runs it: no default cluster) on a seeded vms-sim:
# a PVC is provisioned, snapshotted and resized; the objectstorage sidecar, with the cosi
# account's token, runs a bucket and an access through vast-csi --mode cosi and deletes
# them, so the chart's RBAC is enough. kubectl auth
# can-i with each account's token proves it is no more than that: the node's account reads
# no Secret, the controller's only in the release's namespace, the operator's writes no
# workload and no PersistentVolume. helm uninstall leaves the CRDs and nothing else.
# Environment: VK_K8S_TOOLS_BIN, VAST_CSI, CSICTL, VMS_SIM (tests/chart/CMakeLists.txt).
set -euo pipefail
CHART_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
K8S_TEST_DIR="$CHART_TEST_DIR/../k8s"
# shellcheck source=../k8s/sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh" # lib.sh, tests/integration/lib.sh, sidecar_start, give_up
# shellcheck source=../k8s/cosi.sh
source "$K8S_TEST_DIR/cosi.sh" # the COSI CRDs, controller, driver and classes; K8S_SIM_FLAGS
# shellcheck source=chart.sh
source "$CHART_TEST_DIR/chart.sh"

k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl helm \
  csi-provisioner csi-snapshotter csi-resizer snapshot-controller cosi-controller objectstorage-sidecar
start_sim "${K8S_SIM_FLAGS[@]}" # with its S3 data plane, for the COSI provisioner
# as the chart's controller runs it: every call carries its StorageClass's Secret
start_plugin --mode controller
DRIVER=$(json_field "$("$CSICTL" -e "$ENDPOINT" GetPluginInfo)" name)
expect_eq "vast-csi's driver name is the chart's driverName" csi.vast-k8s.io "$DRIVER"
k8s_start "$WORK/k8s" || give_up "the control plane came up"

# ---- helm install: every object accepted ----
k create namespace "$RELEASE_NS" >/dev/null
t0=$(now_ms)
if out=$(helm install "$RELEASE" "$CHART" --namespace "$RELEASE_NS" --kubeconfig "$KUBECONFIG" \
  --set snapshotController.enabled=true --set snapshotController.installCRDs=true \
  --set cosi.enabled=true --set cosi.clusterSecret=vast-cosi --timeout 120s 2>&1); then
  pass "helm install (every part on) in $(($(now_ms) - t0)) ms"
else
  give_up "helm install: $out"
fi
expect_contains "NOTES.txt says to create a VastCluster and a Tenant" "$out" "kubectl get tenants"
expect_eq "helm reports the release deployed" deployed \
  "$(helm status "$RELEASE" -n "$RELEASE_NS" --kubeconfig "$KUBECONFIG" -o json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["info"]["status"])')"

CRDS=(tenants.tenancy.vast-k8s.io vastclusters.tenancy.vast-k8s.io volumesnapshots.snapshot.storage.k8s.io
  volumesnapshotcontents.snapshot.storage.k8s.io volumesnapshotclasses.snapshot.storage.k8s.io)
if k wait --for condition=established --timeout=60s "${CRDS[@]/#/crd/}" >/dev/null 2>&1; then
  pass "the CRDs are Established: ${CRDS[*]}"
else
  fail "CRDs not Established within 60 s: $(k get crd 2>&1)"
fi

helm get manifest "$RELEASE" -n "$RELEASE_NS" --kubeconfig "$KUBECONFIG" >"$WORK/manifest.yaml"
# each object of the release, read back from the API server by kind and name
"$PY" - "$WORK/manifest.yaml" >"$WORK/objects.txt" <<'PY'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d:
        print("%s %s %s" % (d["kind"], d["metadata"]["name"], d["metadata"].get("namespace", "-")))
PY
missing=""
while read -r kind name ns; do
  if [[ $ns == - ]]; then args=(); else args=(-n "$ns"); fi
  k get "$kind" "$name" "${args[@]}" >/dev/null 2>&1 || missing+=" $kind/$name"
done <"$WORK/objects.txt"
expect_eq "every one of the release's $(wc -l <"$WORK/objects.txt") objects is in the API server" "" "$missing"
# five accounts (controller, node, COSI, operator, snapshot controller); every one but the
# node's has a ClusterRole and a Role (leases) with their bindings; the operator's second
# Role is for credentialSecretNamespaces only (none here), the controller's for Secrets
expect_eq "RBAC objects: an account per component, none bound for the node" \
  "ClusterRole=4 ClusterRoleBinding=4 Role=5 RoleBinding=5 ServiceAccount=5" \
  "$(awk '$1 ~ /^(ClusterRole|ClusterRoleBinding|Role|RoleBinding|ServiceAccount)$/ {n[$1]++}
     END {printf "ClusterRole=%d ClusterRoleBinding=%d Role=%d RoleBinding=%d ServiceAccount=%d", n["ClusterRole"], n["ClusterRoleBinding"], n["Role"], n["RoleBinding"], n["ServiceAccount"]}' "$WORK/objects.txt")"

# kube-controller-manager makes the Deployments' Pods: the API server admits them (priority
# classes, service accounts, security contexts); with no scheduler they stay Pending
pods_of() { k get pods -n "$RELEASE_NS" -l "app.kubernetes.io/component=$1" -o name 2>/dev/null | wc -l; }
for comp in controller:2 operator:2 cosi:1 snapshot-controller:2; do
  if k8s_wait "the $comp Pods" 60 test "$(pods_of "${comp%%:*}")" -eq "${comp##*:}"; then
    pass "Deployment ${comp%%:*}: ${comp##*:} Pod(s) admitted by the API server"
  else
    fail "Deployment ${comp%%:*}: $(pods_of "${comp%%:*}") Pods, want ${comp##*:}: $(k get events -n "$RELEASE_NS" 2>&1 | tail -n 5)"
  fi
done
expect_eq "an admitted controller Pod keeps its priority class" system-cluster-critical \
  "$(k get pods -n "$RELEASE_NS" -l app.kubernetes.io/component=controller -o jsonpath='{.items[0].spec.priorityClassName}')"

# ---- the chart's own accounts and flags drive a PVC, a snapshot and a resize ----
# sa_kubeconfig SA: a kubeconfig with a TokenRequest token of the chart's ServiceAccount SA.
sa_kubeconfig() {
  local token
  token=$(k create token "$RELEASE-$1" -n "$RELEASE_NS" --duration 1h) || return 1
  k8s_kubeconfig "$WORK/$1.kubeconfig" "$token"
  echo "$WORK/$1.kubeconfig"
}
# chart_args DEPLOYMENT CONTAINER: that container's args in the installed manifest, one a
# line, its socket (the CSI one or the COSI one) replaced by this test's.
chart_args() {
  "$PY" - "$WORK/manifest.yaml" "$RELEASE-$1" "$2" "$SOCK" "$COSI_SOCK" <<'PY'
import sys, yaml
path, deploy, name, sock, cosi_sock = sys.argv[1:6]
for d in yaml.safe_load_all(open(path)):
    if d and d["kind"] == "Deployment" and d["metadata"]["name"] == deploy:
        for c in d["spec"]["template"]["spec"]["containers"]:
            if c["name"] == name:
                for a in c.get("args", []):
                    print(a.replace("/var/lib/cosi/cosi.sock", cosi_sock).replace("/csi/csi.sock", sock))
                sys.exit(0)
sys.exit("no container %s in Deployment %s" % (name, deploy))
PY
}
CTL_KC=$(sa_kubeconfig controller) || give_up "kubectl create token for the controller's ServiceAccount"
SNAP_KC=$(sa_kubeconfig snapshot-controller) || give_up "kubectl create token for the snapshot controller's ServiceAccount"
for s in csi-provisioner csi-snapshotter csi-resizer; do
  mapfile -t args < <(chart_args controller "$s")
  KUBECONFIG=$CTL_KC sidecar_start "$s" "${args[@]}"
done
mapfile -t args < <(chart_args snapshot-controller snapshot-controller)
KUBECONFIG=$SNAP_KC sidecar_start snapshot-controller "${args[@]}"
expect_contains "csi-provisioner runs with the chart's flags" "$(tr '\n' ' ' < <(chart_args controller csi-provisioner))" \
  "--extra-create-metadata --leader-election --leader-election-namespace=$RELEASE_NS"
expect_contains "csi-provisioner runs at the chart's API rate" "$(tr '\n' ' ' < <(chart_args controller csi-provisioner))" \
  "--worker-threads=100 --kube-api-qps=50 --kube-api-burst=100"

# the cluster's Secret where the operator would write it, and vendor-style classes naming it
k create secret generic vast-sim -n "$RELEASE_NS" --from-literal "endpoint=$SIM_ENDPOINT" \
  --from-literal username=admin --from-literal password=123456 --from-file "ssl_cert=$SECRET_DIR/ssl_cert" >/dev/null
k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: vast
provisioner: $DRIVER
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
parameters:
  root_export: /k8s
  view_policy: vast-k8s-nfs
  vip_pool_name: vast-k8s-pool
  csi.storage.k8s.io/provisioner-secret-name: vast-sim
  csi.storage.k8s.io/provisioner-secret-namespace: $RELEASE_NS
  csi.storage.k8s.io/controller-expand-secret-name: vast-sim
  csi.storage.k8s.io/controller-expand-secret-namespace: $RELEASE_NS
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: vast-snap
driver: $DRIVER
deletionPolicy: Delete
parameters:
  csi.storage.k8s.io/snapshotter-secret-name: vast-sim
  csi.storage.k8s.io/snapshotter-secret-namespace: $RELEASE_NS
EOF

t0=$(now_ms)
vast_pvc data vast 1Gi
wait_bound data 120 || give_up "PVC data is not Bound within 120 s (csi-provisioner as the chart's controller account)"
PV=$(pv_of data)
pass "a PVC is Bound through csi-provisioner with the controller's token in $(($(now_ms) - t0)) ms"
expect_eq "vms-sim holds its view and quota" "[\"/k8s/$PV\"] [\"/k8s/$PV\"] []" "$(sim_leftovers)"

t0=$(now_ms)
k apply -f - >/dev/null <<'EOF'
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: snap
  namespace: default
spec:
  volumeSnapshotClassName: vast-snap
  source:
    persistentVolumeClaimName: data
EOF
if k wait -n default --for=jsonpath='{.status.readyToUse}'=true volumesnapshot/snap --timeout=120s >/dev/null 2>&1; then
  pass "a VolumeSnapshot is readyToUse through the chart's snapshot controller and csi-snapshotter in $(($(now_ms) - t0)) ms"
else
  fail "VolumeSnapshot snap not readyToUse within 120 s: $(k describe volumesnapshot snap -n default 2>&1 | tail -n 6)"
fi

t0=$(now_ms)
k patch pvc data -n default --type merge -p '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}' >/dev/null
if k wait --for=jsonpath='{.spec.capacity.storage}'=2Gi "pv/$PV" --timeout=120s >/dev/null 2>&1 &&
  k wait -n default --for=jsonpath='{.status.capacity.storage}'=2Gi pvc/data --timeout=60s >/dev/null 2>&1; then
  pass "the PVC is resized to 2Gi through csi-resizer with the controller's token in $(($(now_ms) - t0)) ms"
else
  fail "resize to 2Gi not done within 180 s: $(k describe pvc data -n default 2>&1 | tail -n 6)"
fi
expect_eq "the quota on vms-sim is 2 GiB" "$((2 * GiB))" "$(inv_get quotas hard_limit "/k8s/$PV")"
holders=$(k get leases -n "$RELEASE_NS" -o jsonpath='{range .items[*]}{.spec.holderIdentity}{"\n"}{end}' | grep -c . || true)
expect_eq "each sidecar and the snapshot controller holds a Lease in $RELEASE_NS (the chart's Roles)" 4 "$holders"
for s in csi-provisioner csi-snapshotter csi-resizer snapshot-controller; do
  expect_eq "$s logged no Forbidden answer" 0 "$(grep -ci forbidden "$WORK/$s.log" || true)"
  grep -i -m 3 forbidden "$WORK/$s.log" | cut -c1-400 || true
done

# ---- the COSI provisioner: the objectstorage sidecar with the chart's cosi account ----
# The COSI controller is not the chart's (the cluster's, like the snapshot CRDs): it runs
# with the admin's kubeconfig. The sidecar runs with the chart's args and account token,
# in the release's namespace (POD_NAMESPACE, as the Pod's downward API gives it).
COSI_KC=$(sa_kubeconfig cosi) || give_up "kubectl create token for the COSI provisioner's ServiceAccount"
S3_PORT=$(cosi_s3_port) || give_up "vms-sim has an S3 listener"
cosi_pool || give_up "the VIP pool $COSI_POOL on vms-sim"
cosi_install_crds || give_up "the COSI CRDs are Established"
cosi_start_controller
cosi_start_driver || give_up "vast-csi --mode cosi came up"
mapfile -t args < <(chart_args cosi objectstorage-sidecar)
expect_contains "the chart's objectstorage sidecar talks to the driver's socket" "${args[*]}" "--driver-addr=unix://$COSI_SOCK"
POD_NAMESPACE=$RELEASE_NS KUBECONFIG=$COSI_KC cosi_start_sidecar "${args[@]}"
secret_gone() { [[ -z $(k get secret "$2" -n "$1" --ignore-not-found -o name 2>/dev/null) ]]; }
cosi_bucketclass chart-bucket Delete
cosi_accessclass chart-key
t0=$(now_ms)
cosi_claim data-lake chart-bucket
if cosi_wait_claim data-lake 120; then
  pass "a BucketClaim is bucketReady through the objectstorage sidecar with the cosi account's token in $(($(now_ms) - t0)) ms"
else
  give_up "BucketClaim data-lake bucketReady within 120 s (objectstorage sidecar as the chart's cosi account)"
fi
BUCKET=$(cosi_bucket_of data-lake)
expect_eq "one S3 view on vms-sim for Bucket $BUCKET" 1 "$(cosi_views_of "$BUCKET")"
cosi_access data-lake-rw data-lake chart-key data-lake-creds
if cosi_wait_access data-lake-rw 120; then
  pass "a BucketAccess is granted with the cosi account's token"
else
  fail "BucketAccess data-lake-rw granted within 120 s"
fi
expect_eq "the sidecar wrote the access's Secret in the claim's namespace" 1 \
  "$(k get secret data-lake-creds -n default --no-headers --ignore-not-found 2>/dev/null | wc -l)"
if k delete bucketaccess data-lake-rw -n default --wait=true --timeout=120s >/dev/null 2>&1 &&
  k8s_wait "Secret data-lake-creds deleted" 60 secret_gone default data-lake-creds; then
  pass "deleting the BucketAccess removes its Secret (the cosi account's delete)"
else
  fail "BucketAccess data-lake-rw and its Secret gone within 180 s"
fi
if k delete bucketclaim data-lake -n default --wait=true --timeout=120s >/dev/null 2>&1 &&
  k wait --for=delete "bucket/$BUCKET" --timeout=120s >/dev/null 2>&1; then
  pass "deleting the BucketClaim removes its Bucket (the cosi account's Bucket updates)"
else
  fail "BucketClaim data-lake and Bucket $BUCKET gone within 240 s"
fi
expect_eq "Delete class: no S3 view left on vms-sim for $BUCKET" 0 "$(cosi_views_of "$BUCKET")"
expect_eq "objectstorage-sidecar logged no Forbidden answer" 0 "$(grep -ci forbidden "$WORK/objectstorage-sidecar.log" || true)"
grep -i -m 3 forbidden "$WORK/objectstorage-sidecar.log" | cut -c1-400 || true
cosi_stop

# ---- least privilege: what each account may not do, asked with its own token ----
for sa in node operator; do
  sa_kubeconfig "$sa" >/dev/null || give_up "kubectl create token for the $sa ServiceAccount"
done
# can ACCOUNT VERB RESOURCE [NAMESPACE]: kubectl auth can-i with that account's token
can() {
  local where=(--all-namespaces)
  [[ -z ${4:-} ]] || where=(-n "$4")
  "$VK_K8S_TOOLS_BIN/kubectl" --kubeconfig "$WORK/$1.kubeconfig" auth can-i "$2" "$3" "${where[@]}" 2>/dev/null || true
}
# expect_can ACCOUNT yes|no VERB RESOURCE [NAMESPACE]
expect_can() {
  local may="may not"
  [[ $2 == no ]] || may=may
  expect_eq "$1 $may $3 $4${5:+ in $5}" "$2" "$(can "$1" "$3" "$4" "${5:-}")"
}
for ns in "$RELEASE_NS" default kube-system; do expect_can node no get secrets "$ns"; done
expect_can node no list secrets
out=$("$VK_K8S_TOOLS_BIN/kubectl" --kubeconfig "$WORK/node.kubeconfig" get secret vast-sim -n "$RELEASE_NS" 2>&1 || true)
expect_contains "the API server answers the node's token reading the cluster's Secret Forbidden" "$out" "Forbidden"
expect_can node no get pods "$RELEASE_NS"
expect_can node no list persistentvolumes
expect_can node no get nodes
expect_can node no create events "$RELEASE_NS"
expect_can node no get leases "$RELEASE_NS"
expect_can controller yes get secrets "$RELEASE_NS"
expect_can controller no list secrets "$RELEASE_NS"
expect_can controller no get secrets default
expect_can controller no get secrets kube-system
expect_can controller no create pods "$RELEASE_NS"
expect_can controller no delete nodes
expect_can controller no create storageclasses
expect_can operator yes create storageclasses
expect_can operator yes patch validatingadmissionpolicies
expect_can operator yes create secrets "$RELEASE_NS"
expect_can operator yes update leases "$RELEASE_NS"
expect_can operator yes patch tenants.tenancy.vast-k8s.io/status
expect_can operator no get secrets default
expect_can operator no list secrets "$RELEASE_NS"
expect_can operator no delete persistentvolumes
expect_can operator no create deployments "$RELEASE_NS"
expect_can operator no create pods default
expect_can operator no update clusterroles
expect_can operator no delete vastclusters.tenancy.vast-k8s.io
expect_can cosi yes create secrets default
expect_can cosi no get persistentvolumes
expect_can cosi no create pods "$RELEASE_NS"

# ---- helm uninstall: the release's objects go, the CRDs stay ----
k delete volumesnapshot snap -n default --wait=true --timeout=60s >/dev/null 2>&1 || true
k delete pvc data -n default --wait=true --timeout=60s >/dev/null 2>&1 || true
k wait --for=delete "pv/$PV" --timeout=120s >/dev/null 2>&1 || fail "PV $PV still there 120 s after its PVC was deleted"
if out=$(helm uninstall "$RELEASE" -n "$RELEASE_NS" --kubeconfig "$KUBECONFIG" --wait --timeout 120s 2>&1); then
  pass "helm uninstall"
else
  fail "helm uninstall: $out"
fi
left=""
while read -r kind name ns; do
  [[ $kind == CustomResourceDefinition ]] && continue
  if [[ $ns == - ]]; then args=(); else args=(-n "$ns"); fi
  k get "$kind" "$name" "${args[@]}" >/dev/null 2>&1 && left+=" $kind/$name"
done <"$WORK/objects.txt"
expect_eq "helm uninstall removed every object of the release but the CRDs" "" "$left"
kept=0
for crd in "${CRDS[@]}"; do k get crd "$crd" >/dev/null 2>&1 && kept=$((kept + 1)); done
expect_eq "the CRDs (and so every Tenant and snapshot) are kept" "${#CRDS[@]}" "$kept"

k8s_test_end
