# shellcheck shell=bash
# A Kubernetes control plane on loopback for the tests, from the real binaries that
# scripts/k8s-tools.sh builds: etcd, kube-apiserver (TLS with certificates made here, a
# service-account signing key, static token authentication, RBAC and the default
# admission plugins, as a real cluster) and kube-controller-manager (PVC binding, garbage
# collection, service-account tokens). No kubelet: Pods never run.
#
#   source tests/k8s/lib.sh
#   k8s_start DIR          # everything under DIR; sets KUBECONFIG, K8S_ADMIN_TOKEN, K8S_SERVER,
#                          # K8S_USER_TOKEN (user vast-k8s-user: no rights until a test binds some)
#   k get ns               # kubectl as the admin (KUBECONFIG is exported as well)
#   k8s_stop               # SIGTERM by PID, then SIGKILL after a grace; nothing left
#
# K8S_AUDIT=1 before k8s_start: the API server writes an audit log, K8S_AUDIT_LOG (JSON
# lines, one event per request at level Metadata: user, userAgent, verb, objectRef,
# response code; the ResponseComplete stage only), written before each answer goes out,
# so a test counts the writes a client made between two points (k8s_audit_offset).
#
# Needs VK_K8S_TOOLS_BIN (the bin directory of the tools) and openssl. Every process it
# starts is in K8S_PIDS; k8s_stop (or the caller's exit trap) stops them by PID.
K8S_PIDS=()
K8S_DIR=""

# k8s_need_tools BINARY...: fails (exit 1, not a skip) with what to run when a tool is missing.
k8s_need_tools() {
  local b
  for b in "$@"; do
    if [[ -z ${VK_K8S_TOOLS_BIN:-} || ! -x "$VK_K8S_TOOLS_BIN/$b" ]]; then
      echo "FAIL: $b is not built (looked in ${VK_K8S_TOOLS_BIN:-<VK_K8S_TOOLS_BIN unset>})."
      echo "      Run scripts/k8s-tools.sh: it builds the pinned tools into ~/.cache/vast-k8s."
      exit 1
    fi
  done
  command -v openssl >/dev/null || { echo "FAIL: openssl is needed for the control plane's certificates (apt-get install openssl)"; exit 1; }
}

# k8s_free_ports N: N free loopback TCP ports, one a line (held together while chosen, so
# they differ; another process could still take one before we bind it).
k8s_free_ports() {
  /usr/bin/python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
for s in socks: print(s.getsockname()[1])
for s in socks: s.close()' "$1"
}

# k8s_certs DIR: a CA, the API server's serving certificate (loopback and the in-cluster
# names), the service-account key pair, and three random bearer tokens in a token file.
k8s_certs() {
  local d=$1
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=vast-k8s-test-ca
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1' \
      'extendedKeyUsage=serverAuth' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 2 -extfile apiserver.ext
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) >"$d/openssl.log" 2>&1 || { echo "k8s: making certificates failed:"; cat "$d/openssl.log"; return 1; }
  K8S_ADMIN_TOKEN=$(openssl rand -hex 24)
  K8S_KCM_TOKEN=$(openssl rand -hex 24)
  K8S_USER_TOKEN=$(openssl rand -hex 24)
  # token,user,uid,"groups": the admin is in system:masters; the controller manager is the
  # user the bootstrap RBAC policy binds system:kube-controller-manager to; the user is
  # an ordinary one (not system:masters, so API Priority and Fairness does not exempt it)
  printf '%s\n' "$K8S_ADMIN_TOKEN,vast-k8s-admin,uid-admin,\"system:masters\"" \
    "$K8S_KCM_TOKEN,system:kube-controller-manager,uid-kcm" \
    "$K8S_USER_TOKEN,vast-k8s-user,uid-user,\"vast-k8s-users\"" >"$d/tokens.csv"
  chmod 600 "$d/tokens.csv" "$d"/*.key
}

# k8s_kubeconfig FILE TOKEN: a kubeconfig for the API server with that bearer token.
k8s_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $K8S_SERVER
    certificate-authority: $K8S_DIR/pki/ca.crt
users:
- name: user
  user:
    token: $2
contexts:
- name: local
  context: {cluster: local, user: user}
current-context: local
EOF
  chmod 600 "$1"
}

# k8s_wait WHAT TIMEOUT_S COMMAND...: polls COMMAND (quietly) until it succeeds; gives up
# at once when a process of the control plane has exited.
k8s_wait() {
  local what=$1 timeout=$2 pid
  shift 2
  local end=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    for pid in "${K8S_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "k8s: $what: process $pid exited"; return 1; }
    done
    if ((SECONDS >= end)); then
      echo "k8s: $what not within ${timeout}s"
      return 1
    fi
    sleep 0.2
  done
}

# k8s_audit_policy FILE: every request at level Metadata (no bodies: Secrets stay out of
# the log), once, when its answer is complete.
k8s_audit_policy() {
  cat >"$1" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
EOF
}

# k8s_audit_offset: the audit log's size now, the start of a window to count in.
k8s_audit_offset() { stat -c %s "$K8S_AUDIT_LOG" 2>/dev/null || echo 0; }

# k ARGS...: kubectl against the test cluster as the admin.
k() { "$VK_K8S_TOOLS_BIN/kubectl" --kubeconfig "$KUBECONFIG" "$@"; }

# k8s_launch_apiserver: kube-apiserver on K8S_SERVER's port over K8S_ETCD_URL, in the
# background (its log appended to, so a restart keeps the first run's); $! is its PID.
k8s_launch_apiserver() {
  local audit=()
  [[ -z ${K8S_AUDIT_LOG:-} ]] ||
    audit=(--audit-policy-file "$K8S_DIR/audit-policy.yaml" --audit-log-path "$K8S_AUDIT_LOG" --audit-log-mode blocking)
  # --endpoint-reconciler-type none: the API server refuses a loopback address as the
  # endpoint of the in-cluster "kubernetes" Service, and no Pod here would use it.
  # --allow-privileged: as kubeadm and every distribution set it; a CSI node plugin (the
  # chart's DaemonSet) is privileged to mount
  "$VK_K8S_TOOLS_BIN/kube-apiserver" --etcd-servers "$K8S_ETCD_URL" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "${K8S_SERVER##*:}" \
    --endpoint-reconciler-type none --allow-privileged=true \
    --tls-cert-file "$K8S_DIR/pki/apiserver.crt" --tls-private-key-file "$K8S_DIR/pki/apiserver.key" \
    --client-ca-file "$K8S_DIR/pki/ca.crt" --token-auth-file "$K8S_DIR/pki/tokens.csv" \
    --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$K8S_DIR/pki/sa.pub" --service-account-signing-key-file "$K8S_DIR/pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 --cert-dir "$K8S_DIR/apiserver-certs" \
    ${audit[@]+"${audit[@]}"} \
    --profiling=false --v 1 >>"$K8S_DIR/kube-apiserver.log" 2>&1 &
}

# k8s_start DIR: etcd, kube-apiserver, kube-controller-manager; returns once the API server
# is ready and the controller manager has made the default namespace's service account.
k8s_start() {
  K8S_DIR=$1
  mkdir -p "$K8S_DIR"
  local bin=$VK_K8S_TOOLS_BIN t0=$SECONDS ports etcd_client etcd_peer api kcm
  k8s_certs "$K8S_DIR/pki" || return 1
  mapfile -t ports < <(k8s_free_ports 4)
  etcd_client=${ports[0]} etcd_peer=${ports[1]} api=${ports[2]} kcm=${ports[3]}
  K8S_SERVER="https://127.0.0.1:$api"
  # etcd's client URL, for tests too (its v3 HTTP/JSON gateway: /v3/kv/range, /v3/kv/compaction)
  K8S_ETCD_URL="http://127.0.0.1:$etcd_client"
  K8S_AUDIT_LOG=""
  if [[ ${K8S_AUDIT:-0} == 1 ]]; then
    K8S_AUDIT_LOG=$K8S_DIR/audit.log
    k8s_audit_policy "$K8S_DIR/audit-policy.yaml"
  fi

  "$bin/etcd" --name default --data-dir "$K8S_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "default=http://127.0.0.1:$etcd_peer" --log-level warn \
    --unsafe-no-fsync >"$K8S_DIR/etcd.log" 2>&1 &
  K8S_PIDS+=($!)

  k8s_launch_apiserver
  K8S_APISERVER_PID=$!
  K8S_PIDS+=($!)

  export KUBECONFIG="$K8S_DIR/admin.kubeconfig"
  k8s_kubeconfig "$KUBECONFIG" "$K8S_ADMIN_TOKEN"
  k8s_kubeconfig "$K8S_DIR/kcm.kubeconfig" "$K8S_KCM_TOKEN"
  if ! k8s_wait "kube-apiserver ready" 120 k get --raw /readyz; then
    tail -n 20 "$K8S_DIR/etcd.log" "$K8S_DIR/kube-apiserver.log"
    return 1
  fi

  # --use-service-account-credentials: each controller acts as its own service account
  # with the bootstrap policy's role (system:controller:persistent-volume-binder, ...),
  # as kubeadm runs it; its own user may only do what starting them needs
  "$bin/kube-controller-manager" --kubeconfig "$K8S_DIR/kcm.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm" --leader-elect=false \
    --service-account-private-key-file "$K8S_DIR/pki/sa.key" --root-ca-file "$K8S_DIR/pki/ca.crt" \
    --use-service-account-credentials=true --profiling=false --v 1 >"$K8S_DIR/kube-controller-manager.log" 2>&1 &
  K8S_PIDS+=($!)
  if ! k8s_wait "kube-controller-manager running (the default service account)" 120 k get serviceaccount default; then
    tail -n 20 "$K8S_DIR/kube-controller-manager.log"
    return 1
  fi
  echo "k8s: control plane up in $((SECONDS - t0)) s at $K8S_SERVER (logs in $K8S_DIR)"
}

# k8s_stop: SIGTERM to every process started here, newest first, SIGKILL after 20 s.
k8s_stop() {
  local i pid n
  for ((i = ${#K8S_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${K8S_PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for ((n = 0; n < 200; n++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  K8S_PIDS=()
}

# k8s_restart_apiserver: stops kube-apiserver alone (SIGTERM, SIGKILL after 20 s) and
# starts it again on the same port and etcd, for tests of clients that must survive a
# server restart; returns once it is ready. etcd and the controller manager run on.
k8s_restart_apiserver() {
  local i old=${K8S_APISERVER_PID:-}
  [[ -n $old ]] || { echo "k8s: no kube-apiserver to restart (k8s_start first)"; return 1; }
  kill -TERM "$old" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$old" 2>/dev/null || true
  wait "$old" 2>/dev/null || true
  k8s_launch_apiserver
  K8S_APISERVER_PID=$!
  for i in "${!K8S_PIDS[@]}"; do [[ ${K8S_PIDS[i]} == "$old" ]] && K8S_PIDS[i]=$K8S_APISERVER_PID; done
  k8s_wait "kube-apiserver ready again" 120 k get --raw /readyz || { tail -n 20 "$K8S_DIR/kube-apiserver.log"; return 1; }
}
