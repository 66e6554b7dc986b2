# 429s from the real kube-apiserver's API Priority and Fairness: a FlowSchema puts the
# user vast-k8s-user (tests/k8s/lib.sh's ordinary token) on a priority level with one
# nominal share of the server's concurrency, no borrowing and no queue (Reject), then
# 24 threads list at once as that user. The client must wait out each 429's
# Retry-After and end every call in success or RESOURCE_EXHAUSTED.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../k8s/lib.sh"
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl
dir=$(mktemp -d /tmp/vk-kube-throttle.XXXXXX)
trap 'k8s_stop; rm -rf "$dir"' EXIT
k8s_start "$dir"

k create namespace vk-client >/dev/null
for i in $(seq -w 1 60); do printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: filler-%s, namespace: vk-client}\ndata: {n: "%s"}\n' "$i" "$i"; done |
  k apply -f - >/dev/null
k create clusterrolebinding vk-user-admin --clusterrole cluster-admin --user vast-k8s-user >/dev/null
k apply -f - >/dev/null <<'YAML'
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata: {name: vk-tiny}
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 1
    lendablePercent: 0
    borrowingLimitPercent: 0
    limitResponse: {type: Reject}
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata: {name: vk-tiny}
spec:
  priorityLevelConfiguration: {name: vk-tiny}
  matchingPrecedence: 100
  distinguisherMethod: {type: ByUser}
  rules:
  - subjects: [{kind: User, user: {name: vast-k8s-user}}]
    resourceRules: [{verbs: ["*"], apiGroups: ["*"], resources: ["*"], namespaces: ["*"], clusterScope: true}]
    nonResourceRules: [{verbs: ["*"], nonResourceURLs: ["*"]}]
YAML
# the API server takes up new APF objects asynchronously: wait until it reports ours in use
k8s_wait "the vk-tiny FlowSchema in effect" 60 bash -c \
  '[[ $("$VK_K8S_TOOLS_BIN/kubectl" --kubeconfig "$KUBECONFIG" get flowschema vk-tiny -o jsonpath="{.status.conditions[?(@.type==\"Dangling\")].status}") == False ]]'
k8s_kubeconfig "$dir/user.kubeconfig" "$K8S_USER_TOKEN"
# the user's requests land on vk-tiny (the server says so in a response header)
flow=$(curl -sS --noproxy '*' -o /dev/null -D - --cacert "$K8S_DIR/pki/ca.crt" -H "Authorization: Bearer $K8S_USER_TOKEN" \
  "$K8S_SERVER/api/v1/namespaces/vk-client/configmaps?limit=1" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-kubernetes-pf-prioritylevel-uid"{print $2}')
plc=$(k get prioritylevelconfiguration vk-tiny -o jsonpath='{.metadata.uid}')
[[ $flow == "$plc" ]] || { echo "FAIL: the user's requests are not on the vk-tiny priority level ($flow vs $plc)"; exit 1; }
echo "ok: the user's requests run on priority level vk-tiny"
"$KUBE_CLIENT_REAL" storm "$dir/user.kubeconfig"
