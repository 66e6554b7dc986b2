# The Kubernetes client (vk/kube_client.h) against the real kube-apiserver and
# kube-controller-manager of tests/k8s/lib.sh: every verb and its errors, a tokenFile
# rotated under a running client, a client certificate signed by the cluster's CA and an
# expired one; then
# kubectl reads back what the C client wrote. Without the tool cache it fails saying
# what to run, as the k8s tests do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../k8s/lib.sh"
k8s_need_tools etcd kube-apiserver kube-controller-manager kubectl
dir=$(mktemp -d /tmp/vk-kube-client.XXXXXX)
trap 'k8s_stop; rm -rf "$dir"' EXIT
k8s_start "$dir"
fail=0
# kubeconfig_for FILE USER: a kubeconfig for the test cluster whose user is USER (flow YAML).
kubeconfig_for() {
  printf '%s\n' 'apiVersion: v1' 'kind: Config' 'clusters:' '- name: local' \
    "  cluster: {server: \"$K8S_SERVER\", certificate-authority: \"$K8S_DIR/pki/ca.crt\"}" \
    'users:' '- name: u' "  user: $2" 'contexts:' '- name: local' '  context: {cluster: local, user: u}' \
    'current-context: local' >"$1"
  chmod 600 "$1"
}
expect() { # expect WHAT WANT GOT
  if [[ $2 == "$3" ]]; then echo "ok: kubectl: $1: $3"; else echo "FAIL: kubectl: $1: want '$2', got '$3'"; fail=1; fi
}

# A namespaced CRD with the status subresource, for the /status verbs.
k apply -f - >/dev/null <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.vk-test.example.com}
spec:
  group: vk-test.example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
k wait --for condition=Established --timeout 60s crd/widgets.vk-test.example.com >/dev/null
# the second token's user, for the rotation
k create clusterrolebinding vk-user-admin --clusterrole cluster-admin --user vast-k8s-user >/dev/null

"$KUBE_CLIENT_REAL" verbs "$KUBECONFIG" || fail=1

n=vk-client
expect "configmap one data.a data.b label patched" "2 3 yes" \
  "$(k -n $n get cm one -o jsonpath='{.data.a} {.data.b} {.metadata.labels.patched}')"
expect "configmap one's managers" "vast-k8s" "$(k -n $n get cm one -o jsonpath='{.metadata.managedFields[*].manager}' | tr ' ' '\n' | sort -u | xargs)"
expect "configmaps labelled set=paged" "23" "$(k -n $n get cm -l set=paged -o name | wc -l)"
expect "configmaps labelled app=vk (the paged, one, applied)" "25" "$(k -n $n get cm -l app=vk -o name | wc -l)"
expect "configmap applied data.k" "from-b" "$(k -n $n get cm applied -o jsonpath='{.data.k}')"
expect "configmap applied: vk-manager-b applied it" "Apply vk-manager-b" \
  "$(k -n $n get cm applied -o jsonpath='{range .metadata.managedFields[*]}{.operation} {.manager}{"\n"}{end}' | grep vk-manager-b)"
expect "deleted configmaps gone" "" "$(k -n $n get cm doomed owner dependent --ignore-not-found -o name)"
expect "widget w status.phase, spec.size" "Applied 1" "$(k -n $n get widget w -o jsonpath='{.status.phase} {.spec.size}')"

# Rotation: a kubeconfig whose user is a tokenFile, rewritten while the client runs.
printf '%s\n' "$K8S_ADMIN_TOKEN" >"$dir/token"
chmod 600 "$dir/token"
kubeconfig_for "$dir/tokenfile.kubeconfig" "{tokenFile: \"$dir/token\"}"
"$KUBE_CLIENT_REAL" rotate "$dir/tokenfile.kubeconfig" "$dir/token" "$K8S_USER_TOKEN" || fail=1

# A client certificate signed by the cluster's CA (the API server's --client-ca-file).
(
  cd "$dir/pki"
  openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/O=system:masters/CN=vk-cert-user"
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 1 -extfile client.ext
) >"$dir/client-cert.log" 2>&1 || { echo "FAIL: making the client certificate:"; cat "$dir/client-cert.log"; exit 1; }
kubeconfig_for "$dir/cert.kubeconfig" "{client-certificate: \"$K8S_DIR/pki/client.crt\", client-key: \"$K8S_DIR/pki/client.key\"}"
"$KUBE_CLIENT_REAL" cert "$dir/cert.kubeconfig" || fail=1
expect "the certificate's user, as the server sees it" "vk-cert-user" \
  "$("$VK_K8S_TOOLS_BIN/kubectl" --kubeconfig "$dir/cert.kubeconfig" auth whoami -o jsonpath='{.status.userInfo.username}')"
expect "configmap by-cert's manager" "vk-cert-user" "$(k -n $n get cm by-cert -o jsonpath='{.metadata.managedFields[*].manager}')"

# Expired credentials: a certificate of the same CA whose validity ended in 2020 (openssl
# ca, since x509 -req cannot date a certificate in the past).
(
  cd "$dir/pki"
  openssl req -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr -subj "/O=system:masters/CN=vk-expired-user"
  : >index.txt
  echo 01 >serial.txt
  printf '%s\n' '[ca]' 'default_ca = test' '[test]' 'database = index.txt' 'new_certs_dir = .' \
    'serial = serial.txt' 'default_md = sha256' 'policy = any' 'x509_extensions = client' \
    '[any]' 'organizationName = optional' 'commonName = supplied' '[client]' 'extendedKeyUsage = clientAuth' >ca.cnf
  openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \
    -startdate 20200101000000Z -enddate 20200102000000Z -notext
) >"$dir/expired-cert.log" 2>&1 || { echo "FAIL: making the expired certificate:"; cat "$dir/expired-cert.log"; exit 1; }
kubeconfig_for "$dir/expired.kubeconfig" "{client-certificate: \"$K8S_DIR/pki/expired.crt\", client-key: \"$K8S_DIR/pki/expired.key\"}"
"$KUBE_CLIENT_REAL" expired "$dir/expired.kubeconfig" || fail=1

exit $fail
