# Watches and informers (vk/kube_watch.h, vk/kube_informer.h) against the real
# kube-apiserver of tests/k8s/lib.sh, with tests/kube/tcp_proxy.py between the informer
# and the server (its kubeconfig points at the proxy; TLS passes through, the serving
# certificate holds 127.0.0.1). kube_informer_real drives it and asks this script, on
# its stdout, for what only the shell can do: compact etcd, restart kube-apiserver.
#   test_informer_real.sh behaviour|scale
# Without the tool cache it fails saying what to run, as the k8s tests do.
set -euo pipefail
mode=${1:-behaviour}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../k8s/lib.sh"
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl
dir=$(mktemp -d /tmp/vk-kube-informer.XXXXXX)
proxy_pid=""
trap '[[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null; k8s_stop; rm -rf "$dir"' EXIT
k8s_start "$dir"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"

/usr/bin/python3 "$here/tcp_proxy.py" "127.0.0.1:${K8S_SERVER##*:}" "$dir/proxy.sock" "$dir/proxy.port" &
proxy_pid=$!
for _ in $(seq 100); do [[ -s $dir/proxy.port ]] && break; sleep 0.1; done
[[ -s $dir/proxy.port ]] || { echo "FAIL: the proxy did not start"; exit 1; }
sed "s#server: $K8S_SERVER#server: https://127.0.0.1:$(cat "$dir/proxy.port")#" "$KUBECONFIG" >"$dir/proxy.kubeconfig"
chmod 600 "$dir/proxy.kubeconfig"

ns=vk-informer
k create namespace $ns >/dev/null

# compact: etcd's current revision (a range read's header), then a physical compaction
# to it, through etcd's HTTP/JSON gateway.
compact() {
  /usr/bin/python3 - "$K8S_ETCD_URL" <<'PY'
import json, sys, urllib.request
url = sys.argv[1]
def post(path, body):
    rq = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(rq, timeout=30) as r:
        return json.load(r)
rev = post("/v3/kv/range", {"key": "AA=="})["header"]["revision"]
post("/v3/kv/compaction", {"revision": rev, "physical": True})
print("etcd compacted to revision", rev)
PY
}

export NS=$ns KUBECTL="$VK_K8S_TOOLS_BIN/kubectl" PROXY_KUBECONFIG="$dir/proxy.kubeconfig" PROXY_CONTROL="$dir/proxy.sock"
coproc INFORMER { "$KUBE_INFORMER_REAL" "$mode" 2>&1; }
informer_pid=$INFORMER_PID
fail=0
while IFS= read -r line <&"${INFORMER[0]}"; do
  case $line in
    "REQUEST compact")
      if compact; then echo ok >&"${INFORMER[1]}"; else echo "fail compaction" >&"${INFORMER[1]}"; fi ;;
    "REQUEST restart-apiserver")
      if k8s_restart_apiserver; then echo "k8s: kube-apiserver restarted"; echo ok >&"${INFORMER[1]}"
      else echo "fail restart" >&"${INFORMER[1]}"; fi ;;
    REQUEST*) echo "FAIL: unknown request: $line"; echo "fail unknown" >&"${INFORMER[1]}"; fail=1 ;;
    *) echo "$line" ;;
  esac
done
wait "$informer_pid" || fail=1
exit $fail
