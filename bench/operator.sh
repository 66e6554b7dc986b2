#!/usr/bin/env bash
# Benchmark (not a test): vast-operator's cold start and quiet resync against the real
# kube-apiserver (tests/k8s/lib.sh) and vms-sim. N Tenants (one class each, one
# VastCluster, distinct client networks and VIP ranges so VMS accepts them all) are made
# before the operator starts; the figure is the time from its start until every Tenant is
# Ready=True (kubectl get tenants -o json, polled each second). Done once per injected VMS
# latency (vms-sim's latency fault on every request: 0 and 20 ms by default), each on a
# fresh control plane and simulator. After the last run, a window of more than one resync
# period with nothing changed: VMS writes (/_sim/stats writes_total), Kubernetes writes
# (the operator's in the API server's audit log, tests/k8s/lib.sh's K8S_AUDIT; everyone's
# in its apiserver_request_total; the operator's own kube_writes/vms_writes in its
# "tenant reconciled" lines), all must be 0, and the
# number of reconciles in the window (so the 0 is not a window where nothing ran). Also
# the operator's VmRSS/VmHWM with N Tenants, and for each run what bounds the time: the
# Kubernetes requests it made over --kube-qps, and VMS requests per Tenant x latency over
# --workers.
#   bash bench/operator.sh [--quick] [BUILD_DIR]   # default build; --quick: 50 Tenants
# Environment: VK_OPBENCH_TENANTS (default 1000), VK_OPBENCH_LATENCIES (default "0 20", ms),
# VK_OPBENCH_WORKERS, VK_OPBENCH_KUBE_QPS, VK_OPBENCH_KUBE_BURST (the operator's flags;
# default 8, 100, 200: the chart's values), VK_OPBENCH_RESYNC_MS (default 60000; 20000 with --quick),
# VK_OPBENCH_TIMEOUT_S (give up on a cold start after this; default 1800), VK_OPBENCH_KEEP_LOG
# (a file to copy the last run's operator log to, debug level).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=0
if [[ ${1:-} == --quick ]]; then
  QUICK=1
  shift
fi
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
TENANTS=${VK_OPBENCH_TENANTS:-$((QUICK ? 50 : 1000))}
LATENCIES=${VK_OPBENCH_LATENCIES:-0 20}
WORKERS=${VK_OPBENCH_WORKERS:-8}
KUBE_QPS=${VK_OPBENCH_KUBE_QPS:-100}
KUBE_BURST=${VK_OPBENCH_KUBE_BURST:-200}
RESYNC_MS=${VK_OPBENCH_RESYNC_MS:-$((QUICK ? 20000 : 60000))}
TIMEOUT_S=${VK_OPBENCH_TIMEOUT_S:-1800}
OPERATOR="$BUILD/operator/vast-operator"
PY=/usr/bin/python3

# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh" # start_sim, sim_admin, require_tools, die, make_work
VK_K8S_TOOLS_BIN=${VK_K8S_TOOLS_BIN:-$(bash "$ROOT/scripts/k8s-tools.sh" --print-bin)}
export VK_K8S_TOOLS_BIN
# shellcheck source=../tests/k8s/lib.sh
source "$ROOT/tests/k8s/lib.sh" # k8s_start, k8s_stop, k
require_tools "$SIM" "$OPERATOR" "$VK_K8S_TOOLS_BIN/kube-apiserver" "$VK_K8S_TOOLS_BIN/etcd" "$VK_K8S_TOOLS_BIN/kubectl"

OP_PID=""
make_work operator-bench
# every process started here, by PID: the operator, then lib.sh's (vms-sim) and the control plane
operator_bench_cleanup() {
  if [[ -n $OP_PID ]] && kill -0 "$OP_PID" 2>/dev/null; then kill -KILL "$OP_PID" 2>/dev/null || true; fi
  k8s_stop
  bench_cleanup
}
trap operator_bench_cleanup EXIT

now_ms() { date +%s%3N; }

# tenants_yaml N: the N Tenants, bt0..bt<N-1>; tenant i has client network
# 10.<i/250>.<i%250>.0/24 and VIPs 10.<100+i/250>.<i%250>.10-19, one class bt<i>-std.
tenants_yaml() {
  "$PY" - "$1" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    a, b = i // 250, i % 250
    print(f"""---
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: Tenant
metadata: {{name: bt{i}}}
spec:
  namespaces: {{names: [bt{i}]}}
  clusters:
  - name: vast-a
    vipPool: {{ranges: [{{start: 10.{100 + a}.{b}.10, end: 10.{100 + a}.{b}.19}}], subnetCIDR: 24}}
  capacity: {{hardLimit: 1Ti}}
  clientNetworks: [10.{a}.{b}.0/24]
  storageClasses:
  - name: bt{i}-std""")
PY
}

# ready_count: how many Tenants have condition Ready=True.
ready_count() {
  k get tenants -o json | "$PY" -c 'import json, sys
items = json.load(sys.stdin)["items"]
print(sum(1 for t in items for c in (t.get("status") or {}).get("conditions") or []
          if c.get("type") == "Ready" and c.get("status") == "True"))'
}

# settled_count: how many Tenants are Ready=True with Progressing=False (a pass that
# wrote something leaves Progressing=True; the next pass, with nothing to write, sets it
# False: one status write per Tenant after its writing pass).
settled_count() {
  k get tenants -o json | "$PY" -c 'import json, sys
items = json.load(sys.stdin)["items"]
def cond(t, kind):
    return next((c.get("status") for c in (t.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)
print(sum(1 for t in items if cond(t, "Ready") == "True" and cond(t, "Progressing") == "False"))'
}

# kube_counts: the API server's apiserver_request_total as JSON: "writes" per resource
# (POST, PUT, PATCH, APPLY, DELETE, DELETECOLLECTION) and "requests", every request but
# the LISTs of tenants (this script's poll; the operator lists them once, then watches).
kube_counts() {
  k get --raw /metrics | "$PY" -c 'import json, re, sys
writes, requests = {}, 0
for line in sys.stdin:
    if not line.startswith("apiserver_request_total{"):
        continue
    labels = dict(re.findall(r"(\w+)=\"([^\"]*)\"", line.split("}")[0]))
    n = int(float(line.rsplit(" ", 1)[1]))
    verb, resource = labels.get("verb"), labels.get("resource", "")
    if not (verb == "LIST" and resource == "tenants"):
        requests += n
    if verb in ("POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"):
        key = resource + ("/" + labels["subresource"] if labels.get("subresource") else "")
        writes[key] = writes.get(key, 0) + n
print(json.dumps({"writes": writes, "requests": requests}))'
}

# json_of JSON KEY: one field of a JSON object, as JSON.
json_of() { "$PY" -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])[sys.argv[2]]))' "$1" "$2"; }

# operator_audit OFFSET: the operator's requests in the API server's audit log since OFFSET
# (its user agent is vk_http's "vast-k8s/..."; kubectl's is "kubectl/..."), as JSON:
# "requests", and "writes" (create/update/patch/delete) per verb and resource.
operator_audit() {
  tail -c +"$(($1 + 1))" "$K8S_AUDIT_LOG" | "$PY" -c 'import json, sys
requests, writes = 0, {}
for line in sys.stdin:
    e = json.loads(line)
    if not e.get("userAgent", "").startswith("vast-k8s"):
        continue
    requests += 1
    if e.get("verb") in ("create", "update", "patch", "delete"):
        r = e.get("objectRef", {})
        key = "%s %s%s" % (e["verb"], r.get("resource"), "/" + r["subresource"] if r.get("subresource") else "")
        writes[key] = writes.get(key, 0) + 1
print(json.dumps({"requests": requests, "writes": writes}))'
}

# json_delta BEFORE AFTER [KEY]: the per-key differences that are not 0, as "key +n, ..."
# or "none"; with KEY, that key's difference alone.
json_delta() {
  "$PY" -c 'import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
d = {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}
if len(sys.argv) > 3:
    print(d.get(sys.argv[3], 0))
else:
    print(", ".join("%s +%d" % (k, v) for k, v in sorted(d.items()) if v) or "none")' "$@"
}

# json_drop JSON KEY: the object without KEY.
json_drop() { "$PY" -c 'import json, sys; o = json.loads(sys.argv[1]); o.pop(sys.argv[2], None); print(json.dumps(o))' "$1" "$2"; }

# kube_breakdown LINES N: the operator's own Kubernetes requests in the first LINES lines
# of its log (debug level logs each), per Tenant by method and resource, the most first.
kube_breakdown() {
  head -n "$1" "$WORK/operator.log" | "$PY" -c 'import re, sys
n, counts = int(sys.argv[1]), {}
for line in sys.stdin:
    if "msg=\"kubernetes request\"" not in line:
        continue
    m = re.search(r"method=(\S+) path=\"?([^\" ]+)", line)
    if not m:
        continue
    path = m.group(2).split("?")[0]
    parts = path.strip("/").split("/")
    # /api/v1/namespaces/NS/RES/NAME, /apis/G/V/RES/NAME, .../status: the resource, and
    # whether a name was given
    if "namespaces" in parts and len(parts) > parts.index("namespaces") + 2:
        parts = parts[:parts.index("namespaces")] + parts[parts.index("namespaces") + 2:]
    base = 2 if parts[0] == "api" else 3
    res = "/".join(parts[base:base + 1] + (["{name}"] if len(parts) > base + 1 else []) + parts[base + 2:])
    key = m.group(1) + " " + res
    counts[key] = counts.get(key, 0) + 1
total = sum(counts.values())
print("  Kubernetes requests by the operator: %.1f per Tenant (%s)" % (total / n, ", ".join(
    "%s %.1f" % (k, v / n) for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v / n >= 0.05)))' "$2"
}

sim_stat() { sim_admin GET /_sim/stats | "$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

proc_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

# setup_cluster MS: a fresh control plane and vms-sim (latency MS on every VMS request),
# the CRDs, the VastCluster vast-a with the simulator's CA and its admin Secret.
setup_cluster() {
  local ms=$1
  rm -rf "$WORK/sim"
  K8S_AUDIT=1 # the audit log tells the operator's requests from everyone else's
  k8s_start "$WORK/k8s-$ms" >"$WORK/k8s-start.log" 2>&1 || { cat "$WORK/k8s-start.log" >&2; die "the control plane did not start"; }
  start_sim
  SIM_URL=$VMS_SIM_HTTP
  k apply --server-side -f "$ROOT/charts/vast-k8s/crds/" >/dev/null
  k wait --for condition=Established --timeout=60s crd/tenants.tenancy.vast-k8s.io crd/vastclusters.tenancy.vast-k8s.io >/dev/null
  k create namespace vast-system >/dev/null
  k -n vast-system create secret generic vast-a-admin --from-literal=username=admin --from-literal=password=123456 >/dev/null
  k apply -f - >/dev/null <<EOF
apiVersion: tenancy.vast-k8s.io/v1alpha1
kind: VastCluster
metadata: {name: vast-a}
spec:
  endpoint: $VMS_SIM_HTTPS
  credentialsSecretRef: {name: vast-a-admin, namespace: vast-system}
  caBundle: |
$(sed 's/^/    /' "$VMS_SIM_CA")
EOF
  if ((ms > 0)); then
    sim_admin POST /_sim/faults "{\"rules\": [{\"latency_ms\": $ms}]}" >/dev/null
  fi
}

# apply_tenants: the N Tenants, made in chunks by kubectl create (they are all there,
# with no status, before the operator starts).
apply_tenants() {
  tenants_yaml "$TENANTS" >"$WORK/tenants.yaml"
  k create -f "$WORK/tenants.yaml" >/dev/null
  local n
  n=$(k get tenants -o name | wc -l)
  ((n == TENANTS)) || die "$n Tenants stored, not $TENANTS"
}

start_operator() {
  "$OPERATOR" --kubeconfig "$KUBECONFIG" --leader-elect false --health-address 127.0.0.1:0 \
    --log-level debug --resync "$RESYNC_MS" --workers "$WORKERS" --kube-qps "$KUBE_QPS" \
    --kube-burst "$KUBE_BURST" >"$WORK/operator.log" 2>&1 &
  OP_PID=$!
}

stop_operator() {
  kill -TERM "$OP_PID"
  local rc=0
  wait "$OP_PID" || rc=$?
  OP_PID=""
  ((rc == 0)) || die "vast-operator exited with $rc after SIGTERM"
}

# cold_start MS: one run; appends its row to RESULTS. Leaves everything running.
cold_start() {
  local ms=$1 t0 ready=0 elapsed kube0 kube1 vms_req vms_writes
  echo "operator: $TENANTS Tenants, $ms ms VMS latency: control plane, vms-sim, Tenants ..."
  setup_cluster "$ms"
  apply_tenants
  sim_admin POST /_sim/stats/reset >/dev/null
  kube0=$(kube_counts)
  audit0=$(k8s_audit_offset)
  t0=$(now_ms)
  start_operator
  while ((ready < TENANTS)); do
    kill -0 "$OP_PID" 2>/dev/null || die "vast-operator exited during the cold start (log: $(tail -5 "$WORK/operator.log"))"
    (($(now_ms) - t0 < TIMEOUT_S * 1000)) || die "only $ready of $TENANTS Tenants Ready after ${TIMEOUT_S}s"
    sleep 1
    ready=$(ready_count)
  done
  elapsed=$(($(now_ms) - t0))
  kube1=$(kube_counts)
  vms_req=$(sim_stat requests_total)
  vms_writes=$(sim_stat writes_total)
  # per Tenant: Kubernetes requests (all clients but the poll; the operator's nearly all)
  # and writes, VMS requests and writes; the bounds they set: the Kubernetes requests at
  # --kube-qps, and the VMS requests at the injected latency spread over --workers
  local line
  line=$("$PY" -c 'import json, sys
n, ms, el, qps, w, vreq, vw = map(float, sys.argv[1:8])
k0, k1 = json.loads(sys.argv[8]), json.loads(sys.argv[9])
kreq = k1["requests"] - k0["requests"]
kw = sum(k1["writes"].values()) - sum(k0["writes"].values())
print("%-7d %4d ms %9.1f s %7.2f/s %8.1f %8.1f %8.1f %8.1f %9.1f s %9.1f s" % (
    n, ms, el / 1000, n / (el / 1000), kreq / n, kw / n, vreq / n, vw / n, kreq / qps, vreq * ms / 1000 / w))' \
    "$TENANTS" "$ms" "$elapsed" "$KUBE_QPS" "$WORKERS" "$vms_req" "$vms_writes" "$kube0" "$kube1")
  RESULTS+=("$line")
  echo "  all $TENANTS Ready in $elapsed ms"
  kube_breakdown "$(wc -l <"$WORK/operator.log")" "$TENANTS"
  echo "  the audit log: $(operator_audit "$audit0" | "$PY" -c 'import json, sys
a, n = json.load(sys.stdin), int(sys.argv[1])
print("%.1f requests per Tenant by the operator, writes: %s" % (a["requests"] / n, ", ".join(
    "%s %.1f" % (k, v / n) for k, v in sorted(a["writes"].items()))))' "$TENANTS")"
  # what VMS took, as the operator saw it (the simulator rewrites its whole state file,
  # fsynced, under its one lock on every write: its cost grows with what it holds)
  grep 'msg="VMS request"' "$WORK/operator.log" | "$PY" -c 'import re, sys
ms = {}
for line in sys.stdin:
    m = re.search(r"method=(\S+) .* ms=(\d+)", line)
    if m:
        ms.setdefault(m.group(1), []).append(int(m.group(2)))
print("  VMS request time seen by the operator: " + ", ".join("%s p50 %d ms p99 %d ms (%d)" % (
    k, sorted(v)[len(v) // 2], sorted(v)[len(v) * 99 // 100], len(v)) for k, v in sorted(ms.items())))'
  echo "  vms-sim state file: $(($(stat -c %s "$WORK/sim/state.json") / 1024)) kB"
  echo "  passes per Tenant: $("$PY" -c 'import sys; print("%.2f" % (int(sys.argv[1]) / int(sys.argv[2])))' \
    "$(grep -c 'msg="tenant reconciled"' "$WORK/operator.log")" "$TENANTS") (\"tenant reconciled\" lines until all were Ready)"
  echo "  VMS requests per Tenant: $(sim_admin GET /_sim/stats | "$PY" -c 'import json, sys
s, n = json.load(sys.stdin), int(sys.argv[1])
print(", ".join("%s %.1f" % (k, v / n) for k, v in sorted(s["requests"].items(), key=lambda kv: -kv[1]) if v / n >= 0.05))' "$TENANTS")"
}

teardown() {
  stop_operator
  sim_launch_stop TERM
  SIM_PID=""
  k8s_stop
}

RESULTS=()
echo "operator: load before: $(uptime)"
last=""
for ms in $LATENCIES; do last=$ms; done
for ms in $LATENCIES; do
  cold_start "$ms"
  if [[ $ms != "$last" ]]; then
    teardown
    continue
  fi
  # settled: every Tenant's Progressing back to False (its first pass after the writing
  # one, at the latest its resync); the status writes that took are counted apart
  echo "  waiting until every Tenant is settled (Progressing=False) ..."
  settle0=$(json_of "$(kube_counts)" writes)
  settle_t0=$(now_ms)
  settled=$(settled_count)
  while ((settled < TENANTS)); do
    kill -0 "$OP_PID" 2>/dev/null || die "vast-operator exited while settling"
    (($(now_ms) - settle_t0 < (RESYNC_MS * 2 + TIMEOUT_S * 1000))) || die "only $settled of $TENANTS Tenants settled"
    sleep 1
    settled=$(settled_count)
  done
  SETTLE_MS=$(($(now_ms) - settle_t0))
  SETTLE_WRITES=$(json_delta "$settle0" "$(json_of "$(kube_counts)" writes)")
  # the operator with N Tenants, all Ready
  RSS=$(proc_kb "$OP_PID" VmRSS)
  HWM=$(proc_kb "$OP_PID" VmHWM)
  # a quiet window longer than one resync period: the first resync of every Tenant after
  # the cold start falls inside it
  WINDOW_MS=$((RESYNC_MS * 3 / 2 + 5000))
  echo "  no-change window of $WINDOW_MS ms (resync every $RESYNC_MS ms) ..."
  log_from=$(wc -l <"$WORK/operator.log")
  sim0=$(sim_stat writes_total)
  kw0=$(json_of "$(kube_counts)" writes)
  audit_window=$(k8s_audit_offset)
  sleep $((WINDOW_MS / 1000))
  sim1=$(sim_stat writes_total)
  kw1=$(json_of "$(kube_counts)" writes)
  OP_AUDIT=$(operator_audit "$audit_window")
  OP_AUDIT_WRITES=$("$PY" -c 'import json, sys; w = json.loads(sys.argv[1])["writes"]; print(", ".join("%s %d" % kv for kv in sorted(w.items())) or "none")' "$OP_AUDIT")
  tail -n +"$((log_from + 1))" "$WORK/operator.log" | grep 'tenant reconciled' >"$WORK/window.log" || true
  [[ -z ${VK_OPBENCH_KEEP_LOG:-} ]] || cp "$WORK/operator.log" "$VK_OPBENCH_KEEP_LOG"
  RECONCILES=$(wc -l <"$WORK/window.log")
  OP_WRITING=$(grep -c -v 'vms_writes=0 kube_writes=0' "$WORK/window.log" || true)
  OP_READY=$(grep -c 'ready=true' "$WORK/window.log" || true)
  # Leases are the API server's own identity heartbeat (kube-system/apiserver-*, every
  # 10 s); the operator runs without leader election, so it writes none
  KUBE_DELTA=$(json_delta "$(json_drop "$kw0" leases)" "$(json_drop "$kw1" leases)")
  LEASE_WRITES=$(json_delta "$kw0" "$kw1" leases)
  LOAD_AFTER=$(uptime)
  teardown
done

echo
echo "vast-operator, flags: --workers $WORKERS --kube-qps $KUBE_QPS --kube-burst $KUBE_BURST --resync $RESYNC_MS"
printf '%-7s %7s %11s %9s %8s %8s %8s %8s %11s %11s\n' tenants latency all-Ready rate k8s-req k8s-wr vms-req vms-wr k8s/qps vms*lat/w
echo "        (per Tenant: Kubernetes requests and writes, VMS requests and writes; the bounds: k8s requests / --kube-qps, VMS requests x latency / --workers)"
printf '%s\n' "${RESULTS[@]}"
echo
echo "settling after the last cold start: $SETTLE_MS ms until every Tenant had Progressing=False; Kubernetes writes meanwhile: $SETTLE_WRITES"
echo "no-change window (${WINDOW_MS} ms after the last cold start, resync $RESYNC_MS ms):"
echo "  reconciles in the window:          $RECONCILES ($OP_READY ready=true) for $TENANTS Tenants"
echo "  VMS writes (vms-sim writes_total): $((sim1 - sim0))"
echo "  Kubernetes writes (API server):    $KUBE_DELTA (besides $LEASE_WRITES to leases: the API server's identity heartbeat)"
echo "  the operator's writes (audit log):  $OP_AUDIT_WRITES, of $(json_of "$OP_AUDIT" requests) requests"
echo "  reconciles reporting writes:       $OP_WRITING"
echo "operator memory with $TENANTS Tenants Ready: VmRSS $RSS kB, VmHWM $HWM kB"
echo "load after: $LOAD_AFTER"
if ((sim1 - sim0 != 0)) || [[ $KUBE_DELTA != none || $OP_AUDIT_WRITES != none ]] || ((OP_WRITING != 0)); then
  echo "operator: the no-change window was not write-free" >&2
  exit 1
fi
((RECONCILES >= TENANTS)) || { echo "operator: only $RECONCILES reconciles in the window: no full resync measured" >&2; exit 1; }
