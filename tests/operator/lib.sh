# shellcheck shell=bash
# What the operator's end-to-end tests (test_e2e.sh, test_crash.sh) share: the real
# control plane and vms-sim (through tests/k8s/sidecars.sh, so the CSI sidecars and
# vast-csi start as in the k8s tests), the CRDs, a VastCluster of the simulator, Tenants
# written as a platform engineer writes them, vast-operator processes started and stopped
# by PID, and what the simulator holds of a tenant.
#
#   source "$(dirname "$0")/lib.sh"
#   op_test_start [TOOL...]   # tools checked, vms-sim, control plane, CRDs, VastCluster vast-a
#   op_start NAME [FLAGS...]  # a vast-operator, log $WORK/op-NAME.log, health port OP_PORT[NAME]
#   op_stop NAME [SIGNAL]     # sets OP_STATUS
#   op_test_end
#
# Environment: VK_K8S_TOOLS_BIN, VAST_OPERATOR, VAST_CSI, CSICTL, VMS_SIM
# (tests/operator/CMakeLists.txt); VK_SANITIZE=1 widens every bound (ASan, 2 busy cores).
: "${VAST_OPERATOR:?path of the vast-operator binary}"
OP_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
K8S_TEST_DIR=$OP_TEST_DIR/../k8s
# shellcheck source=../k8s/sidecars.sh
source "$K8S_TEST_DIR/sidecars.sh"
CHART=$OP_TEST_DIR/../../charts/vast-k8s
DRIVER_NS=vast-system
# every bound of a wait, in seconds, is multiplied by this: an ASan build is several
# times slower, and nothing here asserts on speed
SLOW=1
[[ ${VK_SANITIZE:-0} == 1 ]] && SLOW=3

declare -A OP_PID OP_PORT
# the exit trap: the operators first (SIGKILL: a test that got here failed or is done
# with them), then the control plane, sidecars, driver and simulator
op_test_cleanup() {
  local name log
  for name in "${!OP_PID[@]}"; do kill -KILL "${OP_PID[$name]}" 2>/dev/null || true; done
  if ((FAILURES > 0)); then
    for log in "$WORK"/op-*.log; do
      [[ -f $log ]] || continue
      echo "--- end of $(basename "$log") (debug lines left out) ---"
      grep -v 'level=debug' "$log" | tail -n 25
    done
  fi
  k8s_test_cleanup
}
trap op_test_cleanup EXIT

# kc ARGS...: kubectl as the admin with every request bounded (lib.sh's k has no bound).
kc() { k --request-timeout=30s "$@"; }

# poll WHAT TIMEOUT_S COMMAND...: runs COMMAND (quietly) every 0.2 s until it succeeds;
# 1 with a message after TIMEOUT_S * SLOW seconds.
poll() {
  local what=$1 limit=$(($2 * SLOW))
  local end=$((SECONDS + limit))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then
      echo "not within $limit s: $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

# op_test_start [TOOL...]: the start of both tests: a vms-sim without the seed (the
# operator makes every tenant), the control plane, the CRDs as the chart installs them,
# the drivers' namespace with the cluster admin's Secret, and VastCluster vast-a with
# the simulator's CA.
op_test_start() {
  k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl "$@"
  launch_sim --listen https --listen http
  k8s_start "$WORK/k8s" || { fail "the control plane came up"; finish; }
  kc apply --server-side -f "$CHART/crds/" >/dev/null
  kc wait --for condition=Established --timeout 60s crd/tenants.tenancy.vast-k8s.io \
    crd/vastclusters.tenancy.vast-k8s.io >/dev/null
  kc create namespace "$DRIVER_NS" >/dev/null
  kc -n "$DRIVER_NS" create secret generic vast-a-admin --from-literal=username=admin \
    --from-literal=password=123456 >/dev/null
  kc apply -f - >/dev/null <<EOF
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: VastCluster
metadata: {name: vast-a}
spec:
  endpoint: https://$SIM_ENDPOINT
  credentialsSecretRef: {name: vast-a-admin, namespace: $DRIVER_NS}
  caBundle: |
$(sed 's/^/    /' "$VMS_SIM_CA")
EOF
}

# op_test_end: every operator stopped with SIGTERM (each must exit 0), then as the k8s
# tests end.
op_test_end() {
  local name
  for name in "${!OP_PID[@]}"; do
    op_stop "$name" TERM
    expect_eq "vast-operator $name exits 0 on SIGTERM" 0 "$OP_STATUS"
  done
  k8s_stop
  [[ -n $PLUGIN_PID ]] && { stop_plugin; expect_eq "vast-csi exits 0 on SIGTERM" 0 "$STOP_STATUS"; }
  sim_launch_stop TERM
  expect_eq "vms-sim exits 0 on SIGTERM" 0 "$VMS_SIM_STATUS"
  finish
}

# op_start NAME [FLAGS...]: a vast-operator against the test cluster, its output
# appended to $WORK/op-NAME.log, /healthz and /readyz on a free port (OP_PORT[NAME]).
# A resync of 3 s and a short backoff let a test see repairs and retries; without
# --leader-elect in FLAGS it runs alone (false). VAST_OPERATOR_FAULTS from the caller's
# OP_FAULTS (include/vk/fault.h).
op_start() {
  local name=$1 port
  shift
  port=$(k8s_free_ports 1)
  local flags=(--kubeconfig "$KUBECONFIG" --driver-namespace "$DRIVER_NS" --health-address "127.0.0.1:$port"
    --resync 3000 --backoff-initial 200 --backoff-max 2000 --log-level debug)
  [[ " $* " == *" --leader-elect "* ]] || flags+=(--leader-elect false)
  echo "--- vast-operator $name started $(date +%T.%3N) ${OP_FAULTS:+with VAST_OPERATOR_FAULTS=$OP_FAULTS} ---" \
    >>"$WORK/op-$name.log"
  # OP_WRAPPER: words run before the binary (valgrind and its flags), none by default
  # shellcheck disable=SC2086
  env VAST_OPERATOR_FAULTS="${OP_FAULTS:-}" ${OP_WRAPPER:-} "$VAST_OPERATOR" "${flags[@]}" "$@" \
    >>"$WORK/op-$name.log" 2>&1 &
  OP_PID[$name]=$!
  OP_PORT[$name]=$port
}

# op_stop NAME [SIGNAL]: sends SIGNAL (TERM) to operator NAME and waits for it (SIGKILL
# after 30 s); OP_STATUS is its exit status (128+N for signal N).
op_stop() {
  local name=$1 sig=${2:-TERM} pid=${OP_PID[$1]} i
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if ((i == 300)); then
    echo "vast-operator $name did not stop within 30 s of SIG$sig: killed"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  OP_STATUS=0
  wait "$pid" 2>/dev/null || OP_STATUS=$?
  unset "OP_PID[$name]"
}

# op_exited NAME: true once operator NAME's process has ended (reaped: OP_STATUS set).
op_exited() {
  kill -0 "${OP_PID[$1]}" 2>/dev/null && return 1
  OP_STATUS=0
  wait "${OP_PID[$1]}" 2>/dev/null || OP_STATUS=$?
  unset "OP_PID[$1]"
}

# op_http NAME PATH: "CODE BODY" of GET PATH on operator NAME's health port.
op_http() {
  "$PY" - "http://127.0.0.1:${OP_PORT[$1]}$2" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        print(r.status, r.read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
except OSError as e:
    print(0, e)
PY
}

# op_log_has NAME TEXT: operator NAME's log holds TEXT.
op_log_has() { grep -qF -- "$2" "$WORK/op-$1.log"; }

# tenant_yaml NAME INDEX NAMESPACES [CLASS_QOS]: a Tenant as the chart's example writes
# one: its namespaces (a YAML flow list), a VIP range and client network of its own
# (INDEX 0..99 keeps them apart: the simulator refuses overlapping client ranges), a
# 10Ti quota, tenant QoS, class NAME-fast with QoS (unless CLASS_QOS is "none") and
# NAME-std, deletionPolicy Delete.
tenant_yaml() {
  local name=$1 i=$2 namespaces=$3 class_qos="qos: {maxWriteMBps: 1000, burstWriteMBps: 5000, burstWriteCreditMB: 300000}"
  [[ ${4:-} == none ]] && class_qos=""
  cat <<EOF
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: Tenant
metadata: {name: $name}
spec:
  namespaces: {names: $namespaces}
  clusters:
  - name: vast-a
    vipPool: {ranges: [{start: 10.0.$i.10, end: 10.0.$i.19}], subnetCIDR: 24}
  capacity: {hardLimit: 10Ti, softLimit: 8Ti}
  qos: {maxWriteMBps: 2000, burstWriteMBps: 10000, burstWriteCreditMB: 600000}
  clientNetworks: [10.$((100 + i)).0.0/16]
  storageClasses:
  - name: $name-fast
    default: false
    $class_qos
  - name: $name-std
  deletionPolicy: Delete
EOF
}

# tenant_ready NAME: the Tenant's Ready condition is True for its current generation.
tenant_ready() {
  local got
  got=$(kc get tenant "$1" -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.status.conditions[?(@.type=="Ready")].status}') || return 1
  read -r gen observed ready <<<"$got"
  [[ $ready == True && $gen == "$observed" ]]
}

# vast_of TENANT: what vms-sim holds of the operator's objects for TENANT (VAST name
# vk-TENANT), one "collection=count" word per kind, in the order of reference §12:
# tenants, vippools, viewpolicies, qospolicies (vk-TENANT-<class>), quotas (the root
# quota vk-TENANT), managers (vk-TENANT-csi).
vast_of() {
  sim_admin GET /_sim/inventory | "$PY" -c '
import json, sys
inv, base = json.load(sys.stdin), "vk-" + sys.argv[1]
def n(coll, match, key="name"):
    return sum(1 for o in inv.get(coll, []) if match(o.get(key) or ""))
print(" ".join([
    "tenants=%d" % n("tenants", lambda s: s == base),
    "vippools=%d" % n("vippools", lambda s: s == base),
    "viewpolicies=%d" % n("viewpolicies", lambda s: s == base),
    "qospolicies=%d" % n("qospolicies", lambda s: s.startswith(base + "-")),
    "quotas=%d" % n("quotas", lambda s: s == base),
    "managers=%d" % n("managers", lambda s: s == base + "-csi", "username")]))' "$1"
}

# secret_cluster TENANT FIELD: FIELD of cluster vast-a in the `clusters` key of the
# Tenant's credentials Secret (decoded), e.g. username, password.
secret_cluster() {
  kc -n "$DRIVER_NS" get secret "vk-tenant-$1" -o jsonpath='{.data.clusters}' | "$PY" -c '
import base64, json, sys
print(json.loads(base64.b64decode(sys.stdin.read()))["vast-a"][sys.argv[1]])' "$2"
}

# vms_as USER PASSWORD METHOD PATH [JSON]: the VMS REST API as USER (HTTP Basic, the
# simulator's plain-HTTP listener); prints "STATUS BODY" and never fails, so a refusal
# can be asserted on.
vms_as() {
  "$PY" - "$SIM_URL" "$@" <<'PY'
import base64, sys, urllib.request, urllib.error
url, user, password, method, path = sys.argv[1:6]
body = sys.argv[6].encode() if len(sys.argv) > 6 else None
auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
req = urllib.request.Request(url + "/api/v1/" + path, data=body, method=method,
                             headers={"Content-Type": "application/json", "Authorization": "Basic " + auth})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status, r.read().decode().replace("\n", " "))
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().replace("\n", " "))
PY
}
