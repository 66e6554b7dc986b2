# shellcheck shell=bash
# COSI on the local control plane, shared by tests/k8s/test_cosi.sh and
# scripts/quickstart-k8s.sh: vms-sim with its S3 data plane, a VIP pool that holds the
# loopback address the S3 listener is bound to, the COSI v1alpha1 CRDs of the pinned
# release, the upstream COSI controller and objectstorage sidecar (scripts/k8s-tools.sh
# builds both), `vast-csi --mode cosi` on its own socket, the classes, claims and accesses
# in the driver's format, and an S3 client (boto3) built from a credentials Secret alone.
#
#   K8S_TEST_DIR=...; source "$K8S_TEST_DIR/sidecars.sh"; source "$K8S_TEST_DIR/cosi.sh"
#   k8s_test_start cosi-controller objectstorage-sidecar  # vms-sim now serves S3 too
#   cosi_start                     # pool, CRDs, controller, driver, sidecar; COSI_DRIVER
#   cosi_bucketclass NAME Delete   # ...; cosi_claim NAME CLASS; cosi_access NAME CLAIM ...
#   cosi_stop                      # sidecar, driver (SIGTERM, COSI_STOP_STATUS)
#
# Processes: the controller is in K8S_PIDS (k8s_stop); the driver and the sidecar have
# their own PIDs (a test kills and restarts them), stopped by cosi_stop or the exit trap.
: "${K8S_TEST_DIR:?set K8S_TEST_DIR before sourcing cosi.sh}"

# k8s_test_start starts vms-sim with these flags: the S3 data plane on a free loopback port
K8S_SIM_FLAGS=(--s3 127.0.0.1:0)

COSI_DIR="$WORK/cosi"
COSI_SOCK="$COSI_DIR/cosi.sock"
COSI_ENDPOINT="unix://$COSI_SOCK"
COSI_PID=""
COSI_SIDECAR_PID=""
COSI_POOL=cosi-loopback # the VIP pool the BucketClasses name (127.0.0.1 only)
COSI_S3_PY="$K8S_TEST_DIR/cosi_s3.py"

# the exit trap: the sidecar and the driver by PID, then sidecars.sh's cleanup
cosi_cleanup() {
  local pid
  for pid in "$COSI_SIDECAR_PID" "$COSI_PID"; do
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  done
  k8s_test_cleanup
}
trap cosi_cleanup EXIT

# cosi_s3_port: the port of vms-sim's S3 listener (GET /_sim/listeners).
cosi_s3_port() {
  sim_admin GET /_sim/listeners | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["s3"])'
}

# cosi_tenant_id NAME: the id of a tenant of vms-sim ("" when there is none).
cosi_tenant_id() {
  sim_api GET "tenants/?name=$1" | "$PY" -c 'import json, sys
ts = [t for t in json.load(sys.stdin) if t.get("name") == sys.argv[1]]
print(ts[0]["id"] if ts else "")' "$1"
}

# cosi_pool: the VIP pool COSI_POOL in the seeded tenant, with 127.0.0.1 only (the seeded
# pool's addresses are not where the S3 listener is bound).
cosi_pool() {
  local tenant
  tenant=$(cosi_tenant_id vast-k8s)
  sim_api POST vippools/ "{\"name\": \"$COSI_POOL\", \"ip_ranges\": [[\"127.0.0.1\", \"127.0.0.1\"]],
    \"subnet_cidr\": 8, \"tenant_id\": $tenant, \"role\": \"PROTOCOLS\"}" >/dev/null
}

# cosi_install_crds: the objectstorage.k8s.io/v1alpha1 CRDs of the pinned COSI release,
# returned once the API server serves them.
cosi_install_crds() {
  local crd
  crd=$(bash "$K8S_TEST_DIR/../../scripts/k8s-tools.sh" --print-cosi-crd)
  k apply -f "$crd" >/dev/null
  k wait --for condition=established --timeout=120s crd/bucketclasses.objectstorage.k8s.io \
    crd/bucketclaims.objectstorage.k8s.io crd/buckets.objectstorage.k8s.io \
    crd/bucketaccessclasses.objectstorage.k8s.io crd/bucketaccesses.objectstorage.k8s.io >/dev/null
}

# cosi_start_controller: the COSI controller (BucketClaim -> Bucket), in K8S_PIDS.
cosi_start_controller() {
  sidecar_start cosi-controller --v 3
}

# cosi_start_driver: vast-csi --mode cosi on COSI_ENDPOINT with the default-cluster secret,
# log appended to $WORK/cosi-driver.log; returns once it answers DriverGetInfo (COSI_DRIVER:
# the name it gives).
cosi_start_driver() {
  mkdir -p "$COSI_DIR"
  # give_up shows the end of each SIDECARS' log: the driver's too
  [[ " ${SIDECARS[*]} " == *" cosi-driver "* ]] || SIDECARS+=(cosi-driver)
  "$VAST_CSI" --mode cosi --endpoint "$COSI_ENDPOINT" --vms-secret-dir "$SECRET_DIR" \
    >>"$WORK/cosi-driver.log" 2>&1 &
  COSI_PID=$!
  if ! "$CSICTL" -e "$COSI_ENDPOINT" -w 20000 -q DriverGetInfo; then
    echo "vast-csi --mode cosi did not come up; its log:"
    tail -n 30 "$WORK/cosi-driver.log"
    return 1
  fi
  COSI_DRIVER=$(json_field "$("$CSICTL" -e "$COSI_ENDPOINT" DriverGetInfo)" name)
}

# cosi_kill_driver SIGNAL: signals the driver and reaps it; COSI_STOP_STATUS is its status.
cosi_kill_driver() {
  COSI_STOP_STATUS=0
  [[ -n $COSI_PID ]] || return 0
  kill "-$1" "$COSI_PID" 2>/dev/null || true
  wait "$COSI_PID" 2>/dev/null || COSI_STOP_STATUS=$?
  COSI_PID=""
}

# cosi_start_sidecar [ARGS...]: the objectstorage sidecar with $KUBECONFIG and ARGS
# (default: the driver's socket, --v 3), log appended to $WORK/objectstorage-sidecar.log
# (a restart keeps the earlier lines).
cosi_start_sidecar() {
  (($#)) || set -- --driver-addr "$COSI_ENDPOINT" --v 3
  "$VK_K8S_TOOLS_BIN/objectstorage-sidecar" --kubeconfig "$KUBECONFIG" "$@" \
    >>"$WORK/objectstorage-sidecar.log" 2>&1 &
  COSI_SIDECAR_PID=$!
  [[ " ${SIDECARS[*]} " == *" objectstorage-sidecar "* ]] || SIDECARS+=(objectstorage-sidecar)
}

# cosi_sidecar_alive: the sidecar has not exited (it exits when it cannot reach its driver
# at start; a Pod's kubelet would restart the container).
cosi_sidecar_alive() { [[ -n $COSI_SIDECAR_PID ]] && kill -0 "$COSI_SIDECAR_PID" 2>/dev/null; }

# cosi_stop_sidecar: SIGTERM, SIGKILL after 20 s, reaped.
cosi_stop_sidecar() {
  local n
  [[ -n $COSI_SIDECAR_PID ]] || return 0
  kill -TERM "$COSI_SIDECAR_PID" 2>/dev/null || true
  for ((n = 0; n < 200; n++)); do kill -0 "$COSI_SIDECAR_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$COSI_SIDECAR_PID" 2>/dev/null || true
  wait "$COSI_SIDECAR_PID" 2>/dev/null || true
  COSI_SIDECAR_PID=""
}

# cosi_start: after k8s_test_start: S3_PORT, the pool, the CRDs, the controller, the
# driver, the sidecar.
cosi_start() {
  S3_PORT=$(cosi_s3_port) || { echo "vms-sim has no S3 listener"; return 1; }
  cosi_pool || { echo "making the VIP pool $COSI_POOL failed"; return 1; }
  cosi_install_crds || { echo "the COSI CRDs were not established"; return 1; }
  cosi_start_controller
  cosi_start_driver || return 1
  cosi_start_sidecar
}

# cosi_stop: the sidecar, then the driver with SIGTERM (COSI_STOP_STATUS: its exit status).
cosi_stop() {
  cosi_stop_sidecar
  cosi_kill_driver TERM
}

# cosi_bucketclass NAME DELETION_POLICY [VIEW_POLICY [QUOTA]]: a BucketClass of the driver
# in its parameters (plain-HTTP S3 on vms-sim's port, the loopback pool).
cosi_bucketclass() {
  k apply -f - >/dev/null <<EOF
apiVersion: objectstorage.k8s.io/v1alpha1
kind: BucketClass
metadata:
  name: $1
driverName: $COSI_DRIVER
deletionPolicy: $2
parameters:
  root_export: /k8s
  vip_pool_name: $COSI_POOL
  scheme: http
  s3_port: "$S3_PORT"
  view_policy: ${3:-s3_default_policy}
  quota: ${4:-1Gi}
  region: us-east-1
EOF
}

# cosi_accessclass NAME [ACCESS_MODE]: a BucketAccessClass with Key authentication.
cosi_accessclass() {
  k apply -f - >/dev/null <<EOF
apiVersion: objectstorage.k8s.io/v1alpha1
kind: BucketAccessClass
metadata:
  name: $1
driverName: $COSI_DRIVER
authenticationType: Key
parameters:
  access_mode: ${2:-ReadWrite}
EOF
}

# cosi_claim_yaml NAME CLASS: a BucketClaim for S3 in namespace default.
cosi_claim_yaml() {
  cat <<EOF
apiVersion: objectstorage.k8s.io/v1alpha1
kind: BucketClaim
metadata:
  name: $1
  namespace: default
spec:
  bucketClassName: $2
  protocols: [S3]
EOF
}

# cosi_claim NAME CLASS: that BucketClaim, applied.
cosi_claim() { cosi_claim_yaml "$@" | k apply -f - >/dev/null; }

# cosi_access_yaml NAME CLAIM ACCESS_CLASS SECRET: a BucketAccess in namespace default whose
# credentials go into Secret SECRET.
cosi_access_yaml() {
  cat <<EOF
apiVersion: objectstorage.k8s.io/v1alpha1
kind: BucketAccess
metadata:
  name: $1
  namespace: default
spec:
  bucketClaimName: $2
  bucketAccessClassName: $3
  credentialsSecretName: $4
  protocol: S3
EOF
}

# cosi_access NAME CLAIM ACCESS_CLASS SECRET: that BucketAccess, applied.
cosi_access() { cosi_access_yaml "$@" | k apply -f - >/dev/null; }

# cosi_wait_claim NAME TIMEOUT_S: the BucketClaim's status.bucketReady becomes true; on
# failure, what it and its Bucket say.
cosi_wait_claim() {
  if k wait --namespace default --for=jsonpath='{.status.bucketReady}'=true "bucketclaim/$1" \
    --timeout="${2}s" >/dev/null 2>&1; then
    return 0
  fi
  k get bucketclaim "$1" --namespace default -o yaml 2>&1 | sed -n '/^status:/,$p'
  k get events --namespace default --no-headers 2>/dev/null | tail -n 5
  return 1
}

# cosi_wait_access NAME TIMEOUT_S: the BucketAccess's status.accessGranted becomes true.
cosi_wait_access() {
  if k wait --namespace default --for=jsonpath='{.status.accessGranted}'=true "bucketaccess/$1" \
    --timeout="${2}s" >/dev/null 2>&1; then
    return 0
  fi
  k get bucketaccess "$1" --namespace default -o yaml 2>&1 | sed -n '/^status:/,$p'
  k get events --namespace default --no-headers 2>/dev/null | tail -n 5
  return 1
}

# cosi_bucket_of CLAIM: the name of the Bucket bound to the claim (the S3 bucket's name).
cosi_bucket_of() { k get bucketclaim "$1" --namespace default -o jsonpath='{.status.bucketName}'; }

# cosi_bucket_info SECRET FILE: the Secret's BucketInfo JSON, written to FILE (mode 600).
cosi_bucket_info() {
  (umask 077 && k get secret "$1" --namespace default -o jsonpath='{.data.BucketInfo}' | base64 -d >"$2")
  [[ -s $2 ]]
}

# cosi_s3 INFO_FILE OP [ARGS...]: an S3 call with the credentials of a BucketInfo file (see
# cosi_s3.py: put KEY TEXT, get KEY, list, each on the info's bucket or --bucket B).
cosi_s3() { "$PY" "$COSI_S3_PY" "$@"; }

# cosi_views_of BUCKET: how many views vms-sim holds for that S3 bucket name.
cosi_views_of() {
  sim_api GET "views/?bucket=$1" | "$PY" -c 'import json, sys
print(sum(1 for v in json.load(sys.stdin) if v.get("bucket") == sys.argv[1]))' "$1"
}

# cosi_owners_of BUCKET: how many users of vms-sim are that bucket's owner (named
# "<bucket>-<mark>", docs/cosi.md).
cosi_owners_of() {
  sim_api GET users/ | "$PY" -c 'import json, re, sys
pat = re.compile(re.escape(sys.argv[1]) + r"-[0-9a-f]{12}$")
print(sum(1 for u in json.load(sys.stdin) if pat.match(u.get("name", ""))))' "$1"
}
